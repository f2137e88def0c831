// Kernels of the special functions of pyjac.special (gamma, gammaln, digamma, polygamma, erfc,
// erfinv, erfcx, ndtr, log_ndtr, ndtri, i0e, i1e, logit). Every function is evaluated in double
// precision (float32 inputs are widened and the result rounded back) with SciPy's conventions at
// poles and domain edges, and written to keep full relative accuracy in the tails: erfcx and
// log_ndtr never form exp(x^2) * erfc(x) where either factor leaves the double range, the
// inverses refine an initial guess by Newton steps on the forward function (on log erfc in the
// tails), and digamma reduces its argument before evaluating tan(pi x) near the poles.
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/kernels.h"
#include "kernels/loop.h"

namespace pyjac::kernels {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kEps = 1.11022302462515654042e-16;  // 2^-53, Cephes' MACHEP
constexpr double kPi = 3.14159265358979323846;
constexpr double kEuler = 0.57721566490153286061;
constexpr double kInvSqrtPi = 0.56418958354775628695;
constexpr double kTwoOverSqrtPi = 1.12837916709551257390;
constexpr double kSqrtPi = 1.77245385090551602730;
constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kSqrt1_2 = 0.70710678118654752440;

// c[0] x^n + c[1] x^(n-1) + ... + c[n] (Cephes' polevl).
double polevl(double x, const double* c, int n) {
  double r = c[0];
  for (int i = 1; i <= n; ++i) r = r * x + c[i];
  return r;
}

// ---- gamma family ----------------------------------------------------------------------------------

double gammaln(double x) {
  if (x == -kInf) return -kInf;  // SciPy's value
  int sign;
  return lgamma_r(x, &sign);  // the reentrant form: lgamma writes the global signgam
}

// The Hurwitz zeta function zeta(s, q) = sum_k (k + q)^-s for s > 1 (Cephes' zeta: direct
// summation until q + k > 9, then the Euler-Maclaurin tail). For q <= 0 the sum exists for
// integer s when q is not an integer (a pole of a polygamma function otherwise).
double hurwitz_zeta(double s, double q) {
  static const double A[] = {12.0,
                             -720.0,
                             30240.0,
                             -1209600.0,
                             47900160.0,
                             -1.8924375803183791606e9,
                             7.47242496e10,
                             -2.950130727918164224e12,
                             1.1646782814350067249e14,
                             -4.5979787224074726105e15,
                             1.8152105401943546773e17,
                             -7.1661652561756670113e18};
  if (std::isnan(s) || std::isnan(q)) return kNaN;
  if (s == 1.0) return kInf;
  if (s < 1.0) return kNaN;
  if (q <= 0.0) {
    if (q == std::floor(q)) return kInf;
    if (s != std::floor(s)) return kNaN;  // q^-s is not real
  }
  if (q > 1e8) return (1.0 / (s - 1.0) + 1.0 / (2.0 * q)) * std::pow(q, 1.0 - s);  // DLMF 25.11.43
  double sum = std::pow(q, -s), a = q, b = 0.0;
  int i = 0;
  while (i < 9 || a <= 9.0) {
    ++i;
    a += 1.0;
    b = std::pow(a, -s);
    sum += b;
    if (std::fabs(b / sum) < kEps) return sum;
  }
  const double w = a;
  sum += b * w / (s - 1.0) - 0.5 * b;
  double fac = 1.0, k = 0.0;
  for (double Ai : A) {
    fac *= s + k;
    b /= w;
    const double t = fac * b / Ai;
    sum += t;
    if (std::fabs(t / sum) < kEps) break;
    k += 1.0;
    fac *= s + k;
    b /= w;
    k += 1.0;
  }
  return sum;
}

// digamma on [1, 2]: Boost's rational approximation around the positive root (as SciPy's).
double digamma_1_2(double x) {
  static const float Y = 0.99558162689208984f;
  static const double root1 = 1569415565.0 / 1073741824.0;
  static const double root2 = (381566830.0 / 1073741824.0) / 1073741824.0;
  static const double root3 = 0.9016312093258695918615325266959189453125e-19;
  static const double P[] = {-0.0020713321167745952, -0.045251321448739056, -0.28919126444774784,
                             -0.65031853770896507,   -0.32555031186804491,  0.25479851061131551};
  static const double Q[] = {-0.55789841321675513e-6,
                             0.0021284987017821144,
                             0.054151797245674225,
                             0.43593529692665969,
                             1.4606242909763515,
                             2.0767117023730469,
                             1.0};
  const double g = ((x - root1) - root2) - root3;
  const double r = polevl(x - 1.0, P, 5) / polevl(x - 1.0, Q, 6);
  return g * Y + g * r;
}

// log x - 1 / 2x - sum B_2k / (2k x^2k): the asymptotic series for x >= 10.
double digamma_asymptotic(double x) {
  static const double A[] = {8.33333333333333333333E-2,  -2.10927960927960927961E-2, 7.57575757575757575758E-3,
                             -4.16666666666666666667E-3, 3.96825396825396825397E-3,  -8.33333333333333333333E-3,
                             8.33333333333333333333E-2};
  double y = 0.0;
  if (x < 1.0e17) {
    const double z = 1.0 / (x * x);
    y = z * polevl(z, A, 6);
  }
  return std::log(x) - 0.5 / x - y;
}

double digamma_cephes(double x) {
  double y = 0.0;
  if (std::isnan(x) || x == kInf) return x;
  if (x == -kInf) return kNaN;
  if (x == 0.0) return std::copysign(kInf, -x);
  if (x < 0.0) {
    // Reflection, with pi x reduced to (-pi, pi) first so that tan keeps its accuracy near the poles.
    double q;
    const double r = std::modf(x, &q);
    if (r == 0.0) return kNaN;
    y = -kPi / std::tan(kPi * r);
    x = 1.0 - x;
  }
  if (x <= 10.0 && x == std::floor(x)) {  // harmonic numbers, exactly summed
    const int n = static_cast<int>(x);
    for (int i = 1; i < n; ++i) y += 1.0 / i;
    return y - kEuler;
  }
  if (x < 1.0) {
    y -= 1.0 / x;
    x += 1.0;
  } else if (x < 10.0) {
    while (x > 2.0) {
      x -= 1.0;
      y += 1.0 / x;
    }
  }
  if (1.0 <= x && x <= 2.0) return y + digamma_1_2(x);
  return y + digamma_asymptotic(x);
}

// Near digamma's negative root the reflection formula cancels: a Taylor series there (as SciPy),
// psi(x) = psi(r) + sum_n (-1)^(n+1) zeta(n + 1, r) (x - r)^n.
double digamma(double x) {
  constexpr double kNegRoot = -0.504083008264455409;
  constexpr double kNegRootValue = 7.2897639029768949e-17;
  if (std::fabs(x - kNegRoot) < 0.3) {
    const double z = x - kNegRoot;
    double res = kNegRootValue, coeff = -1.0;
    for (int n = 1; n < 100; ++n) {
      coeff *= -z;
      const double term = coeff * hurwitz_zeta(n + 1, kNegRoot);
      res += term;
      if (std::fabs(term) < kEps * std::fabs(res)) break;
    }
    return res;
  }
  return digamma_cephes(x);
}

// polygamma(n, x) = (-1)^(n+1) n! zeta(n + 1, x) for n >= 1.
double polygamma(int64_t n, double x) {
  if (n == 0) return digamma(x);
  if (n < 0) return kNaN;
  const double sign = (n % 2 == 1) ? 1.0 : -1.0;
  return sign * std::tgamma(double(n) + 1.0) * hurwitz_zeta(double(n) + 1.0, x);
}

// ---- error functions ---------------------------------------------------------------------------

// exp(x^2) with x^2 carried to twice the precision: x^2 = hi + lo exactly, exp(hi)(1 + lo).
// Rounding x^2 alone would cost up to x^2 ulps of exp's result (5e-14 at x = 20).
double exp_x2(double x) {
  const double hi = x * x;
  const double lo = std::fma(x, x, -hi);
  return std::exp(hi) * (1.0 + lo);
}

double erfcx(double x) {
  if (std::isnan(x)) return x;
  if (x < 0.0) {
    if (x < -26.7) return kInf;  // 2 exp(x^2) overflows
    return 2.0 * exp_x2(x) - erfcx(-x);
  }
  if (x < 26.0) return exp_x2(x) * std::erfc(x);  // erfc(26) ~ 6e-296: still a normal number
  if (x > 1e8) return kInvSqrtPi / x;             // the next term, 1 / 2x^2, is below an ulp
  // 1 / (x sqrt(pi)) sum_k (-1)^k (2k - 1)!! / (2x^2)^k: at x >= 26 the terms fall below 1e-17
  // long before the asymptotic series starts to diverge.
  const double z = 0.5 / (x * x);
  double term = 1.0, sum = 1.0;
  for (int k = 1; k < 30; ++k) {
    term *= -(2.0 * k - 1.0) * z;
    sum += term;
    if (std::fabs(term) < 1e-17) break;
  }
  return kInvSqrtPi / x * sum;
}

// ndtr(x) = erfc(-x / sqrt 2) / 2 for x <= 0. Rounding u = -x / sqrt 2 would cost about 2u^2 ulps
// of erfc's value (6e-14 at x = -30): the rounding error e of u is carried to first order,
// erfc(u + e) = erfc(u) (1 - e (2 / sqrt(pi)) / erfcx(u)).
double ndtr_left(double x) {
  constexpr double kSqrt1_2Lo = -4.8336466567264567e-17;  // 1 / sqrt 2 - kSqrt1_2
  const double u = -x * kSqrt1_2;
  const double e = std::fma(-x, kSqrt1_2, -u) + (-x) * kSqrt1_2Lo;
  const double c = std::erfc(u);
  if (u < 1.0) return 0.5 * c;  // no amplification worth correcting
  return 0.5 * c * (1.0 - e * kTwoOverSqrtPi / erfcx(u));
}

// The standard normal CDF: erf near 0 (as Cephes / SciPy), the left tail of the smaller side
// outside.
double ndtr(double a) {
  if (std::isnan(a)) return a;
  if (std::fabs(a) < 1.0) return 0.5 + 0.5 * std::erf(a * kSqrt1_2);
  const double y = ndtr_left(-std::fabs(a));
  return a > 0.0 ? 1.0 - y : y;
}

// log ndtr(x): through erfcx in the left tail (no underflow: log_ndtr(-1e5) ~ -5e9), through
// log1p in the right one (ndtr(x) close to 1).
double log_ndtr(double x) {
  if (std::isnan(x)) return x;
  const double t = x * kSqrt1_2;
  if (x < -1.0) return std::log(erfcx(-t) / 2.0) - t * t;
  return std::log1p(-ndtr_left(-x));
}

// Giles' single-precision approximation of erfinv ("Approximating the erfinv function", GPU
// Computing Gems, 2011): a starting point for Newton's method, good to ~1e-7 for w < 36.
double erfinv_guess(double y, double w) {
  double p;
  if (w < 5.0) {
    w -= 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = std::sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  return p * y;
}

// erfc^-1(z) for 0 < z < 0.5 (x > 0.47): Newton's method on h(x) = log erfc(x) - log z, written
// with erfcx so that it holds down to the smallest subnormal z (log erfc(x) = log erfcx(x) - x^2).
// log erfc is concave and nearly quadratic, so Newton converges from either side in a few steps.
double erfcinv_small(double z) {
  const double w = -std::log(z * (2.0 - z));
  double x;
  if (w < 25.0) {
    x = erfinv_guess(1.0 - z, w);
  } else {
    // erfc(x) ~ exp(-x^2) / (x sqrt(pi)): x^2 = -log z - log(x sqrt(pi)), iterated twice.
    const double lz = -std::log(z);
    x = std::sqrt(lz);
    x = std::sqrt(lz - std::log(x * kSqrtPi));
    x = std::sqrt(lz - std::log(x * kSqrtPi));
  }
  // Newton converges quadratically: once a step is below 1e-8 x, one more reaches full precision.
  const double log_z = std::log(z);
  bool last = false;
  for (int i = 0; i < 50 && !last; ++i) {
    const double e = erfcx(x);
    const double hi = x * x, lo = std::fma(x, x, -hi);
    const double h = (std::log(e) - log_z) - hi - lo;
    const double dx = -h * e / kTwoOverSqrtPi;  // h / h' with h' = -(2 / sqrt(pi)) / erfcx(x)
    x -= dx;
    last = std::fabs(dx) <= 1e-8 * x;
  }
  return x;
}

double erfinv(double y);

// erfc^-1(z) on [0, 2]; nan outside, +-inf at the ends.
double erfcinv(double z) {
  if (std::isnan(z) || z < 0.0 || z > 2.0) return kNaN;
  if (z == 0.0) return kInf;
  if (z == 2.0) return -kInf;
  if (z > 1.5) return -erfcinv(2.0 - z);  // 2 - z exact (Sterbenz)
  if (z >= 0.5) return erfinv(1.0 - z);   // 1 - z exact
  return erfcinv_small(z);
}

double erfinv(double y) {
  if (std::isnan(y) || y < -1.0 || y > 1.0) return kNaN;
  if (y == 1.0) return kInf;
  if (y == -1.0) return -kInf;
  if (std::fabs(y) > 0.5) return std::copysign(erfcinv_small(1.0 - std::fabs(y)), y);  // 1 - |y| exact
  double x = erfinv_guess(y, -std::log((1.0 - y) * (1.0 + y)));
  bool last = false;
  for (int i = 0; i < 10 && x != 0.0 && !last; ++i) {
    const double dx = (std::erf(x) - y) / (kTwoOverSqrtPi * std::exp(-x * x));
    x -= dx;
    last = std::fabs(dx) <= 1e-8 * std::fabs(x);
  }
  return x;
}

// The standard normal quantile: sqrt 2 erfinv(2p - 1) near the median (2p - 1 exact for
// p >= 1/4), -sqrt 2 erfcinv(2p) in the tails (2p and 1 - p exact), so both tails keep their
// relative accuracy.
double ndtri(double p) {
  if (std::isnan(p) || p < 0.0 || p > 1.0) return kNaN;
  if (p == 0.0) return -kInf;
  if (p == 1.0) return kInf;
  if (p < 0.25) return -kSqrt2 * erfcinv(2.0 * p);
  if (p > 0.75) return kSqrt2 * erfcinv(2.0 * (1.0 - p));
  return kSqrt2 * erfinv(2.0 * p - 1.0);
}

// ---- exponentially scaled modified Bessel functions ----------------------------------------------
// For |x| <= 20 the power series (all terms positive, so no cancellation) times exp(-|x|); above,
// the asymptotic series e^x / sqrt(2 pi x) sum_k (-1)^k a_k(nu) / x^k, whose smallest term
// (~e^-2x) is far below an ulp there.
constexpr double kBesselSeriesLimit = 20.0;

double bessel_asymptotic(double nu, double ax) {
  const double mu = 4.0 * nu * nu;
  double term = 1.0, sum = 1.0;
  for (int k = 1; k < 200; ++k) {
    const double next = term * -(mu - (2.0 * k - 1.0) * (2.0 * k - 1.0)) / (8.0 * k * ax);
    if (std::fabs(next) >= std::fabs(term)) break;  // the series starts to diverge
    term = next;
    sum += term;
    if (std::fabs(term) < 1e-17 * std::fabs(sum)) break;
  }
  return sum / std::sqrt(2.0 * kPi * ax);
}

double i0e(double x) {
  if (std::isnan(x)) return x;
  const double ax = std::fabs(x);
  if (ax > kBesselSeriesLimit) return bessel_asymptotic(0.0, ax);
  const double q = 0.25 * ax * ax;
  double term = 1.0, sum = 1.0;
  for (int k = 1; k < 500; ++k) {
    term *= q / (double(k) * k);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return sum * std::exp(-ax);
}

double i1e(double x) {
  if (std::isnan(x)) return x;
  const double ax = std::fabs(x);
  if (ax > kBesselSeriesLimit) return std::copysign(bessel_asymptotic(1.0, ax), x);
  const double q = 0.25 * ax * ax;
  double term = 1.0, sum = 1.0;
  for (int k = 1; k < 500; ++k) {
    term *= q / (double(k) * (k + 1));
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return std::copysign(0.5 * ax * sum * std::exp(-ax), x);
}

// ---- logit ---------------------------------------------------------------------------------------
// log(p / (1 - p)); near p = 1/2 as log1p((2p - 1) / (1 - p)), which keeps relative accuracy
// where the logit is close to 0 (2p - 1 and 1 - p are exact there).
double logit(double p) {
  if (std::isnan(p) || p < 0.0 || p > 1.0) return kNaN;
  if (p < 0.3 || p > 0.7) return std::log(p / (1.0 - p));
  return std::log1p((2.0 * p - 1.0) / (1.0 - p));
}

double special(Special op, double x) {
  switch (op) {
    case Special::Gamma: return std::tgamma(x);
    case Special::Gammaln: return gammaln(x);
    case Special::Digamma: return digamma(x);
    case Special::Erfc: return std::erfc(x);
    case Special::Erfinv: return erfinv(x);
    case Special::Erfcx: return erfcx(x);
    case Special::Ndtr: return ndtr(x);
    case Special::LogNdtr: return log_ndtr(x);
    case Special::Ndtri: return ndtri(x);
    case Special::I0e: return i0e(x);
    case Special::I1e: return i1e(x);
    case Special::Logit: return logit(x);
  }
  return kNaN;
}

// f on a float tensor of x's float dtype (integers and bools as float64), computed in double.
template <class F>
Tensor map_in_double(const Tensor& x_in, F f) {
  const DType od = float_result(x_in.dtype());
  const Tensor x = as_dtype(x_in, od);
  Tensor out = empty(x.shape(), od);
  dispatch(od, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) map_unary<T, T>(out, x, [&](T v) -> T { return T(f(double(v))); });
  });
  return out;
}

}  // namespace

Tensor special_fn(Special op, const Tensor& x) {
  return map_in_double(x, [op](double v) { return special(op, v); });
}

Tensor polygamma(int64_t n, const Tensor& x) {
  return map_in_double(x, [n](double v) { return polygamma(n, v); });
}

}  // namespace pyjac::kernels
