// Elementwise kernels for the math functions beyond the unary ops: the inverse trigonometric and
// hyperbolic functions, log2 / log10 / exp2, reciprocal, rounding, arctan2, and NumPy's mod and
// floor division. Contiguous float inputs of the transcendental functions and of rounding go
// through the vectorised loops of vector_math; everything else is a plain loop.
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/kernels.h"
#include "kernels/loop.h"
#include "kernels/vector_math.h"

namespace pyjac::kernels {

namespace {

std::optional<vmath::RoundFn> rounding_fn(MathFn op) {
  switch (op) {
    case MathFn::Floor: return vmath::RoundFn::Floor;
    case MathFn::Ceil: return vmath::RoundFn::Ceil;
    case MathFn::Trunc: return vmath::RoundFn::Trunc;
    default: return std::nullopt;
  }
}

std::optional<vmath::Fn> vector_fn(MathFn op) {
  switch (op) {
    case MathFn::Arcsin: return vmath::Fn::Arcsin;
    case MathFn::Arccos: return vmath::Fn::Arccos;
    case MathFn::Arctan: return vmath::Fn::Arctan;
    case MathFn::Sinh: return vmath::Fn::Sinh;
    case MathFn::Cosh: return vmath::Fn::Cosh;
    case MathFn::Arcsinh: return vmath::Fn::Arcsinh;
    case MathFn::Arccosh: return vmath::Fn::Arccosh;
    case MathFn::Arctanh: return vmath::Fn::Arctanh;
    case MathFn::Log2: return vmath::Fn::Log2;
    case MathFn::Log10: return vmath::Fn::Log10;
    case MathFn::Exp2: return vmath::Fn::Exp2;
    default: return std::nullopt;
  }
}

template <class T>
T transcendental(MathFn op, T v) {
  switch (op) {
    case MathFn::Arcsin: return std::asin(v);
    case MathFn::Arccos: return std::acos(v);
    case MathFn::Arctan: return std::atan(v);
    case MathFn::Sinh: return std::sinh(v);
    case MathFn::Cosh: return std::cosh(v);
    case MathFn::Arcsinh: return std::asinh(v);
    case MathFn::Arccosh: return std::acosh(v);
    case MathFn::Arctanh: return std::atanh(v);
    case MathFn::Log2: return std::log2(v);
    case MathFn::Log10: return std::log10(v);
    case MathFn::Exp2: return std::exp2(v);
    case MathFn::Cbrt: return std::cbrt(v);
    case MathFn::Sinc: {
      const T y = T(M_PI) * v;  // NumPy's: sin(y) / y, 1 at 0
      return v == T(0) ? T(1) : std::sin(y) / y;
    }
    default: return v;
  }
}

// NumPy's power_of_ten (multiplied out past 1e8, so rounding matches NumPy's for large decimals).
// Past about 1e308 it is inf and stays inf: stop there, or decimals=2**40 loops for minutes.
double power_of_ten(int64_t n) {
  static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
  if (n < 9) return p10[n];
  double r = 1e9;
  while (n-- > 9 && r != HUGE_VAL) r *= 10.0;
  return r;
}

// NumPy's npy_remainder: fmod moved to the divisor's sign; a zero result takes the divisor's sign.
template <class T>
T float_mod(T a, T b) {
  T mod = std::fmod(a, b);
  if (b == T(0)) return mod;
  if (mod != T(0)) {
    if ((b < T(0)) != (mod < T(0))) mod += b;
  } else {
    mod = std::copysign(T(0), b);
  }
  return mod;
}

// NumPy's floor division (npy_divmod): the quotient that goes with float_mod, exact where
// floor(a / b) would round (a / b can round up to an integer the true quotient doesn't reach).
template <class T>
T float_floordiv(T a, T b) {
  if (b == T(0)) return a / b;
  const T mod = std::fmod(a, b);
  T div = (a - mod) / b;
  if (mod != T(0) && (b < T(0)) != (mod < T(0))) div -= T(1);
  if (div == T(0)) return std::copysign(T(0), a / b);
  T q = std::floor(div);
  if (div - q > T(0.5)) q += T(1);
  return q;
}

// NumPy's npy_logaddexp: equal arguments (infinities too) give a + log 2; otherwise the larger
// plus log1p of the smaller's share; NaN stays NaN.
template <class T>
T logaddexp(T a, T b) {
  if (a == b) return a + T(M_LN2);
  const T d = a - b;
  if (d > 0) return a + std::log1p(std::exp(-d));
  if (d <= 0) return b + std::log1p(std::exp(d));
  return d;
}

template <class T>
T logaddexp2(T a, T b) {
  if (a == b) return a + T(1);
  const T d = a - b;
  if (d > 0) return a + std::log1p(std::exp2(-d)) * T(M_LOG2E);
  if (d <= 0) return b + std::log1p(std::exp2(d)) * T(M_LOG2E);
  return d;
}

int64_t int_floordiv(int64_t a, int64_t b) {
  if (b == 0) return 0;                          // NumPy: 0 (with a warning)
  if (b == -1) return int64_t(0) - uint64_t(a);  // INT64_MIN // -1 wraps, as NumPy
  int64_t q = a / b;
  if (a % b != 0 && (a < 0) != (b < 0)) --q;
  return q;
}

int64_t int_mod(int64_t a, int64_t b) {
  if (b == 0 || b == -1) return 0;  // NumPy's x % 0 is 0; -1 avoids INT64_MIN % -1 trapping
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

}  // namespace

Tensor math_fn(MathFn op, const Tensor& x_in) {
  const DType in = x_in.dtype();
  DType od;
  switch (op) {
    case MathFn::Floor:
    case MathFn::Ceil:
    case MathFn::Trunc: od = in; break;
    case MathFn::Reciprocal: od = in == DType::Bool ? DType::Int64 : in; break;
    default: od = float_result(in);
  }
  Tensor x = as_dtype(x_in, od);
  Tensor out = empty(x.shape(), od);
  if (auto f = vector_fn(op); f && x.is_contiguous()) {
    if (od == DType::Float64)
      vmath::apply(*f, x.data<double>(), out.data<double>(), x.numel());
    else
      vmath::apply(*f, x.data<float>(), out.data<float>(), x.numel());
    return out;
  }
  if (auto f = rounding_fn(op); f && is_floating(od) && x.is_contiguous()) {
    if (od == DType::Float64)
      vmath::apply(*f, x.data<double>(), out.data<double>(), x.numel());
    else
      vmath::apply(*f, x.data<float>(), out.data<float>(), x.numel());
    return out;
  }
  dispatch(od, [&](auto tag) {
    using T = decltype(tag);
    auto run = [&](auto f) { map_unary<T, T>(out, x, f); };
    if constexpr (std::is_floating_point_v<T>) {
      switch (op) {
        case MathFn::Floor: return run([](T v) -> T { return std::floor(v); });
        case MathFn::Ceil: return run([](T v) -> T { return std::ceil(v); });
        case MathFn::Trunc: return run([](T v) -> T { return std::trunc(v); });
        case MathFn::Reciprocal: return run([](T v) -> T { return T(1) / v; });
        default: return run([op](T v) -> T { return transcendental(op, v); });
      }
    } else if constexpr (std::is_same_v<T, int64_t>) {
      if (op == MathFn::Reciprocal)
        return run([](T v) -> T { return v == 0 ? std::numeric_limits<T>::min() : T(1) / v; });
      return run([](T v) -> T { return v; });  // floor, ceil, trunc of an integer
    } else {
      return run([](T v) -> T { return v; });
    }
  });
  return out;
}

Tensor round(const Tensor& x, int64_t decimals) {
  const DType od = x.dtype();
  Tensor out = empty(x.shape(), od);
  dispatch(od, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      if (decimals == 0 && x.is_contiguous())
        return vmath::apply(vmath::RoundFn::Rint, x.data<T>(), out.data<T>(), x.numel());
      if (decimals == 0) return map_unary<T, T>(out, x, [](T v) -> T { return std::nearbyint(v); });
      const T f = static_cast<T>(power_of_ten(decimals > 0 ? decimals : -decimals));
      if (decimals > 0) return map_unary<T, T>(out, x, [f](T v) -> T { return std::nearbyint(v * f) / f; });
      return map_unary<T, T>(out, x, [f](T v) -> T { return std::nearbyint(v / f) * f; });
    } else {
      if (decimals >= 0) return map_unary<T, T>(out, x, [](T v) -> T { return v; });
      // NumPy rounds integers to negative decimals in float64 and casts back.
      const double f = power_of_ten(-decimals);
      return map_unary<T, T>(out, x, [f](T v) -> T { return static_cast<T>(std::nearbyint(double(v) / f) * f); });
    }
  });
  return out;
}

Tensor math_fn2(MathFn2 op, const Tensor& a_in, const Tensor& b_in, const char* op_name) {
  const Shape shape = broadcast_shapes(a_in.shape(), b_in.shape(), op_name);
  const DType common = promote(a_in.dtype(), b_in.dtype());
  DType od;
  switch (op) {
    case MathFn2::Arctan2:
    case MathFn2::LogAddExp:
    case MathFn2::LogAddExp2:
    case MathFn2::Hypot: od = float_result(common); break;
    case MathFn2::Fmax:
    case MathFn2::Fmin: od = common; break;
    default: od = common == DType::Bool ? DType::Int64 : common;
  }
  Tensor a = as_dtype(a_in, od), b = as_dtype(b_in, od);
  Tensor out = empty(shape, od, op_name);
  if (op == MathFn2::Arctan2 && a.shape() == shape && b.shape() == shape && a.is_contiguous() && b.is_contiguous()) {
    if (od == DType::Float64)
      vmath::arctan2(a.data<double>(), b.data<double>(), out.data<double>(), out.numel());
    else
      vmath::arctan2(a.data<float>(), b.data<float>(), out.data<float>(), out.numel());
    return out;
  }
  dispatch(od, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      switch (op) {
        case MathFn2::Arctan2: return map_binary<T, T, T>(out, a, b, [](T y, T x) -> T { return std::atan2(y, x); });
        case MathFn2::LogAddExp: return map_binary<T, T, T>(out, a, b, [](T u, T v) -> T { return logaddexp(u, v); });
        case MathFn2::LogAddExp2: return map_binary<T, T, T>(out, a, b, [](T u, T v) -> T { return logaddexp2(u, v); });
        case MathFn2::Hypot: return map_binary<T, T, T>(out, a, b, [](T u, T v) -> T { return std::hypot(u, v); });
        case MathFn2::Fmax: return map_binary<T, T, T>(out, a, b, [](T u, T v) -> T { return std::fmax(u, v); });
        case MathFn2::Fmin: return map_binary<T, T, T>(out, a, b, [](T u, T v) -> T { return std::fmin(u, v); });
        default: break;
      }
      if (op == MathFn2::FloorDiv)
        return map_binary<T, T, T>(out, a, b, [](T u, T v) -> T { return float_floordiv(u, v); });
      return map_binary<T, T, T>(out, a, b, [](T u, T v) -> T { return float_mod(u, v); });
    } else {
      // integers and bools (fmax / fmin only; the float ops cast them to float above)
      if (op == MathFn2::Fmax) return map_binary<T, T, T>(out, a, b, [](T u, T v) -> T { return u < v ? v : u; });
      if (op == MathFn2::Fmin) return map_binary<T, T, T>(out, a, b, [](T u, T v) -> T { return v < u ? v : u; });
      if constexpr (std::is_same_v<T, int64_t>) {
        if (op == MathFn2::FloorDiv)
          return map_binary<T, T, T>(out, a, b, [](T u, T v) -> T { return int_floordiv(u, v); });
        return map_binary<T, T, T>(out, a, b, [](T u, T v) -> T { return int_mod(u, v); });
      } else {
        throw TypeError(std::string(op_name) + ": unsupported dtype bool");
      }
    }
  });
  return out;
}

}  // namespace pyjac::kernels
