#pragma once
// Differentiable ops: the public C++ API the bindings expose and the derivative rules are written in.
// Each op runs its kernel and, when an input requires grad and grad mode is on, records a Node.
#include <optional>
#include <vector>

#include "tensor/tensor.h"

namespace pyjac {

// A Python number: ints keep integer tensors integral, floats don't (NumPy 2's weak scalars).
struct Scalar {
  double value;
  bool is_int;
};

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
Tensor add(const Tensor& a, Scalar s);
Tensor mul(const Tensor& a, Scalar s);
Tensor sub(const Tensor& a, Scalar s);
Tensor rsub(Scalar s, const Tensor& a);
Tensor div(const Tensor& a, Scalar s);
Tensor rdiv(Scalar s, const Tensor& a);
Tensor pow(const Tensor& a, Scalar s);
Tensor rpow(Scalar s, const Tensor& a);

// Comparisons give bool tensors and no gradient.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
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

// Reductions.
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
Tensor alias(const Tensor& x);  // same data and shape, a new node in the graph
Tensor copy(const Tensor& x);   // same values in new memory
Tensor reshape(const Tensor& x, const Shape& shape);  // one entry may be -1
Tensor transpose(const Tensor& x, const std::optional<std::vector<int64_t>>& perm);
Tensor swap_last_two(const Tensor& x);
Tensor broadcast_to(const Tensor& x, const Shape& shape);
Tensor squeeze(const Tensor& x, const Axes& axes);
Tensor expand_dims(const Tensor& x, const std::vector<int64_t>& axes);
Tensor concatenate(const TensorList& xs, std::optional<int64_t> axis);
Tensor stack(const TensorList& xs, int64_t axis);

// Basic indexing: ints, slices, None, Ellipsis, as in NumPy.
struct IndexItem {
  enum Kind : uint8_t { Int, Slice, NewAxis, Ellipsis } kind;
  int64_t start = 0, stop = 0, step = 1;
  bool has_start = false, has_stop = false;
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

// ==== breadth (h1): more elementwise functions, reductions and scans ==========================
// Ops in ops/elementwise_more.cpp, ops/reduction_more.cpp and ops/scan.cpp.
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
Tensor mod(const Tensor& a, const Tensor& b);  // NumPy's remainder: the divisor's sign

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
