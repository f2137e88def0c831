#include "vmap/batched.h"

#include <algorithm>
#include <atomic>
#include <string>

#include "ops/ops.h"
#include "tensor/errors.h"

namespace pyjac::vmap {

bool any_batched(const TensorList& ts) {
  return std::any_of(ts.begin(), ts.end(), [](const Tensor& t) { return is_batched(t); });
}

const BatchInfo& info(const Tensor& t) { return *t->batch; }

namespace {

[[noreturn]] void escaped() {
  throw std::runtime_error(
      "vmap: a batched tensor was used outside the vmap that made it (a value from inside a vmapped "
      "function was kept, e.g. in a global, and used after vmap returned)");
}

}  // namespace
const Tensor& physical(const Tensor& t) { return is_batched(t) ? t->batch->physical : t; }

Tensor make_batched(const Tensor& phys, BatchDims dims) {
  if (dims.empty()) return phys;
  auto impl = std::make_shared<TensorImpl>();
  Shape logical;
  const int64_t nd = phys.ndim();
  for (int64_t d = 0; d < nd; ++d) {
    const bool batch = std::any_of(dims.begin(), dims.end(), [&](const BatchDim& b) { return b.dim == d; });
    if (!batch) logical.push_back(phys.shape()[d]);
  }
  impl->strides = contiguous_strides(logical);
  impl->shape = std::move(logical);
  impl->dtype = phys.dtype();
  impl->requires_grad = phys.requires_grad();
  impl->batch = std::make_shared<BatchInfo>(BatchInfo{phys, std::move(dims)});
  return Tensor(std::move(impl));
}

void add_levels(Levels& levels, const Tensor& t) {
  if (!is_batched(t)) return;
  for (const BatchDim& b : info(t).dims) {
    if (!std::binary_search(live_levels().begin(), live_levels().end(), b.level)) escaped();
    auto it = std::lower_bound(levels.begin(), levels.end(), b.level);
    if (it == levels.end() || *it != b.level) levels.insert(it, b.level);
  }
}

Levels levels_of(std::initializer_list<const Tensor*> ts) {
  Levels levels;
  for (const Tensor* t : ts) add_levels(levels, *t);
  return levels;
}

Levels levels_of(const TensorList& ts) {
  Levels levels;
  for (const Tensor& t : ts) add_levels(levels, t);
  return levels;
}

namespace {

const BatchDim* find_level(const Tensor& t, int64_t level) {
  if (!is_batched(t)) return nullptr;
  for (const BatchDim& b : info(t).dims)
    if (b.level == level) return &b;
  return nullptr;
}

}  // namespace

Shape level_sizes(const Levels& levels, const TensorList& xs) {
  Shape sizes;
  for (int64_t level : levels) {
    int64_t size = -1;
    for (const Tensor& x : xs)
      if (const BatchDim* b = find_level(x, level)) {
        size = physical(x).shape()[b->dim];
        break;
      }
    sizes.push_back(size >= 0 ? size : live_level_size(level));
  }
  return sizes;
}

Tensor to_front(const Tensor& x, const Levels& levels, int64_t logical_ndim, const Shape* sizes) {
  const int64_t k = int64_t(levels.size());
  const int64_t pad = std::max<int64_t>(0, logical_ndim - x.ndim());
  std::vector<int64_t> perm, new_axes;
  Tensor p = physical(x);
  if (is_batched(x)) {
    const BatchDims& dims = info(x).dims;
    for (const BatchDim& b : dims) {
      if (!std::binary_search(levels.begin(), levels.end(), b.level))
        throw std::logic_error("vmap: a tensor batched at a level the rule was not given");
      perm.push_back(b.dim);
    }
    for (int64_t d = 0; d < p.ndim(); ++d)
      if (std::none_of(dims.begin(), dims.end(), [&](const BatchDim& b) { return b.dim == d; })) perm.push_back(d);
    bool identity = true;
    for (size_t i = 0; i < perm.size(); ++i) identity = identity && perm[i] == int64_t(i);
    if (!identity) p = transpose(p, perm);
  }
  for (int64_t i = 0; i < k; ++i)
    if (!find_level(x, levels[size_t(i)])) new_axes.push_back(i);
  for (int64_t j = 0; j < pad; ++j) new_axes.push_back(k + j);
  if (!new_axes.empty()) p = expand_dims(p, new_axes);
  if (sizes) {
    Shape target = p.shape();
    bool same = true;
    for (int64_t i = 0; i < k; ++i) {
      same = same && target[size_t(i)] == (*sizes)[size_t(i)];
      target[size_t(i)] = (*sizes)[size_t(i)];
    }
    if (!same) p = broadcast_to(p, target);
  }
  return p;
}

Tensor from_front(const Tensor& p, const Levels& levels) {
  BatchDims dims;
  for (size_t i = 0; i < levels.size(); ++i) dims.push_back({levels[i], int64_t(i)});
  return make_batched(p, std::move(dims));
}

// ---- levels ----

namespace {

struct LiveLevel {
  int64_t level, size;
  Randomness randomness;
};
thread_local std::vector<LiveLevel> live;
thread_local Levels live_ids;
std::atomic<int64_t> next_level{1};

}  // namespace

int64_t push_level(int64_t size, Randomness randomness) {
  const int64_t level = next_level.fetch_add(1);
  live.push_back({level, size, randomness});
  live_ids.push_back(level);
  return level;
}

void pop_level(int64_t level) {
  if (live.empty() || live.back().level != level) throw std::logic_error("vmap: levels popped out of order");
  live.pop_back();
  live_ids.pop_back();
}

const Levels& live_levels() { return live_ids; }

int64_t live_level_size(int64_t level) {
  for (const LiveLevel& l : live)
    if (l.level == level) return l.size;
  escaped();
}

Reenter::Reenter(const Levels& levels, const Shape& sizes) {
  for (size_t i = 0; i < levels.size(); ++i) {
    auto at = std::lower_bound(live_ids.begin(), live_ids.end(), levels[i]);
    if (at != live_ids.end() && *at == levels[i]) continue;
    const auto pos = at - live_ids.begin();
    live_ids.insert(at, levels[i]);
    live.insert(live.begin() + pos, {levels[i], sizes[i], Randomness::Different});
    added_.push_back(levels[i]);
  }
}

Reenter::~Reenter() {
  for (int64_t level : added_) {
    auto at = std::lower_bound(live_ids.begin(), live_ids.end(), level);
    const auto pos = at - live_ids.begin();
    live_ids.erase(at);
    live.erase(live.begin() + pos);
  }
}

Randomness current_randomness() { return live.empty() ? Randomness::Different : live.back().randomness; }

// ---- vmap's boundary ----

namespace {

int64_t normalized_axis(int64_t axis, int64_t ndim, const char* what) {
  if (axis < -ndim || axis >= ndim)
    throw ValueError(std::string("vmap: ") + what + " " + std::to_string(axis) + " is out of range for a tensor with " +
                     std::to_string(ndim) + " dimension" + (ndim == 1 ? "" : "s"));
  return axis < 0 ? axis + ndim : axis;
}

}  // namespace

Tensor add_batch_dim(const Tensor& x, int64_t axis, int64_t level) {
  const int64_t a = normalized_axis(axis, x.ndim(), "in_axes");
  if (!is_batched(x)) return make_batched(x, {{level, a}});
  const Levels levels = levels_of({&x});
  if (levels.back() >= level) throw std::logic_error("vmap: a tensor already batched at an inner level");
  const Tensor p = to_front(x, levels);
  BatchDims dims;
  for (size_t i = 0; i < levels.size(); ++i) dims.push_back({levels[i], int64_t(i)});
  dims.push_back({level, int64_t(levels.size()) + a});
  return make_batched(p, std::move(dims));
}

Tensor remove_batch_dim(const Tensor& x, int64_t level, int64_t axis) {
  Levels levels = levels_of({&x});
  auto it = std::lower_bound(levels.begin(), levels.end(), level);
  if (it == levels.end() || *it != level) levels.insert(it, level);
  const int64_t a = normalized_axis(axis, x.ndim() + 1, "out_axes");
  const Shape sizes = level_sizes(levels, {x});
  const int64_t i = std::lower_bound(levels.begin(), levels.end(), level) - levels.begin();
  Tensor p = to_front(x, levels, -1, &sizes);
  const int64_t k = int64_t(levels.size());
  const int64_t to = (k - 1) + a;
  if (to != i) p = moveaxis(p, {i}, {to});
  levels.erase(levels.begin() + i);
  return from_front(p, levels);
}

Tensor batched_at(const Tensor& x, const Levels& wanted) {
  Levels levels = levels_of({&x});
  for (int64_t level : wanted) {
    auto it = std::lower_bound(levels.begin(), levels.end(), level);
    if (it == levels.end() || *it != level) levels.insert(it, level);
  }
  if (is_batched(x) && levels.size() == info(x).dims.size()) return x;
  const Shape sizes = level_sizes(levels, {x});
  return from_front(to_front(x, levels, -1, &sizes), levels);
}

void check_readable(const Tensor& t, const char* what) {
  if (is_batched(t))
    throw std::runtime_error(std::string("vmap: ") + what +
                             "() reads the values of a batched tensor inside vmap, which differ per example; Python "
                             "control flow or conversions on values can't be batched (use where() instead of if, "
                             "or move the conversion out of the vmapped function)");
}

void unbatchable(const char* op, const std::string& why) { throw ValueError(std::string("vmap: ") + op + " " + why); }

}  // namespace pyjac::vmap
