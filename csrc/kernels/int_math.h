#pragma once
// Integer arithmetic that wraps around on overflow, as NumPy's does. Signed overflow is
// undefined behaviour in C++, so int64 math goes through uint64 (whose arithmetic is modular)
// and back; for floating types these are the plain operators, so float loops are unchanged.
#include <cstdint>
#include <type_traits>

namespace pyjac::kernels {

template <class T>
inline T wrap_add(T a, T b) {
  if constexpr (std::is_same_v<T, int64_t>)
    return T(uint64_t(a) + uint64_t(b));
  else
    return a + b;
}

template <class T>
inline T wrap_sub(T a, T b) {
  if constexpr (std::is_same_v<T, int64_t>)
    return T(uint64_t(a) - uint64_t(b));
  else
    return a - b;
}

template <class T>
inline T wrap_mul(T a, T b) {
  if constexpr (std::is_same_v<T, int64_t>)
    return T(uint64_t(a) * uint64_t(b));
  else
    return a * b;
}

template <class T>
inline T wrap_neg(T a) {
  if constexpr (std::is_same_v<T, int64_t>)
    return T(uint64_t(0) - uint64_t(a));
  else
    return -a;
}

}  // namespace pyjac::kernels
