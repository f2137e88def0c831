// More elementwise ops and their derivative rules, one entry each (see elementwise.cpp for the
// conventions): inverse trigonometric and hyperbolic functions, log2 / log10 / exp2, reciprocal,
// rounding (zero derivative), arctan2 and mod.
#include <cmath>

#include "kernels/kernels.h"
#include "ops/elementwise_helpers.h"
#include "ops/rule_macros.h"

namespace pyjac {

using kernels::MathFn;
using kernels::MathFn2;

namespace {

Tensor math_op(const Tensor& x, MathFn k, Save save, const OpSpec& spec) {
  return record_unary(kernels::math_fn(k, x), x, save, spec);
}

Tensor math_op2(const Tensor& a, const Tensor& b, MathFn2 k, const char* name, const OpSpec& spec) {
  return record_binary(kernels::math_fn2(k, a, b, name), a, b, true, false, spec);
}

}  // namespace

#define X n.saved.at(0)
#define OUT n.output()
// f(x) with derivative f'(x): the reverse rule is g f'(x), the forward rule t f'(x).
#define MATH_OP(fn, kernel, keep, derivative)                                                        \
  Tensor fn(const Tensor& x) {                                                                       \
    static const OpSpec spec{#kernel "Backward", RULE({g * (derivative)}), JVP(t[0] * (derivative))}; \
    return math_op(x, MathFn::kernel, Save::keep, spec);                                             \
  }

// (1 - x)(1 + x) and (x - 1)(x + 1) rather than 1 - x^2 and x^2 - 1: accurate near the poles at +-1.
MATH_OP(arcsin, Arcsin, Input, 1.0 / sqrt((1.0 - X) * (X + 1.0)))
MATH_OP(arccos, Arccos, Input, -1.0 / sqrt((1.0 - X) * (X + 1.0)))
MATH_OP(arctan, Arctan, Input, 1.0 / (square(X) + 1.0))
MATH_OP(sinh, Sinh, Input, cosh(X))
MATH_OP(cosh, Cosh, Input, sinh(X))
MATH_OP(arcsinh, Arcsinh, Input, 1.0 / sqrt(square(X) + 1.0))
MATH_OP(arccosh, Arccosh, Input, 1.0 / sqrt((X - 1.0) * (X + 1.0)))
MATH_OP(arctanh, Arctanh, Input, 1.0 / ((1.0 - X) * (X + 1.0)))
MATH_OP(log2, Log2, Input, 1.0 / (X * M_LN2))
MATH_OP(log10, Log10, Input, 1.0 / (X * M_LN10))
MATH_OP(exp2, Exp2, Output, OUT * M_LN2)
MATH_OP(reciprocal, Reciprocal, Output, -square(OUT))

#undef MATH_OP

// Piecewise constant: the derivative is 0 (also at the jumps).
#define ROUNDING_OP(fn, kernel)                                                                     \
  Tensor fn(const Tensor& x) {                                                                      \
    static const OpSpec spec{#kernel "Backward", RULE({zeros_like(g)}), JVP(zeros_like(t[0]))};     \
    return math_op(x, MathFn::kernel, Save::Nothing, spec);                                         \
  }
ROUNDING_OP(floor, Floor)
ROUNDING_OP(ceil, Ceil)
ROUNDING_OP(trunc, Trunc)
#undef ROUNDING_OP

Tensor round(const Tensor& x, int64_t decimals) {
  static const OpSpec spec{"RoundBackward", RULE({zeros_like(g)}), JVP(zeros_like(t[0]))};
  Tensor out = kernels::round(x, decimals);
  if (Recording r = record(out, spec, x)) finish(r, out, {&x});
  return out;
}

namespace {

// 1 / (y^2 + x^2), taken as 0 at the origin, where arctan2 is not differentiable: both partial
// derivatives are then 0 there, torch's convention. The origin is replaced by 1 before dividing
// and the result masked after, so the rule's own derivatives are 0 there too (never 0 * inf).
Tensor inverse_squared_radius(const Tensor& y, const Tensor& x) {
  const DType d = float_result(promote(y.dtype(), x.dtype()));
  const Tensor origin = kernels::binary(kernels::Binary::Mul, eq(y, Scalar{0, false}), eq(x, Scalar{0, false}), "arctan2");
  const Tensor squared_radius = square(y) + square(x);
  return where(origin, scalar_tensor(0, d), 1.0 / where(origin, scalar_tensor(1, d), squared_radius));
}

}  // namespace

#define A n.saved.at(0)
#define B n.saved.at(1)
// d/dy arctan2(y, x) = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2); both 0 at the origin (torch).
Tensor arctan2(const Tensor& y, const Tensor& x) {
  static const OpSpec spec{"Arctan2Backward",
      RULE({IF_NEEDED(0, reduce_to(n, 0, g * B * inverse_squared_radius(A, B))),
            IF_NEEDED(1, reduce_to(n, 1, -(g * A) * inverse_squared_radius(A, B)))}),
      JVP(plus(IF_TANGENT(0, n.lift(0, t[0]) * B), IF_TANGENT(1, -(n.lift(1, t[1]) * A))) * inverse_squared_radius(A, B))};
  return math_op2(y, x, MathFn2::Arctan2, "arctan2", spec);
}

// a mod b = a - b floor(a / b): d/da = 1, d/db = -floor(a / b) (floor's own derivative is 0).
Tensor mod(const Tensor& a, const Tensor& b) {
  static const OpSpec spec{"ModBackward",
      RULE({IF_NEEDED(0, reduce_to(n, 0, g)), IF_NEEDED(1, reduce_to(n, 1, -(g * floor(A / B))))}),
      JVP(plus(IF_TANGENT(0, n.lift(0, t[0])), IF_TANGENT(1, -(n.lift(1, t[1]) * floor(A / B)))))};
  return math_op2(a, b, MathFn2::Mod, "mod", spec);
}

// Piecewise constant in both operands (like floor): zero derivatives, as torch.
Tensor floor_divide(const Tensor& a, const Tensor& b) {
  static const OpSpec spec{"FloorDivideBackward",
      RULE({IF_NEEDED(0, reduce_to(n, 0, zeros_like(g))), IF_NEEDED(1, reduce_to(n, 1, zeros_like(g)))}),
      JVP(plus(IF_TANGENT(0, zeros_like(n.lift(0, t[0]))), IF_TANGENT(1, zeros_like(n.lift(1, t[1])))))};
  return math_op2(a, b, MathFn2::FloorDiv, "floor_divide", spec);
}

}  // namespace pyjac
