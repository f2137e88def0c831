#pragma once
// Max and min over contiguous floats, vectorised and cloned per instruction set like
// vector_math.h: the reductions' inner loops (reduce.cpp) call these for float32 and float64.
// NaN wins: once one is seen the answer is NaN, as NumPy's.
#include <cstdint>

namespace pyjac::kernels::vmath {

// The largest (smallest) of r and x[0..n).
double max_of(const double* x, int64_t n, double r);
float max_of(const float* x, int64_t n, float r);
double min_of(const double* x, int64_t n, double r);
float min_of(const float* x, int64_t n, float r);

// r[i] = max(r[i], x[i]) (min) for i < n; r and x must not overlap.
void max_into(double* r, const double* x, int64_t n);
void max_into(float* r, const float* x, int64_t n);
void min_into(double* r, const double* x, int64_t n);
void min_into(float* r, const float* x, int64_t n);

}  // namespace pyjac::kernels::vmath
