// Elementwise math functions f(x), one entry each: the forward kernel, what the derivative map
// reads and the map itself (Note [Elementwise derivatives, written once], elementwise_rules.h):
// exponentials and logarithms, powers and roots, trigonometric, hyperbolic and their inverses,
// the logistic functions, piecewise-linear functions, rounding (zero derivative) and arctan2.
#include <cmath>
#include <iterator>

#include "ops/elementwise_rules.h"
#include "vmap/rules.h"

namespace pyjac {

// ---- exponentials and logarithms ----------------------------------------------------------------
UNARY_OP(exp, Unary, Exp, out, times(out))
UNARY_OP(exp2, MathFn, Exp2, out, times(out * M_LN2))
UNARY_OP(expm1, Unary, Expm1, out, times(out + 1.0))
UNARY_OP(log, Unary, Log, x, v / x)
UNARY_OP(log2, MathFn, Log2, x, v / (x * M_LN2))
UNARY_OP(log10, MathFn, Log10, x, v / (x * M_LN10))
UNARY_OP(log1p, Unary, Log1p, x, v / (x + 1.0))

// ---- powers and roots ---------------------------------------------------------------------------
UNARY_OP(square, Unary, Square, x, times(2.0 * x))
UNARY_OP(sqrt, Unary, Sqrt, out, times(0.5 / out))
UNARY_OP(reciprocal, MathFn, Reciprocal, out, times(-square(out)))
UNARY_OP(cbrt, MathFn, Cbrt, out, v / (3.0 * square(out)))
// d cbrt(x) = dx / (3 cbrt(x)^2)

// ---- trigonometric and hyperbolic ---------------------------------------------------------------
// (1 - x)(1 + x) and (x - 1)(x + 1) rather than 1 - x^2 and x^2 - 1: accurate near the poles at +-1.
UNARY_OP(sin, Unary, Sin, x, times(cos(x)))
UNARY_OP(cos, Unary, Cos, x, times(-sin(x)))
UNARY_OP(tan, Unary, Tan, out, times(square(out) + 1.0))
UNARY_OP(arcsin, MathFn, Arcsin, x, v / sqrt((1.0 - x) * (x + 1.0)))
UNARY_OP(arccos, MathFn, Arccos, x, -v / sqrt((1.0 - x) * (x + 1.0)))
UNARY_OP(arctan, MathFn, Arctan, x, v / (square(x) + 1.0))
UNARY_OP(sinh, MathFn, Sinh, x, times(cosh(x)))
UNARY_OP(cosh, MathFn, Cosh, x, times(sinh(x)))
UNARY_OP(tanh, Unary, Tanh, out, tanh_backward(v, out))
UNARY_OP(arcsinh, MathFn, Arcsinh, x, v / sqrt(square(x) + 1.0))
UNARY_OP(arccosh, MathFn, Arccosh, x, v / sqrt((x - 1.0) * (x + 1.0)))
UNARY_OP(arctanh, MathFn, Arctanh, x, v / ((1.0 - x) * (x + 1.0)))

namespace {

// t with its zeros replaced by 1: a denominator whose quotient is masked to 0 there anyway, so
// that neither the quotient nor its own derivatives are 0 * inf.
Tensor ones_at_zero(const Tensor& t) {
  return where(eq(t, Scalar{0, false}), scalar_tensor(1, float_result(t.dtype())), t);
}

// sinc'(x) = (cos(pi x) - sinc(x)) / x, a difference that cancels near 0; there (|x| < 0.1) the
// Taylor series pi^2 x sum_{k>=1} (-1)^k 2k (pi x)^(2k-2) / (2k+1)! takes over, to k = 6
// (truncation 1e-17 relative). Both branches are differentiable, so every order is right at 0
// too (sinc''(0) = -pi^2 / 3, where torch's masked rule gives 0).
Tensor sinc_derivative(const Tensor& x) {
  static const double coefficients[] = {1.0 / 518918400, -1.0 / 3991680, 1.0 / 45360, -1.0 / 840, 1.0 / 30, -1.0 / 3};
  const Tensor near_zero = lt(abs(x), Scalar{0.1, false});
  const Tensor u = square(M_PI * x);
  Tensor series = u * coefficients[0] + coefficients[1];
  for (size_t k = 2; k < std::size(coefficients); ++k) series = series * u + coefficients[k];
  const Tensor xs = where(near_zero, scalar_tensor(1, float_result(x.dtype())), x);
  return where(near_zero, (M_PI * M_PI) * (x * series), (cos(M_PI * xs) - sinc(xs)) / xs);
}

}  // namespace

UNARY_OP(sinc, MathFn, Sinc, x, times(sinc_derivative(x)))

// Angles: a multiplication by a constant, in the float dtype NumPy computes in.
Tensor deg2rad(const Tensor& x) { return astype(x, float_result(x.dtype())) * (M_PI / 180.0); }
Tensor rad2deg(const Tensor& x) { return astype(x, float_result(x.dtype())) * (180.0 / M_PI); }

// ---- sums of exponentials and Euclidean length --------------------------------------------------
// logaddexp(a, b) = log(e^a + e^b): d/da = e^(a - out), the softmax weight of a; likewise base 2.
BINARY_OP(logaddexp, "LogaddexpBackward", MathFn2, LogAddExp, "logaddexp", a_b_out, times(exp(a - out)),
          times(exp(b - out)))
BINARY_OP(logaddexp2, "Logaddexp2Backward", MathFn2, LogAddExp2, "logaddexp2", a_b_out, times(exp2(a - out)),
          times(exp2(b - out)))
// hypot(a, b) = sqrt(a^2 + b^2): d/da = a / out, d/db = b / out; 0 at the origin (abs's subgradient).
BINARY_OP(hypot, "HypotBackward", MathFn2, Hypot, "hypot", a_b_out, times(a / ones_at_zero(out)),
          times(b / ones_at_zero(out)))

namespace {

// 1 / (y^2 + x^2), taken as 0 at the origin, where arctan2 is not differentiable: both partial
// derivatives are then 0 there, torch's convention. The origin is replaced by 1 before dividing
// and the result masked after, so the rule's own derivatives are 0 there too (never 0 * inf).
Tensor inverse_squared_radius(const Tensor& y, const Tensor& x) {
  const DType d = float_result(promote(y.dtype(), x.dtype()));
  const Tensor origin =
      kernels::binary(kernels::Binary::Mul, eq(y, Scalar{0, false}), eq(x, Scalar{0, false}), "arctan2");
  const Tensor squared_radius = square(y) + square(x);
  return where(origin, scalar_tensor(0, d), 1.0 / where(origin, scalar_tensor(1, d), squared_radius));
}

}  // namespace

// arctan2(y, x) (a = y, b = x): d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2); both 0 at the
// origin (torch).
BINARY_OP(arctan2, "Arctan2Backward", MathFn2, Arctan2, "arctan2", a_b, times(b * inverse_squared_radius(a, b)),
          -times(a * inverse_squared_radius(a, b)))

// ---- logistic: the fused backward ops are differentiable too (second derivatives go through them) ----
// tanh_backward(g, y) = g (1 - y^2): d/dg = 1 - y^2, d/dy = -2 g y;
// sigmoid_backward(g, y) = g y (1 - y): d/dg = y (1 - y), d/dy = g (1 - 2 y).  (a = g, b = y)
UNARY_OP(sigmoid, Unary, Sigmoid, out, sigmoid_backward(v, out))
BINARY_OP(tanh_backward, "TanhBackwardBackward", Binary, TanhGrad, "tanh_backward", a_b, tanh_backward(v, b),
          times(-2.0 * (a * b)))
BINARY_OP(sigmoid_backward, "SigmoidBackwardBackward", Binary, SigmoidGrad, "sigmoid_backward", a_b,
          sigmoid_backward(v, b), times(a * (1.0 - 2.0 * b)))

// ---- piecewise linear: subgradients at 0 are 0 (the derivative is the constant step / sign of x) ----
UNARY_OP(relu, Unary, Relu, x, times(kernels::unary(kernels::Unary::Step, x)))
UNARY_OP(abs, Unary, Abs, x, times(kernels::unary(kernels::Unary::Sign, x)))
Tensor fabs(const Tensor& x) { return abs(astype(x, float_result(x.dtype()))); }
UNARY_OP(neg, Unary, Neg, nothing, -v)

// ---- piecewise constant: the derivative is 0 (also at the jumps) -----------------------------------
UNARY_OP(sign, Unary, Sign, nothing, zeros_like(v))
UNARY_OP(floor, MathFn, Floor, nothing, zeros_like(v))
UNARY_OP(ceil, MathFn, Ceil, nothing, zeros_like(v))
UNARY_OP(trunc, MathFn, Trunc, nothing, zeros_like(v))

Tensor round(const Tensor& x, int64_t decimals) {
  VMAP_UNARY(x, round(x, decimals));
  static const OpSpec spec = ELEMENTWISE_RULES("RoundBackward", , zeros_like(v));
  Tensor out = kernels::round(x, decimals);
  if (Recording r = record(out, spec, x)) finish(r, out, {&x});
  return out;
}

}  // namespace pyjac
