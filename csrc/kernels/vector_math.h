#pragma once
// Transcendental functions over contiguous arrays, vectorised: SIMD variants from glibc's libmvec
// where it exists, the loop compiled for AVX-512, AVX2 and baseline x86-64 and picked at load time.
#include <cstdint>

namespace pyjac::kernels::vmath {

enum class Fn { Exp, Log, Log1p, Expm1, Sin, Cos, Tan, Tanh, Sigmoid };

// y[i] = f(x[i]) for i < n; x and y may be the same array.
void apply(Fn f, const double* x, double* y, int64_t n);
void apply(Fn f, const float* x, float* y, int64_t n);

}  // namespace pyjac::kernels::vmath
