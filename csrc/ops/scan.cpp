// Cumulative sums and products, and the two linear pieces their rules are written in: a first-
// order linear recurrence (linear_scan) and a one-step shift. Every rule here is again made of
// these ops, so derivatives of any order follow, and none divides by the input: cumprod's and
// prod's gradients stay exact where the input has zeros.
//
// The axis is kept counted from the end (n.ints[0] < 0) so cotangents' and tangents' leading batch
// dims pass through; n.ints[1] is the direction. With S the shift toward later indices (S a)[i] =
// a[previous], the recurrence w = g + a * S w is w = M^-1 g for M = I - diag(a) S, so
//   reverse rule in g: M^-T c, the recurrence run the other way with coefficients S^T a;
//   rule in a:         dw = M^-1 (da * S w), so the cotangent of a is (M^-T c) * S w.
#include "kernels/kernels.h"
#include "ops/record.h"
#include "ops/rule_macros.h"

namespace pyjac {

namespace {

// `axis` (negative, counted from the end) as an index into a tensor of `ndim` dims.
int64_t axis_from_end(int64_t axis, int64_t ndim, const char* op) {
  if (axis >= 0 || axis < -ndim)
    throw ValueError(std::string(op) + ": axis " + std::to_string(axis) + " (counted from the end) is out of "
                     "bounds for a tensor of dimension " + std::to_string(ndim));
  return ndim + axis;
}

#define AXIS n.ints.at(0)
#define REVERSE bool(n.ints.at(1))
#define X n.saved.at(0)
#define OUT n.output()

TensorList linear_scan_vjp(OpNode& n, const Tensor& g, Needs needs) {
  const Tensor& a = X;
  Tensor lambda = linear_scan(g, shift_along(a, AXIS, !REVERSE, 0.0), AXIS, !REVERSE);
  return {IF_NEEDED(0, reduce_to(n, 0, lambda)),
          IF_NEEDED(1, reduce_to(n, 1, lambda * shift_along(OUT, AXIS, REVERSE, 0.0)))};
}

Tensor linear_scan_jvp(OpNode& n, const TensorList& t) {
  Tensor rhs = plus(IF_TANGENT(0, n.lift(0, t[0])), IF_TANGENT(1, n.lift(1, t[1]) * shift_along(OUT, AXIS, REVERSE, 0.0)));
  return linear_scan(rhs, X, AXIS, REVERSE);
}

}  // namespace

Tensor cumsum_along(const Tensor& x, int64_t axis, bool reverse) {
  static const OpSpec spec{"CumsumBackward", RULE({cumsum_along(g, AXIS, !REVERSE)}),
                           JVP(cumsum_along(t[0], AXIS, REVERSE))};
  Tensor out = kernels::cumsum(x, axis_from_end(axis, x.ndim(), "cumsum"), reverse);
  if (Recording r = record(out, spec, x)) {
    r->ints = {axis, reverse};
    finish(r, out, {&x});
  }
  return out;
}

Tensor shift_along(const Tensor& x, int64_t axis, bool reverse, double fill) {
  static const OpSpec spec{"ShiftBackward", RULE({shift_along(g, AXIS, !REVERSE, 0.0)}),
                           JVP(shift_along(t[0], AXIS, REVERSE, 0.0))};
  Tensor out = kernels::shift(x, axis_from_end(axis, x.ndim(), "shift"), reverse, fill);
  if (Recording r = record(out, spec, x)) {
    r->ints = {axis, reverse};
    finish(r, out, {&x});
  }
  return out;
}

Tensor linear_scan(const Tensor& g, const Tensor& a, int64_t axis, bool reverse) {
  static const OpSpec spec{"LinearScanBackward", linear_scan_vjp, linear_scan_jvp};
  const int64_t nd = std::max(g.ndim(), a.ndim());
  Tensor out = kernels::linear_scan(g, a, axis_from_end(axis, nd, "linear_scan"), reverse);
  if (Recording r = record(out, spec, g, a)) {
    r->ints = {axis, reverse};
    r->shapes = {g.shape(), a.shape()};
    r->saved = {a};
    r->save_output(out);
    finish(r, out, {&g, &a});
  }
  return out;
}

// y[i] = x[i] y[previous]: dy = x * S dy + dx * S y (S y with 1 at the first index), the
// recurrence again; its transpose gives the reverse rule.
Tensor cumprod_along(const Tensor& x, int64_t axis, bool reverse) {
  static const OpSpec spec{"CumprodBackward",
      RULE({shift_along(OUT, AXIS, REVERSE, 1.0) * linear_scan(g, shift_along(X, AXIS, !REVERSE, 0.0), AXIS, !REVERSE)}),
      JVP(linear_scan(t[0] * shift_along(OUT, AXIS, REVERSE, 1.0), X, AXIS, REVERSE))};
  Tensor out = kernels::cumprod(x, axis_from_end(axis, x.ndim(), "cumprod"), reverse);
  if (Recording r = record(out, spec, x)) {
    r->ints = {axis, reverse};
    r->saved = {x};
    r->save_output(out);
    finish(r, out, {&x});
  }
  return out;
}

namespace {

// NumPy: no axis flattens; a 0-d tensor counts as 1-d.
Tensor cumulative(const Tensor& x_in, std::optional<int64_t> axis, bool product, const char* op) {
  Tensor x = (!axis || x_in.ndim() == 0) ? reshape(x_in, {-1}) : x_in;
  const int64_t ax = normalize_axis(axis.value_or(0), x.ndim(), op) - x.ndim();
  return product ? cumprod_along(x, ax, false) : cumsum_along(x, ax, false);
}

}  // namespace

Tensor cumsum(const Tensor& x, std::optional<int64_t> axis) { return cumulative(x, axis, false, "cumsum"); }
Tensor cumprod(const Tensor& x, std::optional<int64_t> axis) { return cumulative(x, axis, true, "cumprod"); }

}  // namespace pyjac
