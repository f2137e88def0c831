// Arithmetic (+ - * / ** maximum minimum mod floor_divide, also with a Python number), comparisons,
// where, clip and astype: one entry each, the forward kernel and its derivative maps (Note
// [Elementwise derivatives, written once], elementwise_rules.h).
#include <cmath>

#include "ops/elementwise_rules.h"

namespace pyjac {

using kernels::Binary;
using kernels::Unary;

namespace {

// NumPy 2 raises for a Python int that its integer operand's dtype can't hold.
void check_int64(const Scalar& s) {
  if (s.overflow)
    throw std::overflow_error(std::string("Python integer out of bounds for int64 (") +
                              (s.overflow > 0 ? "above 2**63 - 1" : "below -2**63") + ")");
}

DType scalar_op_dtype(DType t, const Scalar& s, bool true_division) {
  if (is_floating(t)) return t;
  if (!s.is_int || true_division) return DType::Float64;
  check_int64(s);
  return DType::Int64;
}

// The Python number of an op like x * 2.0, as its rules read it.
struct NumberOperand {
  double value;
};
#define PYJAC_READ_NUMBER [[maybe_unused]] const double s = n.params<NumberOperand>().value;

Tensor scalar_op(const Tensor& a, const Scalar& s, Binary k, bool scalar_first, Save save, const OpSpec& spec) {
  const DType od = scalar_op_dtype(a.dtype(), s, k == Binary::Div);
  Tensor out = kernels::binary_scalar(k, a, s.value, s.int_value, scalar_first, od);
  if (Recording r = record_with<NumberOperand>(out, spec, a)) {
    r->params<NumberOperand>().value = s.value;
    if (save == Save::Input || save == Save::InputAndOutput) r->save_inputs(a);
    if (save == Save::Output || save == Save::InputAndOutput) r->save_output(out);
    finish(r, out, {&a});
  }
  return out;
}

// Note [The cotangent of a sum]
// A sum's cotangent arrives at the op below it as a broadcast 1 (one value seen through stride-0
// dims), and in loss = sum(f(x) * h(x)) multiplying by it would cost a whole pass over the other
// factor for nothing. times_cotangent(g, b) (times(b) in a reverse rule) hands b itself on instead, where
// the result needs no history or tangent and g * b would have b's shape and dtype. The gradient
// then shares b's memory: the engine copies such gradients before user code can write to them
// (Note [Gradients user code can see]), and .grad and grad()'s results never share memory.
bool is_broadcast_one(const Tensor& g) {
  if (g.numel() == 0 || !is_floating(g.dtype())) return false;
  for (int64_t st : g.strides())
    if (st != 0) return false;
  return item_as_double(g) == 1.0;
}

}  // namespace

Tensor times_cotangent(const Tensor& g, const Tensor& b) {
  if (!GradMode::is_enabled() && !ForwardAD::any_live() && g.dtype() == b.dtype() && g.shape() == b.shape() &&
      is_broadcast_one(g))
    return b.detach();
  return g * b;
}

namespace {

Tensor constant(double v, DType d) { return scalar_tensor(v, d); }

// d maximum(a, b) / da: 1 where a wins, 1/2 on ties, 0 where b wins (a constant mask), and NaN
// where either is NaN: the output is NaN there, and its gradient must not hide that as a 0.
Tensor max_share(const Tensor& a, const Tensor& b, Binary wins) {
  Tensor win = kernels::binary(wins, a, b, "maximum");
  Tensor tie = kernels::binary(Binary::Eq, a, b, "maximum");
  DType d = float_result(promote(a.dtype(), b.dtype()));
  Tensor share = kernels::where(win, constant(1, d), kernels::where(tie, constant(0.5, d), constant(0, d)));
  Tensor any_nan = kernels::binary(Binary::Add, kernels::binary(Binary::Ne, a, a, "maximum"),
                                   kernels::binary(Binary::Ne, b, b, "maximum"), "maximum");  // bool +: or
  return kernels::where(any_nan, constant(NAN, d), share);
}

// Elementwise p and q, for bool masks.
Tensor both(const Tensor& p, const Tensor& q) { return kernels::binary(Binary::Mul, p, q, "power"); }

// pow's partial derivatives, with torch's values where the formulas meet 0 * inf at a == 0:
//   d(a**b)/da = b a**(b-1), 0 where a == 0 and b == 0 (a**0 is 1 for every a);
//   d(a**b)/db = a**b log a, 0 where a == 0 and b >= 0 (0**b is constant there; for b < 0 it
//   stays inf * -inf = -inf, as torch).
// So x**x has derivative 0 at 0. Where a point is masked, a is first replaced by 1 (and the base
// factor's result masked again), so that the rules' own derivatives never meet 0 * inf either:
// every derivative of a masked value is 0, and second derivatives stay finite.
Tensor pow_base_factor(const Tensor& a, const Tensor& b) {
  const DType d = float_result(promote(a.dtype(), b.dtype()));
  const Tensor masked = both(eq(a, Scalar{0, false}), eq(b, Scalar{0, false}));
  const Tensor safe_a = where(masked, constant(1, d), a);
  return where(masked, constant(0, d), b * pow(safe_a, b - 1.0));
}
Tensor pow_exponent_factor(const Tensor& a, const Tensor& b, const Tensor& out) {
  const Tensor masked = both(eq(a, Scalar{0, false}), ge(b, Scalar{0, false}));
  return out * log(where(masked, constant(1, float_result(a.dtype())), a));
}
}  // namespace

// ---- arithmetic: each operand's derivative map, in v (Note [Elementwise derivatives, written once]) ----
BINARY_OP(add, "AddBackward", Binary, Add, "add", nothing, v, v)
BINARY_OP(sub, "SubBackward", Binary, Sub, "subtract", nothing, v, -v)
BINARY_OP(mul, "MulBackward", Binary, Mul, "multiply", a_b, times(b), times(a))
BINARY_OP(div, "DivBackward", Binary, Div, "divide", a_b_out, v / b, -(v * out) / b)
// d/da a**b = b a**(b-1), d/db a**b = a**b log a, with torch's values at a == 0 (see pow_base_factor).
BINARY_OP(pow, "PowBackward", Binary, Pow, "power", a_b_out, times(pow_base_factor(a, b)),
          times(pow_exponent_factor(a, b, out)))
BINARY_OP(maximum, "MaximumBackward", Binary, Maximum, "maximum", a_b, times(max_share(a, b, Binary::Gt)),
          times(max_share(b, a, Binary::Gt)))
BINARY_OP(minimum, "MinimumBackward", Binary, Minimum, "minimum", a_b, times(max_share(a, b, Binary::Lt)),
          times(max_share(b, a, Binary::Lt)))
// fmax / fmin: maximum / minimum where a NaN operand loses to a number (NaN only when both are).
// The derivative goes to the winner, half to each at a tie, as maximum's; NaN when both are NaN.
namespace {

Tensor fmax_share(const Tensor& a, const Tensor& b, Binary wins) {
  const Tensor a_nan = kernels::binary(Binary::Ne, a, a, "fmax"), b_nan = kernels::binary(Binary::Ne, b, b, "fmax");
  const DType d = float_result(promote(a.dtype(), b.dtype()));
  const Tensor beats_nan = kernels::binary(Binary::Mul, b_nan, kernels::unary(Unary::LogicalNot, a_nan), "fmax");
  const Tensor win = kernels::binary(Binary::Add, kernels::binary(wins, a, b, "fmax"), beats_nan, "fmax");  // or
  const Tensor tie = kernels::binary(Binary::Eq, a, b, "fmax");
  const Tensor share = kernels::where(win, constant(1, d), kernels::where(tie, constant(0.5, d), constant(0, d)));
  return kernels::where(kernels::binary(Binary::Mul, a_nan, b_nan, "fmax"), constant(NAN, d), share);
}

}  // namespace

BINARY_OP(fmax, "FmaxBackward", MathFn2, Fmax, "fmax", a_b, times(fmax_share(a, b, Binary::Gt)),
          times(fmax_share(b, a, Binary::Gt)))
BINARY_OP(fmin, "FminBackward", MathFn2, Fmin, "fmin", a_b, times(fmax_share(a, b, Binary::Lt)),
          times(fmax_share(b, a, Binary::Lt)))
// a mod b = a - b floor(a / b): d/da = 1, d/db = -floor(a / b) (floor's own derivative is 0).
BINARY_OP(mod, "ModBackward", MathFn2, Mod, "mod", a_b, v, -times(floor(a / b)))
// Piecewise constant in both operands (like floor): zero derivatives, as torch.
BINARY_OP(floor_divide, "FloorDivideBackward", MathFn2, FloorDiv, "floor_divide", nothing, zeros_like(v), zeros_like(v))

// ---- with a Python number s ---------------------------------------------------------------------
Tensor add(const Tensor& a, const Scalar& s) {
  VMAP_UNARY(a, add(a, s));
  static const OpSpec spec = ELEMENTWISE_RULES("AddBackward", PYJAC_READ_nothing, v);
  return scalar_op(a, s, Binary::Add, false, Save::Nothing, spec);
}
Tensor sub(const Tensor& a, const Scalar& s) {
  VMAP_UNARY(a, sub(a, s));
  static const OpSpec spec = ELEMENTWISE_RULES("SubBackward", PYJAC_READ_nothing, v);
  return scalar_op(a, s, Binary::Sub, false, Save::Nothing, spec);
}
Tensor rsub(const Scalar& s, const Tensor& a) {
  VMAP_UNARY(a, rsub(s, a));
  static const OpSpec spec = ELEMENTWISE_RULES("RsubBackward", PYJAC_READ_nothing, -v);
  return scalar_op(a, s, Binary::Sub, true, Save::Nothing, spec);
}
Tensor mul(const Tensor& a, const Scalar& s) {
  VMAP_UNARY(a, mul(a, s));
  static const OpSpec spec = ELEMENTWISE_RULES("MulBackward", PYJAC_READ_NUMBER, v * s);
  return scalar_op(a, s, Binary::Mul, false, Save::Nothing, spec);
}
Tensor div(const Tensor& a, const Scalar& s) {
  VMAP_UNARY(a, div(a, s));
  static const OpSpec spec = ELEMENTWISE_RULES("DivBackward", PYJAC_READ_NUMBER, v / s);
  return scalar_op(a, s, Binary::Div, false, Save::Nothing, spec);
}
Tensor rdiv(const Scalar& s, const Tensor& a) {
  VMAP_UNARY(a, rdiv(s, a));
  static const OpSpec spec = ELEMENTWISE_RULES("RdivBackward", PYJAC_READ_x_out, -(v * out) / x);
  return scalar_op(a, s, Binary::Div, true, Save::InputAndOutput, spec);
}
Tensor pow(const Tensor& a, const Scalar& s) {
  VMAP_UNARY(a, pow(a, s));
  static const OpSpec spec = ELEMENTWISE_RULES("PowBackward", PYJAC_READ_NUMBER PYJAC_READ_x,
                                               s == 0 ? zeros_like(v) : times(s * pow(x, Scalar{s - 1, false})));
  return scalar_op(a, s, Binary::Pow, false, Save::Input, spec);
}
namespace {
// d/db s**b = s**b log s. For s == 0, as pow's exponent factor: 0 where b >= 0 (there 0**b is 0
// or 1, finite), -inf where b < 0 (0**b is inf there); a NaN stays NaN (out * 0).
Tensor rpow_factor(double s, const Tensor& out) {
  if (s != 0) return out * std::log(s);
  return where(eq(out, Scalar{HUGE_VAL, false}), constant(-HUGE_VAL, out.dtype()), out * 0.0);
}
}  // namespace
Tensor rpow(const Scalar& s, const Tensor& a) {
  VMAP_UNARY(a, rpow(s, a));
  static const OpSpec spec =
      ELEMENTWISE_RULES("RpowBackward", PYJAC_READ_NUMBER PYJAC_READ_out, times(rpow_factor(s, out)));
  return scalar_op(a, s, Binary::Pow, true, Save::Output, spec);
}
#undef PYJAC_READ_NUMBER

// ---- comparisons (no gradient) --------------------------------------------------------------------
Tensor eq(const Tensor& a, const Tensor& b) {
  VMAP_ELEMENTWISE(eq, a, b);
  return kernels::binary(Binary::Eq, a, b, "equal");
}
Tensor ne(const Tensor& a, const Tensor& b) {
  VMAP_ELEMENTWISE(ne, a, b);
  return kernels::binary(Binary::Ne, a, b, "not_equal");
}
Tensor lt(const Tensor& a, const Tensor& b) {
  VMAP_ELEMENTWISE(lt, a, b);
  return kernels::binary(Binary::Lt, a, b, "less");
}
Tensor le(const Tensor& a, const Tensor& b) {
  VMAP_ELEMENTWISE(le, a, b);
  return kernels::binary(Binary::Le, a, b, "less_equal");
}
Tensor gt(const Tensor& a, const Tensor& b) {
  VMAP_ELEMENTWISE(gt, a, b);
  return kernels::binary(Binary::Gt, a, b, "greater");
}
Tensor ge(const Tensor& a, const Tensor& b) {
  VMAP_ELEMENTWISE(ge, a, b);
  return kernels::binary(Binary::Ge, a, b, "greater_equal");
}
Tensor logical_not(const Tensor& x) {
  VMAP_ELEMENTWISE(logical_not, x);
  return kernels::unary(Unary::LogicalNot, x);
}

namespace {

Tensor truth(const Tensor& x) {
  return x.dtype() == DType::Bool ? x : kernels::binary(Binary::Ne, x, constant(0, x.dtype()), "logical");
}

}  // namespace

// On bools, * is "and", + is "or" and != is "xor".
Tensor logical_and(const Tensor& a, const Tensor& b) {
  VMAP_ELEMENTWISE(logical_and, a, b);
  return kernels::binary(Binary::Mul, truth(a), truth(b), "logical_and");
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  VMAP_ELEMENTWISE(logical_or, a, b);
  return kernels::binary(Binary::Add, truth(a), truth(b), "logical_or");
}
Tensor logical_xor(const Tensor& a, const Tensor& b) {
  VMAP_ELEMENTWISE(logical_xor, a, b);
  return kernels::binary(Binary::Ne, truth(a), truth(b), "logical_xor");
}

namespace {

Tensor compare(Binary k, const Tensor& a, const Scalar& s, const char* name) {
  if (!s.is_int) return kernels::binary(k, a, scalar_tensor(s.value, float_result(a.dtype())), name);
  if (!is_floating(a.dtype())) {
    if (!s.overflow) return kernels::binary(k, a, full_int({}, s.int_value, DType::Int64), name);
    // Beyond int64: above (overflow > 0) or below every element, whatever their values.
    bool answer = false;  // Eq
    switch (k) {
      case Binary::Ne: answer = true; break;
      case Binary::Lt:
      case Binary::Le: answer = s.overflow > 0; break;
      case Binary::Gt:
      case Binary::Ge: answer = s.overflow < 0; break;
      default: break;
    }
    return full(a.shape(), answer ? 1.0 : 0.0, DType::Bool);
  }  // namespace
  if (std::isinf(s.value)) throw std::overflow_error("int too large to convert to float");  // as NumPy
  return kernels::binary(k, a, scalar_tensor(s.value, a.dtype()), name);
}

}  // namespace

Tensor eq(const Tensor& a, const Scalar& s) {
  VMAP_UNARY(a, eq(a, s));
  return compare(Binary::Eq, a, s, "equal");
}
Tensor ne(const Tensor& a, const Scalar& s) {
  VMAP_UNARY(a, ne(a, s));
  return compare(Binary::Ne, a, s, "not_equal");
}
Tensor lt(const Tensor& a, const Scalar& s) {
  VMAP_UNARY(a, lt(a, s));
  return compare(Binary::Lt, a, s, "less");
}
Tensor le(const Tensor& a, const Scalar& s) {
  VMAP_UNARY(a, le(a, s));
  return compare(Binary::Le, a, s, "less_equal");
}
Tensor gt(const Tensor& a, const Scalar& s) {
  VMAP_UNARY(a, gt(a, s));
  return compare(Binary::Gt, a, s, "greater");
}
Tensor ge(const Tensor& a, const Scalar& s) {
  VMAP_UNARY(a, ge(a, s));
  return compare(Binary::Ge, a, s, "greater_equal");
}

// ---- Python numbers as tensors -------------------------------------------------------------------
Tensor full(const Shape& shape, const Scalar& s, DType d) {
  if (!s.is_int || d != DType::Int64) return full(shape, s.value, d);
  check_int64(s);
  return full_int(shape, s.int_value, d);
}
Tensor scalar_tensor(const Scalar& s, DType d) { return full({}, s, d); }

// ---- selection and conversion ---------------------------------------------------------------------
// where(c, a, b): the gradient goes to the branch that was taken.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  VMAP_ELEMENTWISE(where, cond, a, b);
  static const OpSpec spec =
      ELEMENTWISE_RULES2("WhereBackward", READ_SAVED(took_a, 0), where(took_a, v, constant(0, v.dtype())),
                         where(took_a, constant(0, v.dtype()), v));
  Tensor out = kernels::where(cond, a, b);
  if (Recording r = record(out, spec, a, b)) {
    r->save(cond);
    r->shapes = {a.shape(), b.shape()};
    finish(r, out, {&a, &b});
  }
  return out;
}

// clip passes the gradient where x is inside [lo, hi].
Tensor clip(const Tensor& x, std::optional<double> lo, std::optional<double> hi) {
  VMAP_UNARY(x, clip(x, lo, hi));
  static const OpSpec spec = ELEMENTWISE_RULES("ClipBackward", READ_SAVED(inside, 0), times(inside));
  Tensor out = kernels::clip(x, lo, hi);
  if (Recording r = record(out, spec, x)) {
    r->save(kernels::clip_mask(x, lo, hi));
    finish(r, out, {&x});
  }
  return out;
}

// A float-to-float cast: the gradient goes back to the input's dtype, the tangent on to the output's.
struct CastDtypes {
  DType from, to;
};
Tensor astype(const Tensor& x, DType dtype) {
  VMAP_UNARY(x, astype(x, dtype));
  static const OpSpec spec{
      "AstypeBackward",
      [](OpNode& n, const Tensor& g, Needs) -> TensorList { return {astype(g, n.params<CastDtypes>().from)}; },
      [](OpNode& n, const TensorList& t) { return astype(t[0], n.params<CastDtypes>().to); }};
  Tensor out = kernels::cast(x, dtype);
  if (!is_floating(dtype)) return out;
  if (Recording r = record_with<CastDtypes>(out, spec, x)) {
    r->params<CastDtypes>() = {x.dtype(), dtype};
    finish(r, out, {&x});
  }
  return out;
}

}  // namespace pyjac
