// Reductions and norms with their rules. A rule first spreads g back over the reduced axes
// (`spread`), then weights it.
#include <cmath>

#include "kernels/kernels.h"
#include "ops/record.h"
#include "ops/rule_macros.h"

namespace pyjac {

namespace {

std::vector<int64_t> resolve_axes(const Axes& axes, int64_t ndim, const char* op) {
  if (!axes) {
    std::vector<int64_t> all(ndim);
    for (int64_t i = 0; i < ndim; ++i) all[i] = i;
    return all;
  }
  return normalize_axes(*axes, ndim, op);
}

// The input shape with the reduced axes kept as 1.
Shape kept_shape(const Shape& in_shape, const std::vector<int64_t>& axes) {
  Shape kept = in_shape;
  for (auto a : axes) kept[a] = 1;
  return kept;
}

// A reduction's cotangent (*batch, *out_shape) spread back to (*batch, *in_shape).
Tensor spread(OpNode& n, const Tensor& g) {
  const Shape& in_shape = n.shapes[0];
  Shape batch = batch_shape(g, n.out_ndim);
  Shape kept = batch, full = batch;
  Shape k = kept_shape(in_shape, n.ints);
  kept.insert(kept.end(), k.begin(), k.end());
  full.insert(full.end(), in_shape.begin(), in_shape.end());
  return broadcast_to(reshape(g, kept), full);
}

// The forward output reshaped to broadcast against the input.
Tensor output_kept(OpNode& n) { return reshape(n.output(), kept_shape(n.shapes[0], n.ints)); }

OpNode* record_reduction(Tensor& out, const char* name, Rule rule, const Tensor& x, const std::vector<int64_t>& axes) {
  OpNode* n = record(out, name, rule, x);
  if (n) {
    n->shapes = {x.shape()};
    n->ints = axes;
  }
  return n;
}

double count_of(const Shape& shape, const std::vector<int64_t>& axes) {
  double c = 1;
  for (auto a : axes) c *= double(shape[a]);
  return c;
}

// Where a max/min was attained, each of k tied places gets 1/k (a constant weight).
Tensor tie_weights(OpNode& n) {
  const Tensor& x = n.saved[0];
  Tensor hit = kernels::cast(kernels::binary(kernels::Binary::Eq, x, reshape(n.out_data, kept_shape(x.shape(), n.ints)), "max"),
                             x.dtype());
  Tensor count = kernels::reduce(kernels::Reduce::Sum, hit, n.ints, true, "max");
  return kernels::binary(kernels::Binary::Div, hit, count, "max");
}

Tensor extremum(const Tensor& x, const Axes& axes, bool keepdims, kernels::Reduce op, const char* name,
                const char* backward_name) {
  auto ax = resolve_axes(axes, x.ndim(), name);
  Tensor out = kernels::reduce(op, x, ax, keepdims, name);
  if (OpNode* n = record_reduction(out, backward_name, RULE({spread(n, g) * tie_weights(n)}), x, ax)) {
    n->saved = {x};
    n->save_output(out);
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const Axes& axes, bool keepdims) {
  auto ax = resolve_axes(axes, x.ndim(), "sum");
  Tensor out = kernels::reduce(kernels::Reduce::Sum, x, ax, keepdims, "sum");
  record_reduction(out, "SumBackward", RULE({spread(n, g)}), x, ax);
  return out;
}

Tensor mean(const Tensor& x, const Axes& axes, bool keepdims) {
  auto ax = resolve_axes(axes, x.ndim(), "mean");
  const double count = count_of(x.shape(), ax);
  Tensor total = kernels::reduce(kernels::Reduce::Sum, x, ax, keepdims, "mean");
  Tensor out = kernels::binary_scalar(kernels::Binary::Div, total, count, false, float_result(total.dtype()));
  if (OpNode* n = record_reduction(out, "MeanBackward", RULE({spread(n, g) / n.s0}), x, ax)) n->s0 = count;
  return out;
}

Tensor max(const Tensor& x, const Axes& axes, bool keepdims) {
  return extremum(x, axes, keepdims, kernels::Reduce::Max, "max", "MaxBackward");
}
Tensor min(const Tensor& x, const Axes& axes, bool keepdims) {
  return extremum(x, axes, keepdims, kernels::Reduce::Min, "min", "MinBackward");
}

namespace {

// sqrt(sum(x**2)) over `axes`; its gradient x / norm is taken as 0 at the zero vector.
Tensor norm2(const Tensor& x_in, const std::vector<int64_t>& axes, bool keepdims) {
  Tensor x = is_floating(x_in.dtype()) ? x_in : kernels::cast(x_in, DType::Float64);
  Tensor sq = kernels::unary(kernels::Unary::Square, x);
  Tensor out = kernels::unary(kernels::Unary::Sqrt, kernels::reduce(kernels::Reduce::Sum, sq, axes, keepdims, "norm"));
  if (OpNode* n = record_reduction(
          out, "NormBackward",
          RULE({spread(n, g) * n.saved[0] /
                where(eq(output_kept(n), scalar_tensor(0, g.dtype())), scalar_tensor(1, g.dtype()), output_kept(n))}),
          x, axes)) {
    n->saved = {x};
    n->save_output(out);
  }
  return out;
}

Tensor vector_norm(const Tensor& x, NormOrd ord, const std::vector<int64_t>& axes, bool keepdims) {
  if (ord.kind == NormOrd::Default || ord.kind == NormOrd::Fro || (ord.kind == NormOrd::P && ord.p == 2))
    return norm2(x, axes, keepdims);
  if (ord.kind == NormOrd::Nuc) throw ValueError("norm: ord='nuc' needs a 2-D (matrix) norm");
  const double p = ord.p;
  if (std::isinf(p)) return p > 0 ? max(abs(x), axes, keepdims) : min(abs(x), axes, keepdims);
  if (p == 0) return sum(astype(ne(x, scalar_tensor(0, x.dtype())), float_result(x.dtype())), axes, keepdims);
  if (p == 1) return sum(abs(x), axes, keepdims);
  return pow(sum(pow(abs(x), Scalar{p, false}), axes, keepdims), Scalar{1.0 / p, false});
}

Tensor matrix_norm(const Tensor& x, NormOrd ord, int64_t row_axis, int64_t col_axis, bool keepdims) {
  if (ord.kind == NormOrd::Default || ord.kind == NormOrd::Fro) {
    std::vector<int64_t> ax{std::min(row_axis, col_axis), std::max(row_axis, col_axis)};
    return norm2(x, ax, keepdims);
  }
  if (ord.kind == NormOrd::Nuc || std::fabs(ord.p) == 2)
    throw ValueError("norm: the spectral and nuclear matrix norms (ord=2, -2, 'nuc') need an SVD, which pyjac does not have yet");
  const double p = ord.p;
  if (std::fabs(p) != 1 && !std::isinf(p)) throw ValueError("norm: invalid norm order for matrices");
  // ord 1: largest column sum of |x|; ord inf: largest row sum (the min forms for negative ords).
  int64_t summed = std::fabs(p) == 1 ? row_axis : col_axis;
  int64_t other = summed == row_axis ? col_axis : row_axis;
  Tensor sums = sum(abs(x), std::vector<int64_t>{summed}, true);
  Tensor r = p > 0 ? max(sums, std::vector<int64_t>{other}, true) : min(sums, std::vector<int64_t>{other}, true);
  if (keepdims) return r;
  return squeeze(r, std::vector<int64_t>{row_axis, col_axis});
}

}  // namespace

Tensor norm(const Tensor& x, NormOrd ord, const Axes& axes, bool keepdims) {
  const int64_t nd = x.ndim();
  if (!axes) {
    if (ord.kind == NormOrd::Default) return norm2(x, resolve_axes(axes, nd, "norm"), keepdims);
    if (nd == 1) return vector_norm(x, ord, {0}, keepdims);
    if (nd == 2) return matrix_norm(x, ord, 0, 1, keepdims);
    throw ValueError("norm: improper number of dimensions to norm: " + describe(x) + " with ord given needs axis");
  }
  auto ax = normalize_axes(*axes, nd, "norm");
  if (ax.size() == 1) {
    if (ord.kind == NormOrd::Fro || ord.kind == NormOrd::Nuc)
      throw ValueError("norm: invalid norm order for vectors ('fro' and 'nuc' need two axes)");
    return vector_norm(x, ord, ax, keepdims);
  }
  if (ax.size() == 2) {
    int64_t r = normalize_axis((*axes)[0], nd, "norm"), c = normalize_axis((*axes)[1], nd, "norm");
    return matrix_norm(x, ord, r, c, keepdims);
  }
  throw ValueError("norm: improper number of dimensions to norm (axis must have 1 or 2 entries)");
}

}  // namespace pyjac
