#pragma once
#include <cstdint>
#include <string>
#include <type_traits>

#include "tensor/errors.h"

namespace pyjac {

// Ordered by promotion rank: the larger of two ranks is the common type.
enum class DType : uint8_t { Bool = 0, Int64 = 1, Float32 = 2, Float64 = 3 };

inline size_t itemsize(DType d) {
  switch (d) {
    case DType::Bool: return 1;
    case DType::Int64: return 8;
    case DType::Float32: return 4;
    case DType::Float64: return 8;
  }
  return 0;
}

inline const char* dtype_name(DType d) {
  switch (d) {
    case DType::Bool: return "bool";
    case DType::Int64: return "int64";
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
  }
  return "?";
}

inline bool is_floating(DType d) { return d == DType::Float32 || d == DType::Float64; }

inline DType promote(DType a, DType b) {
  // int64 with float32 needs float64 to hold every int64 exactly enough, as in NumPy.
  if ((a == DType::Int64 && b == DType::Float32) || (a == DType::Float32 && b == DType::Int64)) return DType::Float64;
  return a > b ? a : b;
}

// The dtype math functions (exp, sin, ...) compute in: integers become float64 as in NumPy.
inline DType float_result(DType d) { return is_floating(d) ? d : DType::Float64; }

// Calls f with a value of the C++ type of `d`, e.g. dispatch(d, [&](auto tag) { using T = decltype(tag); ... }).
template <class F>
decltype(auto) dispatch(DType d, F&& f) {
  switch (d) {
    case DType::Bool: return f(bool{});
    case DType::Int64: return f(int64_t{});
    case DType::Float32: return f(float{});
    case DType::Float64: return f(double{});
  }
  throw TypeError("unknown dtype");
}

template <class F>
decltype(auto) dispatch_float(DType d, const char* op, F&& f) {
  switch (d) {
    case DType::Float32: return f(float{});
    case DType::Float64: return f(double{});
    default: throw TypeError(std::string(op) + ": expected a floating dtype, got " + dtype_name(d));
  }
}

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<bool>() {
  return DType::Bool;
}
template <>
constexpr DType dtype_of<int64_t>() {
  return DType::Int64;
}
template <>
constexpr DType dtype_of<float>() {
  return DType::Float32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::Float64;
}

// static_cast for element conversions, except that a floating value int64 can't hold (NaN, inf,
// beyond +-2**63), where the C++ cast is undefined behaviour, becomes INT64_MIN: what x86's
// conversion instruction, and therefore NumPy, gives.
template <class D, class S>
inline D numeric_cast(S v) {
  if constexpr (std::is_same_v<D, int64_t> && std::is_floating_point_v<S>) {
    if (!(v >= S(-9223372036854775808.0) && v < S(9223372036854775808.0))) return INT64_MIN;
  }
  return static_cast<D>(v);
}

}  // namespace pyjac
