// More reductions with their rules: prod, var, std, logsumexp; and argmax, argmin, all, any (no
// gradient). As in reduction.cpp, a reverse rule spreads g back over the reduced axes (`spread`)
// and weights it; a forward rule weights the tangent and sums it over the same axes.
#include <algorithm>
#include <cmath>

#include "kernels/kernels.h"
#include "ops/record.h"
#include "ops/reduction_helpers.h"
#include "ops/rule_macros.h"

namespace pyjac {

namespace {

using namespace reduction;

// The rules here read the input, so it is saved with the node.
Recording record_reduction_saving_input(Tensor& out, const OpSpec& spec, const Tensor& x,
                                        const std::vector<int64_t>& axes) {
  Recording r = record_reduction(out, spec, x, axes);
  if (r) r->save_inputs(x);
  return r;
}

Tensor as_float(const Tensor& x) { return is_floating(x.dtype()) ? x : kernels::cast(x, DType::Float64); }

std::vector<int64_t> inverse_perm(const std::vector<int64_t>& perm) {
  std::vector<int64_t> inv(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inv[perm[i]] = int64_t(i);
  return inv;
}

// For each element, the product of the other elements along the reduced axes: with those axes
// moved last and flattened, the exclusive products from the front and from the back. No division,
// so zeros are exact (one zero: the others' product at it, 0 elsewhere; two: 0 everywhere), and
// cumprod's and shift's rules make every higher derivative exact too.
Tensor prod_of_others(const Tensor& x, const std::vector<int64_t>& axes) {
  std::vector<int64_t> perm;
  Shape flat;
  int64_t len = 1;
  for (int64_t d = 0; d < x.ndim(); ++d)
    if (!std::binary_search(axes.begin(), axes.end(), d)) {
      perm.push_back(d);
      flat.push_back(x.shape()[d]);
    }
  for (auto a : axes) {
    perm.push_back(a);
    len *= x.shape()[a];
  }
  flat.push_back(len);
  Tensor moved = transpose(x, perm);
  Tensor rows = reshape(moved, flat);
  Tensor before = shift_along(cumprod_along(rows, -1, false), -1, false, 1.0);
  Tensor after = shift_along(cumprod_along(rows, -1, true), -1, true, 1.0);
  return transpose(reshape(before * after, moved.shape()), inverse_perm(perm));
}

// x minus its mean over the reduced axes (differentiable, for the rules of var and std).
Tensor centered(OpNode& n) { return n.input(0) - mean(n.input(0), n.ints, true); }

// 1 / s, with 1 in place of s where s == 0: std's gradient at zero variance is 0 (x - mean is 0 there).
Tensor inverse_nonzero(const Tensor& s) {
  return 1.0 / where(eq(s, scalar_tensor(0, s.dtype())), scalar_tensor(1, s.dtype()), s);
}

// The softmax along the reduced axes, exp(x - m) / sum(exp(x - m)) with m the (constant) max:
// exact however the forward's logsumexp was rounded (exp(x - lse) inherits lse's float32 error).
// A slice that is all -inf gets weight 0 instead of NaN.
Tensor softmax_weights(OpNode& n) {
  const Tensor& x = n.input(0);
  const DType d = x.dtype();
  if (x.numel() == 0) return zeros(x.shape(), d);
  Tensor m = max(x.detach(), n.ints, true);
  m = where(eq(m, scalar_tensor(-INFINITY, d)), scalar_tensor(0, d), m);
  Tensor e = exp(x - m);
  Tensor total = sum(e, n.ints, true);
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

Tensor prod(const Tensor& x, const Axes& axes, bool keepdims) {
  static const OpSpec spec{"ProdBackward", RULE({spread(n, g) * prod_of_others(n.input(0), n.ints)}),
                           JVP(reduce_tangent(n, t[0] * prod_of_others(n.input(0), n.ints)))};
  auto ax = resolve_axes(axes, x.ndim(), "prod");
  Tensor out = kernels::prod(x, ax, keepdims);
  if (Recording r = record_reduction_saving_input(out, spec, x, ax)) finish(r, out, {&x});
  return out;
}

// d var / dx = 2 (x - mean) / dof (the mean's own derivative drops out: the deviations sum to 0).
Tensor var(const Tensor& x_in, const Axes& axes, double ddof, bool keepdims) {
  static const OpSpec spec{"VarBackward", RULE({spread(n, g) * centered(n) * (2.0 / n.s0)}),
                           JVP(reduce_tangent(n, t[0] * centered(n)) * (2.0 / n.s0))};
  const Tensor x = as_float(x_in);
  auto ax = resolve_axes(axes, x.ndim(), "var");
  const double dof = std::max(count_of(x.shape(), ax) - ddof, 0.0);
  Tensor out = variance_kernel(x, ax, dof, keepdims, "var");
  if (Recording r = record_reduction_saving_input(out, spec, x, ax)) {
    r->s0 = dof;
    finish(r, out, {&x});
  }
  return out;
}

// d std / dx = (x - mean) / (dof std), taken as 0 where std == 0.
Tensor stddev(const Tensor& x_in, const Axes& axes, double ddof, bool keepdims) {
  static const OpSpec spec{"StdBackward", RULE({spread(n, g) * centered(n) * (inverse_nonzero(output_kept(n)) / n.s0)}),
                           JVP(reduce_tangent(n, t[0] * centered(n)) * (inverse_nonzero(n.output()) / n.s0))};
  const Tensor x = as_float(x_in);
  auto ax = resolve_axes(axes, x.ndim(), "std");
  const double dof = std::max(count_of(x.shape(), ax) - ddof, 0.0);
  Tensor out = kernels::unary(kernels::Unary::Sqrt, variance_kernel(x, ax, dof, keepdims, "std"));
  if (Recording r = record_reduction_saving_input(out, spec, x, ax)) {
    r->s0 = dof;
    r->save_output(out);
    finish(r, out, {&x});
  }
  return out;
}

// max + log(sum(exp(x - max))): no overflow for any finite x. -inf entries add nothing; an all
// -inf (or empty) slice gives -inf, a +inf entry +inf, a NaN NaN.
Tensor logsumexp(const Tensor& x_in, const Axes& axes, bool keepdims) {
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

namespace {

Tensor arg_extremum(const Tensor& x, std::optional<int64_t> axis, bool keepdims, bool largest, const char* op) {
  const Tensor data = x.detach();
  if (!axis) {
    Tensor r = kernels::arg_extremum(largest, reshape(data, {-1}), 0, false, op);
    return keepdims ? reshape(r, Shape(size_t(x.ndim()), 1)) : r;
  }
  if (x.ndim() == 0) {  // NumPy treats a 0-d tensor as 1-d here
    normalize_axis(*axis, 1, op);
    return kernels::arg_extremum(largest, reshape(data, {1}), 0, false, op);
  }
  return kernels::arg_extremum(largest, data, normalize_axis(*axis, x.ndim(), op), keepdims, op);
}

}  // namespace

Tensor argmax(const Tensor& x, std::optional<int64_t> axis, bool keepdims) {
  return arg_extremum(x, axis, keepdims, true, "argmax");
}
Tensor argmin(const Tensor& x, std::optional<int64_t> axis, bool keepdims) {
  return arg_extremum(x, axis, keepdims, false, "argmin");
}

Tensor all(const Tensor& x, const Axes& axes, bool keepdims) {
  return kernels::all(x, resolve_axes(axes, x.ndim(), "all"), keepdims);
}
Tensor any(const Tensor& x, const Axes& axes, bool keepdims) {
  return kernels::any(x, resolve_axes(axes, x.ndim(), "any"), keepdims);
}

}  // namespace pyjac
