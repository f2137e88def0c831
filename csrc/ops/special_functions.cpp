// The special functions of pyjac.special, one entry each: the forward kernel, what the derivative
// map reads and the map itself (Note [Elementwise derivatives, written once], elementwise_rules.h).
// The maps are written in these same differentiable ops and refer to each other, so every order
// of derivative follows: gammaln' = digamma, digamma' = polygamma(1, .), polygamma(n, .)' =
// polygamma(n + 1, .); erfinv' = sqrt(pi)/2 exp(erfinv^2); i0e' = i1e - sign(x) i0e; ...
#include "ops/elementwise_rules.h"
#include "vmap/rules.h"

namespace pyjac {

// The UNARY_OP kernels of this family (elementwise_rules.h picks the kernel by its enum type).
inline Tensor elementwise_kernel(kernels::Special k, const Tensor& x) { return kernels::special_fn(k, x); }

namespace {

constexpr double kTwoOverSqrtPi = 1.12837916709551257390;  // erf'(0)
constexpr double kHalfSqrtPi = 0.88622692545275801365;     // erfinv'(0)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;     // the normal density at 0
constexpr double kSqrt2Pi = 2.50662827463100050242;        // ndtri'(1/2)
constexpr double kSqrt2OverPi = 0.79788456080286535588;    // 2 / (sqrt(2 pi)): log_ndtr'
constexpr double kSqrt1_2 = 0.70710678118654752440;

// i1e(x) / x, taken as its limit 1/2 at 0; x = 0 is replaced by 1 before dividing and the result
// masked after, so the map's own derivatives are finite there too (never 0 * inf).
Tensor i1e_over_x(const Tensor& x, const Tensor& i1e_x) {
  const Tensor at_zero = eq(x, Scalar{0, false});
  const DType d = i1e_x.dtype();
  return where(at_zero, scalar_tensor(Scalar{0.5, false}, d),
               i1e_x / where(at_zero, scalar_tensor(Scalar{1, false}, d), x));
}

}  // namespace

// ---- gamma family: gammaln' = digamma, gamma' = gamma digamma, digamma' = polygamma(1, .) ---------
UNARY_OP(gammaln, Special, Gammaln, x, times(digamma(x)))
UNARY_OP(gamma, Special, Gamma, x_out, times(out * digamma(x)))
UNARY_OP(digamma, Special, Digamma, x, times(polygamma(1, x)))

// polygamma(n, x), n >= 0: its derivative is polygamma(n + 1, x), read from the node's order.
struct PolygammaParams {
  int64_t order = 0;
};
#define PYJAC_READ_POLYGAMMA READ_INPUT(x, 0) const int64_t order = n.params<PolygammaParams>().order;

Tensor polygamma(int64_t order, const Tensor& x) {
  VMAP_UNARY(x, polygamma(order, x));
  static const OpSpec spec =
      ELEMENTWISE_RULES("PolygammaBackward", PYJAC_READ_POLYGAMMA, times(polygamma(order + 1, x)));
  if (order < 0)
    throw ValueError("polygamma: the order n must be a non-negative integer, got " + std::to_string(order));
  Tensor out = kernels::polygamma(order, x);
  if (Recording r = record_with<PolygammaParams>(out, spec, x)) {
    r->save_inputs(x);
    r->params<PolygammaParams>().order = order;
    finish(r, out, {&x});
  }
  return out;
}
#undef PYJAC_READ_POLYGAMMA

// ---- error functions and the normal distribution --------------------------------------------------
// erfc' = -2/sqrt(pi) exp(-x^2); erfinv' = sqrt(pi)/2 exp(erfinv^2); erfcx' = 2 x erfcx - 2/sqrt(pi);
// ndtr' = exp(-x^2/2) / sqrt(2 pi); ndtri' = sqrt(2 pi) exp(ndtri^2 / 2);
// log_ndtr' = pdf / cdf = sqrt(2/pi) / erfcx(-x / sqrt 2), which stays finite (-> -x) in the left
// tail where pdf and cdf both underflow.
UNARY_OP(erfc, Special, Erfc, x, times(exp(-square(x)) * -kTwoOverSqrtPi))
UNARY_OP(erfinv, Special, Erfinv, out, times(exp(square(out)) * kHalfSqrtPi))
UNARY_OP(erfcx, Special, Erfcx, x_out, times(2.0 * (x * out) - kTwoOverSqrtPi))
UNARY_OP(ndtr, Special, Ndtr, x, times(exp(-0.5 * square(x)) * kInvSqrt2Pi))
UNARY_OP(log_ndtr, Special, LogNdtr, x, times(kSqrt2OverPi / erfcx(x * -kSqrt1_2)))
UNARY_OP(ndtri, Special, Ndtri, out, times(exp(0.5 * square(out)) * kSqrt2Pi))

// ---- exponentially scaled Bessel functions: i0e(x) = exp(-|x|) I0(x), i1e(x) = exp(-|x|) I1(x) ----
// I0' = I1 and I1' = I0 - I1 / x give i0e' = i1e - sign(x) i0e and i1e' = i0e - i1e (sign(x) + 1/x),
// with i1e(x) / x -> 1/2 at 0 (sign(0) = 0: the kink of exp(-|x|) takes 0, abs's convention).
UNARY_OP(i0e, Special, I0e, x_out, times(i1e(x) - sign(x) * out))
UNARY_OP(i1e, Special, I1e, x_out, times(i0e(x) - sign(x) * out - i1e_over_x(x, out)))

// ---- logit' = 1 / (p (1 - p)) ----------------------------------------------------------------------
UNARY_OP(logit, Special, Logit, x, v / (x * (1.0 - x)))

}  // namespace pyjac
