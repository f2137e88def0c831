// Creation kernels: ranges, identity, random numbers.
#include <cmath>
#include <mutex>
#include <random>

#include "kernels/kernels.h"

namespace pyjac::kernels {

namespace {
std::mutex rng_mutex;
std::mt19937_64& rng() {
  static std::mt19937_64 engine{std::random_device{}()};
  return engine;
}
}  // namespace

Tensor arange(double start, double stop, double step, DType dtype) {
  if (step == 0) throw ValueError("arange: step must not be zero");
  if (!std::isfinite(start) || !std::isfinite(stop) || !std::isfinite(step))
    throw ValueError("arange: start, stop and step must be finite (a NaN or inf gives no length)");
  double len = std::ceil((stop - start) / step);
  if (!(len < 9.2e18))  // also NaN; the cast below would be undefined
    throw ValueError("arange: maximum allowed size exceeded (" + std::to_string(len) + " elements)");
  int64_t n = len > 0 ? int64_t(len) : 0;
  Tensor out = empty({n}, dtype, "arange");
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = out.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = numeric_cast<T>(start + double(i) * step);
  });
  return out;
}

Tensor linspace(double start, double stop, int64_t num, bool endpoint, DType dtype) {
  if (num < 0) throw ValueError("linspace: num must be non-negative, got " + std::to_string(num));
  Tensor out = empty({num}, dtype, "linspace");
  const double div = endpoint ? double(num - 1) : double(num);
  const double step = div > 0 ? (stop - start) / div : 0.0;
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = out.data<T>();
    for (int64_t i = 0; i < num; ++i) p[i] = numeric_cast<T>(start + double(i) * step);
    if (endpoint && num > 1) p[num - 1] = numeric_cast<T>(stop);
  });
  return out;
}

Tensor eye(int64_t n, int64_t m, int64_t k, DType dtype) {
  if (n < 0 || m < 0) throw ValueError("eye: negative dimensions are not allowed");
  Tensor out = naming_allocation_errors("eye", [&] { return zeros({n, m}, dtype); });
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = out.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      int64_t j = i + k;
      if (j >= 0 && j < m) p[i * m + j] = T(1);
    }
  });
  return out;
}

void manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(rng_mutex);
  rng().seed(seed);
}

template <class Dist>
static Tensor fill_random(const Shape& shape, DType dtype, Dist dist, const char* op) {
  Tensor out = empty(shape, dtype, op);
  std::lock_guard<std::mutex> lock(rng_mutex);
  dispatch_float(dtype, op, [&](auto tag) {
    using T = decltype(tag);
    T* p = out.data<T>();
    const int64_t n = out.numel();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(dist(rng()));
  });
  return out;
}

Tensor rand(const Shape& shape, DType dtype) {
  return fill_random(shape, dtype, std::uniform_real_distribution<double>(0.0, 1.0), "rand");
}

Tensor randn(const Shape& shape, DType dtype) {
  return fill_random(shape, dtype, std::normal_distribution<double>(0.0, 1.0), "randn");
}

}  // namespace pyjac::kernels
