// Product and logical reductions over any set of axes. Like reduce.cpp, the loop walks the input
// in memory order and folds each element into its output slot.
#include <type_traits>

#include "kernels/kernels.h"
#include "kernels/loop.h"

namespace pyjac::kernels {

namespace {

struct Folded {
  Shape out_shape;
  Shape out_strides;  // the output's strides seen from the input's dims: 0 on reduced axes
};

Folded fold_geometry(const Shape& shape, const std::vector<int64_t>& axes, bool keepdims) {
  const int64_t nd = int64_t(shape.size());
  std::vector<bool> reduced(nd, false);
  for (auto a : axes) reduced[a] = true;
  Shape kept(nd);
  Folded f;
  for (int64_t d = 0; d < nd; ++d) {
    kept[d] = reduced[d] ? 1 : shape[d];
    if (!reduced[d]) f.out_shape.push_back(shape[d]);
    else if (keepdims) f.out_shape.push_back(1);
  }
  f.out_strides = contiguous_strides(kept);
  for (int64_t d = 0; d < nd; ++d)
    if (reduced[d]) f.out_strides[d] = 0;
  return f;
}

// acc[slot] = op(acc[slot], x) for every element x of `x` (of C++ type T).
template <class T, class A, class Op>
void fold(const Tensor& x, const Folded& f, std::vector<A>& acc, Op op) {
  const T* p = x.data<T>();
  nd_loop<2>(x.shape(), {x.strides(), f.out_strides}, {0, 0},
             [&](std::array<int64_t, 2> off, int64_t n, std::array<int64_t, 2> st) {
               A* a = acc.data() + off[1];
               for (int64_t i = 0; i < n; ++i) a[i * st[1]] = op(a[i * st[1]], p[off[0] + i * st[0]]);
             });
}

Tensor logical(bool is_all, const Tensor& x_in, const std::vector<int64_t>& axes, bool keepdims) {
  Tensor x = x_in.dtype() == DType::Bool ? x_in : cast(x_in, DType::Bool);  // NaN counts as true
  Folded f = fold_geometry(x.shape(), axes, keepdims);
  Tensor out = empty(f.out_shape, DType::Bool);
  std::vector<uint8_t> acc(size_t(out.numel()), is_all ? 1 : 0);
  if (is_all) fold<bool>(x, f, acc, [](uint8_t a, bool v) -> uint8_t { return a & uint8_t(v); });
  else fold<bool>(x, f, acc, [](uint8_t a, bool v) -> uint8_t { return a | uint8_t(v); });
  bool* o = out.data<bool>();
  for (size_t i = 0; i < acc.size(); ++i) o[i] = acc[i] != 0;
  return out;
}

}  // namespace

Tensor prod(const Tensor& x_in, const std::vector<int64_t>& axes, bool keepdims) {
  const DType od = x_in.dtype() == DType::Bool ? DType::Int64 : x_in.dtype();
  Tensor x = x_in.dtype() == od ? x_in : cast(x_in, od);
  Folded f = fold_geometry(x.shape(), axes, keepdims);
  Tensor out = empty(f.out_shape, od);
  dispatch(od, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      // float32 products accumulate in double (one rounding at the end), as sum does.
      using A = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
      std::vector<A> acc(size_t(out.numel()), A(1));
      fold<T>(x, f, acc, [](A a, T v) -> A {
        if constexpr (std::is_floating_point_v<A>) return a * A(v);
        else return A(uint64_t(a) * uint64_t(v));  // integers wrap around, as in NumPy
      });
      T* o = out.data<T>();
      for (size_t i = 0; i < acc.size(); ++i) o[i] = static_cast<T>(acc[i]);
    }
  });
  return out;
}

Tensor all(const Tensor& x, const std::vector<int64_t>& axes, bool keepdims) { return logical(true, x, axes, keepdims); }
Tensor any(const Tensor& x, const std::vector<int64_t>& axes, bool keepdims) { return logical(false, x, axes, keepdims); }

}  // namespace pyjac::kernels
