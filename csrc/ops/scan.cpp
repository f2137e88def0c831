// Cumulative sums and products, and the two linear pieces their rules are written in: a first-
// order linear recurrence (linear_scan) and a one-step shift. Every rule here is again made of
// these ops, so derivatives of any order follow, and none divides by the input: cumprod's and
// prod's gradients stay exact where the input has zeros.
//
// The axis is kept counted from the end (ScanParams::axis < 0) so cotangents' and tangents' leading
// batch dims pass through. With S the shift toward later indices (S a)[i] =
// a[previous], the recurrence w = g + a * S w is w = M^-1 g for M = I - diag(a) S, so
//   reverse rule in g: M^-T c, the recurrence run the other way with coefficients S^T a;
//   rule in a:         dw = M^-1 (da * S w), so the cotangent of a is (M^-T c) * S w.
#include "kernels/kernels.h"
#include "ops/record.h"
#include "ops/rule_macros.h"
#include "vmap/rules.h"

namespace pyjac {

namespace {

// `axis` (negative, counted from the end) as an index into a tensor of `ndim` dims.
int64_t axis_from_end(int64_t axis, int64_t ndim, const char* op) {
  if (axis >= 0 || axis < -ndim)
    throw ValueError(std::string(op) + ": axis " + std::to_string(axis) +
                     " (counted from the end) is out of "
                     "bounds for a tensor of dimension " +
                     std::to_string(ndim));
  return ndim + axis;
}

// Where a scan runs: its axis (negative, see above) and direction.
struct ScanParams {
  int64_t axis;
  bool reverse;
};
#define PYJAC_READ_SCAN                                              \
  [[maybe_unused]] const int64_t axis = n.params<ScanParams>().axis; \
  [[maybe_unused]] const bool reverse = n.params<ScanParams>().reverse;

// linear_scan(g, a) (the recurrence y = g + a * S y) reads its coefficients a and its output.
TensorList linear_scan_vjp(OpNode& n, const Tensor& g, Needs needs) {
  PYJAC_READ_SCAN
  const Tensor& a = n.input(1);
  Tensor lambda = linear_scan(g, shift_along(a, axis, !reverse, 0.0), axis, !reverse);
  return {IF_NEEDED(0, reduce_to(n, 0, lambda)),
          IF_NEEDED(1, reduce_to(n, 1, lambda * shift_along(n.output(), axis, reverse, 0.0)))};
}

Tensor linear_scan_jvp(OpNode& n, const TensorList& t) {
  PYJAC_READ_SCAN
  Tensor rhs = plus(IF_TANGENT(0, n.lift(0, t[0])),
                    IF_TANGENT(1, n.lift(1, t[1]) * shift_along(n.output(), axis, reverse, 0.0)));
  return linear_scan(rhs, n.input(1), axis, reverse);
}

// Records a scan along `axis`: the node keeps where it ran.
template <class... Ts>
Recording record_scan(Tensor& out, const OpSpec& spec, int64_t axis, bool reverse, const Ts&... inputs) {
  Recording r = record_with<ScanParams>(out, spec, inputs...);
  if (r) r->params<ScanParams>() = {axis, reverse};
  return r;
}

}  // namespace

Tensor cumsum_along(const Tensor& x, int64_t axis, bool reverse) {
  VMAP_UNARY(x, cumsum_along(x, axis, reverse));  // the axis counts from the end: the batch dims leave it alone
  static const OpSpec spec{"CumsumBackward", RULE_WITH(PYJAC_READ_SCAN, {cumsum_along(g, axis, !reverse)}),
                           JVP_WITH(PYJAC_READ_SCAN, cumsum_along(t[0], axis, reverse))};
  Tensor out = kernels::cumsum(x, axis_from_end(axis, x.ndim(), "cumsum"), reverse);
  if (Recording r = record_scan(out, spec, axis, reverse, x)) {
    finish(r, out, {&x});
  }
  return out;
}

Tensor shift_along(const Tensor& x, int64_t axis, bool reverse, double fill) {
  VMAP_UNARY(x, shift_along(x, axis, reverse, fill));  // the axis counts from the end: the batch dims leave it alone
  static const OpSpec spec{"ShiftBackward", RULE_WITH(PYJAC_READ_SCAN, {shift_along(g, axis, !reverse, 0.0)}),
                           JVP_WITH(PYJAC_READ_SCAN, shift_along(t[0], axis, reverse, 0.0))};
  Tensor out = kernels::shift(x, axis_from_end(axis, x.ndim(), "shift"), reverse, fill);
  if (Recording r = record_scan(out, spec, axis, reverse, x)) {
    finish(r, out, {&x});
  }
  return out;
}

Tensor linear_scan(const Tensor& g, const Tensor& a, int64_t axis, bool reverse) {
  // The axis counts from the end, so the batch dims in front leave it alone.
  if (vmap::any_batched(g, a))
    return vmap::elementwise([&](const Tensor& pg, const Tensor& pa) { return linear_scan(pg, pa, axis, reverse); }, g,
                             a);
  static const OpSpec spec{"LinearScanBackward", linear_scan_vjp, linear_scan_jvp};
  const int64_t nd = std::max(g.ndim(), a.ndim());
  Tensor out = kernels::linear_scan(g, a, axis_from_end(axis, nd, "linear_scan"), reverse);
  if (Recording r = record_scan(out, spec, axis, reverse, g, a)) {
    r->shapes = {g.shape(), a.shape()};
    r->save_input(1, a);
    r->save_output(out);
    finish(r, out, {&g, &a});
  }
  return out;
}

// y[i] = x[i] y[previous]: dy = x * S dy + dx * S y (S y with 1 at the first index), the
// recurrence again; its transpose gives the reverse rule.
Tensor cumprod_along(const Tensor& x, int64_t axis, bool reverse) {
  VMAP_UNARY(x, cumprod_along(x, axis, reverse));  // the axis counts from the end: the batch dims leave it alone
  static const OpSpec spec{"CumprodBackward",
                           RULE_WITH(PYJAC_READ_SCAN READ_INPUT(x, 0),
                                     {shift_along(n.output(), axis, reverse, 1.0) *
                                      linear_scan(g, shift_along(x, axis, !reverse, 0.0), axis, !reverse)}),
                           JVP_WITH(PYJAC_READ_SCAN, linear_scan(t[0] * shift_along(n.output(), axis, reverse, 1.0),
                                                                 n.input(0), axis, reverse))};
  Tensor out = kernels::cumprod(x, axis_from_end(axis, x.ndim(), "cumprod"), reverse);
  if (Recording r = record_scan(out, spec, axis, reverse, x)) {
    r->save_inputs(x);
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

#undef PYJAC_READ_SCAN

}  // namespace pyjac
