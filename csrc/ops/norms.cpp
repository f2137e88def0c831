// The norm family behind pyjac.norm, as NumPy's linalg.norm: vector norms of every order, and the
// matrix norms (Frobenius, the 1 / inf column and row sums, and the singular-value ones). Only the
// 2-norm and the general p-norm are recorded ops with rules of their own; every other order is
// written in differentiable ops (sums, max, min, abs, pyjac.linalg's SVD).
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

// sqrt(sum(x**2)) over `axes`. The zero vector's gradient is taken as 0: its x is 0 there, so
// inverse_nonzero's 1 in place of the norm gives that.
Tensor norm2(const Tensor& x_in, const std::vector<int64_t>& axes, bool keepdims) {
  static const OpSpec spec{"NormBackward", RULE({spread(n, g) * n.input(0) * inverse_nonzero(output_kept(n))}),
                           JVP(reduce_tangent(n, t[0] * n.input(0)) * inverse_nonzero(n.output()))};
  Tensor x = as_float(x_in);
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
  return where(x_is_zero, scalar_tensor(0, d),
               sign(x) * pow(safe_abs / safe_norm, Scalar{reduction_of(n).order - 1, false}));
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
    r->params<ReductionParams>().order = p;
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
  if (ord.kind == NormOrd::Nuc || std::fabs(ord.p) == 2)
    return singular_value_norm(x, ord, row_axis, col_axis, keepdims);
  const double p = ord.p;
  if (std::fabs(p) != 1 && !std::isinf(p)) throw ValueError("norm: invalid norm order for matrices");
  // ord 1: largest column sum of |x|; ord inf: largest row sum (the min forms for negative ords).
  int64_t summed = std::fabs(p) == 1 ? row_axis : col_axis;
  int64_t other = summed == row_axis ? col_axis : row_axis;
  Tensor sums = sum(abs(x), std::vector<int64_t>{summed}, true);
  Tensor r = p > 0 ? max_of_nonnegative(sums, std::vector<int64_t>{other}, true)
                   : min(sums, std::vector<int64_t>{other}, true);
  if (keepdims) return r;
  return squeeze(r, std::vector<int64_t>{row_axis, col_axis});
}

}  // namespace

Tensor norm(const Tensor& x_in, NormOrd ord, const Axes& axes, bool keepdims) {
  const Tensor x = is_floating(x_in.dtype()) ? x_in : astype(x_in, DType::Float64);  // NumPy's norm is float
  const int64_t nd = x.ndim();
  if (vmap::is_batched(x)) {
    if (axes)
      return vmap::along_axes(x, *axes, [&](const Tensor& p, const auto& ax) { return norm(p, ord, ax, keepdims); });
    if (ord.kind == NormOrd::Default)
      return vmap::along_axes(x, axes, [&](const Tensor& p, const Axes& ax) { return norm2(p, *ax, keepdims); });
    VMAP_LOOP(norm, x, ord, axes, keepdims);
  }
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
