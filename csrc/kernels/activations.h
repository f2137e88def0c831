#pragma once
// Kernels of the neural-network activations (erf, softplus, gelu, leaky_relu, elu, silu) and of
// softmax / log_softmax: one fused, vectorised pass each, forward and first derivative.
#include "tensor/tensor.h"

namespace pyjac::kernels {

// Parameters travel as two numbers: softplus (beta, threshold), leaky_relu (negative_slope),
// elu (alpha); the others take none.
enum class Activation : int { Erf, Softplus, Gelu, GeluTanh, LeakyRelu, Elu, Silu };

// f(x), in x's float dtype (integers and bools compute in float64, as NumPy's math functions).
Tensor activation(Activation f, const Tensor& x, double p0, double p1);
// g * f'(x), g and x broadcast together (g usually carries extra leading batch dims).
Tensor activation_grad(Activation f, const Tensor& g, const Tensor& x, double p0, double p1);

// exp(x - max) / sum(exp(x - max)) along `axis` (in [0, ndim)), or its log when `log` is set.
Tensor softmax(const Tensor& x, int64_t axis, bool log);
// Their backward in one pass per row, g and y broadcast together (g may carry leading batch dims),
// `axis` negative (counted from the end): y (g - sum(g y)) for softmax, g - exp(y) sum(g) for log.
Tensor softmax_grad(const Tensor& g, const Tensor& y, int64_t axis, bool log);

}  // namespace pyjac::kernels
