// Sorting along an axis, binary search and float classification: the kernels under
// ops/sorting.cpp. NaN orders after every number (NumPy's sort order), so a sort puts NaNs
// last and searchsorted treats them as the largest value.
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/parallel.h"

namespace pyjac::kernels {

namespace {

// a < b with NaN above everything (all NaNs equal): a strict weak order, unlike plain <.
template <class T>
inline bool nan_last_less(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    return a < b || (!std::isnan(a) && std::isnan(b));
  else
    return a < b;
}

template <class F>
void for_lanes(int64_t lanes, int64_t work, const F& f) {
  if (work < kParallelFrom || lanes < 2) {
    f(int64_t(0), lanes);
    return;
  }
  parallel::run(lanes, [](const void* ctx, int64_t b, int64_t e) { (*static_cast<const F*>(ctx))(b, e); }, &f);
}

}  // namespace

Tensor argsort(const Tensor& x_in, int64_t axis) {
  const Tensor x = contiguous(x_in);
  Tensor out = empty(x.shape(), DType::Int64, "argsort");
  if (x.numel() == 0) return out;
  const int64_t n = x.shape()[axis];
  int64_t inner = 1;
  for (int64_t d = axis + 1; d < x.ndim(); ++d) inner *= x.shape()[d];
  const int64_t lanes = x.numel() / n;
  int64_t* o = out.data<int64_t>();
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = x.data<T>();
    // Lane l is (outer, i) = (l / inner, l % inner); its k-th element is at base + k * inner.
    for_lanes(lanes, x.numel(), [&](int64_t begin, int64_t end) {
      std::vector<std::pair<T, int64_t>> buf(static_cast<size_t>(n));
      for (int64_t l = begin; l < end; ++l) {
        const int64_t base = (l / inner) * n * inner + l % inner;
        for (int64_t k = 0; k < n; ++k) buf[size_t(k)] = {p[base + k * inner], k};
        std::stable_sort(buf.begin(), buf.end(),
                         [](const auto& a, const auto& b) { return nan_last_less<T>(a.first, b.first); });
        for (int64_t k = 0; k < n; ++k) o[base + k * inner] = buf[size_t(k)].second;
      }
    });
  });
  return out;
}

Tensor searchsorted(const Tensor& sorted_in, const Tensor& v_in, bool right) {
  const Tensor a = contiguous(sorted_in), v = contiguous(v_in);
  Tensor out = empty(v.shape(), DType::Int64, "searchsorted");
  int64_t* o = out.data<int64_t>();
  dispatch(v.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* first = a.data<T>();
    const T* last = first + a.numel();
    const T* q = v.data<T>();
    auto less = [](T x, T y) { return nan_last_less<T>(x, y); };
    for_lanes(v.numel(), v.numel() * 8, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        o[i] = (right ? std::upper_bound(first, last, q[i], less) : std::lower_bound(first, last, q[i], less)) - first;
    });
  });
  return out;
}

Tensor classify(const Tensor& x_in, FloatClass c) {
  Tensor out = empty(x_in.shape(), DType::Bool, "classify");
  bool* o = out.data<bool>();
  if (!is_floating(x_in.dtype())) {
    std::fill(o, o + out.numel(), c == FloatClass::Finite);
    return out;
  }
  const Tensor x = contiguous(x_in);
  dispatch_float(x.dtype(), "classify", [&](auto tag) {
    using T = decltype(tag);
    const T* p = x.data<T>();
    for (int64_t i = 0, n = x.numel(); i < n; ++i)
      o[i] = c == FloatClass::NaN ? std::isnan(p[i]) : c == FloatClass::Inf ? std::isinf(p[i]) : std::isfinite(p[i]);
  });
  return out;
}

Tensor nan_to_num(const Tensor& x_in, double nan, double posinf, double neginf) {
  const Tensor x = contiguous(x_in);
  Tensor out = empty(x.shape(), x.dtype(), "nan_to_num");
  dispatch_float(x.dtype(), "nan_to_num", [&](auto tag) {
    using T = decltype(tag);
    const T* p = x.data<T>();
    T* o = out.data<T>();
    // a double beyond float's range becomes +-inf, as NumPy's cast (spelled out: the cast itself overflows)
    auto to_t = [](double d) {
      const double top = double(std::numeric_limits<T>::max());
      return d > top ? std::numeric_limits<T>::infinity() : d < -top ? -std::numeric_limits<T>::infinity() : T(d);
    };
    const T n = to_t(nan), pi = to_t(posinf), ni = to_t(neginf);
    for (int64_t i = 0, m = x.numel(); i < m; ++i) {
      const T a = p[i];
      o[i] = std::isnan(a)                              ? n
             : a == std::numeric_limits<T>::infinity()  ? pi
             : a == -std::numeric_limits<T>::infinity() ? ni
                                                        : a;
    }
  });
  return out;
}

}  // namespace pyjac::kernels
