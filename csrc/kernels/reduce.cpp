// Reductions over any set of axes: sum, max and min (reduce()), prod, all and any, and the fused
// single passes of var (sum of squared deviations) and logsumexp (sum of exp(x - shift)). Every
// loop walks the input in memory order and folds each element into its output slot, so reducing
// a leading axis (the batch axis of a cotangent) streams through memory instead of striding
// across it; a run that folds into one slot (a reduced innermost axis) accumulates locally first.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/int_math.h"
#include "kernels/kernels.h"
#include "kernels/loop.h"
#include "kernels/vector_extrema.h"
#include "kernels/vector_math.h"

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
  if constexpr (std::is_floating_point_v<T>)
    init = kMax ? -INFINITY : INFINITY;
  else
    init = kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  std::fill(o, o + out.numel(), init);
  nd_loop<2>(x.shape(), {x.strides(), out_strides}, {0, 0},
             [&](std::array<int64_t, 2> off, int64_t n, std::array<int64_t, 2> st) {
               T* r = o + off[1];
               const T* in = p + off[0];
               if (st[1] == 0 && st[0] == 1) {  // along a row: one slot
                 if constexpr (std::is_floating_point_v<T>)
                   *r = kMax ? vmath::max_of(in, n, *r) : vmath::min_of(in, n, *r);
                 else
                   *r = extremum_run<T, kMax>(in, n, *r);
               } else if (st[0] == 1 && st[1] == 1) {  // across rows: a row of slots
                 if constexpr (std::is_floating_point_v<T>)
                   kMax ? vmath::max_into(r, in, n) : vmath::min_into(r, in, n);
                 else
                   for (int64_t i = 0; i < n; ++i) r[i] = beats<T, kMax>(in[i], r[i]) ? in[i] : r[i];
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
    if (!reduced[d])
      out_shape.push_back(x.shape()[d]);
    else if (keepdims)
      out_shape.push_back(1);

  if (op != Reduce::Sum && x.numel() == 0) {
    bool empty_reduction = false;
    for (auto a : axes) empty_reduction |= x.shape()[a] == 0;
    if (empty_reduction || numel(kept_shape) != 0)
      throw ValueError(std::string(op_name) +
                       ": zero-size array to reduction operation, which has no identity "
                       "(shape " +
                       shape_str(x.shape()) + ")");
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
    if (op == Reduce::Max)
      extremum<T, true>(x, out, out_strides);
    else
      extremum<T, false>(x, out, out_strides);
  });
  return out;
}

namespace {

struct Folded {
  Shape out_shape;
  // The output's strides seen from the input's dims (0 on reduced axes). A tensor of the kept
  // shape, contiguous, is indexed by the same offsets (var's mean, logsumexp's shift).
  Shape out_strides;
};

Folded fold_geometry(const Shape& shape, const std::vector<int64_t>& axes, bool keepdims) {
  const int64_t nd = int64_t(shape.size());
  std::vector<bool> reduced(nd, false);
  for (auto a : axes) reduced[a] = true;
  Shape kept(nd);
  Folded f;
  for (int64_t d = 0; d < nd; ++d) {
    kept[d] = reduced[d] ? 1 : shape[d];
    if (!reduced[d])
      f.out_shape.push_back(shape[d]);
    else if (keepdims)
      f.out_shape.push_back(1);
  }
  f.out_strides = contiguous_strides(kept);
  for (int64_t d = 0; d < nd; ++d)
    if (reduced[d]) f.out_strides[d] = 0;
  return f;
}

// acc[slot] = combine(acc[slot], elem(x, slot)) over every element x of `x` (C++ type T); a run
// into one slot is folded in four independent lanes (so it pipelines, or vectorises) first.
template <class T, class A, class Elem, class Combine>
void fold(const Tensor& x, const Folded& f, std::vector<A>& acc, A identity, Elem elem, Combine combine) {
  const T* p = x.data<T>();
  nd_loop<2>(x.shape(), {x.strides(), f.out_strides}, {0, 0},
             [&](std::array<int64_t, 2> off, int64_t n, std::array<int64_t, 2> st) {
               const T* q = p + off[0];
               if (st[1] == 0) {
                 const int64_t slot = off[1];
                 A lane[4] = {identity, identity, identity, identity};
                 int64_t i = 0;
                 for (; i + 4 <= n; i += 4)
                   for (int j = 0; j < 4; ++j) lane[j] = combine(lane[j], elem(q[(i + j) * st[0]], slot));
                 for (; i < n; ++i) lane[0] = combine(lane[0], elem(q[i * st[0]], slot));
                 acc[slot] = combine(acc[slot], combine(combine(lane[0], lane[1]), combine(lane[2], lane[3])));
               } else {
                 for (int64_t i = 0; i < n; ++i) {
                   const int64_t slot = off[1] + i * st[1];
                   acc[slot] = combine(acc[slot], elem(q[i * st[0]], slot));
                 }
               }
             });
}

template <class O, class A>
void store(const Tensor& out, const std::vector<A>& acc) {
  O* o = out.data<O>();
  for (size_t i = 0; i < acc.size(); ++i) o[i] = static_cast<O>(acc[i]);
}

Tensor logical(bool is_all, const Tensor& x, const std::vector<int64_t>& axes, bool keepdims) {
  Folded f = fold_geometry(x.shape(), axes, keepdims);
  Tensor out = empty(f.out_shape, DType::Bool);
  std::vector<uint32_t> acc(size_t(out.numel()), is_all ? 1u : 0u);
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto truth = [](T v, int64_t) -> uint32_t { return v != T(0); };  // NaN counts as true, as NumPy
    if (is_all)
      fold<T>(x, f, acc, 1u, truth, [](uint32_t a, uint32_t b) { return a & b; });
    else
      fold<T>(x, f, acc, 0u, truth, [](uint32_t a, uint32_t b) { return a | b; });
  });
  store<bool>(out, acc);
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
      // float32 products accumulate in double (one rounding at the end), as sum does; integers
      // wrap around on overflow, as in NumPy (signed overflow is undefined in C++).
      using A = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;
      std::vector<A> acc(size_t(out.numel()), A(1));
      fold<T>(x, f, acc, A(1), [](T v, int64_t) { return A(v); }, [](A a, A b) { return a * b; });
      store<T>(out, acc);
    }
  });
  return out;
}

Tensor all(const Tensor& x, const std::vector<int64_t>& axes, bool keepdims) {
  return logical(true, x, axes, keepdims);
}
Tensor any(const Tensor& x, const std::vector<int64_t>& axes, bool keepdims) {
  return logical(false, x, axes, keepdims);
}

Tensor sum_squared_deviations(const Tensor& x, const Tensor& center, const std::vector<int64_t>& axes, bool keepdims) {
  Folded f = fold_geometry(x.shape(), axes, keepdims);
  Tensor out = empty(f.out_shape, x.dtype());
  std::vector<double> acc(size_t(out.numel()), 0.0);  // float32 accumulates in double, as sum does
  dispatch_float(x.dtype(), "var", [&](auto tag) {
    using T = decltype(tag);
    const T* c = center.data<T>();
    fold<T>(
        x, f, acc, 0.0,
        [c](T v, int64_t slot) {
          const double d = double(v) - double(c[slot]);
          return d * d;
        },
        [](double a, double b) { return a + b; });
    store<T>(out, acc);
  });
  return out;
}

Tensor logsumexp(const Tensor& x, const std::vector<int64_t>& axes, bool keepdims) {
  Folded f = fold_geometry(x.shape(), axes, keepdims);
  Tensor out = empty(f.out_shape, x.dtype());
  dispatch_float(x.dtype(), "logsumexp", [&](auto tag) {
    using T = decltype(tag);
    // The shift: each slice's largest entry, or 0 where that is not finite (an all -inf slice,
    // an empty one, a +inf entry, a NaN): exp(x - 0) then gives the right -inf, inf or NaN.
    std::vector<T> shift(size_t(out.numel()), T(-INFINITY));
    fold<T>(x, f, shift, T(-INFINITY), [](T v, int64_t) { return v; }, [](T a, T b) { return a > b ? a : b; });
    for (auto& m : shift)
      if (!std::isfinite(m)) m = T(0);
    std::vector<double> total(shift.size(), 0.0);
    const T* p = x.data<T>();
    // exp in blocks through the vectorised loop; x - shift formed in x's dtype.
    constexpr int64_t kBlock = 256;
    T diff[kBlock], e[kBlock];
    nd_loop<2>(x.shape(), {x.strides(), f.out_strides}, {0, 0},
               [&](std::array<int64_t, 2> off, int64_t n, std::array<int64_t, 2> st) {
                 for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
                   const int64_t m = std::min(kBlock, n - i0);
                   for (int64_t j = 0; j < m; ++j)
                     diff[j] = p[off[0] + (i0 + j) * st[0]] - shift[size_t(off[1] + (i0 + j) * st[1])];
                   vmath::apply(vmath::Fn::Exp, diff, e, m);
                   if (st[1] == 0) {
                     double s[4] = {0, 0, 0, 0};
                     int64_t j = 0;
                     for (; j + 4 <= m; j += 4)
                       for (int k = 0; k < 4; ++k) s[k] += double(e[j + k]);
                     for (; j < m; ++j) s[0] += double(e[j]);
                     total[size_t(off[1])] += (s[0] + s[1]) + (s[2] + s[3]);
                   } else {
                     for (int64_t j = 0; j < m; ++j) total[size_t(off[1] + (i0 + j) * st[1])] += double(e[j]);
                   }
                 }
               });
    T* o = out.data<T>();
    for (size_t i = 0; i < total.size(); ++i) o[i] = static_cast<T>(std::log(T(total[i])) + shift[i]);
  });
  return out;
}

}  // namespace pyjac::kernels
