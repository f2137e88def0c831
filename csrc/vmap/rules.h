#pragma once
// The batching rules ops share (Note [Batched tensors], batched.h): each moves the batch dims to
// the front, calls the op on the plain physical tensors and wraps the result. An op's entry in
// csrc/ops/ picks its rule in its first line:
//   VMAP_ELEMENTWISE(op, inputs...)   broadcasting ops: the batch dims broadcast in front
//   VMAP_UNARY(x, expr)               the same for one input and parameters
//   VMAP_AXES(x, axes, expr)          ops along axes: the axes move past the batch dims
//   VMAP_AXIS_OR_FLAT(x, axis, expr)  one axis, nullopt meaning the flattened tensor
//   VMAP_LOOP(op, args...)            anything else: once per example, stacked (vmap/loop.h)
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ops/ops.h"
#include "tensor/errors.h"
#include "vmap/batched.h"
#include "vmap/loop.h"

namespace pyjac::vmap {

// Elementwise: every input with the batch dims of all of them in front (size 1 where it lacks a
// level) and its logical dims padded to the widest, so that they broadcast as the logical ones do.
template <class F, class... Ts>
auto elementwise(F&& f, const Ts&... xs) {
  const Levels levels = levels_of({&xs...});
  int64_t ndim = 0;
  ((ndim = std::max(ndim, xs.ndim())), ...);
  auto out = f(to_front(xs, levels, ndim)...);
  return from_front(out, levels);
}

// A logical axis (negative counts from the end of `ndim` dims) past `k` batch dims in front. Checked
// here: out of range for the example, it could still name a dim of the physical tensor.
inline int64_t shift_axis(int64_t axis, int64_t ndim, int64_t k) {
  if (axis < -ndim || axis >= ndim)
    throw ValueError("axis " + std::to_string(axis) + " is out of bounds for a tensor of dimension " +
                     std::to_string(ndim));
  return (axis < 0 ? axis + ndim : axis) + k;
}
inline std::vector<int64_t> shift_axes(const std::vector<int64_t>& axes, int64_t ndim, int64_t k) {
  std::vector<int64_t> out;
  for (int64_t a : axes) out.push_back(shift_axis(a, ndim, k));
  return out;
}
inline int64_t shift_axes(int64_t axis, int64_t ndim, int64_t k) { return shift_axis(axis, ndim, k); }
// nullopt (every axis) becomes every logical axis.
inline Axes shift_axes(const Axes& axes, int64_t ndim, int64_t k) {
  if (axes) return shift_axes(*axes, ndim, k);
  std::vector<int64_t> all;
  for (int64_t d = 0; d < ndim; ++d) all.push_back(d + k);
  return all;
}

// An op of x along `axes` (an int, a list, or Axes where nullopt is every axis):
// f(physical x with the batch dims in front, the axes moved past them).
template <class A, class F>
Tensor along_axes(const Tensor& x, const A& axes, F&& f) {
  const Levels levels = levels_of({&x});
  const int64_t k = int64_t(levels.size());
  return from_front(f(to_front(x, levels), shift_axes(axes, x.ndim(), k)), levels);
}

// An op of x along one axis where nullopt means the flattened x (cumsum, sort, ...).
template <class F>
Tensor along_axis_or_flat(const Tensor& x, std::optional<int64_t> axis, F&& f) {
  const Levels levels = levels_of({&x});
  const int64_t k = int64_t(levels.size());
  Tensor p = to_front(x, levels);
  if (!axis) {
    Shape flat(p.shape().begin(), p.shape().begin() + k);
    flat.push_back(x.numel());
    return from_front(f(reshape(p, flat), std::optional<int64_t>(k)), levels);
  }
  return from_front(f(p, std::optional<int64_t>(shift_axis(*axis, x.ndim(), k))), levels);
}

// An op of x along axes: f(physical with batch dims in front, k) -> physical result with them in front.
template <class F>
Tensor along_axes(const Tensor& x, F&& f) {
  const Levels levels = levels_of({&x});
  return from_front(f(to_front(x, levels), int64_t(levels.size())), levels);
}

// p's first k (batch) dims followed by `shape`.
inline Shape with_batch_dims(const Tensor& p, int64_t k, const Shape& shape) {
  Shape out(p.shape().begin(), p.shape().begin() + k);
  out.insert(out.end(), shape.begin(), shape.end());
  return out;
}

// An index with k full slices in front, for the batch dims.
inline std::vector<IndexItem> with_batch_slices(const std::vector<IndexItem>& index, int64_t k) {
  std::vector<IndexItem> out(size_t(k), IndexItem{IndexItem::Slice});
  out.insert(out.end(), index.begin(), index.end());
  return out;
}

// The same for ops returning several tensors.
inline TensorList from_front(const TensorList& ps, const Levels& levels) {
  TensorList out;
  for (const Tensor& p : ps) out.push_back(from_front(p, levels));
  return out;
}

}  // namespace pyjac::vmap

#define VMAP_ELEMENTWISE(op, ...)              \
  if (::pyjac::vmap::any_batched(__VA_ARGS__)) \
  return ::pyjac::vmap::elementwise([](const auto&... p) { return op(p...); }, __VA_ARGS__)
// The one-input form for ops with parameters: `expr` is the op applied to the physical x (the
// lambda's parameter shadows the batched x), e.g. VMAP_UNARY(x, clip(x, lo, hi)).
#define VMAP_UNARY(x, expr) \
  if (::pyjac::vmap::is_batched(x)) return ::pyjac::vmap::elementwise([&](const Tensor& x) { return expr; }, x)
// Ops along axes: `expr` is the op on the physical x with the axes past the batch dims (both
// names shadowed inside), e.g. VMAP_AXES(x, axes, sum(x, axes, keepdims)).
#define VMAP_AXES(x, axes, expr)    \
  if (::pyjac::vmap::is_batched(x)) \
  return ::pyjac::vmap::along_axes(x, axes, [&](const Tensor& x, const auto& axes) { return expr; })
// The same for one axis where nullopt means the flattened x.
#define VMAP_AXIS_OR_FLAT(x, axis, expr) \
  if (::pyjac::vmap::is_batched(x))      \
  return ::pyjac::vmap::along_axis_or_flat(x, axis, [&](const Tensor& x, std::optional<int64_t> axis) { return expr; })
// VMAP_UNARY for ops returning several tensors.
#define VMAP_UNARY_LIST(x, expr)                                          \
  if (::pyjac::vmap::is_batched(x)) {                                     \
    const ::pyjac::vmap::Levels levels_ = ::pyjac::vmap::levels_of({&x}); \
    return [&](const Tensor& x) {                                         \
      return ::pyjac::vmap::from_front(expr, levels_);                    \
    }(::pyjac::vmap::to_front(x, levels_));                               \
  }
#define VMAP_LOOP(op, ...)                         \
  if (::pyjac::vmap::any_batched_arg(__VA_ARGS__)) \
  return ::pyjac::vmap::loop(#op, [](const auto&... p) { return op(p...); }, __VA_ARGS__)
