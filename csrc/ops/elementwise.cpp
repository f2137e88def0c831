// Elementwise ops and their derivative rules, one entry each.
// Rules see g shaped (*batch, *out_shape); `reduce_to(i, t)` sums t back to input i's shape
// (undoing broadcasting, keeping the batch dims).
#include <cmath>

#include "kernels/kernels.h"
#include "ops/record.h"
#include "ops/rule_macros.h"

namespace pyjac {

using kernels::Binary;
using kernels::Unary;

namespace {

enum class Save { Nothing, Input, Output };

Tensor unary_op(const Tensor& x, Unary k, const char* name, Save save, Rule rule) {
  Tensor out = kernels::unary(k, x);
  if (OpNode* n = record(out, name, rule, x)) {
    if (save == Save::Input) n->saved = {x};
    if (save == Save::Output) n->save_output(out);
  }
  return out;
}

Tensor binary_op(const Tensor& a, const Tensor& b, Binary k, const char* name, bool save_inputs, bool save_output,
                 Rule rule) {
  Tensor out = kernels::binary(k, a, b, name);
  if (OpNode* n = record(out, name, rule, a, b)) {
    n->shapes = {a.shape(), b.shape()};
    if (save_inputs) n->saved = {a, b};
    if (save_output) n->save_output(out);
  }
  return out;
}

// Input i's share of a cotangent: broadcasting undone, batch dims kept.
Tensor reduce_to(OpNode& n, size_t i, const Tensor& t) { return unbroadcast(t, n.shapes[i], n.out_ndim); }

Tensor constant_like(const Tensor& g, double v) { return scalar_tensor(v, g.dtype()); }

// d maximum(a, b) / da: 1 where a wins, 1/2 on ties, 0 where b wins (a constant mask).
Tensor max_share(const Tensor& a, const Tensor& b, Binary wins) {
  Tensor win = kernels::binary(wins, a, b, "maximum");
  Tensor tie = kernels::binary(Binary::Eq, a, b, "maximum");
  DType d = float_result(promote(a.dtype(), b.dtype()));
  return kernels::where(win, scalar_tensor(1, d), kernels::where(tie, scalar_tensor(0.5, d), scalar_tensor(0, d)));
}

DType scalar_op_dtype(DType t, Scalar s, bool true_division) {
  if (is_floating(t)) return t;
  if (!s.is_int || true_division) return DType::Float64;
  return DType::Int64;
}

Tensor scalar_op(const Tensor& a, Scalar s, Binary k, bool scalar_first, const char* name, Rule rule, Save save) {
  Tensor out = kernels::binary_scalar(k, a, s.value, scalar_first, scalar_op_dtype(a.dtype(), s, k == Binary::Div));
  if (OpNode* n = record(out, name, rule, a)) {
    n->s0 = s.value;
    if (save == Save::Input) n->saved = {a};
    if (save == Save::Output) n->save_output(out);
  }
  return out;
}

}  // namespace

// ---- arithmetic ---------------------------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b) {
  return binary_op(a, b, Binary::Add, "AddBackward", false, false,
                   RULE({IF_NEEDED(0, reduce_to(n, 0, g)), IF_NEEDED(1, reduce_to(n, 1, g))}));
}
Tensor sub(const Tensor& a, const Tensor& b) {
  return binary_op(a, b, Binary::Sub, "SubBackward", false, false,
                   RULE({IF_NEEDED(0, reduce_to(n, 0, g)), IF_NEEDED(1, reduce_to(n, 1, -g))}));
}
Tensor mul(const Tensor& a, const Tensor& b) {
  return binary_op(a, b, Binary::Mul, "MulBackward", true, false,
                   RULE({IF_NEEDED(0, reduce_to(n, 0, g * n.saved[1])), IF_NEEDED(1, reduce_to(n, 1, g * n.saved[0]))}));
}
Tensor div(const Tensor& a, const Tensor& b) {
  return binary_op(a, b, Binary::Div, "DivBackward", true, true,
                   RULE({IF_NEEDED(0, reduce_to(n, 0, g / n.saved[1])),
                         IF_NEEDED(1, reduce_to(n, 1, -(g * n.output()) / n.saved[1]))}));
}
// d/db a**b = a**b log a, taken as 0 where a == 0 (log is evaluated at 1 there so that its own
// derivative stays finite under create_graph).
Tensor pow(const Tensor& a, const Tensor& b) {
  return binary_op(a, b, Binary::Pow, "PowBackward", true, true,
                   RULE({IF_NEEDED(0, reduce_to(n, 0, g * n.saved[1] * pow(n.saved[0], n.saved[1] - 1.0))),
                         IF_NEEDED(1, reduce_to(n, 1, g * n.output() *
                                                   log(where(eq(n.saved[0], constant_like(g, 0)),
                                                             constant_like(n.saved[0], 1), n.saved[0]))))}));
}
Tensor maximum(const Tensor& a, const Tensor& b) {
  return binary_op(a, b, Binary::Maximum, "MaximumBackward", true, false,
                   RULE({IF_NEEDED(0, reduce_to(n, 0, g * max_share(n.saved[0], n.saved[1], Binary::Gt))),
                         IF_NEEDED(1, reduce_to(n, 1, g * max_share(n.saved[1], n.saved[0], Binary::Gt)))}));
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return binary_op(a, b, Binary::Minimum, "MinimumBackward", true, false,
                   RULE({IF_NEEDED(0, reduce_to(n, 0, g * max_share(n.saved[0], n.saved[1], Binary::Lt))),
                         IF_NEEDED(1, reduce_to(n, 1, g * max_share(n.saved[1], n.saved[0], Binary::Lt)))}));
}

// ---- with a Python number -------------------------------------------------------------------
Tensor add(const Tensor& a, Scalar s) {
  return scalar_op(a, s, Binary::Add, false, "AddBackward", RULE({g}), Save::Nothing);
}
Tensor sub(const Tensor& a, Scalar s) {
  return scalar_op(a, s, Binary::Sub, false, "SubBackward", RULE({g}), Save::Nothing);
}
Tensor rsub(Scalar s, const Tensor& a) {
  return scalar_op(a, s, Binary::Sub, true, "RsubBackward", RULE({-g}), Save::Nothing);
}
Tensor mul(const Tensor& a, Scalar s) {
  return scalar_op(a, s, Binary::Mul, false, "MulBackward", RULE({g * n.s0}), Save::Nothing);
}
Tensor div(const Tensor& a, Scalar s) {
  return scalar_op(a, s, Binary::Div, false, "DivBackward", RULE({g / n.s0}), Save::Nothing);
}
Tensor rdiv(Scalar s, const Tensor& a) {
  return scalar_op(a, s, Binary::Div, true, "RdivBackward", RULE({-(g * n.output()) / n.saved[0]}), Save::Input);
}
Tensor pow(const Tensor& a, Scalar s) {
  Tensor out = scalar_op(a, s, Binary::Pow, false, "PowBackward",
                         RULE({n.s0 == 0 ? zeros(g.shape(), g.dtype()) : g * (n.s0 * pow(n.saved[0], Scalar{n.s0 - 1, false}))}),
                         Save::Input);
  return out;
}
Tensor rpow(Scalar s, const Tensor& a) {
  return scalar_op(a, s, Binary::Pow, true, "RpowBackward", RULE({g * n.output() * std::log(n.s0)}), Save::Output);
}
Tensor neg(const Tensor& x) { return unary_op(x, Unary::Neg, "NegBackward", Save::Nothing, RULE({-g})); }

// ---- comparisons (no gradient) ----------------------------------------------------------------
Tensor eq(const Tensor& a, const Tensor& b) { return kernels::binary(Binary::Eq, a, b, "equal"); }
Tensor ne(const Tensor& a, const Tensor& b) { return kernels::binary(Binary::Ne, a, b, "not_equal"); }
Tensor lt(const Tensor& a, const Tensor& b) { return kernels::binary(Binary::Lt, a, b, "less"); }
Tensor le(const Tensor& a, const Tensor& b) { return kernels::binary(Binary::Le, a, b, "less_equal"); }
Tensor gt(const Tensor& a, const Tensor& b) { return kernels::binary(Binary::Gt, a, b, "greater"); }
Tensor ge(const Tensor& a, const Tensor& b) { return kernels::binary(Binary::Ge, a, b, "greater_equal"); }
Tensor logical_not(const Tensor& x) { return kernels::unary(Unary::LogicalNot, x); }

// ---- elementwise functions: forward kernel, what the rule keeps, the rule ------------------------
Tensor exp(const Tensor& x)   { return unary_op(x, Unary::Exp, "ExpBackward", Save::Output, RULE({g * n.output()})); }
Tensor log(const Tensor& x)   { return unary_op(x, Unary::Log, "LogBackward", Save::Input, RULE({g / n.saved[0]})); }
Tensor log1p(const Tensor& x) { return unary_op(x, Unary::Log1p, "Log1pBackward", Save::Input, RULE({g / (n.saved[0] + 1.0)})); }
Tensor expm1(const Tensor& x) { return unary_op(x, Unary::Expm1, "Expm1Backward", Save::Output, RULE({g * (n.output() + 1.0)})); }
Tensor sqrt(const Tensor& x)  { return unary_op(x, Unary::Sqrt, "SqrtBackward", Save::Output, RULE({g * 0.5 / n.output()})); }
Tensor square(const Tensor& x){ return unary_op(x, Unary::Square, "SquareBackward", Save::Input, RULE({g * (2.0 * n.saved[0])})); }
Tensor sin(const Tensor& x)   { return unary_op(x, Unary::Sin, "SinBackward", Save::Input, RULE({g * cos(n.saved[0])})); }
Tensor cos(const Tensor& x)   { return unary_op(x, Unary::Cos, "CosBackward", Save::Input, RULE({-(g * sin(n.saved[0]))})); }
Tensor tan(const Tensor& x)   { return unary_op(x, Unary::Tan, "TanBackward", Save::Output, RULE({g * (square(n.output()) + 1.0)})); }
Tensor tanh(const Tensor& x)  { return unary_op(x, Unary::Tanh, "TanhBackward", Save::Output, RULE({g * (1.0 - square(n.output()))})); }
Tensor sigmoid(const Tensor& x) {
  return unary_op(x, Unary::Sigmoid, "SigmoidBackward", Save::Output, RULE({g * (n.output() * (1.0 - n.output()))}));
}
// Subgradients at 0 are 0 (relu, abs) and sign's derivative is 0 everywhere.
Tensor relu(const Tensor& x)  { return unary_op(x, Unary::Relu, "ReluBackward", Save::Input, RULE({g * kernels::unary(Unary::Step, n.saved[0])})); }
Tensor abs(const Tensor& x)   { return unary_op(x, Unary::Abs, "AbsBackward", Save::Input, RULE({g * kernels::unary(Unary::Sign, n.saved[0])})); }
Tensor sign(const Tensor& x)  { return unary_op(x, Unary::Sign, "SignBackward", Save::Nothing, RULE({zeros(g.shape(), g.dtype())})); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  Tensor out = kernels::where(cond, a, b);
  if (OpNode* n = record(out, "WhereBackward",
                         RULE({IF_NEEDED(0, reduce_to(n, 0, where(n.saved[0], g, constant_like(g, 0)))),
                               IF_NEEDED(1, reduce_to(n, 1, where(n.saved[0], constant_like(g, 0), g)))}),
                         a, b)) {
    n->saved = {cond};
    n->shapes = {a.shape(), b.shape()};
  }
  return out;
}

Tensor clip(const Tensor& x, std::optional<double> lo, std::optional<double> hi) {
  Tensor out = kernels::clip(x, lo, hi);
  if (OpNode* n = record(out, "ClipBackward", RULE({g * n.saved[0]}), x)) n->saved = {kernels::clip_mask(x, lo, hi)};
  return out;
}

Tensor astype(const Tensor& x, DType dtype) {
  Tensor out = kernels::cast(x, dtype);
  if (!is_floating(dtype)) return out;
  if (OpNode* n = record(out, "AstypeBackward", RULE({astype(g, DType(int(n.s0)))}), x)) n->s0 = double(int(x.dtype()));
  return out;
}

}  // namespace pyjac
