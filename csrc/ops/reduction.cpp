// Reductions and norms with their rules. A reverse rule first spreads g back over the reduced
// axes (`spread`), then weights it; a forward rule weights the tangent, then reduces it the same
// way (`reduce_tangent`, the same axes shifted past the tangent's batch dims).
#include <cmath>

#include "kernels/kernels.h"
#include "ops/record.h"
#include "ops/reduction_helpers.h"
#include "ops/rule_macros.h"

namespace pyjac {

namespace {

using namespace reduction;


// Where a max/min was attained, each of k tied places gets 1/k (a constant weight).
Tensor tie_weights(OpNode& n) {
  const Tensor& x = n.input(0);
  Tensor hit = kernels::cast(
      kernels::binary(kernels::Binary::Eq, x, reshape(n.out_data.detach(), kept_shape(x.shape(), n.ints)), "max"),
      x.dtype());
  Tensor count = kernels::reduce(kernels::Reduce::Sum, hit, n.ints, true, "max");
  return kernels::binary(kernels::Binary::Div, hit, count, "max");
}

Tensor extremum(const Tensor& x, const Axes& axes, bool keepdims, kernels::Reduce op, const char* name,
                const OpSpec& spec) {
  auto ax = resolve_axes(axes, x.ndim(), name);
  Tensor out = kernels::reduce(op, x, ax, keepdims, name);
  if (Recording r = record_reduction(out, spec, x, ax)) {
    r->save_inputs(x);
    r->save_output(out);
    finish(r, out, {&x});
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const Axes& axes, bool keepdims) {
  static const OpSpec spec{"SumBackward", RULE({spread(n, g)}), JVP(reduce_tangent(n, t[0]))};
  auto ax = resolve_axes(axes, x.ndim(), "sum");
  Tensor out = kernels::reduce(kernels::Reduce::Sum, x, ax, keepdims, "sum");
  if (Recording r = record_reduction(out, spec, x, ax)) finish(r, out, {&x});
  return out;
}

Tensor mean(const Tensor& x, const Axes& axes, bool keepdims) {
  static const OpSpec spec{"MeanBackward", RULE({spread(n, g) / n.s0}), JVP(reduce_tangent(n, t[0]) / n.s0)};
  auto ax = resolve_axes(axes, x.ndim(), "mean");
  const double count = count_of(x.shape(), ax);
  Tensor total = kernels::reduce(kernels::Reduce::Sum, x, ax, keepdims, "mean");
  Tensor out = kernels::binary_scalar(kernels::Binary::Div, total, count, false, float_result(total.dtype()));
  if (Recording r = record_reduction(out, spec, x, ax)) {
    r->s0 = count;
    finish(r, out, {&x});
  }
  return out;
}

// max/min split the gradient evenly among tied extrema.
Tensor max(const Tensor& x, const Axes& axes, bool keepdims) {
  static const OpSpec spec{"MaxBackward", RULE({spread(n, g) * tie_weights(n)}),
                           JVP(reduce_tangent(n, t[0] * tie_weights(n)))};
  return extremum(x, axes, keepdims, kernels::Reduce::Max, "max", spec);
}
Tensor min(const Tensor& x, const Axes& axes, bool keepdims) {
  static const OpSpec spec{"MinBackward", RULE({spread(n, g) * tie_weights(n)}),
                           JVP(reduce_tangent(n, t[0] * tie_weights(n)))};
  return extremum(x, axes, keepdims, kernels::Reduce::Min, "min", spec);
}

namespace {

// 1 / norm, with the zero vector's gradient taken as 0 (its x is 0 there, so 1 in place of
// the norm gives that).
Tensor inverse_norm(const Tensor& norm_value) {
  return 1.0 / where(eq(norm_value, scalar_tensor(0, norm_value.dtype())), scalar_tensor(1, norm_value.dtype()), norm_value);
}

// sqrt(sum(x**2)) over `axes`.
Tensor norm2(const Tensor& x_in, const std::vector<int64_t>& axes, bool keepdims) {
  static const OpSpec spec{"NormBackward",
      RULE({spread(n, g) * n.input(0) * inverse_norm(output_kept(n))}),
      JVP(reduce_tangent(n, t[0] * n.input(0)) * inverse_norm(n.output()))};
  Tensor x = is_floating(x_in.dtype()) ? x_in : kernels::cast(x_in, DType::Float64);
  Tensor sq = kernels::unary(kernels::Unary::Square, x);
  Tensor out = kernels::unary(kernels::Unary::Sqrt, kernels::reduce(kernels::Reduce::Sum, sq, axes, keepdims, "norm"));
  if (Recording r = record_reduction(out, spec, x, axes)) {
    r->save_inputs(x);
    r->save_output(out);
    finish(r, out, {&x});
  }
  return out;
}

// d/dx_i (sum |x|^p)^(1/p) = sign(x_i) (|x_i| / norm)^(p-1), taken as 0 where x_i = 0 (and so
// at the zero vector). The zeros are replaced before pow so no inf is ever formed, which keeps
// second derivatives finite too.
Tensor pnorm_weight(OpNode& n, const Tensor& norm_kept) {
  const Tensor& x = n.input(0);
  const DType d = x.dtype();
  Tensor x_is_zero = eq(x, scalar_tensor(0, d));
  Tensor safe_abs = where(x_is_zero, scalar_tensor(1, d), abs(x));
  Tensor safe_norm = where(eq(norm_kept, scalar_tensor(0, d)), scalar_tensor(1, d), norm_kept);
  return where(x_is_zero, scalar_tensor(0, d), sign(x) * pow(safe_abs / safe_norm, Scalar{n.s0 - 1, false}));
}

// (sum |x|^p)^(1/p) for p other than 0, 1, 2 and +-inf.
Tensor pnorm(const Tensor& x, double p, const std::vector<int64_t>& axes, bool keepdims) {
  static const OpSpec spec{"NormBackward", RULE({spread(n, g) * pnorm_weight(n, output_kept(n))}),
                           JVP(reduce_tangent(n, t[0] * pnorm_weight(n, output_kept(n))))};
  using kernels::Binary;
  Tensor powered = kernels::binary_scalar(Binary::Pow, kernels::unary(kernels::Unary::Abs, x), p, false, x.dtype());
  Tensor total = kernels::reduce(kernels::Reduce::Sum, powered, axes, keepdims, "norm");
  Tensor out = kernels::binary_scalar(Binary::Pow, total, 1.0 / p, false, x.dtype());
  if (Recording r = record_reduction(out, spec, x, axes)) {
    r->save_inputs(x);
    r->s0 = p;
    r->save_output(out);
    finish(r, out, {&x});
  }
  return out;
}

// max over `axes` of values that are >= 0 (|x|, sums of |x|); over nothing that is 0, as in
// NumPy's norm, where max() itself would raise.
Tensor max_of_nonnegative(const Tensor& t, const std::vector<int64_t>& axes, bool keepdims) {
  for (auto a : axes)
    if (t.shape()[a] == 0) return sum(t, axes, keepdims);  // zeros of the reduced shape
  return max(t, axes, keepdims);
}

Tensor vector_norm(const Tensor& x, NormOrd ord, const std::vector<int64_t>& axes, bool keepdims) {
  if (ord.kind == NormOrd::Fro || ord.kind == NormOrd::Nuc)
    throw ValueError(std::string("norm: invalid norm order '") + (ord.kind == NormOrd::Fro ? "fro" : "nuc") +
                     "' for vectors");
  if (ord.kind == NormOrd::Default || ord.p == 2) return norm2(x, axes, keepdims);
  const double p = ord.p;
  if (std::isinf(p)) return p > 0 ? max_of_nonnegative(abs(x), axes, keepdims) : min(abs(x), axes, keepdims);
  if (p == 0) return sum(astype(ne(x, scalar_tensor(0, x.dtype())), x.dtype()), axes, keepdims);
  if (p == 1) return sum(abs(x), axes, keepdims);
  return pnorm(x, p, axes, keepdims);
}

// ord 2 / -2: the largest / smallest singular value; 'nuc': their sum (pyjac.linalg's SVD, whose
// singular values alone are differentiable even when repeated).
Tensor singular_value_norm(const Tensor& x, NormOrd ord, int64_t row_axis, int64_t col_axis, bool keepdims) {
  std::vector<int64_t> perm;
  for (int64_t d = 0; d < x.ndim(); ++d)
    if (d != row_axis && d != col_axis) perm.push_back(d);
  perm.push_back(row_axis);
  perm.push_back(col_axis);
  Tensor s = linalg::svdvals(transpose(x, perm));
  const std::vector<int64_t> last{-1};
  Tensor r = ord.kind == NormOrd::Nuc ? sum(s, last, false) : ord.p > 0 ? max(s, last, false) : min(s, last, false);
  if (!keepdims) return r;
  return expand_dims(r, {std::min(row_axis, col_axis), std::max(row_axis, col_axis)});
}

Tensor matrix_norm(const Tensor& x, NormOrd ord, int64_t row_axis, int64_t col_axis, bool keepdims) {
  if (ord.kind == NormOrd::Default || ord.kind == NormOrd::Fro) {
    std::vector<int64_t> ax{std::min(row_axis, col_axis), std::max(row_axis, col_axis)};
    return norm2(x, ax, keepdims);
  }
  if (ord.kind == NormOrd::Nuc || std::fabs(ord.p) == 2) return singular_value_norm(x, ord, row_axis, col_axis, keepdims);
  const double p = ord.p;
  if (std::fabs(p) != 1 && !std::isinf(p)) throw ValueError("norm: invalid norm order for matrices");
  // ord 1: largest column sum of |x|; ord inf: largest row sum (the min forms for negative ords).
  int64_t summed = std::fabs(p) == 1 ? row_axis : col_axis;
  int64_t other = summed == row_axis ? col_axis : row_axis;
  Tensor sums = sum(abs(x), std::vector<int64_t>{summed}, true);
  Tensor r = p > 0 ? max_of_nonnegative(sums, std::vector<int64_t>{other}, true) : min(sums, std::vector<int64_t>{other}, true);
  if (keepdims) return r;
  return squeeze(r, std::vector<int64_t>{row_axis, col_axis});
}

}  // namespace

Tensor norm(const Tensor& x_in, NormOrd ord, const Axes& axes, bool keepdims) {
  const Tensor x = is_floating(x_in.dtype()) ? x_in : astype(x_in, DType::Float64);  // NumPy's norm is float
  const int64_t nd = x.ndim();
  if (!axes) {
    if (ord.kind == NormOrd::Default) return norm2(x, resolve_axes(axes, nd, "norm"), keepdims);
    if (nd == 1) return vector_norm(x, ord, {0}, keepdims);
    if (nd == 2) return matrix_norm(x, ord, 0, 1, keepdims);
    throw ValueError("norm: improper number of dimensions to norm: " + describe(x) + " with ord given needs axis");
  }
  auto ax = normalize_axes(*axes, nd, "norm");
  if (ax.size() == 1) return vector_norm(x, ord, ax, keepdims);
  if (ax.size() == 2) {
    int64_t r = normalize_axis((*axes)[0], nd, "norm"), c = normalize_axis((*axes)[1], nd, "norm");
    return matrix_norm(x, ord, r, c, keepdims);
  }
  throw ValueError("norm: improper number of dimensions to norm (axis must have 1 or 2 entries)");
}

}  // namespace pyjac
