#include "kernels/vector_math.h"

#include <cmath>

#include "kernels/simd.h"

namespace pyjac::kernels::vmath {

namespace {

// One loop per (function, type), each cloned per instruction set.
#define PYJAC_VLOOP(name, T, expr)                                     \
  PYJAC_CLONES void name(const T* __restrict x, T* __restrict y, int64_t n) { \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) {              \
      const T v = x[i];                                                \
      y[i] = (expr);                                                   \
    }                                                                  \
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

#undef PYJAC_VLOOP

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

#define PYJAC_DISPATCH(suffix)                                        \
  switch (f) {                                                        \
    case Fn::Exp: return in_blocks(exp_##suffix, x, y, n);            \
    case Fn::Log: return in_blocks(log_##suffix, x, y, n);            \
    case Fn::Log1p: return in_blocks(log1p_##suffix, x, y, n);        \
    case Fn::Expm1: return in_blocks(expm1_##suffix, x, y, n);        \
    case Fn::Sin: return in_blocks(sin_##suffix, x, y, n);            \
    case Fn::Cos: return in_blocks(cos_##suffix, x, y, n);            \
    case Fn::Tan: return in_blocks(tan_##suffix, x, y, n);            \
    case Fn::Tanh: return in_blocks(tanh_##suffix, x, y, n);          \
    case Fn::Sigmoid: return in_blocks(sigmoid_##suffix, x, y, n);    \
  }

void apply(Fn f, const double* x, double* y, int64_t n) { PYJAC_DISPATCH(d) }
void apply(Fn f, const float* x, float* y, int64_t n) { PYJAC_DISPATCH(f) }

#undef PYJAC_DISPATCH

}  // namespace pyjac::kernels::vmath
