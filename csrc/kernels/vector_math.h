#pragma once
// Transcendental functions and rounding over contiguous arrays, vectorised: SIMD variants from
// glibc's libmvec where it exists, each loop compiled for AVX-512, AVX2 and baseline x86-64 and
// picked at load time. The unary ops (kernels/elementwise.cpp), the math functions
// (kernels/math_functions.cpp) and logsumexp's pass (kernels/reduce.cpp) call these.
#include <cstdint>

namespace pyjac::kernels::vmath {

enum class Fn {
  Exp,
  Log,
  Log1p,
  Expm1,
  Sin,
  Cos,
  Tan,
  Tanh,
  Sigmoid,
  Arcsin,
  Arccos,
  Arctan,
  Sinh,
  Cosh,
  Arcsinh,
  Arccosh,
  Arctanh,
  Log2,
  Log10,
  Exp2,
};

// y[i] = f(x[i]) for i < n; x and y may be the same array.
void apply(Fn f, const double* x, double* y, int64_t n);
void apply(Fn f, const float* x, float* y, int64_t n);
// z[i] = atan2(y[i], x[i]) for i < n; z overlaps neither input.
void arctan2(const double* y, const double* x, double* z, int64_t n);
void arctan2(const float* y, const float* x, float* z, int64_t n);

// Rounding to integral values, vectorised too (x86's round instructions need SSE4.1 or later, so
// these get the per-ISA clones as well). Rint rounds half to even. x and y must not overlap.
enum class RoundFn { Floor, Ceil, Trunc, Rint };
void apply(RoundFn f, const double* x, double* y, int64_t n);
void apply(RoundFn f, const float* x, float* y, int64_t n);

}  // namespace pyjac::kernels::vmath
