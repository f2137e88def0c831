#pragma once
// Shared by the reduction files (reduction.cpp, reduction_more.cpp): axes, the kept shape, and the
// two moves every reduction rule makes. A reverse rule first spreads g back over the reduced axes
// (`spread`), then weights it; a forward rule weights the tangent, then reduces it the same way
// (`reduce_tangent`, the same axes shifted past the tangent's batch dims).
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

inline bool keepdims_of(OpNode& n) { return n.out_ndim == int64_t(n.shapes[0].size()); }

// A reduction's cotangent (*batch, *out_shape) spread back to (*batch, *in_shape).
inline Tensor spread(OpNode& n, const Tensor& g) {
  const Shape& in_shape = n.shapes[0];
  Shape batch = batch_shape(g, n.out_ndim);
  Shape kept = batch, full = batch;
  Shape k = kept_shape(in_shape, n.ints);
  kept.insert(kept.end(), k.begin(), k.end());
  full.insert(full.end(), in_shape.begin(), in_shape.end());
  return broadcast_to(reshape(g, kept), full);
}

// A tangent (*batch, *in_shape) summed over the reduced axes.
inline Tensor reduce_tangent(OpNode& n, const Tensor& t) {
  const int64_t batch = t.ndim() - int64_t(n.shapes[0].size());
  std::vector<int64_t> axes;
  for (auto a : n.ints) axes.push_back(a + batch);
  return sum(t, axes, keepdims_of(n));
}

// The forward output reshaped to broadcast against the input.
inline Tensor output_kept(OpNode& n) { return reshape(n.output(), kept_shape(n.shapes[0], n.ints)); }

inline Recording record_reduction(Tensor& out, const OpSpec& spec, const Tensor& x, const std::vector<int64_t>& axes) {
  Recording r = record(out, spec, x);
  if (r) {
    r->shapes = {x.shape()};
    r->ints = axes;
  }
  return r;
}

inline double count_of(const Shape& shape, const std::vector<int64_t>& axes) {
  double c = 1;
  for (auto a : axes) c *= double(shape[a]);
  return c;
}

}  // namespace pyjac::reduction
