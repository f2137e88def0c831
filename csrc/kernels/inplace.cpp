// In-place elementwise arithmetic, for in-place ops that autograd needn't see (optimizer
// updates): one pass over self instead of a new result and a copy. The same arithmetic as
// binary_scalar followed by binary, so results don't depend on which path ran.
#include <type_traits>

#include "kernels/int_math.h"
#include "kernels/kernels.h"
#include "kernels/loop.h"

namespace pyjac::kernels {

namespace {

template <class T, class F>
void update(const Tensor& self, const Tensor& other, F f) {
  T* o = self.data<T>();
  const T* p = other.data<T>();
  nd_loop<2>(self.shape(), {self.strides(), broadcast_strides(other.shape(), other.strides(), self.shape())}, {0, 0},
             [&](std::array<int64_t, 2> off, int64_t n, std::array<int64_t, 2> st) {
               T* po = o + off[0];
               const T* pp = p + off[1];
               if (st[0] == 1 && st[1] == 1) {
                 for (int64_t i = 0; i < n; ++i) po[i] = f(po[i], pp[i]);
               } else if (st[0] == 1 && st[1] == 0) {
                 const T v = *pp;
                 for (int64_t i = 0; i < n; ++i) po[i] = f(po[i], v);
               } else {
                 for (int64_t i = 0; i < n; ++i) po[i * st[0]] = f(po[i * st[0]], pp[i * st[1]]);
               }
             });
}

}  // namespace

void binary_inplace(Binary op, const Tensor& self, const Tensor& other, double alpha, int64_t int_alpha) {
  dispatch(self.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      throw TypeError("binary_inplace: bool tensors combine logically; use the out-of-place path");
    } else {
      T a;
      if constexpr (std::is_same_v<T, int64_t>)
        a = int_alpha;
      else
        a = static_cast<T>(alpha);
      const bool scaled = a != T(1);
      switch (op) {
        case Binary::Add:
          if (scaled) return update<T>(self, other, [a](T x, T y) -> T { return wrap_add(x, wrap_mul(a, y)); });
          return update<T>(self, other, [](T x, T y) -> T { return wrap_add(x, y); });
        case Binary::Sub:
          if (scaled) return update<T>(self, other, [a](T x, T y) -> T { return wrap_sub(x, wrap_mul(a, y)); });
          return update<T>(self, other, [](T x, T y) -> T { return wrap_sub(x, y); });
        case Binary::Mul: return update<T>(self, other, [](T x, T y) -> T { return wrap_mul(x, y); });
        case Binary::Div: return update<T>(self, other, [](T x, T y) -> T { return x / y; });
        default: throw ValueError("binary_inplace: only add, subtract, multiply and divide");
      }
    }
  });
}

}  // namespace pyjac::kernels
