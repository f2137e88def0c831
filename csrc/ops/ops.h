#pragma once
// Differentiable ops: the public C++ API the bindings expose and the derivative rules are written in.
// Each op runs its kernel and, when an input requires grad and grad mode is on, records a Node.
#include <optional>
#include <vector>

#include "tensor/tensor.h"

namespace pyjac {

// A Python number: ints keep integer tensors integral, floats don't (NumPy 2's weak scalars).
// `value` is the number as a double (an int correctly rounded, as float(n)): what float tensors
// and the derivative rules use. An int also keeps its exact value for integer tensors: `int_value`
// when it fits int64 (`overflow` 0); beyond int64 `overflow` says which side (+1 above INT64_MAX,
// -1 below INT64_MIN) and `value` is the rounded double.
struct Scalar {
  double value;
  bool is_int;
  int8_t overflow = 0;
  int64_t int_value = 0;

  static constexpr Scalar of_int(int64_t v) { return {double(v), true, 0, v}; }
};

// s as a 0-d tensor (or filling `shape`) of dtype d, as NumPy converts a Python number: an int
// into int64 exactly (beyond int64: OverflowError, as NumPy 2), anything else through the double.
Tensor scalar_tensor(const Scalar& s, DType d);
Tensor full(const Shape& shape, const Scalar& s, DType d);

using TensorList = std::vector<Tensor>;
using Axes = std::optional<std::vector<int64_t>>;  // nullopt: every axis

// Arithmetic (NumPy broadcasting).
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
// g * (1 - y**2) and g * y * (1 - y): tanh's and sigmoid's backward as single (differentiable) ops.
Tensor tanh_backward(const Tensor& g, const Tensor& y);
Tensor sigmoid_backward(const Tensor& g, const Tensor& y);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& x);
// With a Python number on the right (or, for the r* forms, on the left).
Tensor add(const Tensor& a, const Scalar& s);
Tensor mul(const Tensor& a, const Scalar& s);
Tensor sub(const Tensor& a, const Scalar& s);
Tensor rsub(const Scalar& s, const Tensor& a);
Tensor div(const Tensor& a, const Scalar& s);
Tensor rdiv(const Scalar& s, const Tensor& a);
Tensor pow(const Tensor& a, const Scalar& s);
Tensor rpow(const Scalar& s, const Tensor& a);

// Comparisons give bool tensors and no gradient.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
// Against a Python number on the right (for one on the left swap the sides: s < x is x > s), as
// NumPy 2 compares: exactly with an int against integer and bool tensors (an int beyond int64 is
// above or below every element, a constant answer), in x's dtype against float tensors.
Tensor eq(const Tensor& a, const Scalar& s);
Tensor ne(const Tensor& a, const Scalar& s);
Tensor lt(const Tensor& a, const Scalar& s);
Tensor le(const Tensor& a, const Scalar& s);
Tensor gt(const Tensor& a, const Scalar& s);
Tensor ge(const Tensor& a, const Scalar& s);
Tensor logical_not(const Tensor& x);

// Elementwise functions.
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor expm1(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor square(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tan(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor clip(const Tensor& x, std::optional<double> lo, std::optional<double> hi);
Tensor astype(const Tensor& x, DType dtype);

// Reductions (ops/reductions.cpp; norm: ops/norms.cpp).
Tensor sum(const Tensor& x, const Axes& axes, bool keepdims);
Tensor mean(const Tensor& x, const Axes& axes, bool keepdims);
Tensor max(const Tensor& x, const Axes& axes, bool keepdims);
Tensor min(const Tensor& x, const Axes& axes, bool keepdims);
struct NormOrd {
  enum Kind { Default, P, Fro, Nuc } kind = Default;
  double p = 2;
};
Tensor norm(const Tensor& x, NormOrd ord, const Axes& axes, bool keepdims);

// Linear algebra.
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor dot(const Tensor& a, const Tensor& b);

// Shapes and views. Views share storage with their input.
Tensor alias(const Tensor& x);                        // same data and shape, a new node in the graph
Tensor copy(const Tensor& x);                         // same values in new memory
Tensor reshape(const Tensor& x, const Shape& shape);  // one entry may be -1
// NumPy's `order`: C reads and writes the last index fastest, F the first; A is F when x is
// Fortran-contiguous (and not C-contiguous), else C.
enum class IndexOrder { C, F, A };
Tensor reshape(const Tensor& x, const Shape& shape, IndexOrder order);
Tensor transpose(const Tensor& x, const std::optional<std::vector<int64_t>>& perm);
Tensor swap_last_two(const Tensor& x);
Tensor broadcast_to(const Tensor& x, const Shape& shape);
Tensor squeeze(const Tensor& x, const Axes& axes);
Tensor expand_dims(const Tensor& x, const std::vector<int64_t>& axes);
Tensor concatenate(const TensorList& xs, std::optional<int64_t> axis);
Tensor stack(const TensorList& xs, int64_t axis);

// Indexing as in NumPy: ints, slices, None, Ellipsis, and (advanced) integer arrays and bool masks.
struct IndexItem {
  enum Kind : uint8_t { Int, Slice, NewAxis, Ellipsis, Array } kind;
  int64_t start = 0, stop = 0, step = 1;
  bool has_start = false, has_stop = false;
  Tensor array;  // Array: an int64 index array or a bool mask (any shape, 0-d included)
};
Tensor getitem(const Tensor& x, const std::vector<IndexItem>& index);

// Helpers that rules use to undo broadcasting while leaving a cotangent's batch dims alone.
// `out_ndim` is the ndim of the forward output the cotangent belongs to.
Tensor unbroadcast(const Tensor& grad, const Shape& in_shape, int64_t out_ndim);
Shape batch_shape(const Tensor& grad, int64_t out_ndim);

}  // namespace pyjac

namespace pyjac {

// Operators so derivative rules read like the math.
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& a) { return neg(a); }
inline Tensor operator+(const Tensor& a, double s) { return add(a, Scalar{s, false}); }
inline Tensor operator-(const Tensor& a, double s) { return sub(a, Scalar{s, false}); }
inline Tensor operator*(const Tensor& a, double s) { return mul(a, Scalar{s, false}); }
inline Tensor operator*(double s, const Tensor& a) { return mul(a, Scalar{s, false}); }
inline Tensor operator/(const Tensor& a, double s) { return div(a, Scalar{s, false}); }
inline Tensor operator-(double s, const Tensor& a) { return rsub(Scalar{s, false}, a); }
inline Tensor operator/(double s, const Tensor& a) { return rdiv(Scalar{s, false}, a); }

}  // namespace pyjac

// ---- neural-network activations and softmax (ops/activations.cpp) -------------------------------
namespace pyjac {

Tensor erf(const Tensor& x);
// log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's softplus).
Tensor softplus(const Tensor& x, double beta, double threshold);
// x Phi(x); with `tanh_approximation`, x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2.
Tensor gelu(const Tensor& x, bool tanh_approximation);
Tensor leaky_relu(const Tensor& x, double negative_slope);
Tensor elu(const Tensor& x, double alpha);
Tensor silu(const Tensor& x);  // x sigmoid(x)
// Along one axis (negative counts from the end), shifted by the max so nothing overflows.
Tensor softmax(const Tensor& x, int64_t axis);
Tensor log_softmax(const Tensor& x, int64_t axis);

}  // namespace pyjac

// ---- special functions of pyjac.special (ops/special_functions.cpp), SciPy's names ---------------
namespace pyjac {

Tensor gamma(const Tensor& x);
Tensor gammaln(const Tensor& x);  // log |gamma(x)|
Tensor digamma(const Tensor& x);
Tensor polygamma(int64_t n, const Tensor& x);  // n >= 0 (ValueError otherwise); n = 0 is digamma
Tensor erfc(const Tensor& x);
Tensor erfinv(const Tensor& x);
Tensor erfcx(const Tensor& x);  // exp(x^2) erfc(x)
Tensor ndtr(const Tensor& x);   // the standard normal CDF
Tensor log_ndtr(const Tensor& x);
Tensor ndtri(const Tensor& x);  // its inverse
Tensor i0e(const Tensor& x);    // exp(-|x|) I0(x)
Tensor i1e(const Tensor& x);    // exp(-|x|) I1(x)
Tensor logit(const Tensor& x);  // log(p / (1 - p))

}  // namespace pyjac

// ---- pyjac.linalg: LAPACK-backed matrix functions and decompositions (ops/linalg_decomp.cpp).
// All take stacks of matrices (..., m, n), float32 or float64 (other dtypes compute in float64).
namespace pyjac::linalg {

Tensor inv(const Tensor& a);
Tensor det(const Tensor& a);
TensorList slogdet(const Tensor& a);                      // {sign, log|det|}; the sign carries no gradient
Tensor solve(const Tensor& a, const Tensor& b);           // NumPy 2: b is (n,) or (..., n, k)
Tensor solve_matrices(const Tensor& a, const Tensor& b);  // a (..., n, n), b (..., n, k), broadcast batches
Tensor cholesky(const Tensor& a, bool upper);
TensorList qr(const Tensor& a, const std::string& mode);  // "reduced"/"complete": {Q, R}; "r": {R}
TensorList eigh(const Tensor& a, bool upper);             // {eigenvalues ascending, eigenvectors as columns}
TensorList svd(const Tensor& a, bool full_matrices, bool compute_uv);  // {U, S, Vh}, or {S}
Tensor svdvals(const Tensor& a);
// The pseudo-inverse, singular values <= rcond * max(S) taken as 0 (rcond broadcasts against the batch dims).
Tensor pinv(const Tensor& a, const Tensor& rcond);

}  // namespace pyjac::linalg

// ---- array manipulation, diagonals and triangles, products, advanced indexing, einsum
// (ops/array_manipulation.cpp, ops/matrix_structure.cpp, ops/linalg.cpp, ops/indexing.cpp, ops/einsum.cpp) ----
namespace pyjac {

// Indexing with at least one Array item (getitem sends those here). Copies, like NumPy.
Tensor getitem_advanced(const Tensor& x, const std::vector<IndexItem>& index);
// A copy of x with x[index] = values (values broadcast to x[index]'s shape, cast to x's dtype);
// differentiable in x and values. Through repeated indices the last write wins, and only it
// gets a gradient.
Tensor index_put(const Tensor& x, const std::vector<IndexItem>& index, const Tensor& values);
Tensor take(const Tensor& a, const Tensor& indices, std::optional<int64_t> axis);
Tensor take_along_axis(const Tensor& a, const Tensor& indices, std::optional<int64_t> axis);

// Either a number of equal sections or the split points.
struct SplitSpec {
  std::optional<int64_t> sections;
  std::vector<int64_t> indices;
};
TensorList split(const Tensor& x, const SplitSpec& spec, int64_t axis);
TensorList array_split(const Tensor& x, const SplitSpec& spec, int64_t axis);
Tensor flip(const Tensor& x, const Axes& axes);
Tensor tile(const Tensor& x, const std::vector<int64_t>& reps);
// repeats: one count for every element, or one per element along `axis` (nullopt: flattened).
Tensor repeat(const Tensor& x, const std::vector<int64_t>& repeats, std::optional<int64_t> axis);
struct PadSpec {
  enum Mode { Constant, Edge, Reflect, Symmetric, Wrap } mode = Constant;
  std::vector<std::pair<int64_t, int64_t>> widths;         // one pair per axis
  std::vector<std::pair<double, double>> constant_values;  // one pair per axis
};
Tensor pad(const Tensor& x, const PadSpec& spec);
Tensor moveaxis(const Tensor& x, const std::vector<int64_t>& source, const std::vector<int64_t>& destination);
Tensor swapaxes(const Tensor& x, int64_t axis1, int64_t axis2);
Tensor ravel(const Tensor& x);
Tensor flatten(const Tensor& x);  // always a copy
// One int64 tensor per dim of x, the coordinates of its nonzero elements in C order (NumPy's
// nonzero; integer results, no derivative).
TensorList nonzero(const Tensor& x);
// A strided view: axis1 and axis2 removed, the diagonal appended as the last axis.
Tensor diagonal(const Tensor& x, int64_t offset, int64_t axis1, int64_t axis2);
Tensor trace(const Tensor& x, int64_t offset, int64_t axis1, int64_t axis2);
Tensor triu(const Tensor& x, int64_t k);
Tensor tril(const Tensor& x, int64_t k);
Tensor outer(const Tensor& a, const Tensor& b);
Tensor inner(const Tensor& a, const Tensor& b);
Tensor kron(const Tensor& a, const Tensor& b);
Tensor einsum(const std::string& subscripts, const TensorList& operands);

}  // namespace pyjac
// ---- end of array manipulation, indexing and products ----

// ---- in-place ops (ops/inplace.cpp) ----------------------------------------------------------
// Each writes into `self`'s memory (so every view sharing it sees the change), bumps the storage's
// version and returns self. Arithmetic results must cast to self's dtype under NumPy's same_kind
// rule (TypeError otherwise); copy_ too, as np.copyto; fill_ and setitem_ cast like NumPy's
// assignment. Autograd follows PyTorch: a leaf that requires grad can't be written while grad
// mode is on; otherwise self takes a new history whose node has self's old history as input
// (nodes that saved the old values raise in backward); a view can't be given one (RuntimeError).
namespace pyjac {

Tensor add_(const Tensor& self, const Tensor& other, Scalar alpha);  // self += alpha * other
Tensor sub_(const Tensor& self, const Tensor& other, Scalar alpha);  // self -= alpha * other
Tensor mul_(const Tensor& self, const Tensor& other);
Tensor div_(const Tensor& self, const Tensor& other);
Tensor clamp_(const Tensor& self, std::optional<double> lo, std::optional<double> hi);
Tensor copy_(const Tensor& self, const Tensor& src);  // src broadcast to self's shape
Tensor fill_(const Tensor& self, Scalar value);       // an int fills an int64 tensor exactly
Tensor zero_(const Tensor& self);
// self[index] = value (basic indices; value broadcast to the region, as NumPy).
Tensor setitem_(const Tensor& self, const std::vector<IndexItem>& index, const Tensor& value);
// The same out of place: a copy of x with x[index] = value, differentiable in x and value.
Tensor setitem(const Tensor& x, const std::vector<IndexItem>& index, const Tensor& value);

}  // namespace pyjac

// ---- math functions, reductions beyond sum / mean / max / min, statistics, scans -----------------
// Ops in ops/math_functions.cpp, ops/reductions.cpp, ops/statistics.cpp and ops/scan.cpp.
namespace pyjac {

// Elementwise. Integers give float64 for the transcendental ones; floor, ceil, trunc, round and
// reciprocal keep integer dtypes. floor / ceil / trunc / round have zero derivative.
Tensor arcsin(const Tensor& x);
Tensor arccos(const Tensor& x);
Tensor arctan(const Tensor& x);
Tensor sinh(const Tensor& x);
Tensor cosh(const Tensor& x);
Tensor arcsinh(const Tensor& x);
Tensor arccosh(const Tensor& x);
Tensor arctanh(const Tensor& x);
Tensor log2(const Tensor& x);
Tensor log10(const Tensor& x);
Tensor exp2(const Tensor& x);
Tensor reciprocal(const Tensor& x);
Tensor floor(const Tensor& x);
Tensor ceil(const Tensor& x);
Tensor trunc(const Tensor& x);
Tensor round(const Tensor& x, int64_t decimals);  // NumPy's: half to even
Tensor arctan2(const Tensor& y, const Tensor& x);
Tensor mod(const Tensor& a, const Tensor& b);           // NumPy's remainder: the divisor's sign
Tensor floor_divide(const Tensor& a, const Tensor& b);  // NumPy's //: pairs with mod
Tensor cbrt(const Tensor& x);
Tensor sinc(const Tensor& x);     // NumPy's normalised sinc, sin(pi x) / (pi x)
Tensor fabs(const Tensor& x);     // abs with a float result, as NumPy
Tensor deg2rad(const Tensor& x);  // also NumPy's radians
Tensor rad2deg(const Tensor& x);  // also NumPy's degrees
Tensor logaddexp(const Tensor& a, const Tensor& b);
Tensor logaddexp2(const Tensor& a, const Tensor& b);
Tensor hypot(const Tensor& a, const Tensor& b);
Tensor fmax(const Tensor& a, const Tensor& b);  // maximum that ignores NaN
Tensor fmin(const Tensor& a, const Tensor& b);
// Truth values (nonzero, NaN too), as NumPy; bool results, no derivative.
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);

// Reductions (`axes` as for sum).
Tensor prod(const Tensor& x, const Axes& axes, bool keepdims);
Tensor var(const Tensor& x, const Axes& axes, double ddof, bool keepdims);
Tensor stddev(const Tensor& x, const Axes& axes, double ddof, bool keepdims);  // pyjac.std
Tensor logsumexp(const Tensor& x, const Axes& axes, bool keepdims);
Tensor all(const Tensor& x, const Axes& axes, bool keepdims);
Tensor any(const Tensor& x, const Axes& axes, bool keepdims);
// int64 indices, no gradient; no axis: into the flattened tensor.
Tensor argmax(const Tensor& x, std::optional<int64_t> axis, bool keepdims);
Tensor argmin(const Tensor& x, std::optional<int64_t> axis, bool keepdims);

// Cumulative sum and product; no axis: over the flattened tensor (NumPy's default).
Tensor cumsum(const Tensor& x, std::optional<int64_t> axis);
Tensor cumprod(const Tensor& x, std::optional<int64_t> axis);
// The pieces the scan rules are written in, along `axis` counted from the end (-1 is the last
// dim, so a cotangent's leading batch dims pass through), in reverse from the last index when
// `reverse`. "previous" is index i - 1 (i + 1 when reversed).
Tensor cumsum_along(const Tensor& x, int64_t axis, bool reverse);
Tensor cumprod_along(const Tensor& x, int64_t axis, bool reverse);
// w[i] = g[i] + a[i] * w[previous], w[first] = g[first]; g and a broadcast together.
Tensor linear_scan(const Tensor& g, const Tensor& a, int64_t axis, bool reverse);
// out[i] = x[previous], out[first] = fill.
Tensor shift_along(const Tensor& x, int64_t axis, bool reverse, double fill);

}  // namespace pyjac

// ---- sorting, searching, NaN handling (ops/sorting.cpp) -----------------------------------------
// `axis` nullopt: over the flattened tensor (NumPy's axis=None). Sorts are stable with NaNs last.
// sort and partition differentiate through the permutation (a gather: take_along_axis's rules);
// argsort, argpartition, searchsorted and the is* tests have no derivative.
namespace pyjac {

Tensor sort(const Tensor& x, std::optional<int64_t> axis);
Tensor argsort(const Tensor& x, std::optional<int64_t> axis);
// Every kth checked against the axis length as NumPy; the result is then fully sorted (a valid
// partition for every kth at once).
Tensor partition(const Tensor& x, const std::vector<int64_t>& kth, std::optional<int64_t> axis);
Tensor argpartition(const Tensor& x, const std::vector<int64_t>& kth, std::optional<int64_t> axis);
// Insertion points of v into the 1-d a (sorted, or sorted by `sorter`); compared in their
// common dtype.
Tensor searchsorted(const Tensor& a, const Tensor& v, bool right, const std::optional<Tensor>& sorter);
Tensor isnan(const Tensor& x);
Tensor isinf(const Tensor& x);
Tensor isfinite(const Tensor& x);
// NaN, +inf, -inf replaced (defaults of posinf / neginf: the dtype's largest / lowest finite
// value); derivative 1 where x is finite, 0 where a value was replaced. Integers: a copy.
Tensor nan_to_num(const Tensor& x, double nan, std::optional<double> posinf, std::optional<double> neginf);

}  // namespace pyjac
