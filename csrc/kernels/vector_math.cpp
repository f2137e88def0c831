// The loops behind vector_math.h. Each is written as a plain loop over a __restrict pair so that
// GCC vectorises it, calling libmvec's SIMD variant of the function (declared in simd.h); this file
// is compiled without LTO (CMakeLists.txt), which would drop those declarations and the per-ISA
// clones.
#include "kernels/vector_math.h"

#include <cmath>

#include "kernels/simd.h"

namespace pyjac::kernels::vmath {

namespace {

// One loop per (function, type), each cloned per instruction set.
#define PYJAC_VLOOP(name, T, expr)                                            \
  PYJAC_CLONES void name(const T* __restrict x, T* __restrict y, int64_t n) { \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) {                     \
      const T v = x[i];                                                       \
      y[i] = (expr);                                                          \
    }                                                                         \
  }

PYJAC_VLOOP(exp_d, double, ::exp(v))
PYJAC_VLOOP(exp_f, float, ::expf(v))
PYJAC_VLOOP(log_d, double, ::log(v))
PYJAC_VLOOP(log_f, float, ::logf(v))
PYJAC_VLOOP(log1p_d, double, ::log1p(v))
PYJAC_VLOOP(log1p_f, float, ::log1pf(v))
PYJAC_VLOOP(expm1_d, double, ::expm1(v))
PYJAC_VLOOP(expm1_f, float, ::expm1f(v))
PYJAC_VLOOP(sin_d, double, ::sin(v))
PYJAC_VLOOP(sin_f, float, ::sinf(v))
PYJAC_VLOOP(cos_d, double, ::cos(v))
PYJAC_VLOOP(cos_f, float, ::cosf(v))
PYJAC_VLOOP(tan_d, double, ::tan(v))
PYJAC_VLOOP(tan_f, float, ::tanf(v))
PYJAC_VLOOP(tanh_d, double, ::tanh(v))
PYJAC_VLOOP(tanh_f, float, ::tanhf(v))
// Stable for any sign: with e = exp(-|v|), sigmoid(v) = 1 / (1 + e) for v >= 0, e / (1 + e) below.
PYJAC_VLOOP(sigmoid_d, double, (v >= 0 ? 1.0 : ::exp(-std::fabs(v))) / (1.0 + ::exp(-std::fabs(v))))
PYJAC_VLOOP(sigmoid_f, float, (v >= 0 ? 1.0f : ::expf(-std::fabs(v))) / (1.0f + ::expf(-std::fabs(v))))
PYJAC_VLOOP(asin_d, double, ::asin(v))
PYJAC_VLOOP(asin_f, float, ::asinf(v))
PYJAC_VLOOP(acos_d, double, ::acos(v))
PYJAC_VLOOP(acos_f, float, ::acosf(v))
PYJAC_VLOOP(atan_d, double, ::atan(v))
PYJAC_VLOOP(atan_f, float, ::atanf(v))
PYJAC_VLOOP(sinh_d, double, ::sinh(v))
PYJAC_VLOOP(sinh_f, float, ::sinhf(v))
PYJAC_VLOOP(cosh_d, double, ::cosh(v))
PYJAC_VLOOP(cosh_f, float, ::coshf(v))
PYJAC_VLOOP(asinh_d, double, ::asinh(v))
PYJAC_VLOOP(asinh_f, float, ::asinhf(v))
PYJAC_VLOOP(acosh_d, double, ::acosh(v))
PYJAC_VLOOP(acosh_f, float, ::acoshf(v))
PYJAC_VLOOP(atanh_d, double, ::atanh(v))
PYJAC_VLOOP(atanh_f, float, ::atanhf(v))
PYJAC_VLOOP(log2_d, double, ::log2(v))
PYJAC_VLOOP(log2_f, float, ::log2f(v))
PYJAC_VLOOP(log10_d, double, ::log10(v))
PYJAC_VLOOP(log10_f, float, ::log10f(v))
PYJAC_VLOOP(exp2_d, double, ::exp2(v))
PYJAC_VLOOP(exp2_f, float, ::exp2f(v))

#undef PYJAC_VLOOP

PYJAC_CLONES void atan2_d(const double* __restrict y, const double* __restrict x, double* __restrict z, int64_t n) {
  _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) z[i] = ::atan2(y[i], x[i]);
}
PYJAC_CLONES void atan2_f(const float* __restrict y, const float* __restrict x, float* __restrict z, int64_t n) {
  _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) z[i] = ::atan2f(y[i], x[i]);
}

template <class T, class F>
void in_blocks(F loop, const T* x, T* y, int64_t n) {
  // __restrict promises no overlap; an in-place call goes through a small buffer.
  if (x != y) return loop(x, y, n);
  T buf[256];
  for (int64_t i = 0; i < n; i += 256) {
    const int64_t m = n - i < 256 ? n - i : 256;
    loop(x + i, buf, m);
    for (int64_t k = 0; k < m; ++k) y[i + k] = buf[k];
  }
}

}  // namespace

#define PYJAC_DISPATCH(suffix)                                     \
  switch (f) {                                                     \
    case Fn::Exp: return in_blocks(exp_##suffix, x, y, n);         \
    case Fn::Log: return in_blocks(log_##suffix, x, y, n);         \
    case Fn::Log1p: return in_blocks(log1p_##suffix, x, y, n);     \
    case Fn::Expm1: return in_blocks(expm1_##suffix, x, y, n);     \
    case Fn::Sin: return in_blocks(sin_##suffix, x, y, n);         \
    case Fn::Cos: return in_blocks(cos_##suffix, x, y, n);         \
    case Fn::Tan: return in_blocks(tan_##suffix, x, y, n);         \
    case Fn::Tanh: return in_blocks(tanh_##suffix, x, y, n);       \
    case Fn::Sigmoid: return in_blocks(sigmoid_##suffix, x, y, n); \
    case Fn::Arcsin: return in_blocks(asin_##suffix, x, y, n);     \
    case Fn::Arccos: return in_blocks(acos_##suffix, x, y, n);     \
    case Fn::Arctan: return in_blocks(atan_##suffix, x, y, n);     \
    case Fn::Sinh: return in_blocks(sinh_##suffix, x, y, n);       \
    case Fn::Cosh: return in_blocks(cosh_##suffix, x, y, n);       \
    case Fn::Arcsinh: return in_blocks(asinh_##suffix, x, y, n);   \
    case Fn::Arccosh: return in_blocks(acosh_##suffix, x, y, n);   \
    case Fn::Arctanh: return in_blocks(atanh_##suffix, x, y, n);   \
    case Fn::Log2: return in_blocks(log2_##suffix, x, y, n);       \
    case Fn::Log10: return in_blocks(log10_##suffix, x, y, n);     \
    case Fn::Exp2: return in_blocks(exp2_##suffix, x, y, n);       \
  }

void apply(Fn f, const double* x, double* y, int64_t n) { PYJAC_DISPATCH(d) }
void apply(Fn f, const float* x, float* y, int64_t n) { PYJAC_DISPATCH(f) }

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

#define PYJAC_RLOOP(name, T, builtin)                                               \
  PYJAC_ROUND_CLONES void name(const T* __restrict x, T* __restrict y, int64_t n) { \
    for (int64_t i = 0; i < n; ++i) y[i] = builtin(x[i]);                           \
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

#define PYJAC_DISPATCH(suffix)                           \
  switch (f) {                                           \
    case RoundFn::Floor: return floor_##suffix(x, y, n); \
    case RoundFn::Ceil: return ceil_##suffix(x, y, n);   \
    case RoundFn::Trunc: return trunc_##suffix(x, y, n); \
    case RoundFn::Rint: return rint_##suffix(x, y, n);   \
  }

void apply(RoundFn f, const double* x, double* y, int64_t n) { PYJAC_DISPATCH(d) }
void apply(RoundFn f, const float* x, float* y, int64_t n) { PYJAC_DISPATCH(f) }

#undef PYJAC_DISPATCH

}  // namespace pyjac::kernels::vmath
