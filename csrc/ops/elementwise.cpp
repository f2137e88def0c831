// Elementwise ops and their derivative rules, one entry each: the forward kernel, what the rules
// keep, the reverse rule (RULE) and the forward rule (JVP).
// In reverse rules `reduce_to(n, i, t)` sums t back to input i's shape (undoing broadcasting,
// keeping batch dims); in forward rules `n.lift(i, t[i])` lines input i's tangent up with the output.
#include <cmath>

#include "kernels/kernels.h"
#include "ops/elementwise_helpers.h"
#include "ops/rule_macros.h"

namespace pyjac {

using kernels::Binary;
using kernels::Unary;

namespace {

Tensor unary_op(const Tensor& x, Unary k, Save save, const OpSpec& spec) {
  return record_unary(kernels::unary(k, x), x, save, spec);
}

// `op` names the op in forward errors (a shape mismatch): NumPy's name, not the node's.
Tensor binary_op(const Tensor& a, const Tensor& b, Binary k, const char* op, bool save_inputs, bool save_output,
                 const OpSpec& spec) {
  return record_binary(kernels::binary(k, a, b, op), a, b, save_inputs, save_output, spec);
}

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

Tensor scalar_op(const Tensor& a, const Scalar& s, Binary k, bool scalar_first, Save save, const OpSpec& spec) {
  const DType od = scalar_op_dtype(a.dtype(), s, k == Binary::Div);
  Tensor out = kernels::binary_scalar(k, a, s.value, s.int_value, scalar_first, od);
  if (Recording r = record(out, spec, a)) {
    r->s0 = s.value;
    if (save == Save::Input || save == Save::InputAndOutput) r->saved = {a};
    if (save == Save::Output || save == Save::InputAndOutput) r->save_output(out);
    finish(r, out, {&a});
  }
  return out;
}

// Note [The cotangent of a sum]
// A sum's cotangent arrives at the op below it as a broadcast 1 (one value seen through stride-0
// dims), and in loss = sum(f(x) * h(x)) multiplying by it would cost a whole pass over the other
// factor for nothing. times_cotangent(g, b) (g * b inside a rule) hands b itself on instead, where
// the result needs no history or tangent and g * b would have b's shape and dtype. The gradient
// then shares b's memory: the engine copies such gradients before user code can write to them
// (Note [Gradients user code can see]), and .grad and grad()'s results never share memory.
bool is_broadcast_one(const Tensor& g) {
  if (g.numel() == 0 || !is_floating(g.dtype())) return false;
  for (int64_t st : g.strides())
    if (st != 0) return false;
  return item_as_double(g) == 1.0;
}
Tensor times_cotangent(const Tensor& g, const Tensor& b) {
  if (!GradMode::is_enabled() && !ForwardAD::any_live() && g.dtype() == b.dtype() && g.shape() == b.shape() &&
      is_broadcast_one(g))
    return b.detach();
  return g * b;
}

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

// ---- arithmetic ---------------------------------------------------------------------------------
#define A n.saved.at(0)
#define B n.saved.at(1)
#define OUT n.output()

Tensor add(const Tensor& a, const Tensor& b) {
  static const OpSpec spec{"AddBackward",
      RULE({IF_NEEDED(0, reduce_to(n, 0, g)), IF_NEEDED(1, reduce_to(n, 1, g))}),
      JVP(plus(IF_TANGENT(0, n.lift(0, t[0])), IF_TANGENT(1, n.lift(1, t[1]))))};
  return binary_op(a, b, Binary::Add, "add", false, false, spec);
}
Tensor sub(const Tensor& a, const Tensor& b) {
  static const OpSpec spec{"SubBackward",
      RULE({IF_NEEDED(0, reduce_to(n, 0, g)), IF_NEEDED(1, reduce_to(n, 1, -g))}),
      JVP(plus(IF_TANGENT(0, n.lift(0, t[0])), IF_TANGENT(1, -n.lift(1, t[1]))))};
  return binary_op(a, b, Binary::Sub, "subtract", false, false, spec);
}
Tensor mul(const Tensor& a, const Tensor& b) {
  static const OpSpec spec{"MulBackward",
      RULE({IF_NEEDED(0, reduce_to(n, 0, times_cotangent(g, B))), IF_NEEDED(1, reduce_to(n, 1, times_cotangent(g, A)))}),
      JVP(plus(IF_TANGENT(0, n.lift(0, t[0]) * B), IF_TANGENT(1, n.lift(1, t[1]) * A)))};
  return binary_op(a, b, Binary::Mul, "multiply", true, false, spec);
}
Tensor div(const Tensor& a, const Tensor& b) {
  static const OpSpec spec{"DivBackward",
      RULE({IF_NEEDED(0, reduce_to(n, 0, g / B)), IF_NEEDED(1, reduce_to(n, 1, -(g * OUT) / B))}),
      JVP(plus(IF_TANGENT(0, n.lift(0, t[0]) / B), IF_TANGENT(1, -(n.lift(1, t[1]) * OUT) / B)))};
  return binary_op(a, b, Binary::Div, "divide", true, true, spec);
}
// d/da a**b = b a**(b-1), d/db a**b = a**b log a, with torch's values at a == 0 (see pow_base_factor).
Tensor pow(const Tensor& a, const Tensor& b) {
  static const OpSpec spec{"PowBackward",
      RULE({IF_NEEDED(0, reduce_to(n, 0, g * pow_base_factor(A, B))),
            IF_NEEDED(1, reduce_to(n, 1, g * pow_exponent_factor(A, B, OUT)))}),
      JVP(plus(IF_TANGENT(0, n.lift(0, t[0]) * pow_base_factor(A, B)),
               IF_TANGENT(1, n.lift(1, t[1]) * pow_exponent_factor(A, B, OUT))))};
  return binary_op(a, b, Binary::Pow, "power", true, true, spec);
}
Tensor maximum(const Tensor& a, const Tensor& b) {
  static const OpSpec spec{"MaximumBackward",
      RULE({IF_NEEDED(0, reduce_to(n, 0, g * max_share(A, B, Binary::Gt))),
            IF_NEEDED(1, reduce_to(n, 1, g * max_share(B, A, Binary::Gt)))}),
      JVP(plus(IF_TANGENT(0, n.lift(0, t[0]) * max_share(A, B, Binary::Gt)),
               IF_TANGENT(1, n.lift(1, t[1]) * max_share(B, A, Binary::Gt))))};
  return binary_op(a, b, Binary::Maximum, "maximum", true, false, spec);
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  static const OpSpec spec{"MinimumBackward",
      RULE({IF_NEEDED(0, reduce_to(n, 0, g * max_share(A, B, Binary::Lt))),
            IF_NEEDED(1, reduce_to(n, 1, g * max_share(B, A, Binary::Lt)))}),
      JVP(plus(IF_TANGENT(0, n.lift(0, t[0]) * max_share(A, B, Binary::Lt)),
               IF_TANGENT(1, n.lift(1, t[1]) * max_share(B, A, Binary::Lt))))};
  return binary_op(a, b, Binary::Minimum, "minimum", true, false, spec);
}

// ---- with a Python number (s = n.s0) --------------------------------------------------------------
Tensor add(const Tensor& a, const Scalar& s) {
  static const OpSpec spec{"AddBackward", RULE({g}), JVP(t[0])};
  return scalar_op(a, s, Binary::Add, false, Save::Nothing, spec);
}
Tensor sub(const Tensor& a, const Scalar& s) {
  static const OpSpec spec{"SubBackward", RULE({g}), JVP(t[0])};
  return scalar_op(a, s, Binary::Sub, false, Save::Nothing, spec);
}
Tensor rsub(const Scalar& s, const Tensor& a) {
  static const OpSpec spec{"RsubBackward", RULE({-g}), JVP(-t[0])};
  return scalar_op(a, s, Binary::Sub, true, Save::Nothing, spec);
}
Tensor mul(const Tensor& a, const Scalar& s) {
  static const OpSpec spec{"MulBackward", RULE({g * n.s0}), JVP(t[0] * n.s0)};
  return scalar_op(a, s, Binary::Mul, false, Save::Nothing, spec);
}
Tensor div(const Tensor& a, const Scalar& s) {
  static const OpSpec spec{"DivBackward", RULE({g / n.s0}), JVP(t[0] / n.s0)};
  return scalar_op(a, s, Binary::Div, false, Save::Nothing, spec);
}
Tensor rdiv(const Scalar& s, const Tensor& a) {
  static const OpSpec spec{"RdivBackward", RULE({-(g * OUT) / A}), JVP(-(t[0] * OUT) / A)};
  return scalar_op(a, s, Binary::Div, true, Save::InputAndOutput, spec);
}
Tensor pow(const Tensor& a, const Scalar& s) {
  static const OpSpec spec{"PowBackward",
      RULE({n.s0 == 0 ? zeros_like(g) : g * (n.s0 * pow(A, Scalar{n.s0 - 1, false}))}),
      JVP(n.s0 == 0 ? zeros_like(t[0]) : t[0] * (n.s0 * pow(A, Scalar{n.s0 - 1, false})))};
  return scalar_op(a, s, Binary::Pow, false, Save::Input, spec);
}
// d/db s**b = s**b log s. For s == 0, as pow's exponent factor: 0 where b >= 0 (there 0**b is 0
// or 1, finite), -inf where b < 0 (0**b is inf there); a NaN stays NaN (OUT * 0).
Tensor rpow_factor(OpNode& n) {
  if (n.s0 != 0) return n.output() * std::log(n.s0);
  const Tensor out = n.output();
  return where(eq(out, Scalar{HUGE_VAL, false}), constant(-HUGE_VAL, out.dtype()), out * 0.0);
}
Tensor rpow(const Scalar& s, const Tensor& a) {
  static const OpSpec spec{"RpowBackward", RULE({g * rpow_factor(n)}), JVP(t[0] * rpow_factor(n))};
  return scalar_op(a, s, Binary::Pow, true, Save::Output, spec);
}

// ---- comparisons (no gradient) --------------------------------------------------------------------
Tensor eq(const Tensor& a, const Tensor& b) { return kernels::binary(Binary::Eq, a, b, "equal"); }
Tensor ne(const Tensor& a, const Tensor& b) { return kernels::binary(Binary::Ne, a, b, "not_equal"); }
Tensor lt(const Tensor& a, const Tensor& b) { return kernels::binary(Binary::Lt, a, b, "less"); }
Tensor le(const Tensor& a, const Tensor& b) { return kernels::binary(Binary::Le, a, b, "less_equal"); }
Tensor gt(const Tensor& a, const Tensor& b) { return kernels::binary(Binary::Gt, a, b, "greater"); }
Tensor ge(const Tensor& a, const Tensor& b) { return kernels::binary(Binary::Ge, a, b, "greater_equal"); }
Tensor logical_not(const Tensor& x) { return kernels::unary(Unary::LogicalNot, x); }

namespace {

Tensor compare(Binary k, const Tensor& a, const Scalar& s, const char* name) {
  if (!s.is_int) return kernels::binary(k, a, scalar_tensor(s.value, float_result(a.dtype())), name);
  if (!is_floating(a.dtype())) {
    if (!s.overflow) return kernels::binary(k, a, full_int({}, s.int_value, DType::Int64), name);
    // Beyond int64: above (overflow > 0) or below every element, whatever their values.
    bool answer = false;  // Eq
    switch (k) {
      case Binary::Ne: answer = true; break;
      case Binary::Lt: case Binary::Le: answer = s.overflow > 0; break;
      case Binary::Gt: case Binary::Ge: answer = s.overflow < 0; break;
      default: break;
    }
    return full(a.shape(), answer ? 1.0 : 0.0, DType::Bool);
  }
  if (std::isinf(s.value)) throw std::overflow_error("int too large to convert to float");  // as NumPy
  return kernels::binary(k, a, scalar_tensor(s.value, a.dtype()), name);
}

}  // namespace

Tensor eq(const Tensor& a, const Scalar& s) { return compare(Binary::Eq, a, s, "equal"); }
Tensor ne(const Tensor& a, const Scalar& s) { return compare(Binary::Ne, a, s, "not_equal"); }
Tensor lt(const Tensor& a, const Scalar& s) { return compare(Binary::Lt, a, s, "less"); }
Tensor le(const Tensor& a, const Scalar& s) { return compare(Binary::Le, a, s, "less_equal"); }
Tensor gt(const Tensor& a, const Scalar& s) { return compare(Binary::Gt, a, s, "greater"); }
Tensor ge(const Tensor& a, const Scalar& s) { return compare(Binary::Ge, a, s, "greater_equal"); }

// ---- Python numbers as tensors -------------------------------------------------------------------
Tensor full(const Shape& shape, const Scalar& s, DType d) {
  if (!s.is_int || d != DType::Int64) return full(shape, s.value, d);
  check_int64(s);
  return full_int(shape, s.int_value, d);
}
Tensor scalar_tensor(const Scalar& s, DType d) { return full({}, s, d); }

// ---- elementwise functions: f, f' (X is the input, OUT the output) --------------------------------
#define X n.saved.at(0)
#define UNARY_OP(fn, kernel, save, derivative)                                          \
  Tensor fn(const Tensor& x) {                                                           \
    static const OpSpec spec{#kernel "Backward", RULE({g * (derivative)}), JVP(t[0] * (derivative))}; \
    return unary_op(x, Unary::kernel, Save::save, spec);                                 \
  }

UNARY_OP(exp, Exp, Output, OUT)
UNARY_OP(log, Log, Input, 1.0 / X)
UNARY_OP(log1p, Log1p, Input, 1.0 / (X + 1.0))
UNARY_OP(expm1, Expm1, Output, OUT + 1.0)
UNARY_OP(sqrt, Sqrt, Output, 0.5 / OUT)
UNARY_OP(square, Square, Input, 2.0 * X)
UNARY_OP(sin, Sin, Input, cos(X))
UNARY_OP(cos, Cos, Input, -sin(X))
UNARY_OP(tan, Tan, Output, square(OUT) + 1.0)
Tensor tanh(const Tensor& x) {
  static const OpSpec spec{"TanhBackward", RULE({tanh_backward(g, OUT)}), JVP(tanh_backward(t[0], OUT))};
  return unary_op(x, Unary::Tanh, Save::Output, spec);
}
Tensor sigmoid(const Tensor& x) {
  static const OpSpec spec{"SigmoidBackward", RULE({sigmoid_backward(g, OUT)}), JVP(sigmoid_backward(t[0], OUT))};
  return unary_op(x, Unary::Sigmoid, Save::Output, spec);
}

// The fused backward ops are differentiable too (second derivatives go through them):
// d/dg [g (1 - y^2)] = 1 - y^2,   d/dy [g (1 - y^2)] = -2 g y;
// d/dg [g y (1 - y)] = y (1 - y), d/dy [g y (1 - y)] = g (1 - 2 y).
Tensor tanh_backward(const Tensor& g, const Tensor& y) {
  static const OpSpec spec{"TanhBackwardBackward",
      RULE({IF_NEEDED(0, reduce_to(n, 0, tanh_backward(g, B))), IF_NEEDED(1, reduce_to(n, 1, -2.0 * (g * A * B)))}),
      JVP(plus(IF_TANGENT(0, tanh_backward(n.lift(0, t[0]), B)), IF_TANGENT(1, -2.0 * (n.lift(1, t[1]) * A * B))))};
  return binary_op(g, y, Binary::TanhGrad, "tanh_backward", true, false, spec);
}
Tensor sigmoid_backward(const Tensor& g, const Tensor& y) {
  static const OpSpec spec{"SigmoidBackwardBackward",
      RULE({IF_NEEDED(0, reduce_to(n, 0, sigmoid_backward(g, B))), IF_NEEDED(1, reduce_to(n, 1, g * A * (1.0 - 2.0 * B)))}),
      JVP(plus(IF_TANGENT(0, sigmoid_backward(n.lift(0, t[0]), B)),
               IF_TANGENT(1, n.lift(1, t[1]) * A * (1.0 - 2.0 * B))))};
  return binary_op(g, y, Binary::SigmoidGrad, "sigmoid_backward", true, false, spec);
}
// Subgradients at 0 are 0 (relu, abs): the derivative is the constant step / sign of x.
UNARY_OP(relu, Relu, Input, kernels::unary(Unary::Step, X))
UNARY_OP(abs, Abs, Input, kernels::unary(Unary::Sign, X))

Tensor neg(const Tensor& x) {
  static const OpSpec spec{"NegBackward", RULE({-g}), JVP(-t[0])};
  return unary_op(x, Unary::Neg, Save::Nothing, spec);
}
Tensor sign(const Tensor& x) {
  static const OpSpec spec{"SignBackward", RULE({zeros_like(g)}), JVP(zeros_like(t[0]))};
  return unary_op(x, Unary::Sign, Save::Nothing, spec);
}

// where(c, a, b): the gradient goes to the branch that was taken.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  static const OpSpec spec{"WhereBackward",
      RULE({IF_NEEDED(0, reduce_to(n, 0, where(X, g, constant(0, g.dtype())))),
            IF_NEEDED(1, reduce_to(n, 1, where(X, constant(0, g.dtype()), g)))}),
      JVP(plus(IF_TANGENT(0, where(X, n.lift(0, t[0]), constant(0, t[0].dtype()))),
               IF_TANGENT(1, where(X, constant(0, t[1].dtype()), n.lift(1, t[1])))))};
  Tensor out = kernels::where(cond, a, b);
  if (Recording r = record(out, spec, a, b)) {
    r->saved = {cond};
    r->shapes = {a.shape(), b.shape()};
    finish(r, out, {&a, &b});
  }
  return out;
}

// clip passes the gradient where x is inside [lo, hi] (X is that 0/1 mask here).
Tensor clip(const Tensor& x, std::optional<double> lo, std::optional<double> hi) {
  static const OpSpec spec{"ClipBackward", RULE({g * X}), JVP(t[0] * X)};
  Tensor out = kernels::clip(x, lo, hi);
  if (Recording r = record(out, spec, x)) {
    r->saved = {kernels::clip_mask(x, lo, hi)};
    finish(r, out, {&x});
  }
  return out;
}

Tensor astype(const Tensor& x, DType dtype) {
  static const OpSpec spec{"AstypeBackward", RULE({astype(g, DType(int(n.s0)))}), JVP(astype(t[0], DType(int(n.s1))))};
  Tensor out = kernels::cast(x, dtype);
  if (!is_floating(dtype)) return out;
  if (Recording r = record(out, spec, x)) {
    r->s0 = double(int(x.dtype()));
    r->s1 = double(int(dtype));
    finish(r, out, {&x});
  }
  return out;
}

}  // namespace pyjac
