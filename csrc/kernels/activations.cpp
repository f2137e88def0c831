// Activation and softmax kernels. Each function and its first derivative is one fused pass over
// contiguous memory, vectorised over glibc's libmvec like vector_math.cpp (and, like it, compiled
// without LTO so the SIMD declarations and per-ISA clones survive; see CMakeLists.txt).
// Every formula is written so that no intermediate overflows for finite inputs: exp only ever
// sees -|z|, and saturated branches multiply by exact zeros, never by inf.
#include "kernels/activations.h"

#include <cmath>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/loop.h"

#include "kernels/simd.h"

namespace pyjac::kernels {

namespace {

// The C names the vectoriser knows SIMD variants of, by type.
inline double v_exp(double v) { return ::exp(v); }
inline float v_exp(float v) { return ::expf(v); }
inline double v_expm1(double v) { return ::expm1(v); }
inline float v_expm1(float v) { return ::expm1f(v); }
inline double v_log1p(double v) { return ::log1p(v); }
inline float v_log1p(float v) { return ::log1pf(v); }
inline double v_erf(double v) { return ::erf(v); }
inline float v_erf(float v) { return ::erff(v); }
inline double v_erfc(double v) { return ::erfc(v); }
inline float v_erfc(float v) { return ::erfcf(v); }

constexpr double kTwoOverSqrtPi = 1.1283791670955125739;  // erf'(0)
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // the normal density at 0
constexpr double kSqrt2OverPi = 0.79788456080286535588;  // gelu's tanh form: tanh(k (x + c x^3))
constexpr double kGeluC = 0.044715;

// exp(-|v|) is at most 1, so neither branch overflows.
template <class T>
inline T sigmoid(T v) {
  const T e = v_exp(-std::fabs(v));
  return (v >= T(0) ? T(1) : e) / (T(1) + e);
}

// ---- f(v; a, b) and f'(v; a, b) -----------------------------------------------------------------
template <class T>
inline T erf_f(T v, T, T) {
  return v_erf(v);
}
template <class T>
inline T erf_d(T v, T, T) {
  return T(kTwoOverSqrtPi) * v_exp(-v * v);
}

// softplus(v) = log(1 + exp(beta v)) / beta = (max(z, 0) + log1p(exp(-|z|))) / beta with z = beta v;
// linear (v itself) where z > threshold, as in PyTorch.
template <class T>
inline T softplus_f(T v, T beta, T threshold) {
  const T z = beta * v;
  return z > threshold ? v : ((z > T(0) ? z : T(0)) + v_log1p(v_exp(-std::fabs(z)))) / beta;
}
template <class T>
inline T softplus_d(T v, T beta, T threshold) {
  const T z = beta * v;
  return z > threshold ? T(1) : sigmoid(z);
}

// gelu(v) = v Phi(v) with Phi(v) = erfc(-v / sqrt 2) / 2 (erfc keeps the left tail accurate).
template <class T>
inline T gelu_f(T v, T, T) {
  return T(0.5) * v * v_erfc(-v * T(kInvSqrt2));
}
template <class T>
inline T gelu_d(T v, T, T) {
  return T(0.5) * v_erfc(-v * T(kInvSqrt2)) + v * T(kInvSqrt2Pi) * v_exp(T(-0.5) * v * v);
}

// The tanh form v (1 + tanh u) / 2 = v sigmoid(2u), u = k (v + c v^3): the sigmoid form has no
// cancellation for negative v.
template <class T>
inline T gelu_tanh_f(T v, T, T) {
  return v * sigmoid(T(2 * kSqrt2OverPi) * v * (T(1) + T(kGeluC) * v * v));
}
template <class T>
inline T gelu_tanh_d(T v, T, T) {
  const T s = sigmoid(T(2 * kSqrt2OverPi) * v * (T(1) + T(kGeluC) * v * v));
  const T du2 = T(2 * kSqrt2OverPi) * (T(1) + T(3 * kGeluC) * v * v);  // d(2u)/dv
  return s + v * (s * (T(1) - s)) * du2;
}

// The slope on the negative side includes 0, as in PyTorch: leaky_relu'(0) = negative_slope.
template <class T>
inline T leaky_relu_f(T v, T slope, T) {
  return v > T(0) ? v : slope * v;
}
template <class T>
inline T leaky_relu_d(T v, T slope, T) {
  return v > T(0) ? T(1) : slope;
}

template <class T>
inline T elu_f(T v, T alpha, T) {
  return v > T(0) ? v : alpha * v_expm1(v);
}
template <class T>
inline T elu_d(T v, T alpha, T) {
  return v > T(0) ? T(1) : alpha * v_exp(v);
}

template <class T>
inline T silu_f(T v, T, T) {
  return v * sigmoid(v);
}
template <class T>
inline T silu_d(T v, T, T) {
  const T s = sigmoid(v);
  return s * (T(1) + v * (T(1) - s));
}

// ---- loops, one per (function, type), each cloned per instruction set ---------------------------
#define PYJAC_ACT_LOOPS(fn, T, sfx)                                                                                \
  PYJAC_CLONES void fn##_fwd_##sfx(const T* __restrict x, T* __restrict y, int64_t n, T a, T b) {                  \
    _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) y[i] = fn##_f<T>(x[i], a, b);                              \
  }                                                                                                                \
  PYJAC_CLONES void fn##_grad_##sfx(const T* __restrict g, bool g_uniform, const T* __restrict x, T* __restrict y, \
                                    int64_t n, T a, T b) {                                                         \
    if (g_uniform) {                                                                                               \
      const T d = g[0];                                                                                            \
      _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) y[i] = d * fn##_d<T>(x[i], a, b);                        \
    } else {                                                                                                       \
      _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) y[i] = g[i] * fn##_d<T>(x[i], a, b);                     \
    }                                                                                                              \
  }
#define PYJAC_ACT_BOTH(fn) PYJAC_ACT_LOOPS(fn, double, d) PYJAC_ACT_LOOPS(fn, float, f)

PYJAC_ACT_BOTH(erf)
PYJAC_ACT_BOTH(softplus)
PYJAC_ACT_BOTH(gelu)
PYJAC_ACT_BOTH(gelu_tanh)
PYJAC_ACT_BOTH(leaky_relu)
PYJAC_ACT_BOTH(elu)
PYJAC_ACT_BOTH(silu)

#undef PYJAC_ACT_BOTH
#undef PYJAC_ACT_LOOPS

template <class T>
struct Loops {
  void (*fwd)(const T*, T*, int64_t, T, T);
  void (*grad)(const T*, bool, const T*, T*, int64_t, T, T);
};

#define PYJAC_ACT_CASE(e, fn)                \
  case Activation::e:                        \
    if constexpr (std::is_same_v<T, double>) \
      return {fn##_fwd_d, fn##_grad_d};      \
    else                                     \
      return {fn##_fwd_f, fn##_grad_f};

template <class T>
Loops<T> loops(Activation f) {
  switch (f) {
    PYJAC_ACT_CASE(Erf, erf)
    PYJAC_ACT_CASE(Softplus, softplus)
    PYJAC_ACT_CASE(Gelu, gelu)
    PYJAC_ACT_CASE(GeluTanh, gelu_tanh)
    PYJAC_ACT_CASE(LeakyRelu, leaky_relu)
    PYJAC_ACT_CASE(Elu, elu)
    PYJAC_ACT_CASE(Silu, silu)
  }
  throw ValueError("activation: unknown function");
}
#undef PYJAC_ACT_CASE

// ---- softmax --------------------------------------------------------------------------------------
// Along the last axis: `rows` contiguous rows of length n. A NaN anywhere in a row makes the whole
// row NaN (it reaches the sum), as in PyTorch. log_softmax is (x - max) - log(sum), in that order:
// x - max is exact near the max, where x - (max + log(sum)) would round at the scale of x.
#define PYJAC_SOFTMAX_ROWS(T, sfx)                                                                                  \
  PYJAC_CLONES void softmax_rows_##sfx(const T* __restrict x, T* __restrict y, int64_t rows, int64_t n, bool log) { \
    for (int64_t r = 0; r < rows; ++r, x += n, y += n) {                                                            \
      T m = -INFINITY;                                                                                              \
      _Pragma("omp simd reduction(max : m)") for (int64_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;               \
      T s = 0;                                                                                                      \
      if (log) {                                                                                                    \
        _Pragma("omp simd reduction(+ : s)") for (int64_t i = 0; i < n; ++i) s += v_exp(x[i] - m);                  \
        const T log_s = std::log(s);                                                                                \
        _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) - log_s;                              \
      } else {                                                                                                      \
        _Pragma("omp simd reduction(+ : s)") for (int64_t i = 0; i < n; ++i) {                                      \
          const T e = v_exp(x[i] - m);                                                                              \
          y[i] = e;                                                                                                 \
          s += e;                                                                                                   \
        }                                                                                                           \
        const T inv = T(1) / s;                                                                                     \
        _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) y[i] *= inv;                                            \
      }                                                                                                             \
    }                                                                                                               \
  }

// Along an inner axis: `outer` blocks of n rows of `inner` contiguous elements, reduced across the
// rows (so every pass runs along contiguous memory). m and s are scratch of length inner.
#define PYJAC_SOFTMAX_COLS(T, sfx)                                                                       \
  PYJAC_CLONES void softmax_cols_##sfx(const T* __restrict x, T* __restrict y, int64_t outer, int64_t n, \
                                       int64_t inner, bool log, T* __restrict m, T* __restrict s) {      \
    for (int64_t o = 0; o < outer; ++o, x += n * inner, y += n * inner) {                                \
      for (int64_t k = 0; k < inner; ++k) m[k] = -INFINITY, s[k] = 0;                                    \
      for (int64_t j = 0; j < n; ++j) {                                                                  \
        const T* xj = x + j * inner;                                                                     \
        _Pragma("omp simd") for (int64_t k = 0; k < inner; ++k) m[k] =                                   \
            (xj[k] > m[k] || xj[k] != xj[k]) ? xj[k] : m[k];                                             \
      }                                                                                                  \
      for (int64_t j = 0; j < n; ++j) {                                                                  \
        const T* xj = x + j * inner;                                                                     \
        T* yj = y + j * inner;                                                                           \
        if (log) {                                                                                       \
          _Pragma("omp simd") for (int64_t k = 0; k < inner; ++k) s[k] += v_exp(xj[k] - m[k]);           \
        } else {                                                                                         \
          _Pragma("omp simd") for (int64_t k = 0; k < inner; ++k) {                                      \
            const T e = v_exp(xj[k] - m[k]);                                                             \
            yj[k] = e;                                                                                   \
            s[k] += e;                                                                                   \
          }                                                                                              \
        }                                                                                                \
      }                                                                                                  \
      if (log) {                                                                                         \
        for (int64_t k = 0; k < inner; ++k) s[k] = std::log(s[k]);                                       \
        for (int64_t j = 0; j < n; ++j) {                                                                \
          const T* xj = x + j * inner;                                                                   \
          T* yj = y + j * inner;                                                                         \
          _Pragma("omp simd") for (int64_t k = 0; k < inner; ++k) yj[k] = (xj[k] - m[k]) - s[k];         \
        }                                                                                                \
      } else {                                                                                           \
        for (int64_t k = 0; k < inner; ++k) s[k] = T(1) / s[k];                                          \
        for (int64_t j = 0; j < n; ++j) {                                                                \
          T* yj = y + j * inner;                                                                         \
          _Pragma("omp simd") for (int64_t k = 0; k < inner; ++k) yj[k] *= s[k];                         \
        }                                                                                                \
      }                                                                                                  \
    }                                                                                                    \
  }

// The backward, same layouts: g and y the cotangent and the forward output, o the result.
#define PYJAC_SOFTMAX_GRAD_ROWS(T, sfx)                                                                    \
  PYJAC_CLONES void softmax_grad_rows_##sfx(const T* __restrict g, const T* __restrict y, T* __restrict o, \
                                            int64_t rows, int64_t n, bool log) {                           \
    for (int64_t r = 0; r < rows; ++r, g += n, y += n, o += n) {                                           \
      T s = 0;                                                                                             \
      if (log) {                                                                                           \
        _Pragma("omp simd reduction(+ : s)") for (int64_t i = 0; i < n; ++i) s += g[i];                    \
        _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) o[i] = g[i] - v_exp(y[i]) * s;                 \
      } else {                                                                                             \
        _Pragma("omp simd reduction(+ : s)") for (int64_t i = 0; i < n; ++i) s += g[i] * y[i];             \
        _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) o[i] = y[i] * (g[i] - s);                      \
      }                                                                                                    \
    }                                                                                                      \
  }
#define PYJAC_SOFTMAX_GRAD_COLS(T, sfx)                                                                           \
  PYJAC_CLONES void softmax_grad_cols_##sfx(const T* __restrict g, const T* __restrict y, T* __restrict o,        \
                                            int64_t outer, int64_t n, int64_t inner, bool log, T* __restrict s) { \
    const int64_t block = n * inner;                                                                              \
    for (int64_t b = 0; b < outer; ++b, g += block, y += block, o += block) {                                     \
      for (int64_t k = 0; k < inner; ++k) s[k] = 0;                                                               \
      for (int64_t j = 0; j < n; ++j) {                                                                           \
        const T* gj = g + j * inner;                                                                              \
        const T* yj = y + j * inner;                                                                              \
        if (log) {                                                                                                \
          _Pragma("omp simd") for (int64_t k = 0; k < inner; ++k) s[k] += gj[k];                                  \
        } else {                                                                                                  \
          _Pragma("omp simd") for (int64_t k = 0; k < inner; ++k) s[k] += gj[k] * yj[k];                          \
        }                                                                                                         \
      }                                                                                                           \
      for (int64_t j = 0; j < n; ++j) {                                                                           \
        const T* gj = g + j * inner;                                                                              \
        const T* yj = y + j * inner;                                                                              \
        T* oj = o + j * inner;                                                                                    \
        if (log) {                                                                                                \
          _Pragma("omp simd") for (int64_t k = 0; k < inner; ++k) oj[k] = gj[k] - v_exp(yj[k]) * s[k];            \
        } else {                                                                                                  \
          _Pragma("omp simd") for (int64_t k = 0; k < inner; ++k) oj[k] = yj[k] * (gj[k] - s[k]);                 \
        }                                                                                                         \
      }                                                                                                           \
    }                                                                                                             \
  }

PYJAC_SOFTMAX_GRAD_ROWS(double, d)
PYJAC_SOFTMAX_GRAD_ROWS(float, f)
PYJAC_SOFTMAX_GRAD_COLS(double, d)
PYJAC_SOFTMAX_GRAD_COLS(float, f)

#undef PYJAC_SOFTMAX_GRAD_ROWS
#undef PYJAC_SOFTMAX_GRAD_COLS

PYJAC_SOFTMAX_ROWS(double, d)
PYJAC_SOFTMAX_ROWS(float, f)
PYJAC_SOFTMAX_COLS(double, d)
PYJAC_SOFTMAX_COLS(float, f)

#undef PYJAC_SOFTMAX_ROWS
#undef PYJAC_SOFTMAX_COLS

Tensor as_float(const Tensor& x, DType d) { return x.dtype() == d ? contiguous(x) : cast(x, d); }

// x's shape is the tail of `shape`: broadcasting x to it repeats x's memory as a block.
bool is_tail_of(const Shape& x, const Shape& shape) {
  if (x.size() > shape.size()) return false;
  return std::equal(x.begin(), x.end(), shape.end() - int64_t(x.size()));
}

// t broadcast to `shape` and laid out contiguously (a copy only when t isn't that already).
Tensor materialize(const Tensor& t, const Shape& shape) {
  if (t.shape() == shape && t.is_contiguous()) return t;
  Tensor out = empty(shape, t.dtype());
  copy_into(out, t);
  return out;
}

}  // namespace

Tensor activation(Activation f, const Tensor& x_in, double p0, double p1) {
  const DType od = float_result(x_in.dtype());
  Tensor x = as_float(x_in, od);
  Tensor out = empty(x.shape(), od);
  const int64_t n = x.numel();
  if (od == DType::Float64)
    loops<double>(f).fwd(x.data<double>(), out.data<double>(), n, p0, p1);
  else
    loops<float>(f).fwd(x.data<float>(), out.data<float>(), n, float(p0), float(p1));
  return out;
}

Tensor activation_grad(Activation f, const Tensor& g_in, const Tensor& x_in, double p0, double p1) {
  const Shape shape = broadcast_shapes(g_in.shape(), x_in.shape(), "activation backward");
  const DType od = float_result(promote(g_in.dtype(), x_in.dtype()));
  Tensor out = empty(shape, od);
  const int64_t n = out.numel();
  if (n == 0) return out;
  Tensor g = g_in.dtype() == od ? g_in : cast(g_in, od);
  const bool g_uniform = is_uniform(g);
  if (!g_uniform) g = materialize(g, shape);
  Tensor x = as_float(x_in, od);
  // x repeats as a block under g's batch dims, or is spread out once when broadcast otherwise.
  if (!is_tail_of(x.shape(), shape)) x = materialize(x, shape);
  const int64_t block = x.numel();
  dispatch_float(od, "activation backward", [&](auto tag) {
    using T = decltype(tag);
    auto grad = loops<T>(f).grad;
    const T* pg = g.data<T>();
    const T* px = x.data<T>();
    T* po = out.data<T>();
    for (int64_t off = 0; off < n; off += block)
      grad(g_uniform ? pg : pg + off, g_uniform, px, po + off, block, T(p0), T(p1));
  });
  return out;
}

Tensor softmax(const Tensor& x_in, int64_t axis, bool log) {
  const DType od = float_result(x_in.dtype());
  Tensor x = as_float(x_in, od);
  Tensor out = empty(x.shape(), od);
  if (x.numel() == 0) return out;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.shape()[d];
  for (int64_t d = axis + 1; d < x.ndim(); ++d) inner *= x.shape()[d];
  const int64_t n = x.shape()[axis];
  dispatch_float(od, "softmax", [&](auto tag) {
    using T = decltype(tag);
    if (inner == 1) {
      if constexpr (std::is_same_v<T, double>)
        softmax_rows_d(x.data<T>(), out.data<T>(), outer, n, log);
      else
        softmax_rows_f(x.data<T>(), out.data<T>(), outer, n, log);
    } else {
      std::vector<T> m(static_cast<size_t>(inner)), s(static_cast<size_t>(inner));
      if constexpr (std::is_same_v<T, double>)
        softmax_cols_d(x.data<T>(), out.data<T>(), outer, n, inner, log, m.data(), s.data());
      else
        softmax_cols_f(x.data<T>(), out.data<T>(), outer, n, inner, log, m.data(), s.data());
    }
  });
  return out;
}

Tensor softmax_grad(const Tensor& g_in, const Tensor& y_in, int64_t axis, bool log) {
  const Shape shape = broadcast_shapes(g_in.shape(), y_in.shape(), log ? "log_softmax backward" : "softmax backward");
  const DType od = float_result(promote(g_in.dtype(), y_in.dtype()));
  Tensor out = empty(shape, od);
  if (out.numel() == 0) return out;
  // Both operands laid out as the result (y is spread over g's batch dims when they differ).
  Tensor g = materialize(g_in.dtype() == od ? g_in : cast(g_in, od), shape);
  Tensor y = materialize(y_in.dtype() == od ? y_in : cast(y_in, od), shape);
  const int64_t nd = int64_t(shape.size()), ax = nd + axis;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < ax; ++d) outer *= shape[d];
  for (int64_t d = ax + 1; d < nd; ++d) inner *= shape[d];
  const int64_t n = shape[ax];
  dispatch_float(od, "softmax backward", [&](auto tag) {
    using T = decltype(tag);
    const T* pg = g.data<T>();
    const T* py = y.data<T>();
    T* po = out.data<T>();
    if (inner == 1) {
      if constexpr (std::is_same_v<T, double>)
        softmax_grad_rows_d(pg, py, po, outer, n, log);
      else
        softmax_grad_rows_f(pg, py, po, outer, n, log);
    } else {
      std::vector<T> s(static_cast<size_t>(inner));
      if constexpr (std::is_same_v<T, double>)
        softmax_grad_cols_d(pg, py, po, outer, n, inner, log, s.data());
      else
        softmax_grad_cols_f(pg, py, po, outer, n, inner, log, s.data());
    }
  });
  return out;
}

}  // namespace pyjac::kernels
