// Kernels along one axis: cumulative sums and products, the first-order linear recurrence the
// cumprod rules are written in, a one-step shift, and argmax / argmin. Inputs are made contiguous
// (broadcast operands materialised) and viewed as (outer, len, inner): the inner loop runs over
// contiguous memory, so scanning a leading axis still streams.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/vector_extrema.h"

namespace pyjac::kernels {

namespace {

struct AxisSplit {
  int64_t outer = 1, len = 1, inner = 1;
};

AxisSplit split_at(const Shape& shape, int64_t axis) {
  AxisSplit s;
  for (int64_t d = 0; d < int64_t(shape.size()); ++d) {
    if (d < axis)
      s.outer *= shape[d];
    else if (d == axis)
      s.len = shape[d];
    else
      s.inner *= shape[d];
  }
  return s;
}

// x in `dtype`, contiguous, broadcast to `shape` (a fresh copy only when needed).
Tensor dense(const Tensor& x, const Shape& shape, DType dtype) {
  if (x.dtype() == dtype && x.shape() == shape && x.is_contiguous()) return x;
  Tensor out = empty(shape, dtype);
  copy_into(out, x);
  return out;
}

// y[first] = first(j), y[j] = next(j, y[previous]) along the axis, j a flat offset.
template <class T, class First, class Next>
void scan_axis(T* y, AxisSplit s, bool reverse, First first, Next next) {
  if (s.len == 0) return;
  const int64_t step = reverse ? -s.inner : s.inner;
  for (int64_t o = 0; o < s.outer; ++o) {
    int64_t cur = (o * s.len + (reverse ? s.len - 1 : 0)) * s.inner;
    for (int64_t i = 0; i < s.inner; ++i) y[cur + i] = first(cur + i);
    for (int64_t k = 1; k < s.len; ++k) {
      const int64_t prev = cur;
      cur += step;
      for (int64_t i = 0; i < s.inner; ++i) y[cur + i] = next(cur + i, y[prev + i]);
    }
  }
}

DType accumulate_dtype(DType d) { return d == DType::Bool ? DType::Int64 : d; }

// Integer sums and products wrap around on overflow, as in NumPy (signed overflow is undefined in C++).
template <class T>
T add_wrapping(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    return a + b;
  else
    return T(uint64_t(a) + uint64_t(b));
}
template <class T>
T mul_wrapping(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    return a * b;
  else
    return T(uint64_t(a) * uint64_t(b));
}

}  // namespace

namespace {

// An inclusive scan of x along `axis` with `combine(prev, x_j)`, in x's accumulation dtype.
template <class Combine>
Tensor inclusive_scan(const Tensor& x_in, int64_t axis, bool reverse, Combine combine) {
  const DType od = accumulate_dtype(x_in.dtype());
  Tensor x = dense(x_in, x_in.shape(), od);
  Tensor out = empty(x.shape(), od);
  dispatch(od, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      const T* p = x.data<T>();
      scan_axis<T>(
          out.data<T>(), split_at(x.shape(), axis), reverse, [p](int64_t j) { return p[j]; },
          [p, &combine](int64_t j, T prev) -> T { return combine(prev, p[j]); });
    }
  });
  return out;
}

}  // namespace

Tensor cumsum(const Tensor& x, int64_t axis, bool reverse) {
  return inclusive_scan(x, axis, reverse, [](auto prev, auto v) { return add_wrapping(prev, v); });
}

Tensor cumprod(const Tensor& x, int64_t axis, bool reverse) {
  return inclusive_scan(x, axis, reverse, [](auto prev, auto v) { return mul_wrapping(prev, v); });
}

Tensor linear_scan(const Tensor& g_in, const Tensor& a_in, int64_t axis, bool reverse) {
  const Shape shape = broadcast_shapes(g_in.shape(), a_in.shape(), "linear_scan");
  const DType od = float_result(promote(g_in.dtype(), a_in.dtype()));
  Tensor g = dense(g_in, shape, od), a = dense(a_in, shape, od);
  Tensor out = empty(shape, od);
  dispatch_float(od, "linear_scan", [&](auto tag) {
    using T = decltype(tag);
    const T* pg = g.data<T>();
    const T* pa = a.data<T>();
    scan_axis<T>(
        out.data<T>(), split_at(shape, axis), reverse, [pg](int64_t j) { return pg[j]; },
        [pg, pa](int64_t j, T prev) -> T { return pg[j] + pa[j] * prev; });
  });
  return out;
}

Tensor shift(const Tensor& x_in, int64_t axis, bool reverse, double fill) {
  Tensor x = dense(x_in, x_in.shape(), x_in.dtype());
  Tensor out = empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = x.data<T>();
    const T f = static_cast<T>(fill);
    const int64_t step = reverse ? -1 : 1;
    const AxisSplit s = split_at(x.shape(), axis);
    scan_axis<T>(
        out.data<T>(), s, reverse, [f](int64_t) { return f; },
        [p, step, s](int64_t j, T) -> T { return p[j - step * s.inner]; });
  });
  return out;
}

namespace {

// Index of the first largest (smallest) of row[0..n), NaN first if there is one. One pass finds
// the extreme value in eight independent lanes (no loop-carried compare chain), a second the
// first index that holds it.
template <class T, bool largest>
int64_t first_extremum(const T* row, int64_t n) {
  if constexpr (std::is_floating_point_v<T>) {  // the value from the cloned loops, then its place
    const T best = largest ? vmath::max_of(row, n, row[0]) : vmath::min_of(row, n, row[0]);
    for (int64_t k = 0; k < n; ++k)
      if (best != best ? row[k] != row[k] : row[k] == best) return k;
    return 0;
  }
  constexpr int kLanes = 8;
  T lane[kLanes];
  for (int j = 0; j < kLanes; ++j) lane[j] = row[0];
  bool nan = false;
  auto better = [](T v, T b) { return largest ? v > b : v < b; };
  int64_t k = 0;
  for (; k + kLanes <= n; k += kLanes)
    for (int j = 0; j < kLanes; ++j) {
      const T v = row[k + j];
      lane[j] = better(v, lane[j]) ? v : lane[j];
      nan |= v != v;
    }
  T best = lane[0];
  for (int j = 1; j < kLanes; ++j) best = better(lane[j], best) ? lane[j] : best;
  for (; k < n; ++k) {
    best = better(row[k], best) ? row[k] : best;
    nan |= row[k] != row[k];
  }
  for (k = 0; k < n; ++k)
    if (nan ? row[k] != row[k] : row[k] == best) return k;
  return 0;
}

}  // namespace

Tensor arg_extremum(bool largest, const Tensor& x_in, int64_t axis, bool keepdims, const char* op_name) {
  const AxisSplit s = split_at(x_in.shape(), axis);
  if (s.len == 0)
    throw ValueError(std::string(op_name) + ": attempt to get " + op_name + " of an empty sequence (" + describe(x_in) +
                     ", axis " + std::to_string(axis) + ")");
  Shape out_shape;
  for (int64_t d = 0; d < x_in.ndim(); ++d)
    if (d != axis)
      out_shape.push_back(x_in.shape()[d]);
    else if (keepdims)
      out_shape.push_back(1);
  Tensor x = dense(x_in, x_in.shape(), x_in.dtype());
  Tensor out = empty(out_shape, DType::Int64);
  int64_t* o = out.data<int64_t>();
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = x.data<T>();
    if (s.inner == 1) {
      for (int64_t b = 0; b < s.outer; ++b)
        o[b] = largest ? first_extremum<T, true>(p + b * s.len, s.len) : first_extremum<T, false>(p + b * s.len, s.len);
      return;
    }
    // Reducing an outer axis: walk it row by row, every inner position keeping its own best.
    for (int64_t b = 0; b < s.outer; ++b) {
      const T* block = p + b * s.len * s.inner;
      int64_t* at = o + b * s.inner;
      std::vector<T> best(block, block + s.inner);
      std::fill(at, at + s.inner, 0);
      for (int64_t k = 1; k < s.len; ++k) {
        const T* row = block + k * s.inner;
        for (int64_t i = 0; i < s.inner; ++i) {
          const T v = row[i], b0 = best[i];
          // NaN wins, and once a NaN is the best nothing replaces it.
          const bool take = b0 == b0 && (largest ? (v > b0 || v != v) : (v < b0 || v != v));
          best[i] = take ? v : b0;
          at[i] = take ? k : at[i];
        }
      }
    }
  });
  return out;
}

}  // namespace pyjac::kernels
