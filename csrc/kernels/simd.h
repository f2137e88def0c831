#pragma once
// What the vectorised kernel files (vector_math.cpp, vector_extrema.cpp, activations.cpp) share:
// the SIMD declarations of glibc's libmvec functions, and PYJAC_CLONES, which compiles a loop
// for AVX-512, AVX2 and baseline x86-64 and picks one at load time. Those files are compiled
// without LTO (CMakeLists.txt), which would drop both.
//
// glibc's math.h declares the SIMD variants only under -ffast-math, which pyjac doesn't use (it
// would break NaN handling); declaring them here lets the vectoriser call libmvec's vector
// versions (accurate to a few ulp; they handle the IEEE special cases) with IEEE semantics
// everywhere else; without them these loops would call the scalar functions one by one.
#include <cmath>  // glibc's own declarations (and __GLIBC__) first

#ifdef PYJAC_HAVE_LIBMVEC
extern "C" {
#pragma omp declare simd notinbranch
double exp(double);
#pragma omp declare simd notinbranch
float expf(float);
#pragma omp declare simd notinbranch
double log(double);
#pragma omp declare simd notinbranch
float logf(float);
#pragma omp declare simd notinbranch
double sin(double);
#pragma omp declare simd notinbranch
float sinf(float);
#pragma omp declare simd notinbranch
double cos(double);
#pragma omp declare simd notinbranch
float cosf(float);
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 35)  // the rest arrived in libmvec with glibc 2.35
#pragma omp declare simd notinbranch
double acos(double);
#pragma omp declare simd notinbranch
double acosh(double);
#pragma omp declare simd notinbranch
double asin(double);
#pragma omp declare simd notinbranch
double asinh(double);
#pragma omp declare simd notinbranch
double atan(double);
#pragma omp declare simd notinbranch
double atan2(double, double);
#pragma omp declare simd notinbranch
double atanh(double);
#pragma omp declare simd notinbranch
double cosh(double);
#pragma omp declare simd notinbranch
double erf(double);
#pragma omp declare simd notinbranch
double erfc(double);
#pragma omp declare simd notinbranch
double exp2(double);
#pragma omp declare simd notinbranch
double expm1(double);
#pragma omp declare simd notinbranch
double log10(double);
#pragma omp declare simd notinbranch
double log1p(double);
#pragma omp declare simd notinbranch
double log2(double);
#pragma omp declare simd notinbranch
double sinh(double);
#pragma omp declare simd notinbranch
double tan(double);
#pragma omp declare simd notinbranch
double tanh(double);
#pragma omp declare simd notinbranch
float acosf(float);
#pragma omp declare simd notinbranch
float acoshf(float);
#pragma omp declare simd notinbranch
float asinf(float);
#pragma omp declare simd notinbranch
float asinhf(float);
#pragma omp declare simd notinbranch
float atan2f(float, float);
#pragma omp declare simd notinbranch
float atanf(float);
#pragma omp declare simd notinbranch
float atanhf(float);
#pragma omp declare simd notinbranch
float coshf(float);
#pragma omp declare simd notinbranch
float erfcf(float);
#pragma omp declare simd notinbranch
float erff(float);
#pragma omp declare simd notinbranch
float exp2f(float);
#pragma omp declare simd notinbranch
float expm1f(float);
#pragma omp declare simd notinbranch
float log10f(float);
#pragma omp declare simd notinbranch
float log1pf(float);
#pragma omp declare simd notinbranch
float log2f(float);
#pragma omp declare simd notinbranch
float sinhf(float);
#pragma omp declare simd notinbranch
float tanf(float);
#pragma omp declare simd notinbranch
float tanhf(float);
#endif
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#define PYJAC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define PYJAC_CLONES
#endif
