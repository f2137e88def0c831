#include "kernels/vector_extrema.h"

#include <limits>

#include "kernels/simd.h"

namespace pyjac::kernels::vmath {

namespace {

#define PYJAC_PRAGMA(x) _Pragma(#x)

// The compare-and-select forms vectorise to max/min instructions; NaN is tracked on the side
// because those instructions drop it depending on the operand order.
#define PYJAC_EXTREMUM_OF(name, T, better)                          \
  PYJAC_CLONES T name(const T* __restrict x, int64_t n, T r) {      \
    T m = r;                                                        \
    int nan = r != r;                                               \
    PYJAC_PRAGMA(omp simd reduction(better : m) reduction(| : nan)) \
    for (int64_t i = 0; i < n; ++i) {                               \
      const T v = x[i];                                             \
      m = PYJAC_BETTER_##better(v, m) ? v : m;                      \
      nan |= v != v;                                                \
    }                                                               \
    return nan ? std::numeric_limits<T>::quiet_NaN() : m;           \
  }

#define PYJAC_EXTREMUM_INTO(name, T, better)                                  \
  PYJAC_CLONES void name(T* __restrict r, const T* __restrict x, int64_t n) { \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) {                     \
      const T v = x[i], c = r[i];                                             \
      r[i] = (PYJAC_BETTER_##better(v, c) || v != v) ? v : c;                 \
    }                                                                         \
  }

#define PYJAC_BETTER_max(v, m) ((v) > (m))
#define PYJAC_BETTER_min(v, m) ((v) < (m))

PYJAC_EXTREMUM_OF(max_of_d, double, max)
PYJAC_EXTREMUM_OF(max_of_f, float, max)
PYJAC_EXTREMUM_OF(min_of_d, double, min)
PYJAC_EXTREMUM_OF(min_of_f, float, min)
PYJAC_EXTREMUM_INTO(max_into_d, double, max)
PYJAC_EXTREMUM_INTO(max_into_f, float, max)
PYJAC_EXTREMUM_INTO(min_into_d, double, min)
PYJAC_EXTREMUM_INTO(min_into_f, float, min)

}  // namespace

double max_of(const double* x, int64_t n, double r) { return max_of_d(x, n, r); }
float max_of(const float* x, int64_t n, float r) { return max_of_f(x, n, r); }
double min_of(const double* x, int64_t n, double r) { return min_of_d(x, n, r); }
float min_of(const float* x, int64_t n, float r) { return min_of_f(x, n, r); }
void max_into(double* r, const double* x, int64_t n) { max_into_d(r, x, n); }
void max_into(float* r, const float* x, int64_t n) { max_into_f(r, x, n); }
void min_into(double* r, const double* x, int64_t n) { min_into_d(r, x, n); }
void min_into(float* r, const float* x, int64_t n) { min_into_f(r, x, n); }

}  // namespace pyjac::kernels::vmath
