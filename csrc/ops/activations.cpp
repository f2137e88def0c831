// Neural-network activations and softmax with their rules.
//
// An activation f is a fused forward kernel; its VJP and JVP are one fused op too,
// activation_backward(g, x) = g * f'(x). That op is itself differentiable: in g it is the same op
// again, in x it is g * f''(x), where f'' is written in differentiable ops (below, beside f), so
// derivatives of any order exist while first-order training steps take one pass each way.
#include <cmath>

#include "kernels/activations.h"
#include "kernels/kernels.h"
#include "ops/elementwise_rules.h"
#include "ops/rule_macros.h"
#include "vmap/rules.h"

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

// Which activation a node is, and its parameters (softplus's beta and threshold, leaky_relu's
// slope, elu's alpha; unused ones 0).
struct ActivationParams {
  Activation kind;
  double p0, p1;
};
#define PYJAC_READ_ACTIVATION const ActivationParams& f = n.params<ActivationParams>();

Tensor activation_backward(const ActivationParams& f, const Tensor& g, const Tensor& x);

// activation_backward(g, x) = g f'(x) (a = g, b = x). d/dg: f'(x) again; d/dx: g f''(x).
Tensor activation_backward(const ActivationParams& f, const Tensor& g, const Tensor& x) {
  static const OpSpec spec =
      ELEMENTWISE_RULES2("ActivationBackwardBackward", PYJAC_READ_ACTIVATION PYJAC_READ2_a_b,
                         activation_backward(f, v, b), times(a * second_derivative(f.kind, b, f.p0, f.p1)));
  Tensor out = kernels::activation_grad(f.kind, g, x, f.p0, f.p1);
  if (Recording r = record_with<ActivationParams>(out, spec, g, x)) {
    r->params<ActivationParams>() = f;
    r->save_inputs(g, x);
    r->shapes = {g.shape(), x.shape()};
    finish(r, out, {&g, &x});
  }
  return out;
}

// f(x): the derivative map is activation_backward with the cotangent or the tangent.
Tensor activation(const ActivationParams& f, const Tensor& x, const OpSpec& spec) {
  VMAP_UNARY(x, activation(f, x, spec));
  Tensor out = kernels::activation(f.kind, x, f.p0, f.p1);
  if (Recording r = record_with<ActivationParams>(out, spec, x)) {
    r->params<ActivationParams>() = f;
    r->save_inputs(x);
    finish(r, out, {&x});
  }
  return out;
}

#define ACTIVATION_SPEC(name) \
  static const OpSpec spec = ELEMENTWISE_RULES(name, PYJAC_READ_ACTIVATION PYJAC_READ_x, activation_backward(f, v, x))

}  // namespace

Tensor erf(const Tensor& x) {
  ACTIVATION_SPEC("ErfBackward");
  return activation({Activation::Erf, 0, 0}, x, spec);
}
Tensor softplus(const Tensor& x, double beta, double threshold) {
  ACTIVATION_SPEC("SoftplusBackward");
  if (beta == 0 || std::isnan(beta))
    throw ValueError("softplus: beta must be a nonzero number, got " + std::to_string(beta));
  return activation({Activation::Softplus, beta, threshold}, x, spec);
}
Tensor gelu(const Tensor& x, bool tanh_approximation) {
  ACTIVATION_SPEC("GeluBackward");
  return activation({tanh_approximation ? Activation::GeluTanh : Activation::Gelu, 0, 0}, x, spec);
}
Tensor leaky_relu(const Tensor& x, double negative_slope) {
  ACTIVATION_SPEC("LeakyReluBackward");
  return activation({Activation::LeakyRelu, negative_slope, 0}, x, spec);
}
Tensor elu(const Tensor& x, double alpha) {
  ACTIVATION_SPEC("EluBackward");
  return activation({Activation::Elu, alpha, 0}, x, spec);
}
Tensor silu(const Tensor& x) {
  ACTIVATION_SPEC("SiluBackward");
  return activation({Activation::Silu, 0, 0}, x, spec);
}
#undef ACTIVATION_SPEC
#undef PYJAC_READ_ACTIVATION

// ---- softmax and log_softmax along one axis (SoftmaxAxis, negative so that it counts from the end
// and so holds for cotangents and tangents with extra leading batch dims) ---------------------------
// As for the activations, each backward is one fused op with rules of its own:
//   softmax_backward(g, y)     = y (g - sum(g y)),  d/dg: the same op;  d/dy: h (g - sum(g y)) - g sum(h y)
//   log_softmax_backward(g, y) = g - exp(y) sum(g), d/dg: h - sum(h exp(y));  d/dy: -h exp(y) sum(g)
namespace {

Tensor sum_along(const Tensor& t, int64_t axis) { return sum(t, Axes{{axis}}, true); }

Tensor softmax_backward(const Tensor& g, const Tensor& y, int64_t axis);
Tensor log_softmax_backward(const Tensor& g, const Tensor& y, int64_t axis);

// The axis, negative: it counts from the end, past any leading batch dims.
struct SoftmaxAxis {
  int64_t axis;
};

// Records a fused softmax backward op: inputs (g, y), both saved.
Tensor record_softmax_backward(Tensor out, const Tensor& g, const Tensor& y, int64_t axis, const OpSpec& spec) {
  if (Recording r = record_with<SoftmaxAxis>(out, spec, g, y)) {
    r->params<SoftmaxAxis>().axis = axis;
    r->save_inputs(g, y);
    r->shapes = {g.shape(), y.shape()};
    finish(r, out, {&g, &y});
  }
  return out;
}

// In the rules below, h is the incoming cotangent or tangent, and (g, y) the op's inputs.
#define PYJAC_READ_SOFTMAX_BACKWARD                  \
  const int64_t axis = n.params<SoftmaxAxis>().axis; \
  const Tensor& g = n.input(0);                      \
  const Tensor& y = n.input(1);

Tensor softmax_backward(const Tensor& g, const Tensor& y, int64_t axis) {
  static const OpSpec spec{
      "SoftmaxBackwardBackward",
      [](OpNode& n, const Tensor& h, Needs needs) -> TensorList {
        PYJAC_READ_SOFTMAX_BACKWARD
        return {IF_NEEDED(0, reduce_to(n, 0, softmax_backward(h, y, axis))),
                IF_NEEDED(1, reduce_to(n, 1, h * (g - sum_along(g * y, axis)) - g * sum_along(h * y, axis)))};
      },
      [](OpNode& n, const TensorList& t) -> Tensor {
        PYJAC_READ_SOFTMAX_BACKWARD
        return plus(
            IF_TANGENT(0, softmax_backward(n.lift(0, t[0]), y, axis)),
            IF_TANGENT(1, n.lift(1, t[1]) * (g - sum_along(g * y, axis)) - y * sum_along(g * n.lift(1, t[1]), axis)));
      }};
  return record_softmax_backward(kernels::softmax_grad(g, y, axis, false), g, y, axis, spec);
}
Tensor log_softmax_backward(const Tensor& g, const Tensor& y, int64_t axis) {
  static const OpSpec spec{"LogSoftmaxBackwardBackward",
                           [](OpNode& n, const Tensor& h, Needs needs) -> TensorList {
                             PYJAC_READ_SOFTMAX_BACKWARD
                             return {IF_NEEDED(0, reduce_to(n, 0, h - sum_along(h * exp(y), axis))),
                                     IF_NEEDED(1, reduce_to(n, 1, -(h * exp(y)) * sum_along(g, axis)))};
                           },
                           [](OpNode& n, const TensorList& t) -> Tensor {
                             PYJAC_READ_SOFTMAX_BACKWARD
                             return plus(IF_TANGENT(0, log_softmax_backward(n.lift(0, t[0]), y, axis)),
                                         IF_TANGENT(1, -(n.lift(1, t[1]) * exp(y)) * sum_along(g, axis)));
                           }};
  return record_softmax_backward(kernels::softmax_grad(g, y, axis, true), g, y, axis, spec);
}
#undef PYJAC_READ_SOFTMAX_BACKWARD

int64_t softmax_axis(OpNode& n) { return n.params<SoftmaxAxis>().axis; }

// y = log_softmax(x), forward mode: dy = dx - sum(exp(y) dx).
Tensor log_softmax_jvp(OpNode& n, const Tensor& t) { return t - sum_along(exp(n.output()) * t, softmax_axis(n)); }

Tensor softmax_op(const Tensor& x, int64_t axis, bool log, const OpSpec& spec) {
  const char* name = log ? "log_softmax" : "softmax";
  if (x.ndim() == 0) {  // one element along the only (implicit) axis, as in PyTorch
    normalize_axis(axis, 1, name);
    return reshape(softmax_op(reshape(x, {1}), 0, log, spec), {});
  }
  VMAP_AXES(x, axis, softmax_op(x, axis, log, spec));
  const int64_t ax = normalize_axis(axis, x.ndim(), name);
  Tensor out = kernels::softmax(x, ax, log);
  if (Recording r = record_with<SoftmaxAxis>(out, spec, x)) {
    r->params<SoftmaxAxis>().axis = ax - x.ndim();
    r->save_output(out);
    finish(r, out, {&x});
  }
  return out;
}

}  // namespace

// y = softmax(x): dx = y (dy - sum(dy y)) in either direction.
Tensor softmax(const Tensor& x, int64_t axis) {
  static const OpSpec spec{"SoftmaxBackward", RULE({softmax_backward(g, n.output(), softmax_axis(n))}),
                           JVP(softmax_backward(t[0], n.output(), softmax_axis(n)))};
  return softmax_op(x, axis, false, spec);
}
// y = log_softmax(x): dx = dy - exp(y) sum(dy) (reverse), dy = dx - sum(exp(y) dx) (forward).
Tensor log_softmax(const Tensor& x, int64_t axis) {
  static const OpSpec spec{"LogSoftmaxBackward", RULE({log_softmax_backward(g, n.output(), softmax_axis(n))}),
                           JVP(log_softmax_jvp(n, t[0]))};
  return softmax_op(x, axis, true, spec);
}

}  // namespace pyjac
