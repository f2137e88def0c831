// Reductions (sum, max, min over any set of axes). The loop walks the input in memory order and
// folds each element into its output slot, so reducing a leading axis (the batch axis of a
// cotangent) streams through memory instead of striding across it.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/int_math.h"
#include "kernels/kernels.h"
#include "kernels/loop.h"
#include "kernels/vector_extrema.h"

namespace pyjac::kernels {

namespace {

// Sum of a contiguous run with several accumulators: vectorises and loses less precision than
// one running total.
template <class A, class T>
A sum_run(const T* p, int64_t n, int64_t stride) {
  if (stride != 1) {
    A s = 0;
    for (int64_t i = 0; i < n; ++i) s += A(p[i * stride]);
    return s;
  }
  A acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) acc[k] += A(p[i + k]);
  A s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < n; ++i) s += A(p[i]);
  return s;
}

// v beats r for max (min); a NaN beats everything and, once r is NaN, nothing beats it.
template <class T, bool kMax>
inline bool beats(T v, T r) {
  return kMax ? (v > r || v != v) : (v < r || v != v);
}

// Max (min) of a contiguous run in eight independent lanes, so the compares vectorise instead
// of forming one loop-carried chain; NaN is tracked on the side.
template <class T, bool kMax>
T extremum_run(const T* p, int64_t n, T r) {
  constexpr int kLanes = 8;
  int64_t i = 0;
  if (n >= 2 * kLanes) {
    T lane[kLanes];
    bool nan[kLanes] = {};
    for (int k = 0; k < kLanes; ++k) lane[k] = r;
    for (; i + kLanes <= n; i += kLanes)
      for (int k = 0; k < kLanes; ++k) {
        const T v = p[i + k];
        lane[k] = (kMax ? v > lane[k] : v < lane[k]) ? v : lane[k];
        nan[k] |= v != v;
      }
    for (int k = 0; k < kLanes; ++k) {
      if (nan[k]) return std::numeric_limits<T>::quiet_NaN();
      if (beats<T, kMax>(lane[k], r)) r = lane[k];
    }
  }
  for (; i < n; ++i)
    if (beats<T, kMax>(p[i], r)) r = p[i];
  return r;
}

template <class T, bool kMax>
void extremum(const Tensor& x, const Tensor& out, const Shape& out_strides) {
  const T* p = x.data<T>();
  T* o = out.data<T>();
  T init;
  if constexpr (std::is_floating_point_v<T>) init = kMax ? -INFINITY : INFINITY;
  else init = kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  std::fill(o, o + out.numel(), init);
  nd_loop<2>(x.shape(), {x.strides(), out_strides}, {0, 0},
             [&](std::array<int64_t, 2> off, int64_t n, std::array<int64_t, 2> st) {
               T* r = o + off[1];
               const T* in = p + off[0];
               if (st[1] == 0 && st[0] == 1) {  // along a row: one slot
                 if constexpr (std::is_floating_point_v<T>) *r = kMax ? vmath::max_of(in, n, *r) : vmath::min_of(in, n, *r);
                 else *r = extremum_run<T, kMax>(in, n, *r);
               } else if (st[0] == 1 && st[1] == 1) {  // across rows: a row of slots
                 if constexpr (std::is_floating_point_v<T>) kMax ? vmath::max_into(r, in, n) : vmath::min_into(r, in, n);
                 else for (int64_t i = 0; i < n; ++i) r[i] = beats<T, kMax>(in[i], r[i]) ? in[i] : r[i];
               } else {
                 for (int64_t i = 0; i < n; ++i)
                   if (beats<T, kMax>(in[i * st[0]], r[i * st[1]])) r[i * st[1]] = in[i * st[0]];
               }
             });
}

}  // namespace

Tensor reduce(Reduce op, const Tensor& x, const std::vector<int64_t>& axes, bool keepdims, const char* op_name) {
  const int64_t nd = x.ndim();
  std::vector<bool> reduced(nd, false);
  for (auto a : axes) reduced[a] = true;
  Shape kept_shape(nd);  // the output shape with reduced axes kept as 1
  for (int64_t d = 0; d < nd; ++d) kept_shape[d] = reduced[d] ? 1 : x.shape()[d];
  Shape out_shape;
  for (int64_t d = 0; d < nd; ++d)
    if (!reduced[d]) out_shape.push_back(x.shape()[d]);
    else if (keepdims) out_shape.push_back(1);

  if (op != Reduce::Sum && x.numel() == 0) {
    bool empty_reduction = false;
    for (auto a : axes) empty_reduction |= x.shape()[a] == 0;
    if (empty_reduction || numel(kept_shape) != 0)
      throw ValueError(std::string(op_name) + ": zero-size array to reduction operation, which has no identity "
                       "(shape " + shape_str(x.shape()) + ")");
  }

  DType od = x.dtype();
  if (op == Reduce::Sum && od == DType::Bool) od = DType::Int64;
  Tensor out = empty(out_shape, od);
  Shape out_strides = contiguous_strides(kept_shape);
  for (int64_t d = 0; d < nd; ++d)
    if (reduced[d]) out_strides[d] = 0;

  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = x.data<T>();
    if (op == Reduce::Sum) {
      // float32 sums accumulate in double; the result is cast back once. Integer sums accumulate
      // in uint64, which wraps around on overflow (as NumPy's int64 sums do) instead of being UB.
      using A = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;
      std::vector<A> acc(size_t(out.numel()), A(0));
      nd_loop<2>(x.shape(), {x.strides(), out_strides}, {0, 0},
                 [&](std::array<int64_t, 2> off, int64_t n, std::array<int64_t, 2> st) {
                   if (st[1] == 0) {
                     acc[off[1]] += sum_run<A>(p + off[0], n, st[0]);
                   } else {
                     for (int64_t i = 0; i < n; ++i) acc[off[1] + i * st[1]] += A(p[off[0] + i * st[0]]);
                   }
                 });
      dispatch(od, [&](auto otag) {
        using O = decltype(otag);
        O* o = out.data<O>();
        for (size_t i = 0; i < acc.size(); ++i) o[i] = static_cast<O>(acc[i]);
      });
      return;
    }
    if (op == Reduce::Max) extremum<T, true>(x, out, out_strides);
    else extremum<T, false>(x, out, out_strides);
  });
  return out;
}

}  // namespace pyjac::kernels
