// Statistics over a set of axes with their rules: var, std and logsumexp. Their forwards are the
// fused single passes of kernels/reduce.cpp (no cancellation, no overflow); their rules are
// written in differentiable ops, spread and reduced as in reduction_helpers.h.
#include <algorithm>
#include <cmath>

#include "kernels/kernels.h"
#include "ops/record.h"
#include "ops/reduction_helpers.h"
#include "ops/rule_macros.h"
#include "vmap/rules.h"

namespace pyjac {

namespace {

using namespace reduction;

// x minus its mean over the reduced axes (differentiable, for the rules of var and std).
Tensor centered(OpNode& n) { return n.input(0) - mean(n.input(0), reduced_axes(n), true); }

// The softmax along the reduced axes, exp(x - m) / sum(exp(x - m)) with m the (constant) max:
// exact however the forward's logsumexp was rounded (exp(x - lse) inherits lse's float32 error).
// A slice that is all -inf gets weight 0 instead of NaN.
Tensor softmax_weights(OpNode& n) {
  const Tensor& x = n.input(0);
  const DType d = x.dtype();
  if (x.numel() == 0) return zeros(x.shape(), d);
  Tensor m = max(x.detach(), reduced_axes(n), true);
  m = where(eq(m, scalar_tensor(-INFINITY, d)), scalar_tensor(0, d), m);
  Tensor e = exp(x - m);
  Tensor total = sum(e, reduced_axes(n), true);
  return e * inverse_nonzero(total);
}

// sum((x - mean)^2) / max(count - ddof, 0) over `axes`: two passes, as NumPy (no cancellation).
Tensor variance_kernel(const Tensor& x, const std::vector<int64_t>& axes, double dof, bool keepdims, const char* op) {
  using namespace kernels;
  const double count = count_of(x.shape(), axes);
  Tensor mean_kept = binary_scalar(Binary::Div, reduce(Reduce::Sum, x, axes, true, op), count, false, x.dtype());
  return binary_scalar(Binary::Div, sum_squared_deviations(x, mean_kept, axes, keepdims), dof, false, x.dtype());
}

}  // namespace

// d var / dx = 2 (x - mean) / dof (the mean's own derivative drops out: the deviations sum to 0).
Tensor var(const Tensor& x_in, const Axes& axes, double ddof, bool keepdims) {
  VMAP_AXES(x_in, axes, var(x_in, axes, ddof, keepdims));
  static const OpSpec spec{"VarBackward", RULE({spread(n, g) * centered(n) * (2.0 / reduction_of(n).divisor)}),
                           JVP(reduce_tangent(n, t[0] * centered(n)) * (2.0 / reduction_of(n).divisor))};
  const Tensor x = as_float(x_in);
  auto ax = resolve_axes(axes, x.ndim(), "var");
  const double dof = std::max(count_of(x.shape(), ax) - ddof, 0.0);
  Tensor out = variance_kernel(x, ax, dof, keepdims, "var");
  if (Recording r = record_reduction_saving_input(out, spec, x, ax)) {
    r->params<ReductionParams>().divisor = dof;
    finish(r, out, {&x});
  }
  return out;
}

// d std / dx = (x - mean) / (dof std), taken as 0 where std == 0 (x - mean is 0 there).
Tensor stddev(const Tensor& x_in, const Axes& axes, double ddof, bool keepdims) {
  VMAP_AXES(x_in, axes, stddev(x_in, axes, ddof, keepdims));
  static const OpSpec spec{
      "StdBackward", RULE({spread(n, g) * centered(n) * (inverse_nonzero(output_kept(n)) / reduction_of(n).divisor)}),
      JVP(reduce_tangent(n, t[0] * centered(n)) * (inverse_nonzero(n.output()) / reduction_of(n).divisor))};
  const Tensor x = as_float(x_in);
  auto ax = resolve_axes(axes, x.ndim(), "std");
  const double dof = std::max(count_of(x.shape(), ax) - ddof, 0.0);
  Tensor out = kernels::unary(kernels::Unary::Sqrt, variance_kernel(x, ax, dof, keepdims, "std"));
  if (Recording r = record_reduction_saving_input(out, spec, x, ax)) {
    r->params<ReductionParams>().divisor = dof;
    r->save_output(out);
    finish(r, out, {&x});
  }
  return out;
}

// max + log(sum(exp(x - max))): no overflow for any finite x. -inf entries add nothing; an all
// -inf (or empty) slice gives -inf, a +inf entry +inf, a NaN NaN.
Tensor logsumexp(const Tensor& x_in, const Axes& axes, bool keepdims) {
  VMAP_AXES(x_in, axes, logsumexp(x_in, axes, keepdims));
  static const OpSpec spec{"LogsumexpBackward", RULE({spread(n, g) * softmax_weights(n)}),
                           JVP(reduce_tangent(n, t[0] * softmax_weights(n)))};
  const Tensor x = as_float(x_in);
  auto ax = resolve_axes(axes, x.ndim(), "logsumexp");
  Tensor out = kernels::logsumexp(x, ax, keepdims);
  if (Recording r = record_reduction_saving_input(out, spec, x, ax)) {
    r->save_output(out);
    finish(r, out, {&x});
  }
  return out;
}

}  // namespace pyjac
