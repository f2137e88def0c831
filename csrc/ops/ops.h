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
Tensor fill_(const Tensor& self, double value);
Tensor zero_(const Tensor& self);
// self[index] = value (basic indices; value broadcast to the region, as NumPy).
Tensor setitem_(const Tensor& self, const std::vector<IndexItem>& index, const Tensor& value);
// The same out of place: a copy of x with x[index] = value, differentiable in x and value.
Tensor setitem(const Tensor& x, const std::vector<IndexItem>& index, const Tensor& value);

}  // namespace pyjac
