#pragma once
// Batched tensors: what vmap hands the user's function (Note [Batched tensors]).
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace pyjac::vmap {

using TensorList = std::vector<Tensor>;

// Note [Batched tensors]
// Inside vmap every mapped value is a *batched* tensor: its TensorImpl holds the logical
// (per-example) shape and dtype, no storage, and a BatchInfo naming the plain *physical* tensor
// behind it and which of its dims are batch dims, one per vmap level (levels are ids that grow
// with nesting, so an inner vmap's level is larger). An op called with a batched input runs its
// batching rule instead of its kernel: the rule moves the batch dims to the front (to_front),
// calls the op itself on the plain physical tensors, whose leading dims every rule already
// treats as batch dims (the batched cotangents of DESIGN.md), and wraps the result (from_front).
// Autograd and forward mode therefore only ever see plain tensors: the physical ops record
// themselves as usual. The transforms translate at their boundary (vmap/autograd_boundary.h):
// a batched output's cotangent becomes a physical one, and a gradient taken inside vmap is taken
// with respect to inputs batched at every live level, so that each example gets its own.
// Ops without a rule of their own run the generic one (vmap/loop.h): the op once per example,
// results stacked; docs/vmap.md lists them.
struct BatchDim {
  int64_t level;
  int64_t dim;  // in the physical tensor
};
using BatchDims = std::vector<BatchDim>;  // ascending levels
using Levels = std::vector<int64_t>;      // ascending

struct BatchInfo {
  Tensor physical;  // never batched itself
  BatchDims dims;
};

inline bool is_batched(const Tensor& t) { return t.defined() && t->batch != nullptr; }
inline bool any_batched() { return false; }
template <class... Ts>
bool any_batched(const Tensor& t, const Ts&... rest) {
  return is_batched(t) || any_batched(rest...);
}
bool any_batched(const TensorList& ts);

const BatchInfo& info(const Tensor& t);   // t must be batched
const Tensor& physical(const Tensor& t);  // t's physical tensor, or t itself when plain

// A tensor batched over `dims` of `physical` (a plain tensor); physical itself when dims is empty.
Tensor make_batched(const Tensor& physical, BatchDims dims);

// The levels any of the tensors is batched at, ascending.
Levels levels_of(std::initializer_list<const Tensor*> ts);
Levels levels_of(const TensorList& ts);
void add_levels(Levels& levels, const Tensor& t);

// x's physical tensor with the batch dims of `levels` in front, in that order (a dim of size 1
// where x is not batched at a level, or of the level's size when `sizes` is given), then x's
// logical dims, padded on the left with 1s to `logical_ndim` dims when that is larger.
Tensor to_front(const Tensor& x, const Levels& levels, int64_t logical_ndim = -1, const Shape* sizes = nullptr);
// p's first levels.size() dims as the batch dims of `levels`.
Tensor from_front(const Tensor& p, const Levels& levels);
// Each level's batch size among xs, in the order of `levels`.
Shape level_sizes(const Levels& levels, const TensorList& xs);

// ---- levels: one per running vmap, per thread ----
enum class Randomness { Error, Different, Same };
int64_t push_level(int64_t size, Randomness randomness);
void pop_level(int64_t level);
// The running levels, outermost first (empty outside vmap).
const Levels& live_levels();
int64_t live_level_size(int64_t level);
// The randomness rule of the innermost running vmap (Different outside vmap).
Randomness current_randomness();
// Makes `levels` (with their `sizes`) live again while it exists, where they are not: a custom
// Function's backward runs after its vmap may have returned (grad(vmap(f))), on tensors batched
// at that vmap's levels.
class Reenter {
 public:
  Reenter(const Levels& levels, const Shape& sizes);
  ~Reenter();
  Reenter(const Reenter&) = delete;
  Reenter& operator=(const Reenter&) = delete;

 private:
  Levels added_;
};
// A level of its own for the guard's lifetime (`size` examples).
class ScopedLevel {
 public:
  explicit ScopedLevel(int64_t size) : level(push_level(size, Randomness::Different)) {}
  ~ScopedLevel() { pop_level(level); }
  ScopedLevel(const ScopedLevel&) = delete;
  ScopedLevel& operator=(const ScopedLevel&) = delete;
  const int64_t level;
};

// A random tensor of the logical `shape` drawn by draw(physical shape), as the innermost vmap's
// randomness says: "error" raises, "same" draws one for every example, "different" draws one per
// example of every running vmap (batched at all of them).
template <class Draw>
Tensor random(const char* op, const Shape& shape, Draw&& draw);

// vmap's boundary: x's logical `axis` becomes the batch dim of `level`, and back (the batch dim of
// `level` becomes logical axis `axis` of the result).
Tensor add_batch_dim(const Tensor& x, int64_t axis, int64_t level);
Tensor remove_batch_dim(const Tensor& x, int64_t level, int64_t axis);
// x batched at every level in `levels` (expanded, without copying, where it is not yet).
Tensor batched_at(const Tensor& x, const Levels& levels);

template <class Draw>
Tensor random(const char* op, const Shape& shape, Draw&& draw) {
  const Levels& levels = live_levels();
  if (levels.empty()) return draw(shape);
  switch (current_randomness()) {
    case Randomness::Error:
      throw std::runtime_error(std::string("vmap: called random operation ") + op +
                               " inside vmap with randomness='error' (the default); pass randomness='different' "
                               "for independent draws per example, or 'same' for one draw shared by all");
    case Randomness::Same: return draw(shape);
    case Randomness::Different: break;
  }
  Shape physical_shape;
  for (int64_t level : levels) physical_shape.push_back(live_level_size(level));
  physical_shape.insert(physical_shape.end(), shape.begin(), shape.end());
  return from_front(draw(physical_shape), levels);
}

// Raises when t is batched: `what` (item, float, numpy, ...) would read its values, which differ
// per example (Python control flow on values can't be batched).
void check_readable(const Tensor& t, const char* what);

// "vmap: <op> ..." errors.
[[noreturn]] void unbatchable(const char* op, const std::string& why);

}  // namespace pyjac::vmap
