// Elementwise kernels: unary math, binary arithmetic and comparisons with broadcasting, where,
// clip, dtype casts and strided copies.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "kernels/int_math.h"
#include "kernels/kernels.h"
#include "kernels/loop.h"
#include "kernels/vector_math.h"

namespace pyjac::kernels {

namespace {

template <class T>
T int_pow(T base, T exp) {
  if (exp < 0) throw ValueError("power: integers to negative integer powers are not allowed");
  T r = 1;
  while (exp) {
    if (exp & 1) r = wrap_mul(r, base);
    exp >>= 1;
    if (exp) base = wrap_mul(base, base);
  }
  return r;
}

// The arithmetic of one Binary op on values of type T (comparisons are handled separately).
template <class T, class F>
void with_arith(Binary op, F&& body) {
  switch (op) {
    case Binary::Add: return body([](T a, T b) -> T { return wrap_add(a, b); });
    case Binary::Sub: return body([](T a, T b) -> T { return wrap_sub(a, b); });
    case Binary::Mul: return body([](T a, T b) -> T { return wrap_mul(a, b); });
    case Binary::Div: return body([](T a, T b) -> T { return a / b; });
    case Binary::Pow:
      if constexpr (std::is_floating_point_v<T>)
        return body([](T a, T b) -> T { return std::pow(a, b); });
      else
        return body([](T a, T b) -> T { return int_pow<T>(a, b); });
    case Binary::Maximum: return body([](T a, T b) -> T { return (a > b || a != a) ? a : b; });
    case Binary::Minimum: return body([](T a, T b) -> T { return (a < b || a != a) ? a : b; });
    case Binary::TanhGrad: return body([](T a, T b) -> T { return a * (T(1) - b * b); });
    case Binary::SigmoidGrad: return body([](T a, T b) -> T { return a * (b * (T(1) - b)); });
    default: break;
  }
}

template <class T, class F>
void with_compare(Binary op, F&& body) {
  switch (op) {
    case Binary::Eq: return body([](T a, T b) -> bool { return a == b; });
    case Binary::Ne: return body([](T a, T b) -> bool { return a != b; });
    case Binary::Lt: return body([](T a, T b) -> bool { return a < b; });
    case Binary::Le: return body([](T a, T b) -> bool { return a <= b; });
    case Binary::Gt: return body([](T a, T b) -> bool { return a > b; });
    case Binary::Ge: return body([](T a, T b) -> bool { return a >= b; });
    default: break;
  }
}

// The unary ops with a vectorised contiguous loop in vector_math.
std::optional<vmath::Fn> vector_fn(Unary op) {
  switch (op) {
    case Unary::Exp: return vmath::Fn::Exp;
    case Unary::Log: return vmath::Fn::Log;
    case Unary::Log1p: return vmath::Fn::Log1p;
    case Unary::Expm1: return vmath::Fn::Expm1;
    case Unary::Sin: return vmath::Fn::Sin;
    case Unary::Cos: return vmath::Fn::Cos;
    case Unary::Tan: return vmath::Fn::Tan;
    case Unary::Tanh: return vmath::Fn::Tanh;
    case Unary::Sigmoid: return vmath::Fn::Sigmoid;
    default: return std::nullopt;
  }
}

bool is_comparison(Binary op) { return op >= Binary::Eq; }

// NumPy: on bools, + and maximum are logical or, * and minimum logical and; other arithmetic
// computes in int64.
bool is_logical_on_bool(Binary op) {
  return op == Binary::Add || op == Binary::Mul || op == Binary::Maximum || op == Binary::Minimum;
}

DType arith_dtype(Binary op, DType common) {
  if (op == Binary::Div) return float_result(common);
  if (common == DType::Bool && !is_logical_on_bool(op)) return DType::Int64;
  return common;
}

}  // namespace

Tensor unary(Unary op, const Tensor& x_in) {
  DType od;
  switch (op) {
    case Unary::Step:
    case Unary::Neg:
    case Unary::Square:
    case Unary::Relu:
    case Unary::Abs:
    case Unary::Sign: od = x_in.dtype() == DType::Bool ? DType::Int64 : x_in.dtype(); break;
    case Unary::LogicalNot: od = DType::Bool; break;
    default: od = float_result(x_in.dtype());
  }
  if (op == Unary::LogicalNot) {
    Tensor xb = as_dtype(x_in, DType::Bool);
    Tensor out = empty(x_in.shape(), DType::Bool);
    map_unary<bool, bool>(out, xb, [](bool v) { return !v; });
    return out;
  }
  Tensor x = as_dtype(x_in, od);
  Tensor out = empty(x.shape(), od);
  if (auto f = vector_fn(op); f && is_floating(od) && x.is_contiguous()) {
    parallel_for(x.numel(), [&](int64_t b, int64_t e) {
      if (od == DType::Float64)
        vmath::apply(*f, x.data<double>() + b, out.data<double>() + b, e - b);
      else
        vmath::apply(*f, x.data<float>() + b, out.data<float>() + b, e - b);
    });
    return out;
  }
  dispatch(od, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      throw TypeError("unary op on bool");
    } else {
      auto run = [&](auto f) { map_unary<T, T>(out, x, f); };
      switch (op) {
        case Unary::Neg: return run([](T v) -> T { return wrap_neg(v); });
        case Unary::Square: return run([](T v) -> T { return wrap_mul(v, v); });
        case Unary::Relu: return run([](T v) -> T { return (v > T(0) || v != v) ? v : T(0); });  // NaN stays NaN
        case Unary::Abs:
          if constexpr (std::is_floating_point_v<T>)
            return run([](T v) -> T { return std::fabs(v); });  // |-0| = +0
          else
            return run([](T v) -> T { return v < T(0) ? wrap_neg(v) : v; });  // |INT64_MIN| wraps, as NumPy
        case Unary::Sign:
          return run([](T v) -> T { return v > T(0) ? T(1) : (v < T(0) ? T(-1) : (v == T(0) ? T(0) : v)); });
        // NaN stays NaN: relu's gradient at a NaN input must not silently be 0.
        case Unary::Step: return run([](T v) -> T { return v > T(0) ? T(1) : (v != v ? v : T(0)); });
        default: break;
      }
      if constexpr (std::is_floating_point_v<T>) {
        switch (op) {
          case Unary::Exp: return run([](T v) -> T { return std::exp(v); });
          case Unary::Log: return run([](T v) -> T { return std::log(v); });
          case Unary::Log1p: return run([](T v) -> T { return std::log1p(v); });
          case Unary::Expm1: return run([](T v) -> T { return std::expm1(v); });
          case Unary::Sqrt: return run([](T v) -> T { return std::sqrt(v); });
          case Unary::Sin: return run([](T v) -> T { return std::sin(v); });
          case Unary::Cos: return run([](T v) -> T { return std::cos(v); });
          case Unary::Tan: return run([](T v) -> T { return std::tan(v); });
          case Unary::Tanh: return run([](T v) -> T { return std::tanh(v); });
          case Unary::Sigmoid:
            return run([](T v) -> T {
              if (v >= T(0)) return T(1) / (T(1) + std::exp(-v));
              T e = std::exp(v);
              return e / (T(1) + e);
            });
          default: break;
        }
      }
      throw TypeError("unsupported unary op for dtype " + std::string(dtype_name(od)));
    }
  });
  return out;
}

Tensor binary(Binary op, const Tensor& a_in, const Tensor& b_in, const char* op_name) {
  Shape out_shape = broadcast_shapes(a_in.shape(), b_in.shape(), op_name);
  DType common = promote(a_in.dtype(), b_in.dtype());
  if (is_comparison(op)) {
    Tensor a = as_dtype(a_in, common), b = as_dtype(b_in, common);
    Tensor out = empty(out_shape, DType::Bool, op_name);
    dispatch(common, [&](auto tag) {
      using T = decltype(tag);
      with_compare<T>(op, [&](auto f) { map_binary<bool, T, T>(out, a, b, f); });
    });
    return out;
  }
  DType od = arith_dtype(op, common);
  Tensor a = as_dtype(a_in, od), b = as_dtype(b_in, od);
  // NumPy's fast path for a 0-d exponent of 0.5 (see binary_scalar): sqrt, so (-inf) ** 0.5 is NaN.
  if (op == Binary::Pow && b.ndim() == 0 && is_floating(od) && item_as_double(b) == 0.5) return unary(Unary::Sqrt, a);
  Tensor out = empty(out_shape, od, op_name);
  dispatch(od, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      if (op == Binary::Add || op == Binary::Maximum)
        map_binary<bool, bool, bool>(out, a, b, [](bool x, bool y) { return x || y; });
      else
        map_binary<bool, bool, bool>(out, a, b, [](bool x, bool y) { return x && y; });
    } else {
      with_arith<T>(op, [&](auto f) { map_binary<T, T, T>(out, a, b, f); });
    }
  });
  return out;
}

Tensor binary_scalar(Binary op, const Tensor& a, double s, bool scalar_first, DType od) {
  return binary_scalar(op, a, s, numeric_cast<int64_t>(s), scalar_first, od);
}

Tensor binary_scalar(Binary op, const Tensor& a_in, double s, int64_t s_int, bool scalar_first, DType od) {
  Tensor a = as_dtype(a_in, od);
  Tensor out = empty(a.shape(), od);
  dispatch(od, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      T sv;
      if constexpr (std::is_same_v<T, int64_t>)
        sv = s_int;
      else
        sv = static_cast<T>(s);
      if (!scalar_first && std::is_floating_point_v<T>) {
        // The common scalar operators get straight loops the compiler vectorises.
        if (op == Binary::Mul) return map_unary<T, T>(out, a, [sv](T v) -> T { return v * sv; });
        if (op == Binary::Add) return map_unary<T, T>(out, a, [sv](T v) -> T { return v + sv; });
        if (op == Binary::Pow && s == 2.0) return map_unary<T, T>(out, a, [](T v) -> T { return v * v; });
        // NumPy's scalar fast path too: x ** 0.5 is sqrt(x), so (-inf) ** 0.5 is NaN (pow says inf)
        if (op == Binary::Pow && s == 0.5) return map_unary<T, T>(out, a, [](T v) -> T { return std::sqrt(v); });
      }
      with_arith<T>(op, [&](auto f) {
        if (scalar_first)
          map_unary<T, T>(out, a, [&](T v) -> T { return f(sv, v); });
        else
          map_unary<T, T>(out, a, [&](T v) -> T { return f(v, sv); });
      });
    }
  });
  return out;
}

Tensor where(const Tensor& cond_in, const Tensor& a_in, const Tensor& b_in) {
  Shape shape = broadcast_shapes(broadcast_shapes(cond_in.shape(), a_in.shape(), "where"), b_in.shape(), "where");
  DType od = promote(a_in.dtype(), b_in.dtype());
  Tensor cond = as_dtype(cond_in, DType::Bool);
  Tensor a = as_dtype(a_in, od), b = as_dtype(b_in, od);
  Tensor out = empty(shape, od, "where");
  dispatch(od, [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    const bool* pc = cond.data<bool>();
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    nd_loop<4>(shape,
               {out.strides(), broadcast_strides(cond.shape(), cond.strides(), shape),
                broadcast_strides(a.shape(), a.strides(), shape), broadcast_strides(b.shape(), b.strides(), shape)},
               {0, 0, 0, 0}, [&](std::array<int64_t, 4> off, int64_t n, std::array<int64_t, 4> st) {
                 for (int64_t i = 0; i < n; ++i)
                   o[off[0] + i * st[0]] = pc[off[1] + i * st[1]] ? pa[off[2] + i * st[2]] : pb[off[3] + i * st[3]];
               });
  });
  return out;
}

Tensor clip(const Tensor& x, std::optional<double> lo, std::optional<double> hi) {
  DType od = x.dtype() == DType::Bool ? DType::Int64 : x.dtype();
  if (!is_floating(od) && ((lo && *lo != std::floor(*lo)) || (hi && *hi != std::floor(*hi)))) od = DType::Float64;
  Tensor xin = as_dtype(x, od);
  Tensor out = empty(x.shape(), od);
  dispatch(od, [&](auto tag) {
    using T = decltype(tag);
    const double l = lo ? *lo : -INFINITY, h = hi ? *hi : INFINITY;
    map_unary<T, T>(out, xin, [l, h](T v) -> T {
      if (v != v) return v;
      // minimum(maximum(x, lo), hi), as NumPy: hi wins when lo > hi.
      double d = static_cast<double>(v);
      if (d < l) d = l;
      if (d > h) d = h;
      return d == static_cast<double>(v) ? v : numeric_cast<T>(d);
    });
  });
  return out;
}

Tensor clip_mask(const Tensor& x, std::optional<double> lo, std::optional<double> hi) {
  Tensor out = empty(x.shape(), x.dtype());
  dispatch_float(x.dtype(), "clip", [&](auto tag) {
    using T = decltype(tag);
    const double l = lo ? *lo : -INFINITY, h = hi ? *hi : INFINITY;
    map_unary<T, T>(out, x, [l, h](T v) -> T {
      double d = static_cast<double>(v);
      if (d != d) return v;  // clip passes NaN through, so its derivative there is NaN, not 0
      return (d >= l && d <= h) ? T(1) : T(0);
    });
  });
  return out;
}

void copy_into(const Tensor& dst, const Tensor& src) {
  dispatch(dst.dtype(), [&](auto dtag) {
    using D = decltype(dtag);
    dispatch(src.dtype(), [&](auto stag) {
      using S = decltype(stag);
      D* o = dst.data<D>();
      const S* p = src.data<S>();
      if constexpr (std::is_same_v<D, S>) {
        if (dst.is_contiguous() && src.is_contiguous() && src.shape() == dst.shape()) {
          if (dst.numel()) std::memcpy(o, p, size_t(dst.numel()) * sizeof(D));
          return;
        }
      }
      nd_loop<2>(dst.shape(), {dst.strides(), broadcast_strides(src.shape(), src.strides(), dst.shape())}, {0, 0},
                 [&](std::array<int64_t, 2> off, int64_t n, std::array<int64_t, 2> st) {
                   D* out = o + off[0];
                   const S* in = p + off[1];
                   // Runs the backward of reductions and broadcasts produce: a value spread
                   // along a row, or rows copied whole. Unit strides let these vectorise.
                   if (st[0] == 1 && st[1] == 0) {
                     std::fill(out, out + n, numeric_cast<D>(*in));
                   } else if (st[0] == 1 && st[1] == 1) {
                     for (int64_t i = 0; i < n; ++i) out[i] = numeric_cast<D>(in[i]);
                   } else {
                     for (int64_t i = 0; i < n; ++i) out[i * st[0]] = numeric_cast<D>(in[i * st[1]]);
                   }
                 });
    });
  });
}

Tensor contiguous(const Tensor& x) {
  if (x.is_contiguous()) return x;
  Tensor out = empty(x.shape(), x.dtype());
  copy_into(out, x);
  return out;
}

Tensor cast(const Tensor& x, DType dtype) {
  Tensor out = empty(x.shape(), dtype);
  copy_into(out, x);
  return out;
}

}  // namespace pyjac::kernels
