#pragma once
// Shared by the reduction files (reductions.cpp, statistics.cpp, norms.cpp): axes, the kept shape,
// and the two moves every reduction rule makes. A reverse rule first spreads g back over the
// reduced axes (`spread`), then weights it; a forward rule weights the tangent, then reduces it
// the same way (`reduce_tangent`, the same axes shifted past the tangent's batch dims).
#include "kernels/kernels.h"
#include "ops/record.h"

namespace pyjac::reduction {

inline std::vector<int64_t> resolve_axes(const Axes& axes, int64_t ndim, const char* op) {
  if (!axes) {
    std::vector<int64_t> all(ndim);
    for (int64_t i = 0; i < ndim; ++i) all[i] = i;
    return all;
  }
  return normalize_axes(*axes, ndim, op);
}

// The input shape with the reduced axes kept as 1.
inline Shape kept_shape(const Shape& in_shape, const std::vector<int64_t>& axes) {
  Shape kept = in_shape;
  for (auto a : axes) kept[a] = 1;
  return kept;
}

// What a reduction's rules read besides tensors: the reduced axes (of the input, non-negative),
// the divisor of a mean, var or std (the element count, less ddof), and a p-norm's order.
struct ReductionParams {
  std::vector<int64_t> axes;
  double divisor = 1;
  double order = 0;
};
inline const ReductionParams& reduction_of(const OpNode& n) { return n.params<ReductionParams>(); }
inline const std::vector<int64_t>& reduced_axes(const OpNode& n) { return reduction_of(n).axes; }

inline bool keepdims_of(OpNode& n) { return n.out_ndim == int64_t(n.shapes[0].size()); }

// A reduction's cotangent (*batch, *out_shape) spread back to (*batch, *in_shape).
inline Tensor spread(OpNode& n, const Tensor& g) {
  const Shape& in_shape = n.shapes[0];
  Shape batch = batch_shape(g, n.out_ndim);
  Shape kept = batch, full = batch;
  Shape k = kept_shape(in_shape, reduced_axes(n));
  kept.insert(kept.end(), k.begin(), k.end());
  full.insert(full.end(), in_shape.begin(), in_shape.end());
  return broadcast_to(reshape(g, kept), full);
}

// A tangent (*batch, *in_shape) summed over the reduced axes.
inline Tensor reduce_tangent(OpNode& n, const Tensor& t) {
  const int64_t batch = t.ndim() - int64_t(n.shapes[0].size());
  std::vector<int64_t> axes;
  for (auto a : reduced_axes(n)) axes.push_back(a + batch);
  return sum(t, axes, keepdims_of(n));
}

// The forward output reshaped to broadcast against the input.
inline Tensor output_kept(OpNode& n) { return reshape(n.output(), kept_shape(n.shapes[0], reduced_axes(n))); }

inline Recording record_reduction(Tensor& out, const OpSpec& spec, const Tensor& x, const std::vector<int64_t>& axes) {
  Recording r = record_with<ReductionParams>(out, spec, x);
  if (r) {
    r->shapes = {x.shape()};
    r->params<ReductionParams>().axes = axes;
  }
  return r;
}

// The rules of prod, var, std and logsumexp read the input, so it is saved with the node.
inline Recording record_reduction_saving_input(Tensor& out, const OpSpec& spec, const Tensor& x,
                                               const std::vector<int64_t>& axes) {
  Recording r = record_reduction(out, spec, x, axes);
  if (r) r->save_inputs(x);
  return r;
}

inline double count_of(const Shape& shape, const std::vector<int64_t>& axes) {
  double c = 1;
  for (auto a : axes) c *= double(shape[a]);
  return c;
}

// Statistics and norms are float, as in NumPy: integer and bool inputs compute in float64.
inline Tensor as_float(const Tensor& x) { return is_floating(x.dtype()) ? x : kernels::cast(x, DType::Float64); }

// 1 / s, with 1 in place of s where s == 0: where a rule divides by a norm or a std that is 0, the
// factor it multiplies is 0 too, so the gradient there is taken as 0 rather than NaN.
inline Tensor inverse_nonzero(const Tensor& s) {
  return 1.0 / where(eq(s, scalar_tensor(0, s.dtype())), scalar_tensor(1, s.dtype()), s);
}

}  // namespace pyjac::reduction
