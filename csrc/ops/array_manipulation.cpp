// Array manipulation with NumPy's signatures: split, array_split, flip, tile, repeat, pad,
// moveaxis, swapaxes, ravel, flatten. Each is written in differentiable ops (views, reshape,
// broadcast_to, concatenate, take), so all their derivatives, of every order and in both modes,
// come from those ops' rules. Where NumPy always copies (tile, repeat, pad, flatten), a result
// that came out as a view is copied too, so writes to it never reach the input.
#include <algorithm>
#include <numeric>

#include "kernels/kernels.h"
#include "ops/ops.h"
#include "tensor/errors.h"
#include "vmap/rules.h"

namespace pyjac {

namespace {

IndexItem full_slice() { return IndexItem{IndexItem::Slice}; }

IndexItem slice(std::optional<int64_t> start, std::optional<int64_t> stop, int64_t step = 1) {
  IndexItem it{IndexItem::Slice};
  it.start = start.value_or(0);
  it.stop = stop.value_or(0);
  it.step = step;
  it.has_start = bool(start);
  it.has_stop = bool(stop);
  return it;
}

// x[:, ..., :, index-along-axis] with `axis` full slices before it.
Tensor along(const Tensor& x, int64_t axis, const IndexItem& it) {
  std::vector<IndexItem> index(size_t(axis), full_slice());
  index.push_back(it);
  return getitem(x, index);
}

bool shares_storage(const Tensor& a, const Tensor& b) {
  return vmap::physical(a)->storage == vmap::physical(b)->storage;
}

std::vector<int64_t> split_points(const Tensor& x, const SplitSpec& spec, int64_t ax, bool equal, const char* op) {
  const int64_t n = x.shape()[ax];
  if (!spec.sections) return spec.indices;
  const int64_t sections = *spec.sections;
  if (sections <= 0)
    throw ValueError(std::string(op) + ": number sections must be larger than 0, got " + std::to_string(sections));
  if (equal && n % sections != 0)
    throw ValueError(std::string(op) + ": array split does not result in an equal division: axis " +
                     std::to_string(ax) + " of " + describe(x) + " into " + std::to_string(sections) + " sections");
  const int64_t each = n / sections, extras = n % sections;
  // An absurd count (2**41) fails here at once, not after eating memory: each section is a split
  // point and a tensor, and what can't fit the allocation cap is refused before asking for it.
  const AllocationError too_many("cannot make " + std::to_string(sections) + " sections: not enough memory for them");
  constexpr int64_t section_bytes = int64_t(sizeof(int64_t) + sizeof(TensorImpl));
  if (sections >= kMaxAllocationBytes / section_bytes) throw too_many.for_op(op);
  std::vector<int64_t> points;
  try {
    points.reserve(size_t(sections - 1));
  } catch (const std::bad_alloc&) {
    throw too_many.for_op(op);
  }
  int64_t at = 0;
  for (int64_t i = 0; i + 1 < sections; ++i) points.push_back(at += each + (i < extras ? 1 : 0));
  return points;
}

TensorList split_impl(const Tensor& x, const SplitSpec& spec, int64_t axis, bool equal, const char* op) {
  if (x.ndim() == 0) throw ValueError(std::string(op) + ": cannot split a 0-d tensor");
  const int64_t ax = normalize_axis(axis, x.ndim(), op);
  std::vector<int64_t> points = split_points(x, spec, ax, equal, op);
  TensorList out;
  std::optional<int64_t> start;
  for (auto p : points) {
    out.push_back(along(x, ax, slice(start, p)));
    start = p;
  }
  out.push_back(along(x, ax, slice(start, std::nullopt)));
  return out;
}

// Where index i of an axis of size n lands under NumPy's non-constant pad modes.
int64_t pad_source(PadSpec::Mode mode, int64_t i, int64_t n) {
  auto mod = [](int64_t a, int64_t m) { return ((a % m) + m) % m; };
  switch (mode) {
    case PadSpec::Edge: return std::clamp<int64_t>(i, 0, n - 1);
    case PadSpec::Wrap: return mod(i, n);
    case PadSpec::Reflect: {
      if (n == 1) return 0;
      const int64_t j = mod(i, 2 * (n - 1));
      return j >= n ? 2 * (n - 1) - j : j;
    }
    case PadSpec::Symmetric: {
      const int64_t j = mod(i, 2 * n);
      return j >= n ? 2 * n - 1 - j : j;
    }
    case PadSpec::Constant: break;
  }
  return i;
}

}  // namespace

TensorList split(const Tensor& x, const SplitSpec& spec, int64_t axis) {
  return split_impl(x, spec, axis, true, "split");
}
TensorList array_split(const Tensor& x, const SplitSpec& spec, int64_t axis) {
  return split_impl(x, spec, axis, false, "array_split");
}

Tensor flip(const Tensor& x, const Axes& axes) {
  std::vector<int64_t> ax;
  if (axes)
    ax = normalize_axes(*axes, x.ndim(), "flip");
  else
    for (int64_t d = 0; d < x.ndim(); ++d) ax.push_back(d);
  std::vector<IndexItem> index;
  for (int64_t d = 0; d < x.ndim(); ++d)
    index.push_back(std::binary_search(ax.begin(), ax.end(), d) ? slice(std::nullopt, std::nullopt, -1) : full_slice());
  return getitem(x, index);
}

// x seen as (1, s0, 1, s1, ...), broadcast to (r0, s0, r1, s1, ...), flattened pairwise.
Tensor tile(const Tensor& x, const std::vector<int64_t>& reps_in) {
  for (auto r : reps_in)
    if (r < 0) throw ValueError("tile: negative repetitions are not allowed, got " + shape_str(reps_in));
  const size_t nd = std::max(size_t(x.ndim()), reps_in.size());
  Shape xs(nd - size_t(x.ndim()), 1), reps(nd - reps_in.size(), 1);
  xs.insert(xs.end(), x.shape().begin(), x.shape().end());
  reps.insert(reps.end(), reps_in.begin(), reps_in.end());
  Shape paired, spread, out_shape;
  for (size_t d = 0; d < nd; ++d) {
    paired.insert(paired.end(), {1, xs[d]});
    spread.insert(spread.end(), {reps[d], xs[d]});
    out_shape.push_back(reps[d] * xs[d]);
  }
  Tensor out = reshape(broadcast_to(reshape(x, paired), spread), out_shape);
  return shares_storage(out, x) ? copy(out) : out;  // NumPy's tile always copies
}

Tensor repeat(const Tensor& x_in, const std::vector<int64_t>& repeats, std::optional<int64_t> axis) {
  Tensor x = axis ? x_in : reshape(x_in, {-1});
  const int64_t ax = normalize_axis(axis.value_or(0), x.ndim(), "repeat");
  const int64_t n = x.shape()[ax];
  for (auto r : repeats)
    if (r < 0) throw ValueError("repeat: negative repeats are not allowed, got " + shape_str(repeats));
  if (repeats.size() == 1) {
    Shape spread = x.shape(), out_shape = x.shape();
    spread.insert(spread.begin() + ax + 1, repeats[0]);
    out_shape[ax] *= repeats[0];
    Tensor out = reshape(broadcast_to(expand_dims(x, {ax + 1}), spread), out_shape);
    return shares_storage(out, x_in) ? copy(out) : out;
  }
  if (int64_t(repeats.size()) != n)
    throw ValueError("repeat: operands could not be broadcast together with shape (" + std::to_string(n) + ",) (" +
                     std::to_string(repeats.size()) + ",): " + std::to_string(repeats.size()) + " repeats for axis " +
                     std::to_string(ax) + " of " + describe(x));
  const int64_t total = std::accumulate(repeats.begin(), repeats.end(), int64_t(0));
  Tensor idx = empty({total}, DType::Int64);
  int64_t* p = idx.data<int64_t>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t r = 0; r < repeats[size_t(i)]; ++r) *p++ = i;
  return take(x, idx, ax);
}

Tensor pad(const Tensor& x, const PadSpec& spec) {
  const int64_t nd = x.ndim();
  if (int64_t(spec.widths.size()) != nd)
    throw ValueError("pad: pad_width has " + std::to_string(spec.widths.size()) + " entries for " + describe(x));
  for (auto& w : spec.widths)
    if (w.first < 0 || w.second < 0) throw ValueError("pad: pad_width can't contain negative values");
  Tensor out = x;
  if (spec.mode == PadSpec::Constant) {
    // Axis by axis, each padding across the earlier axes' padding: corners get the last axis's value, as in NumPy.
    for (int64_t d = 0; d < nd; ++d) {
      auto [before, after] = spec.widths[size_t(d)];
      if (!before && !after) continue;
      auto [v_before, v_after] =
          spec.constant_values.empty() ? std::pair<double, double>{0, 0} : spec.constant_values[size_t(d)];
      Shape sb = out.shape(), sa = out.shape();
      sb[d] = before;
      sa[d] = after;
      out = concatenate({full(sb, v_before, x.dtype()), out, full(sa, v_after, x.dtype())}, d);
    }
    return shares_storage(out, x) ? copy(out) : out;  // NumPy's pad always copies
  }
  for (int64_t d = 0; d < nd; ++d) {
    auto [before, after] = spec.widths[size_t(d)];
    if (!before && !after) continue;
    const int64_t n = x.shape()[d];
    if (n == 0)
      throw ValueError("pad: can't extend empty axis " + std::to_string(d) + " of " + describe(x) +
                       " using modes other than 'constant'");
    Tensor idx = empty({before + n + after}, DType::Int64);
    int64_t* p = idx.data<int64_t>();
    for (int64_t i = -before; i < n + after; ++i) *p++ = pad_source(spec.mode, i, n);
    out = take(out, idx, d);
  }
  return shares_storage(out, x) ? copy(out) : out;
}

Tensor moveaxis(const Tensor& x, const std::vector<int64_t>& source, const std::vector<int64_t>& destination) {
  if (source.size() != destination.size())
    throw ValueError("moveaxis: `source` and `destination` arguments must have the same number of elements, got " +
                     shape_str(source) + " and " + shape_str(destination));
  const int64_t nd = x.ndim();
  std::vector<int64_t> src, dst;
  for (auto a : source) src.push_back(normalize_axis(a, nd, "moveaxis"));
  for (auto a : destination) dst.push_back(normalize_axis(a, nd, "moveaxis"));
  normalize_axes(source, nd, "moveaxis");  // raises on a repeated axis
  normalize_axes(destination, nd, "moveaxis");
  std::vector<int64_t> order;
  for (int64_t d = 0; d < nd; ++d)
    if (std::find(src.begin(), src.end(), d) == src.end()) order.push_back(d);
  std::vector<std::pair<int64_t, int64_t>> moves;
  for (size_t i = 0; i < src.size(); ++i) moves.push_back({dst[i], src[i]});
  std::sort(moves.begin(), moves.end());
  for (auto [to, from] : moves) order.insert(order.begin() + to, from);
  return transpose(x, order);
}

Tensor swapaxes(const Tensor& x, int64_t axis1, int64_t axis2) {
  const int64_t a = normalize_axis(axis1, x.ndim(), "swapaxes"), b = normalize_axis(axis2, x.ndim(), "swapaxes");
  std::vector<int64_t> perm(size_t(x.ndim()));
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[size_t(a)], perm[size_t(b)]);
  return transpose(x, perm);
}

Tensor ravel(const Tensor& x) { return reshape(x, {-1}); }

Tensor flatten(const Tensor& x) {
  Tensor out = reshape(x, {-1});
  return shares_storage(out, x) ? copy(out) : out;
}

TensorList nonzero(const Tensor& x) {
  if (vmap::is_batched(x))
    vmap::unbatchable("nonzero", "can't be batched: the shape of its result depends on the values");
  // NumPy 2 refuses 0-d input: its old answer (as if 1-d) silently changed arr[nonzero(c)].
  if (x.ndim() == 0)
    throw ValueError("nonzero: calling nonzero on 0d arrays is not allowed (got " + describe(x) +
                     "); use atleast_1d(x).nonzero() instead, or index with the boolean condition itself");
  return kernels::nonzero(x);
}

}  // namespace pyjac
