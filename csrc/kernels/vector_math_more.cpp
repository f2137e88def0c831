#include "kernels/vector_math_more.h"

#include <cmath>

#include "kernels/simd.h"

namespace pyjac::kernels::vmath {

namespace {

#define PYJAC_VLOOP(name, T, fn)                                                \
  PYJAC_CLONES void name(const T* __restrict x, T* __restrict y, int64_t n) {   \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) y[i] = ::fn(x[i]);      \
  }

PYJAC_VLOOP(asin_d, double, asin)
PYJAC_VLOOP(asin_f, float, asinf)
PYJAC_VLOOP(acos_d, double, acos)
PYJAC_VLOOP(acos_f, float, acosf)
PYJAC_VLOOP(atan_d, double, atan)
PYJAC_VLOOP(atan_f, float, atanf)
PYJAC_VLOOP(sinh_d, double, sinh)
PYJAC_VLOOP(sinh_f, float, sinhf)
PYJAC_VLOOP(cosh_d, double, cosh)
PYJAC_VLOOP(cosh_f, float, coshf)
PYJAC_VLOOP(asinh_d, double, asinh)
PYJAC_VLOOP(asinh_f, float, asinhf)
PYJAC_VLOOP(acosh_d, double, acosh)
PYJAC_VLOOP(acosh_f, float, acoshf)
PYJAC_VLOOP(atanh_d, double, atanh)
PYJAC_VLOOP(atanh_f, float, atanhf)
PYJAC_VLOOP(log2_d, double, log2)
PYJAC_VLOOP(log2_f, float, log2f)
PYJAC_VLOOP(log10_d, double, log10)
PYJAC_VLOOP(log10_f, float, log10f)
PYJAC_VLOOP(exp2_d, double, exp2)
PYJAC_VLOOP(exp2_f, float, exp2f)

#undef PYJAC_VLOOP

PYJAC_CLONES void atan2_d(const double* __restrict y, const double* __restrict x, double* __restrict z, int64_t n) {
  _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) z[i] = ::atan2(y[i], x[i]);
}
PYJAC_CLONES void atan2_f(const float* __restrict y, const float* __restrict x, float* __restrict z, int64_t n) {
  _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) z[i] = ::atan2f(y[i], x[i]);
}

}  // namespace

#define PYJAC_DISPATCH(suffix)                                 \
  switch (f) {                                                 \
    case MoreFn::Arcsin: return asin_##suffix(x, y, n);        \
    case MoreFn::Arccos: return acos_##suffix(x, y, n);        \
    case MoreFn::Arctan: return atan_##suffix(x, y, n);        \
    case MoreFn::Sinh: return sinh_##suffix(x, y, n);          \
    case MoreFn::Cosh: return cosh_##suffix(x, y, n);          \
    case MoreFn::Arcsinh: return asinh_##suffix(x, y, n);      \
    case MoreFn::Arccosh: return acosh_##suffix(x, y, n);      \
    case MoreFn::Arctanh: return atanh_##suffix(x, y, n);      \
    case MoreFn::Log2: return log2_##suffix(x, y, n);          \
    case MoreFn::Log10: return log10_##suffix(x, y, n);        \
    case MoreFn::Exp2: return exp2_##suffix(x, y, n);          \
  }

void apply(MoreFn f, const double* x, double* y, int64_t n) { PYJAC_DISPATCH(d) }
void apply(MoreFn f, const float* x, float* y, int64_t n) { PYJAC_DISPATCH(f) }

#undef PYJAC_DISPATCH

void arctan2(const double* y, const double* x, double* z, int64_t n) { atan2_d(y, x, z, n); }
void arctan2(const float* y, const float* x, float* z, int64_t n) { atan2_f(y, x, z, n); }

namespace {

// GCC vectorises floor / ceil / trunc only without trapping math; they raise nothing a caller
// could observe anyway (inexact aside), so these loops alone are compiled that way.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PYJAC_ROUND_CLONES __attribute__((target_clones("avx512f", "avx2", "default"), optimize("no-trapping-math")))
#else
#define PYJAC_ROUND_CLONES
#endif

#define PYJAC_RLOOP(name, T, builtin)                                                     \
  PYJAC_ROUND_CLONES void name(const T* __restrict x, T* __restrict y, int64_t n) {       \
    for (int64_t i = 0; i < n; ++i) y[i] = builtin(x[i]);                                 \
  }

PYJAC_RLOOP(floor_d, double, __builtin_floor)
PYJAC_RLOOP(floor_f, float, __builtin_floorf)
PYJAC_RLOOP(ceil_d, double, __builtin_ceil)
PYJAC_RLOOP(ceil_f, float, __builtin_ceilf)
PYJAC_RLOOP(trunc_d, double, __builtin_trunc)
PYJAC_RLOOP(trunc_f, float, __builtin_truncf)
PYJAC_RLOOP(rint_d, double, __builtin_nearbyint)
PYJAC_RLOOP(rint_f, float, __builtin_nearbyintf)

#undef PYJAC_RLOOP

}  // namespace

#define PYJAC_DISPATCH(suffix)                                 \
  switch (f) {                                                 \
    case RoundFn::Floor: return floor_##suffix(x, y, n);       \
    case RoundFn::Ceil: return ceil_##suffix(x, y, n);         \
    case RoundFn::Trunc: return trunc_##suffix(x, y, n);       \
    case RoundFn::Rint: return rint_##suffix(x, y, n);         \
  }

void apply(RoundFn f, const double* x, double* y, int64_t n) { PYJAC_DISPATCH(d) }
void apply(RoundFn f, const float* x, float* y, int64_t n) { PYJAC_DISPATCH(f) }

#undef PYJAC_DISPATCH

}  // namespace pyjac::kernels::vmath
