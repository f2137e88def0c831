// Neural-network activations and softmax with their rules.
//
// An activation f is a fused forward kernel; its VJP and JVP are one fused op too,
// activation_backward(g, x) = g * f'(x). That op is itself differentiable: in g it is the same op
// again, in x it is g * f''(x), where f'' is written in differentiable ops (below, beside f), so
// derivatives of any order exist while first-order training steps take one pass each way.
#include <cmath>

#include "kernels/activations.h"
#include "kernels/kernels.h"
#include "ops/record.h"
#include "ops/rule_macros.h"

namespace pyjac {

using kernels::Activation;

namespace {

constexpr double kTwoOverSqrtPi = 1.1283791670955125739;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kGeluC = 0.044715;

Tensor constant(double v, DType d) { return scalar_tensor(v, d); }

// x where `keep`, else 0, without letting the other branch's values (or their derivatives) in.
Tensor where_or_zero(const Tensor& keep, const Tensor& x) { return where(keep, x, constant(0, x.dtype())); }

// f''(x) in differentiable ops; p0, p1 are the activation's parameters. Saturated regions give exact
// zeros (exp never sees a large positive argument).
Tensor second_derivative(Activation f, const Tensor& x, double p0, double p1) {
  const DType d = float_result(x.dtype());
  switch (f) {
    case Activation::Erf:  // erf' = c exp(-x^2), erf'' = -2 x erf'
      return (-2.0 * kTwoOverSqrtPi) * (x * exp(-square(x)));
    case Activation::Softplus: {  // beta sigmoid(z) (1 - sigmoid(z)), z = beta x; 0 in the linear part
      Tensor z = x * p0;
      Tensor inside = le(z, constant(p1, d));
      return p0 * where_or_zero(inside, sigmoid_backward(constant(1, d), sigmoid(z)));
    }
    case Activation::Gelu:  // (x Phi)'' = phi (2 - x^2)
      return kInvSqrt2Pi * (exp(square(x) * -0.5) * (2.0 - square(x)));
    case Activation::GeluTanh: {
      // f = x s, s = sigmoid(v), v = 2k (x + c x^3): f'' = s (1 - s) [2 v' + x (v'' + (1 - 2 s) v'^2)].
      Tensor x2 = square(x);
      Tensor s = sigmoid((2 * kSqrt2OverPi) * (x + kGeluC * (x * x2)));
      Tensor dv = x2 * (6 * kSqrt2OverPi * kGeluC) + 2 * kSqrt2OverPi;
      Tensor ddv = (12 * kSqrt2OverPi * kGeluC) * x;
      return sigmoid_backward(2.0 * dv + x * (ddv + (1.0 - 2.0 * s) * square(dv)), s);
    }
    case Activation::LeakyRelu:  // piecewise linear
      return zeros(x.shape(), d);
    case Activation::Elu: {  // alpha exp(x) on the negative side; exp only sees x <= 0
      Tensor negative = logical_not(gt(x, constant(0, d)));
      return p0 * where_or_zero(negative, exp(where_or_zero(negative, x)));
    }
    case Activation::Silu: {  // s (1 - s) (2 + x (1 - 2 s))
      Tensor s = sigmoid(x);
      return sigmoid_backward(x * (1.0 - 2.0 * s) + 2.0, s);
    }
  }
  throw ValueError("activation: unknown function");
}

Activation kind_of(const OpNode& n) { return Activation(n.ints.at(0)); }

Tensor activation_backward(Activation f, const Tensor& g, const Tensor& x, double p0, double p1);

#define G n.saved.at(0)
#define X n.saved.at(1)
#define F_PRIME_TIMES(v) activation_backward(kind_of(n), v, X, n.s0, n.s1)
#define F_SECOND second_derivative(kind_of(n), X, n.s0, n.s1)

// g * f'(x). d/dg: f'(x) again; d/dx: g f''(x).
Tensor activation_backward(Activation f, const Tensor& g, const Tensor& x, double p0, double p1) {
  static const OpSpec spec{"ActivationBackwardBackward",
      RULE({IF_NEEDED(0, unbroadcast(F_PRIME_TIMES(g), n.shapes[0], n.out_ndim)),
            IF_NEEDED(1, unbroadcast(g * G * F_SECOND, n.shapes[1], n.out_ndim))}),
      JVP(plus(IF_TANGENT(0, F_PRIME_TIMES(n.lift(0, t[0]))), IF_TANGENT(1, n.lift(1, t[1]) * G * F_SECOND)))};
  Tensor out = kernels::activation_grad(f, g, x, p0, p1);
  if (Recording r = record(out, spec, g, x)) {
    r->saved = {g, x};
    r->shapes = {g.shape(), x.shape()};
    r->ints = {int64_t(f)};
    r->s0 = p0;
    r->s1 = p1;
    finish(r, out, {&g, &x});
  }
  return out;
}
#undef G
#undef X
#undef F_PRIME_TIMES
#undef F_SECOND

// f(x): the rules are activation_backward with the cotangent or the tangent.
Tensor activation(Activation f, const Tensor& x, double p0, double p1, const OpSpec& spec) {
  Tensor out = kernels::activation(f, x, p0, p1);
  if (Recording r = record(out, spec, x)) {
    r->saved = {x};
    r->ints = {int64_t(f)};
    r->s0 = p0;
    r->s1 = p1;
    finish(r, out, {&x});
  }
  return out;
}

#define X n.saved.at(0)
#define ACTIVATION_SPEC(name)                                                                            \
  static const OpSpec spec{name, RULE({activation_backward(kind_of(n), g, X, n.s0, n.s1)}),               \
                           JVP(activation_backward(kind_of(n), t[0], X, n.s0, n.s1))}

}  // namespace

Tensor erf(const Tensor& x) {
  ACTIVATION_SPEC("ErfBackward");
  return activation(Activation::Erf, x, 0, 0, spec);
}
Tensor softplus(const Tensor& x, double beta, double threshold) {
  ACTIVATION_SPEC("SoftplusBackward");
  if (beta == 0 || std::isnan(beta)) throw ValueError("softplus: beta must be a nonzero number, got " + std::to_string(beta));
  return activation(Activation::Softplus, x, beta, threshold, spec);
}
Tensor gelu(const Tensor& x, bool tanh_approximation) {
  ACTIVATION_SPEC("GeluBackward");
  return activation(tanh_approximation ? Activation::GeluTanh : Activation::Gelu, x, 0, 0, spec);
}
Tensor leaky_relu(const Tensor& x, double negative_slope) {
  ACTIVATION_SPEC("LeakyReluBackward");
  return activation(Activation::LeakyRelu, x, negative_slope, 0, spec);
}
Tensor elu(const Tensor& x, double alpha) {
  ACTIVATION_SPEC("EluBackward");
  return activation(Activation::Elu, x, alpha, 0, spec);
}
Tensor silu(const Tensor& x) {
  ACTIVATION_SPEC("SiluBackward");
  return activation(Activation::Silu, x, 0, 0, spec);
}
#undef ACTIVATION_SPEC
#undef X

// ---- softmax and log_softmax along one axis (n.ints[0], negative so that it counts from the end
// and so holds for cotangents and tangents with extra leading batch dims) ---------------------------
// As for the activations, each backward is one fused op with rules of its own:
//   softmax_backward(g, y)     = y (g - sum(g y)),  d/dg: the same op;  d/dy: h (g - sum(g y)) - g sum(h y)
//   log_softmax_backward(g, y) = g - exp(y) sum(g), d/dg: h - sum(h exp(y));  d/dy: -h exp(y) sum(g)
namespace {

Tensor sum_along(const Tensor& t, int64_t axis) { return sum(t, Axes{{axis}}, true); }

Tensor softmax_backward(const Tensor& g, const Tensor& y, int64_t axis);
Tensor log_softmax_backward(const Tensor& g, const Tensor& y, int64_t axis);

#define G n.saved.at(0)
#define Y n.saved.at(1)
#define AXIS n.ints[0]
Tensor softmax_backward(const Tensor& g, const Tensor& y, int64_t axis) {
  static const OpSpec spec{"SoftmaxBackwardBackward",
      RULE({IF_NEEDED(0, unbroadcast(softmax_backward(g, Y, AXIS), n.shapes[0], n.out_ndim)),
            IF_NEEDED(1, unbroadcast(g * (G - sum_along(G * Y, AXIS)) - G * sum_along(g * Y, AXIS), n.shapes[1],
                                     n.out_ndim))}),
      JVP(plus(IF_TANGENT(0, softmax_backward(n.lift(0, t[0]), Y, AXIS)),
               IF_TANGENT(1, n.lift(1, t[1]) * (G - sum_along(G * Y, AXIS)) - Y * sum_along(G * n.lift(1, t[1]), AXIS))))};
  Tensor out = kernels::softmax_grad(g, y, axis, false);
  if (Recording r = record(out, spec, g, y)) {
    r->saved = {g, y};
    r->shapes = {g.shape(), y.shape()};
    r->ints = {axis};
    finish(r, out, {&g, &y});
  }
  return out;
}
Tensor log_softmax_backward(const Tensor& g, const Tensor& y, int64_t axis) {
  static const OpSpec spec{"LogSoftmaxBackwardBackward",
      RULE({IF_NEEDED(0, unbroadcast(g - sum_along(g * exp(Y), AXIS), n.shapes[0], n.out_ndim)),
            IF_NEEDED(1, unbroadcast(-(g * exp(Y)) * sum_along(G, AXIS), n.shapes[1], n.out_ndim))}),
      JVP(plus(IF_TANGENT(0, log_softmax_backward(n.lift(0, t[0]), Y, AXIS)),
               IF_TANGENT(1, -(n.lift(1, t[1]) * exp(Y)) * sum_along(G, AXIS))))};
  Tensor out = kernels::softmax_grad(g, y, axis, true);
  if (Recording r = record(out, spec, g, y)) {
    r->saved = {g, y};
    r->shapes = {g.shape(), y.shape()};
    r->ints = {axis};
    finish(r, out, {&g, &y});
  }
  return out;
}
#undef G
#undef Y
#undef AXIS

// y = log_softmax(x), forward mode: dy = dx - sum(exp(y) dx).
Tensor log_softmax_jvp(OpNode& n, const Tensor& t) { return t - sum_along(exp(n.output()) * t, n.ints[0]); }

Tensor softmax_op(const Tensor& x, int64_t axis, bool log, const OpSpec& spec) {
  const char* name = log ? "log_softmax" : "softmax";
  if (x.ndim() == 0) {  // one element along the only (implicit) axis, as in PyTorch
    normalize_axis(axis, 1, name);
    return reshape(softmax_op(reshape(x, {1}), 0, log, spec), {});
  }
  const int64_t ax = normalize_axis(axis, x.ndim(), name);
  Tensor out = kernels::softmax(x, ax, log);
  if (Recording r = record(out, spec, x)) {
    r->ints = {ax - x.ndim()};
    r->save_output(out);
    finish(r, out, {&x});
  }
  return out;
}

}  // namespace

// y = softmax(x): dx = y (dy - sum(dy y)) in either direction.
Tensor softmax(const Tensor& x, int64_t axis) {
  static const OpSpec spec{"SoftmaxBackward", RULE({softmax_backward(g, n.output(), n.ints[0])}),
                           JVP(softmax_backward(t[0], n.output(), n.ints[0]))};
  return softmax_op(x, axis, false, spec);
}
// y = log_softmax(x): dx = dy - exp(y) sum(dy) (reverse), dy = dx - sum(exp(y) dx) (forward).
Tensor log_softmax(const Tensor& x, int64_t axis) {
  static const OpSpec spec{"LogSoftmaxBackward", RULE({log_softmax_backward(g, n.output(), n.ints[0])}),
                           JVP(log_softmax_jvp(n, t[0]))};
  return softmax_op(x, axis, true, spec);
}

}  // namespace pyjac
