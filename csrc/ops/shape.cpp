// Shape ops and basic indexing. All of them return views sharing the input's storage (reshape
// copies only when the input's strides don't allow a view); their rules are shape ops again.
#include <algorithm>
#include <numeric>

#include "kernels/kernels.h"
#include "ops/record.h"
#include "ops/rule_macros.h"
#include "vmap/rules.h"

namespace pyjac {

Shape batch_shape(const Tensor& grad, int64_t out_ndim) {
  return Shape(grad.shape().begin(), grad.shape().begin() + (grad.ndim() - out_ndim));
}

namespace {

// A transpose's axes: output dim i is input dim perm[i].
struct Permutation {
  std::vector<int64_t> perm;
};

// A view of x recorded with `spec`; the node keeps x's shape and the view's, and parameters P.
template <class P = NoParams>
Tensor record_view(const Tensor& x, Tensor out, const OpSpec& spec, P params = {}) {
  if (Recording r = record_with<P>(out, spec, x)) {
    r->shapes = {x.shape(), out.shape()};
    if constexpr (!std::is_same_v<P, NoParams>) r->params<P>() = std::move(params);
    finish(r, out, {&x});
  }
  return out;
}

// Strides that show data laid out as (old_shape, old_strides) in `new_shape` without copying, or
// nothing when the layout doesn't allow it (then reshape copies). Runs of old dims that are
// contiguous with each other may be regrouped freely; size-1 dims go anywhere.
std::optional<Shape> view_strides(const Shape& old_shape, const Shape& old_strides, const Shape& new_shape) {
  const int64_t old_nd = int64_t(old_shape.size()), new_nd = int64_t(new_shape.size());
  if (old_nd == 0 || numel(old_shape) == 0) return contiguous_strides(new_shape);
  Shape strides(new_nd, 1);
  int64_t view_d = new_nd - 1;
  int64_t base_stride = old_strides.back(), old_count = 1, new_count = 1;
  for (int64_t d = old_nd - 1; d >= 0; --d) {
    old_count *= old_shape[d];
    // End of a chunk: d is the first dim or the one before it doesn't continue it.
    if (d == 0 || (old_shape[d - 1] != 1 && old_strides[d - 1] != old_count * base_stride)) {
      while (view_d >= 0 && (new_count < old_count || new_shape[view_d] == 1)) {
        strides[view_d] = new_count * base_stride;
        new_count *= new_shape[view_d];
        --view_d;
      }
      if (new_count != old_count) return std::nullopt;
      if (d > 0) {
        base_stride = old_strides[d - 1];
        old_count = new_count = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return strides;
}

// A tangent's batch dims followed by `shape`.
Shape with_batch_of(const Tensor& t, int64_t unbatched_ndim, const Shape& shape) {
  return concat(batch_shape(t, unbatched_ndim), shape);
}

// `perm` acting on the dims after `batch` leading ones.
std::vector<int64_t> batched_perm(const std::vector<int64_t>& perm, int64_t batch) {
  std::vector<int64_t> p(batch);
  std::iota(p.begin(), p.end(), 0);
  for (auto i : perm) p.push_back(batch + i);
  return p;
}

}  // namespace

Tensor unbroadcast(const Tensor& grad, const Shape& in_shape, int64_t out_ndim) {
  const int64_t batch = grad.ndim() - out_ndim;
  const int64_t lead = out_ndim - int64_t(in_shape.size());
  std::vector<int64_t> axes;
  for (int64_t d = 0; d < lead; ++d) axes.push_back(batch + d);
  for (int64_t d = 0; d < int64_t(in_shape.size()); ++d)
    if (in_shape[d] == 1 && grad.shape()[batch + lead + d] != 1) axes.push_back(batch + lead + d);
  if (axes.empty() && lead == 0) return grad;
  return reshape(sum(grad, axes, false), concat(batch_shape(grad, out_ndim), in_shape));
}

// ---- alias: the same data as a new graph node (how transforms cut a fresh input from a tensor
// while keeping gradients flowing to it) ----------------------------------------------------------
Tensor alias(const Tensor& x) {
  VMAP_UNARY(x, alias(x));
  static const OpSpec spec{"AliasBackward", RULE({g}), JVP(t[0])};
  return record_view(x, x.view_as_strided(x.shape(), x.strides(), x->offset), spec);
}

// ---- copy: the same values in fresh contiguous memory, differentiable (PyTorch's clone) -------
Tensor copy(const Tensor& x) {
  VMAP_UNARY(x, copy(x));
  static const OpSpec spec{"CopyBackward", RULE({g}), JVP(t[0])};
  Tensor out = kernels::cast(x, x.dtype());
  if (Recording r = record(out, spec, x)) finish(r, out, {&x});
  return out;
}

// ---- reshape ------------------------------------------------------------------------------
namespace {

// shape_in with its -1 worked out, checked against x's element count.
Shape resolved_shape(const Tensor& x, const Shape& shape_in) {
  Shape shape = shape_in;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) throw ValueError("reshape: can only specify one unknown dimension");
      infer = int64_t(i);
    } else if (shape[i] < 0) {
      throw ValueError("reshape: negative dimension in " + shape_str(shape_in));
    } else if (__builtin_mul_overflow(known, shape[i], &known)) {
      throw ValueError("reshape: cannot reshape " + describe(x) + " into shape " + shape_str(shape_in) +
                       ": array is too big");
    }
  }
  if (infer >= 0) {
    if (known == 0 || x.numel() % known != 0)
      throw ValueError("reshape: cannot reshape " + describe(x) + " into shape " + shape_str(shape_in));
    shape[infer] = x.numel() / known;
  }
  if (numel(shape) != x.numel())
    throw ValueError("reshape: cannot reshape " + describe(x) + " into shape " + shape_str(shape_in));
  return shape;
}

// NumPy's F_CONTIGUOUS without C_CONTIGUOUS: first index fastest in memory, and not also laid out
// the other way (as 1-d tensors and those with at most one dim above 1 are).
bool fortran_order_only(const Tensor& x) {
  if (x.is_contiguous()) return false;
  int64_t expected = 1;
  for (int64_t d = 0; d < x.ndim(); ++d) {
    if (x.shape()[d] == 1) continue;
    if (x.strides()[d] != expected) return false;
    expected *= x.shape()[d];
  }
  return true;
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape_in) {
  const Shape shape = resolved_shape(x, shape_in);
  if (shape == x.shape()) return x;
  if (vmap::is_batched(x))
    return vmap::along_axes(x,
                            [&](const Tensor& p, int64_t k) { return reshape(p, vmap::with_batch_dims(p, k, shape)); });
  static const OpSpec spec{"ReshapeBackward", RULE({reshape(g, with_batch_of(g, n.out_ndim, n.shapes[0]))}),
                           JVP(reshape(t[0], with_batch_of(t[0], int64_t(n.shapes[0].size()), n.shapes[1])))};
  if (auto strides = view_strides(x.shape(), x.strides(), shape))
    return record_view(x, x.view_as_strided(shape, *strides, x->offset), spec);
  Tensor base = kernels::contiguous(x);
  return record_view(x, base.view_as_strided(shape, contiguous_strides(shape), base->offset), spec);
}

// Fortran order is C order on the reversed axes: read x.T in C order into the reversed shape and
// transpose back. Built from transpose and reshape, it stays differentiable and is a view where
// those are (x Fortran-contiguous, as NumPy).
Tensor reshape(const Tensor& x, const Shape& shape_in, IndexOrder order) {
  if (order == IndexOrder::A) order = fortran_order_only(x) ? IndexOrder::F : IndexOrder::C;
  if (order == IndexOrder::C) return reshape(x, shape_in);
  Shape reversed = resolved_shape(x, shape_in);
  std::reverse(reversed.begin(), reversed.end());
  return transpose(reshape(transpose(x, std::nullopt), reversed), std::nullopt);
}

Tensor squeeze(const Tensor& x, const Axes& axes) {
  Shape shape;
  if (!axes) {
    for (auto s : x.shape())
      if (s != 1) shape.push_back(s);
  } else {
    auto ax = normalize_axes(*axes, x.ndim(), "squeeze");
    for (int64_t d = 0; d < x.ndim(); ++d) {
      bool drop = std::binary_search(ax.begin(), ax.end(), d);
      if (drop && x.shape()[d] != 1)
        throw ValueError("squeeze: cannot select axis " + std::to_string(d) + " of " + describe(x) +
                         " to squeeze out: its size is not one");
      if (!drop) shape.push_back(x.shape()[d]);
    }
  }
  return reshape(x, shape);
}

Tensor expand_dims(const Tensor& x, const std::vector<int64_t>& axes) {
  const int64_t out_nd = x.ndim() + int64_t(axes.size());
  auto ax = normalize_axes(axes, out_nd, "expand_dims");
  Shape shape;
  int64_t src = 0;
  for (int64_t d = 0; d < out_nd; ++d)
    shape.push_back(std::binary_search(ax.begin(), ax.end(), d) ? 1 : x.shape()[src++]);
  return reshape(x, shape);
}

// ---- transpose ----------------------------------------------------------------------------
Tensor transpose(const Tensor& x, const std::optional<std::vector<int64_t>>& perm_in) {
  const int64_t nd = x.ndim();
  std::vector<int64_t> perm(nd);
  if (perm_in) {
    if (int64_t(perm_in->size()) != nd)
      throw ValueError("transpose: axes " + shape_str(*perm_in) + " don't match " + describe(x));
    std::vector<bool> seen(nd, false);
    for (int64_t i = 0; i < nd; ++i) {
      perm[i] = normalize_axis((*perm_in)[i], nd, "transpose");
      if (seen[perm[i]]) throw ValueError("transpose: repeated axis in " + shape_str(*perm_in));
      seen[perm[i]] = true;
    }
  } else {
    std::iota(perm.rbegin(), perm.rend(), 0);
  }
  if (vmap::is_batched(x))
    return vmap::along_axes(x, [&](const Tensor& p, int64_t k) { return transpose(p, batched_perm(perm, k)); });
  static const OpSpec spec{
      "TransposeBackward",
      RULE({transpose(g, batched_perm(inverse_perm(n.params<Permutation>().perm), n.batch_ndim(g)))}),
      JVP(transpose(t[0], batched_perm(n.params<Permutation>().perm, t[0].ndim() - n.out_ndim)))};
  Shape shape(nd), strides(nd);
  for (int64_t i = 0; i < nd; ++i) {
    shape[i] = x.shape()[perm[i]];
    strides[i] = x.strides()[perm[i]];
  }
  return record_view(x, x.view_as_strided(shape, strides, x->offset), spec, Permutation{perm});
}

Tensor swap_last_two(const Tensor& x) {
  const int64_t nd = x.ndim();
  std::vector<int64_t> perm(nd);
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[nd - 1], perm[nd - 2]);
  return transpose(x, perm);
}

// ---- broadcast_to -------------------------------------------------------------------------
Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  if (shape == x.shape()) return x;
  const int64_t nd = int64_t(shape.size()), lead = nd - x.ndim();
  auto fail = [&] {
    return ValueError("broadcast_to: cannot broadcast " + describe(x) + " to shape " + shape_str(shape));
  };
  if (lead < 0) throw fail();
  if (vmap::is_batched(x)) {
    const vmap::Levels levels = vmap::levels_of({&x});
    const Tensor p = vmap::to_front(x, levels, nd);
    return vmap::from_front(broadcast_to(p, vmap::with_batch_dims(p, int64_t(levels.size()), shape)), levels);
  }
  Shape strides(nd, 0);
  for (int64_t d = 0; d < x.ndim(); ++d) {
    int64_t s = x.shape()[d], t = shape[lead + d];
    if (s == t)
      strides[lead + d] = x.strides()[d];
    else if (s != 1)
      throw fail();
  }
  for (auto s : shape)
    if (s < 0) throw fail();
  if (numel_overflows(shape))
    throw ValueError("broadcast_to: shape " + shape_str(shape) + " has more elements than an int64 can count");
  // The forward rule only lines the tangent up; finish() broadcasts it to the output's shape.
  static const OpSpec spec{"BroadcastToBackward", RULE({unbroadcast(g, n.shapes[0], n.out_ndim)}),
                           JVP(n.lift(0, t[0]))};
  return record_view(x, x.view_as_strided(shape, strides, x->offset), spec);
}

// ---- basic indexing -------------------------------------------------------------------------
// A resolved index is flat: [in_ndim, out_ndim, then per item kind, a, b, c] with Int: a = position;
// Slice: a = start, b = step, c = length; NewAxis: nothing. It applies to the trailing in_ndim dims
// of a tensor, so cotangents' batch dims pass through. Nodes keep it as their ResolvedIndex.
namespace {

std::vector<int64_t> resolve_index(const Shape& shape, const std::vector<IndexItem>& index) {
  const int64_t nd = int64_t(shape.size());
  int64_t consumed = 0, ellipses = 0;
  for (auto& it : index) {
    if (it.kind == IndexItem::Int || it.kind == IndexItem::Slice) ++consumed;
    if (it.kind == IndexItem::Ellipsis) ++ellipses;
  }
  if (ellipses > 1) throw IndexError("an index can only have a single ellipsis ('...')");
  if (consumed > nd)
    throw IndexError("too many indices for tensor: tensor is " + std::to_string(nd) + "-dimensional, but " +
                     std::to_string(consumed) + " were indexed");
  std::vector<int64_t> r{nd, 0};
  int64_t d = 0, out_nd = 0;
  auto full_slice = [&](int64_t dim) {
    r.insert(r.end(), {IndexItem::Slice, 0, 1, shape[dim]});
    ++out_nd;
  };
  for (auto& it : index) {
    switch (it.kind) {
      case IndexItem::Int: {
        int64_t i = it.start, size = shape[d];
        if (i < -size || i >= size)
          throw IndexError("index " + std::to_string(i) + " is out of bounds for axis " + std::to_string(d) +
                           " with size " + std::to_string(size));
        r.insert(r.end(), {IndexItem::Int, i < 0 ? i + size : i, 0, 0});
        ++d;
        break;
      }
      case IndexItem::Slice: {
        if (it.step == 0) throw ValueError("slice step cannot be zero");
        // As Python's slice.indices, which also clamps the step so that -step exists.
        const int64_t size = shape[d], step = std::max(it.step, -INT64_MAX);
        int64_t start, stop;
        // Python's slice.indices(size).
        if (step > 0) {
          start = !it.has_start ? 0 : (it.start < 0 ? std::max<int64_t>(it.start + size, 0) : std::min(it.start, size));
          stop = !it.has_stop ? size : (it.stop < 0 ? std::max<int64_t>(it.stop + size, 0) : std::min(it.stop, size));
        } else {
          start = !it.has_start
                      ? size - 1
                      : (it.start < 0 ? std::max<int64_t>(it.start + size, -1) : std::min(it.start, size - 1));
          stop =
              !it.has_stop ? -1 : (it.stop < 0 ? std::max<int64_t>(it.stop + size, -1) : std::min(it.stop, size - 1));
        }
        // (written so that no intermediate overflows, whatever the step)
        int64_t len = step > 0 ? (stop > start ? (stop - start - 1) / step + 1 : 0)
                               : (start > stop ? (start - stop - 1) / (-step) + 1 : 0);
        // With fewer than two elements the step is never taken: 1 keeps stride * step in range.
        r.insert(r.end(), {IndexItem::Slice, len > 0 ? start : 0, len > 1 ? step : 1, len});
        ++d;
        ++out_nd;
        break;
      }
      case IndexItem::NewAxis:
        r.insert(r.end(), {IndexItem::NewAxis, 0, 0, 0});
        ++out_nd;
        break;
      case IndexItem::Ellipsis:
        for (int64_t k = 0; k < nd - consumed; ++k) full_slice(d++);
        break;
    }
  }
  while (d < nd) full_slice(d++);
  r[1] = out_nd;
  return r;
}

// The view of `t` that a resolved index selects, applied to t's trailing in_ndim dims.
Tensor index_view_of(const Tensor& t, const std::vector<int64_t>& r) {
  const int64_t lead = t.ndim() - r[0];
  Shape shape(t.shape().begin(), t.shape().begin() + lead);
  Shape strides(t.strides().begin(), t.strides().begin() + lead);
  int64_t offset = t->offset, d = lead;
  for (size_t i = 2; i < r.size(); i += 4) {
    switch (r[i]) {
      case IndexItem::Int: offset += r[i + 1] * t.strides()[d++]; break;
      case IndexItem::Slice:
        offset += r[i + 1] * t.strides()[d];
        shape.push_back(r[i + 3]);
        strides.push_back(t.strides()[d] * r[i + 2]);
        ++d;
        break;
      case IndexItem::NewAxis:
        shape.push_back(1);
        strides.push_back(0);
        break;
    }
  }
  return t.view_as_strided(shape, strides, offset);
}

Tensor index_scatter(const Tensor& g, const std::vector<int64_t>& r, const Shape& in_shape);

struct ResolvedIndex {
  std::vector<int64_t> items;
};
const std::vector<int64_t>& resolved_index(const OpNode& n) { return n.params<ResolvedIndex>().items; }

// x[index] as a recorded view; the rule scatters g into zeros of x's shape.
Tensor index_select_view(const Tensor& x, const std::vector<int64_t>& r) {
  static const OpSpec spec{"GetitemBackward", RULE({index_scatter(g, resolved_index(n), n.shapes[0])}),
                           JVP(index_select_view(t[0], resolved_index(n)))};
  Tensor out = index_view_of(x, r);
  if (Recording rec = record_with<ResolvedIndex>(out, spec, x)) {
    rec->shapes = {Shape(x.shape().end() - r[0], x.shape().end())};
    rec->params<ResolvedIndex>().items = r;
    finish(rec, out, {&x});
  }
  return out;
}

// The transpose of indexing: zeros of (*batch, *in_shape) with g written where the index points.
Tensor index_scatter(const Tensor& g, const std::vector<int64_t>& r, const Shape& in_shape) {
  static const OpSpec spec{"IndexScatterBackward", RULE({index_select_view(g, resolved_index(n))}),
                           JVP(index_scatter(t[0], resolved_index(n), n.shapes[0]))};
  Tensor out = zeros(concat(batch_shape(g, r[1]), in_shape), g.dtype());
  kernels::copy_into(index_view_of(out, r), g);
  if (Recording rec = record_with<ResolvedIndex>(out, spec, g)) {
    rec->params<ResolvedIndex>().items = r;
    rec->shapes = {in_shape};
    finish(rec, out, {&g});
  }
  return out;
}

}  // namespace

Tensor getitem(const Tensor& x, const std::vector<IndexItem>& index) {
  for (auto& it : index)
    if (it.kind == IndexItem::Array) return getitem_advanced(x, index);  // ops/indexing.cpp
  if (vmap::is_batched(x))
    return vmap::along_axes(x,
                            [&](const Tensor& p, int64_t k) { return getitem(p, vmap::with_batch_slices(index, k)); });
  return index_select_view(x, resolve_index(x.shape(), index));
}

// ---- concatenate / stack ---------------------------------------------------------------------
namespace {

// The node keeps the axis (negative, so rules find it past batch dims), each input's length along
// it, and the input shapes.
struct Concatenation {
  int64_t axis;
  std::vector<int64_t> lengths;
};

// Input i's gradient is its slab of g along the axis.
TensorList concatenate_vjp(OpNode& n, const Tensor& g, Needs needs) {
  const Concatenation& c = n.params<Concatenation>();
  TensorList grads;
  int64_t start = 0;
  for (size_t i = 0; i < c.lengths.size(); ++i) {
    const int64_t len = c.lengths[i];
    if (needs[i]) {
      std::vector<IndexItem> index{{IndexItem::Ellipsis}, {IndexItem::Slice, start, start + len, 1, true, true}};
      for (int64_t k = c.axis + 1; k < 0; ++k) index.push_back({IndexItem::Slice});
      grads.push_back(getitem(g, index));
    } else {
      grads.emplace_back();
    }
    start += len;
  }
  return grads;
}

// The output's tangent is the inputs' tangents (zeros where absent) concatenated.
Tensor concatenate_jvp(OpNode& n, const TensorList& t) {
  Shape batch;
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i].defined()) batch = batch_shape(t[i], int64_t(n.shapes[i].size()));
  TensorList parts;
  for (size_t i = 0; i < t.size(); ++i)
    parts.push_back(t[i].defined() ? t[i] : zeros(concat(batch, n.shapes[i]), DType::Float64));
  return concatenate(parts, n.params<Concatenation>().axis);
}

const OpSpec& concatenate_spec() {
  static const OpSpec spec{"ConcatenateBackward", concatenate_vjp, concatenate_jvp};
  return spec;
}

}  // namespace

Tensor concatenate(const TensorList& xs_in, std::optional<int64_t> axis_in) {
  if (xs_in.empty()) throw ValueError("concatenate: need at least one tensor to concatenate");
  TensorList xs = xs_in;
  if (!axis_in)
    for (auto& t : xs) t = reshape(t, {-1});
  const Tensor& first = xs[0];
  const int64_t nd = first.ndim();
  if (nd == 0) throw ValueError("concatenate: zero-dimensional tensors cannot be concatenated");
  const int64_t axis = normalize_axis(axis_in.value_or(0), nd, "concatenate");
  Shape shape = first.shape();
  shape[axis] = 0;
  DType dtype = first.dtype();
  Concatenation kept{axis - nd, {}};
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& t = xs[i];
    bool ok = t.ndim() == nd;
    for (int64_t d = 0; ok && d < nd; ++d) ok = d == axis || t.shape()[d] == first.shape()[d];
    if (!ok)
      throw ValueError("concatenate: all the input tensors must have the same shape except along axis " +
                       std::to_string(axis) + ", but tensor 0 has shape " + shape_str(first.shape()) + " and tensor " +
                       std::to_string(i) + " has shape " + shape_str(t.shape()));
    shape[axis] += t.shape()[axis];
    dtype = promote(dtype, t.dtype());
    kept.lengths.push_back(t.shape()[axis]);
  }
  if (vmap::any_batched(xs)) {
    const vmap::Levels levels = vmap::levels_of(xs);
    const Shape sizes = vmap::level_sizes(levels, xs);
    TensorList ps;
    for (const Tensor& t : xs) ps.push_back(vmap::to_front(t, levels, -1, &sizes));
    return vmap::from_front(concatenate(ps, axis + int64_t(levels.size())), levels);
  }
  Tensor out = empty(shape, dtype);
  int64_t offset = 0;
  for (auto& t : xs) {
    Shape part_shape = shape;
    part_shape[axis] = t.shape()[axis];
    kernels::copy_into(out.view_as_strided(part_shape, out.strides(), offset * out.strides()[axis]), t);
    offset += t.shape()[axis];
  }
  if (Recording r = record_list_with<Concatenation>(out, concatenate_spec(), xs)) {
    r->params<Concatenation>() = std::move(kept);
    for (auto& t : xs) r->shapes.push_back(t.shape());
    finish(r, out, xs);
  }
  return out;
}

Tensor stack(const TensorList& xs, int64_t axis) {
  if (xs.empty()) throw ValueError("stack: need at least one tensor to stack");
  for (size_t i = 1; i < xs.size(); ++i)
    if (xs[i].shape() != xs[0].shape())
      throw ValueError("stack: all input tensors must have the same shape, but tensor 0 has shape " +
                       shape_str(xs[0].shape()) + " and tensor " + std::to_string(i) + " has shape " +
                       shape_str(xs[i].shape()));
  const int64_t ax = normalize_axis(axis, xs[0].ndim() + 1, "stack");
  TensorList expanded;
  expanded.reserve(xs.size());
  for (auto& t : xs) expanded.push_back(expand_dims(t, {ax}));
  return concatenate(expanded, ax);
}

}  // namespace pyjac
