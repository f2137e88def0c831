#pragma once
// Raw loops over tensors. Kernels allocate their results and know nothing of autograd.
#include <optional>
#include <vector>

#include "tensor/tensor.h"

namespace pyjac::kernels {

enum class Unary {
  Neg,
  Exp,
  Log,
  Log1p,
  Expm1,
  Sqrt,
  Square,
  Sin,
  Cos,
  Tan,
  Tanh,
  Sigmoid,
  Relu,
  Abs,
  Sign,
  Step,  // 1 where x > 0, else 0: relu's derivative
  LogicalNot,
};

enum class Binary {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Maximum,
  Minimum,
  TanhGrad,     // a * (1 - b * b): tanh's backward, b the output (one pass instead of three)
  SigmoidGrad,  // a * b * (1 - b): sigmoid's backward
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
};

// Result dtypes follow NumPy: math functions of integers give float64, comparisons give bool.
Tensor unary(Unary op, const Tensor& x);
Tensor binary(Binary op, const Tensor& a, const Tensor& b, const char* op_name);
// a op s (or s op a when `scalar_first`), computed in `out_dtype`.
Tensor binary_scalar(Binary op, const Tensor& a, double s, bool scalar_first, DType out_dtype);
// The same with a scalar known exactly as an integer too: `s_int` is the operand when `out_dtype`
// is int64 (a double holds only 53 bits), `s` when it is a float dtype.
Tensor binary_scalar(Binary op, const Tensor& a, double s, int64_t s_int, bool scalar_first, DType out_dtype);
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor clip(const Tensor& x, std::optional<double> lo, std::optional<double> hi);
// 1 inside [lo, hi], 0 outside: clip's derivative mask, in x's dtype.
Tensor clip_mask(const Tensor& x, std::optional<double> lo, std::optional<double> hi);

// Copies `src` (any strides, broadcast by stride 0) into `dst` (same shape), converting dtype.
void copy_into(const Tensor& dst, const Tensor& src);
Tensor contiguous(const Tensor& x);         // x itself when already contiguous
Tensor cast(const Tensor& x, DType dtype);  // always a fresh contiguous tensor
// t itself when it already has dtype d, else cast(t, d).
inline Tensor as_dtype(const Tensor& t, DType d) { return t.dtype() == d ? t : cast(t, d); }

enum class Reduce { Sum, Max, Min };
// `axes` sorted and distinct. Max/Min over an empty axis raise ValueError.
Tensor reduce(Reduce op, const Tensor& x, const std::vector<int64_t>& axes, bool keepdims, const char* op_name);
// `axes` sorted and distinct, as for reduce().
Tensor prod(const Tensor& x, const std::vector<int64_t>& axes, bool keepdims);  // bool, int64 -> int64
Tensor all(const Tensor& x, const std::vector<int64_t>& axes, bool keepdims);   // bool result
Tensor any(const Tensor& x, const std::vector<int64_t>& axes, bool keepdims);   // bool result
// The sum over `axes` of (x - center)^2 in one pass, for float x and `center` contiguous, shaped
// like x with the reduced axes kept as 1 (var's inner loop).
Tensor sum_squared_deviations(const Tensor& x, const Tensor& center, const std::vector<int64_t>& axes, bool keepdims);
// log(sum(exp(x))) over `axes` for float x, shifted by each slice's maximum (no overflow); an
// empty or all -inf slice gives -inf.
Tensor logsumexp(const Tensor& x, const std::vector<int64_t>& axes, bool keepdims);

// Batched matrix product of two tensors of at least 2 dims with NumPy's batch broadcasting.
Tensor matmul(const Tensor& a, const Tensor& b);

// Loads cblas from the given shared library; without it matmul uses plain loops.
void load_blas(const std::string& path);
bool blas_loaded();

// Creation and randomness.
Tensor arange(double start, double stop, double step, DType dtype);
Tensor linspace(double start, double stop, int64_t num, bool endpoint, DType dtype);
Tensor eye(int64_t n, int64_t m, int64_t k, DType dtype);
void manual_seed(uint64_t seed);
Tensor rand(const Shape& shape, DType dtype);
Tensor randn(const Shape& shape, DType dtype);

// ---- advanced indexing (kernels/indexing.cpp) ----------------------------------------------------
// `v` is a strided view with dims (pre_nd dims, one dim per index array, the rest); the arrays
// are contiguous int64 of one shape B with in-range values. gather: out[p, b, q] = v[p, i_0[b], ..., q].
Tensor index_gather(const Tensor& v, int64_t pre_nd, const std::vector<Tensor>& idx);
// The transpose of gather into `dst` (a view of fresh memory): repeated indices accumulate.
void index_scatter_add(const Tensor& dst, int64_t pre_nd, const std::vector<Tensor>& idx, const Tensor& src);
// Bool of shape B: true where position b is the last one writing its target (`strides` are the
// indexed dims' strides), so that assignment through repeated indices keeps the last value.
Tensor index_last_write(const Shape& strides, const std::vector<Tensor>& idx);
// One int64 array per dim of `mask` holding the coordinates of its nonzero elements.
std::vector<Tensor> nonzero(const Tensor& mask);

}  // namespace pyjac::kernels

// ---- in-place arithmetic (kernels/inplace.cpp) -------------------------------------------------
namespace pyjac::kernels {
// self = self op (alpha * other) for Add and Sub, self op other for Mul and Div (alpha 1), with
// other broadcast to self's shape. Both of self's dtype (int64 or float; Div: float), and other
// either apart from self's memory or exactly self. int64 uses `int_alpha` (exact) and wraps
// around on overflow, as NumPy; floats use `alpha`.
void binary_inplace(Binary op, const Tensor& self, const Tensor& other, double alpha, int64_t int_alpha);
}  // namespace pyjac::kernels

// ---- math functions beyond the unary ops: inverse trigonometric and hyperbolic, log2 / log10 /
// exp2, reciprocal, rounding, cbrt, sinc, arctan2, mod, floor division, logaddexp, hypot, fmax
// (kernels/math_functions.cpp) -------------------------------------------------------------------
namespace pyjac::kernels {

enum class MathFn {
  Arcsin,
  Arccos,
  Arctan,
  Sinh,
  Cosh,
  Arcsinh,
  Arccosh,
  Arctanh,
  Log2,
  Log10,
  Exp2,        // integers -> float64
  Reciprocal,  // integers stay integers (1 / x truncated; 1 / 0 is INT64_MIN), as NumPy
  Floor,
  Ceil,
  Trunc,  // integers and bools keep their dtype, as NumPy 2
  Cbrt,
  Sinc,  // NumPy's normalised sinc: sin(pi x) / (pi x), 1 at 0
};
Tensor math_fn(MathFn op, const Tensor& x);
// NumPy's round: half to even, at `decimals` places (x * 10**d rounded, then divided back).
// Integers and bools keep their dtype.
Tensor round(const Tensor& x, int64_t decimals);

enum class MathFn2 {
  Arctan2,     // arctan2(y, x), float result
  Mod,         // NumPy's remainder: the result takes the divisor's sign; integer x % 0 is 0
  FloorDiv,    // NumPy's floor_divide: floor(a / b) consistent with Mod; integer x // 0 is 0
  LogAddExp,   // log(exp(a) + exp(b)) without overflow, float result
  LogAddExp2,  // log2(2^a + 2^b), float result
  Hypot,       // sqrt(a^2 + b^2) without overflow, float result
  Fmax,        // maximum ignoring NaN (NaN only when both are); dtypes as maximum
  Fmin,
};
Tensor math_fn2(MathFn2 op, const Tensor& a, const Tensor& b, const char* op_name);

}  // namespace pyjac::kernels

// ---- special functions of pyjac.special, computed in double (kernels/special_functions.cpp) --------
namespace pyjac::kernels {

// SciPy's functions and conventions at poles and domain edges; integers and bools give float64.
enum class Special { Gamma, Gammaln, Digamma, Erfc, Erfinv, Erfcx, Ndtr, LogNdtr, Ndtri, I0e, I1e, Logit };
Tensor special_fn(Special op, const Tensor& x);
// The n-th derivative of digamma (n = 0: digamma itself); nan for n < 0.
Tensor polygamma(int64_t n, const Tensor& x);

}  // namespace pyjac::kernels

// ---- along one axis: scans, shift, argmax / argmin (kernels/scan.cpp) ---------------------------
namespace pyjac::kernels {

// Along one axis (0 <= axis < ndim), from index 0 up, or from the last index down when `reverse`.
// "previous" below means index i - 1 (i + 1 when reversed).
Tensor cumsum(const Tensor& x, int64_t axis, bool reverse);   // bool and int64 -> int64
Tensor cumprod(const Tensor& x, int64_t axis, bool reverse);  // bool and int64 -> int64
// w[i] = g[i] + a[i] * w[previous] (w[first] = g[first]); g and a broadcast together, `axis` an
// axis of the broadcast shape.
Tensor linear_scan(const Tensor& g, const Tensor& a, int64_t axis, bool reverse);
// out[i] = x[previous], out[first] = fill.
Tensor shift(const Tensor& x, int64_t axis, bool reverse, double fill);
// Index of the first largest (smallest) entry along `axis`, NaN counting as the extreme, as NumPy.
Tensor arg_extremum(bool largest, const Tensor& x, int64_t axis, bool keepdims, const char* op_name);

}  // namespace pyjac::kernels

// ---- sorting, searching and float classes (kernels/sort.cpp) ------------------------------------
namespace pyjac::kernels {

// The permutation that sorts x along `axis` (0 <= axis < ndim), stably, NaNs last as NumPy:
// int64, x's shape, out[..., k, ...] the index along `axis` of the k-th smallest.
Tensor argsort(const Tensor& x, int64_t axis);
// For each v, the insertion point into the 1-d `sorted` (same dtype as v, NaNs last): the first
// i with sorted[i] >= v (`right`: > v). int64, v's shape.
Tensor searchsorted(const Tensor& sorted, const Tensor& v, bool right);
enum class FloatClass { NaN, Inf, Finite };
Tensor classify(const Tensor& x, FloatClass c);  // bool; integers and bools are finite
// NaN, +inf and -inf of a float x replaced by the given values (cast to x's dtype).
Tensor nan_to_num(const Tensor& x, double nan, double posinf, double neginf);

}  // namespace pyjac::kernels
