// Advanced indexing (integer arrays, bool masks) with NumPy's rules, take, take_along_axis and
// the out-of-place index_put behind __setitem__.
// An index resolves to an IndexPlan: a basic strided view (slices, new axes, and whole dims under
// the index arrays), then a gather through the arrays. Two primitives carry the derivatives and
// are each other's VJP, so every order works: gather (x[index]) and scatter-add (its transpose,
// where repeated indices accumulate). A plan applies to a tensor's trailing dims, so cotangents
// and tangents with leading batch dims go through unchanged.
#include <algorithm>
#include <numeric>

#include "kernels/kernels.h"
#include "ops/record.h"
#include "ops/rule_macros.h"
#include "vmap/rules.h"

namespace pyjac {

namespace {

// One dim of the basic view: `src` is the input dim it walks (-1: a new axis of length 1).
struct ViewDim {
  int64_t src, start, step, len;
};

struct IndexPlan {
  Shape in_shape;             // the trailing dims the index applies to
  std::vector<ViewDim> view;  // the basic view the arrays index into
  std::vector<int64_t> adv;   // view dims under the arrays, ascending
  bool to_front = false;      // NumPy: arrays separated by a slice, None or ... put B first
  TensorList arrays;          // contiguous int64, all of shape `bshape`, in range
  Shape bshape;

  int64_t k() const { return int64_t(adv.size()); }
  int64_t out_ndim() const { return int64_t(bshape.size() + view.size()) - k(); }
  // The unbatched result shape and how many of its dims follow the B block.
  Shape out_shape(int64_t* post_nd = nullptr) const {
    Shape before, after;
    for (int64_t i = 0; i < int64_t(view.size()); ++i) {
      if (std::find(adv.begin(), adv.end(), i) != adv.end()) continue;
      (!to_front && (adv.empty() || i < adv[0]) ? before : after).push_back(view[i].len);
    }
    if (post_nd) *post_nd = int64_t(after.size());
    Shape s = before;
    s.insert(s.end(), bshape.begin(), bshape.end());
    s.insert(s.end(), after.begin(), after.end());
    return s;
  }
};

// A node keeps its plan as its parameters, except the index arrays: those are saved tensors, so
// an in-place write to one is caught before a rule reads it.
void keep_plan(const IndexPlan& p, OpNode& n) {
  IndexPlan& kept = n.params<IndexPlan>();
  kept = p;
  kept.arrays.clear();
  for (const Tensor& a : p.arrays) n.save(a);
}

IndexPlan plan_of(const OpNode& n) {
  IndexPlan p = n.params<IndexPlan>();
  for (size_t i = 0; i < n.n_saved(); ++i) p.arrays.push_back(n.saved(i));
  return p;
}

// The basic view of t's trailing dims, with the indexed dims moved first when `to_front`;
// `pre_nd` receives how many dims come before the indexed ones.
Tensor plan_view(const Tensor& t, const IndexPlan& p, int64_t* pre_nd) {
  const int64_t lead = t.ndim() - int64_t(p.in_shape.size());
  Shape shape(t.shape().begin(), t.shape().begin() + lead);
  Shape strides(t.strides().begin(), t.strides().begin() + lead);
  int64_t offset = t->offset;
  for (auto& v : p.view) {
    shape.push_back(v.len);
    if (v.src < 0) {
      strides.push_back(0);
      continue;
    }
    const int64_t st = t.strides()[lead + v.src];
    if (v.len > 0) offset += v.start * st;
    strides.push_back(st * v.step);
  }
  *pre_nd = lead + (p.adv.empty() || p.to_front ? 0 : p.adv[0]);
  if (p.to_front && !p.adv.empty()) {
    Shape s2(shape.begin(), shape.begin() + lead), st2(strides.begin(), strides.begin() + lead);
    for (auto a : p.adv) {
      s2.push_back(shape[lead + a]);
      st2.push_back(strides[lead + a]);
    }
    for (int64_t i = 0; i < int64_t(p.view.size()); ++i)
      if (std::find(p.adv.begin(), p.adv.end(), i) == p.adv.end()) {
        s2.push_back(shape[lead + i]);
        st2.push_back(strides[lead + i]);
      }
    shape = s2;
    strides = st2;
  }
  return t.view_as_strided(shape, strides, offset);
}

Tensor adv_scatter(const Tensor& g, const IndexPlan& p);

// x[index]: copies the selected elements. Its VJP scatters the cotangent back (adding where an
// element was picked more than once); its JVP picks the same elements of the tangent.
Tensor adv_gather(const Tensor& x, const IndexPlan& p) {
  static const OpSpec spec{"IndexBackward", RULE({adv_scatter(g, plan_of(n))}), JVP(adv_gather(t[0], plan_of(n)))};
  int64_t pre_nd;
  Tensor view = plan_view(x, p, &pre_nd);  // sets pre_nd: not inside the call's argument list
  Tensor out = kernels::index_gather(view, pre_nd, p.arrays);
  if (Recording r = record_with<IndexPlan>(out, spec, x)) {
    keep_plan(p, *r.node);
    finish(r, out, {&x});
  }
  return out;
}

// zeros(*batch, *in_shape) with g (*batch, *out_shape) added where the index points.
Tensor adv_scatter(const Tensor& g, const IndexPlan& p) {
  static const OpSpec spec{"IndexScatterAddBackward", RULE({adv_gather(g, plan_of(n))}),
                           JVP(adv_scatter(t[0], plan_of(n)))};
  Shape shape(g.shape().begin(), g.shape().end() - p.out_ndim());
  shape.insert(shape.end(), p.in_shape.begin(), p.in_shape.end());
  Tensor out = zeros(shape, g.dtype());
  int64_t pre_nd;
  Tensor view = plan_view(out, p, &pre_nd);
  kernels::index_scatter_add(view, pre_nd, p.arrays, g);
  if (Recording r = record_with<IndexPlan>(out, spec, g)) {
    keep_plan(p, *r.node);
    finish(r, out, {&g});
  }
  return out;
}

// ---- resolving an index -------------------------------------------------------------------------

// Python's slice.indices(size) as (start, step, length).
ViewDim slice_dim(const IndexItem& it, int64_t src, int64_t size) {
  const int64_t step = it.step;
  if (step == 0) throw ValueError("slice step cannot be zero");
  int64_t start, stop;
  if (step > 0) {
    start = !it.has_start ? 0 : (it.start < 0 ? std::max<int64_t>(it.start + size, 0) : std::min(it.start, size));
    stop = !it.has_stop ? size : (it.stop < 0 ? std::max<int64_t>(it.stop + size, 0) : std::min(it.stop, size));
  } else {
    start = !it.has_start ? size - 1
                          : (it.start < 0 ? std::max<int64_t>(it.start + size, -1) : std::min(it.start, size - 1));
    stop = !it.has_stop ? -1 : (it.stop < 0 ? std::max<int64_t>(it.stop + size, -1) : std::min(it.stop, size - 1));
  }
  const int64_t len = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0)
                               : (start > stop ? (start - stop - step - 1) / (-step) : 0);
  return {src, len > 0 ? start : 0, step, len};
}

// An index entry after bool masks are split into one array per dim they cover.
struct Entry {
  IndexItem::Kind kind;
  IndexItem item;            // Int / Slice
  Tensor array;              // Array: int64 indices (any shape)
  int64_t mask_size = -1;    // from a mask: the size the covered dim must have
  bool bool_scalar = false;  // a 0-d bool: indexes a new axis of length 1
};

Tensor int64_scalar(int64_t v) { return full_int({}, v, DType::Int64); }

IndexPlan build_plan(const Shape& shape, const std::vector<IndexItem>& index, bool ints_as_arrays) {
  std::vector<Entry> entries;
  bool any_array = ints_as_arrays;
  for (auto& it : index) {
    if (it.kind != IndexItem::Array) {
      entries.push_back({it.kind, it});
      continue;
    }
    any_array = true;
    const Tensor& a = it.array;
    if (a.dtype() == DType::Bool) {
      if (a.ndim() == 0) {
        Tensor idx = empty({item_as_double(a) != 0 ? 1 : 0}, DType::Int64);
        if (idx.numel()) *idx.data<int64_t>() = 0;
        Entry e{IndexItem::Array};
        e.array = idx;
        e.bool_scalar = true;
        entries.push_back(e);
        continue;
      }
      std::vector<Tensor> coords = kernels::nonzero(a);
      for (int64_t d = 0; d < a.ndim(); ++d) {
        Entry e{IndexItem::Array};
        e.array = coords[size_t(d)];
        e.mask_size = a.shape()[d];
        entries.push_back(e);
      }
    } else if (a.dtype() == DType::Int64) {
      Entry e{IndexItem::Array};
      e.array = a;
      entries.push_back(e);
    } else {
      throw IndexError(std::string("arrays used as indices must be of integer (or boolean) type, got ") +
                       dtype_name(a.dtype()));
    }
  }
  if (any_array)
    for (auto& e : entries)
      if (e.kind == IndexItem::Int) {
        e.kind = IndexItem::Array;
        e.array = int64_scalar(e.item.start);
      }

  const int64_t nd = int64_t(shape.size());
  int64_t consumed = 0, ellipses = 0;
  for (auto& e : entries) {
    if (e.kind == IndexItem::Int || e.kind == IndexItem::Slice || (e.kind == IndexItem::Array && !e.bool_scalar))
      ++consumed;
    if (e.kind == IndexItem::Ellipsis) ++ellipses;
  }
  if (ellipses > 1) throw IndexError("an index can only have a single ellipsis ('...')");
  if (consumed > nd)
    throw IndexError("too many indices for tensor: tensor is " + std::to_string(nd) + "-dimensional, but " +
                     std::to_string(consumed) + " were indexed");

  IndexPlan p;
  p.in_shape = shape;
  std::vector<int64_t> axis_of, positions;  // per array: input axis (-1 for a new axis), entry position
  TensorList raw;
  int64_t d = 0;
  auto full = [&](int64_t dim) { p.view.push_back({dim, 0, 1, shape[dim]}); };
  for (size_t pos = 0; pos < entries.size(); ++pos) {
    const Entry& e = entries[pos];
    switch (e.kind) {
      case IndexItem::Slice:
        p.view.push_back(slice_dim(e.item, d, shape[d]));
        ++d;
        break;
      case IndexItem::NewAxis: p.view.push_back({-1, 0, 0, 1}); break;
      case IndexItem::Ellipsis:
        for (int64_t j = 0; j < nd - consumed; ++j) full(d++);
        break;
      case IndexItem::Array:
        p.adv.push_back(int64_t(p.view.size()));
        if (e.bool_scalar) {
          p.view.push_back({-1, 0, 0, 1});
          axis_of.push_back(-1);
        } else {
          if (e.mask_size >= 0 && e.mask_size != shape[d])
            throw IndexError("boolean index did not match indexed array along axis " + std::to_string(d) +
                             "; size of axis is " + std::to_string(shape[d]) +
                             " but size of corresponding boolean axis is " + std::to_string(e.mask_size));
          full(d);
          axis_of.push_back(d++);
        }
        raw.push_back(e.array);
        positions.push_back(int64_t(pos));
        break;
      case IndexItem::Int:  // became a 0-d array above: this path only sees indices with arrays
        throw std::logic_error("build_plan: an int index without arrays");
    }
  }
  while (d < nd) full(d++);
  if (!positions.empty()) p.to_front = positions.back() - positions.front() + 1 != int64_t(positions.size());

  // Broadcast the arrays together, then check and normalise them.
  Shape b;
  for (size_t j = 0; j < raw.size(); ++j) {
    if (j == 0) {
      b = raw[0].shape();
      continue;
    }
    try {
      b = broadcast_shapes(b, raw[j].shape(), "index");
    } catch (const ValueError&) {
      std::string shapes;
      for (auto& r : raw) shapes += (shapes.empty() ? "" : " ") + shape_str(r.shape());
      throw IndexError("shape mismatch: indexing arrays could not be broadcast together with shapes " + shapes);
    }
  }
  p.bshape = b;
  for (size_t j = 0; j < raw.size(); ++j) {
    Tensor a = empty(b, DType::Int64);
    kernels::copy_into(a, raw[j]);
    const int64_t size = axis_of[j] < 0 ? 1 : shape[axis_of[j]];
    int64_t* q = a.data<int64_t>();
    for (int64_t i = 0, n = a.numel(); i < n; ++i) {
      if (q[i] < -size || q[i] >= size)
        throw IndexError("index " + std::to_string(q[i]) + " is out of bounds for axis " +
                         std::to_string(std::max<int64_t>(axis_of[j], 0)) + " with size " + std::to_string(size));
      if (q[i] < 0) q[i] += size;
    }
    p.arrays.push_back(a);
  }
  return p;
}

}  // namespace

namespace {

// An index with batched arrays, for the physical tensor: each batch dim becomes an index array of
// its own (an arange) in front of the example's index, so every example reaches only its own
// slice. The advanced-index block then comes first, where NumPy puts it for the example's index
// only when its arrays are separated: `moved` is how many result dims the example's index puts
// before that block (the block goes back behind them), `block` its ndim. Bool masks that differ
// per example would select differently many elements: those take the loop (and raise).
struct BatchedIndex {
  vmap::Levels levels;
  Shape sizes;
  std::vector<IndexItem> physical;
  int64_t moved = 0, block = 0;
  int64_t example_ndim = 0;  // of one example's result
};

std::optional<BatchedIndex> batched_index(const Tensor& x, const std::vector<IndexItem>& index, TensorList tensors) {
  for (const IndexItem& it : index)
    if (it.kind == IndexItem::Array) {
      if (it.array.dtype() == DType::Bool) return std::nullopt;
      tensors.push_back(it.array);
    }
  BatchedIndex b;
  b.levels = vmap::levels_of(tensors);
  b.sizes = vmap::level_sizes(b.levels, tensors);
  const int64_t k = int64_t(b.levels.size());
  // The example's plan, from stand-in arrays of the same shapes: where its advanced block goes.
  std::vector<IndexItem> stand_in = index;
  for (IndexItem& it : stand_in)
    if (it.kind == IndexItem::Array) it.array = zeros(it.array.shape(), DType::Int64);
  const IndexPlan plan = build_plan(x.shape(), stand_in, false);
  b.block = int64_t(plan.bshape.size());
  b.moved = plan.to_front ? 0 : plan.adv[0];
  b.example_ndim = plan.out_ndim();
  for (int64_t i = 0; i < k; ++i) {
    Shape s(size_t(k + b.block), 1);
    s[size_t(i)] = b.sizes[size_t(i)];
    IndexItem it{IndexItem::Array};
    it.array = reshape(kernels::arange(0, double(b.sizes[size_t(i)]), 1, DType::Int64), s);
    b.physical.push_back(it);
  }
  for (IndexItem it : index) {
    if (it.kind == IndexItem::Array) it.array = vmap::to_front(it.array, b.levels, b.block);
    b.physical.push_back(it);
  }
  return b;
}

// Moves the advanced block of a physical result (or value) between where the batched index puts
// it (right after the batch dims) and where the example's index does (`moved` dims later).
Tensor move_block(const Tensor& t, const BatchedIndex& b, bool to_example) {
  if (b.moved == 0) return t;
  const int64_t k = int64_t(b.levels.size());
  std::vector<int64_t> front, back;
  for (int64_t j = 0; j < b.block; ++j) front.push_back(k + j), back.push_back(k + b.moved + j);
  return to_example ? moveaxis(t, front, back) : moveaxis(t, back, front);
}

Tensor gather_with_batched_indices(const Tensor& x, const std::vector<IndexItem>& index) {
  auto b = batched_index(x, index, {x});
  if (!b) VMAP_LOOP(getitem_advanced, x, index);
  const Tensor out = getitem_advanced(vmap::to_front(x, b->levels, -1, &b->sizes), b->physical);
  return vmap::from_front(move_block(out, *b, true), b->levels);
}

}  // namespace

// Under vmap a plan built for the logical shape applies to the physical tensor as it is: the batch
// dims in front are leading dims, which plans pass through.
Tensor getitem_advanced(const Tensor& x, const std::vector<IndexItem>& index) {
  if (vmap::any_batched_arg(index)) return gather_with_batched_indices(x, index);
  if (vmap::is_batched(x))
    return vmap::along_axes(x, [&](const Tensor& p, int64_t) {
      return naming_allocation_errors("index", [&] { return adv_gather(p, build_plan(x.shape(), index, false)); });
    });
  return naming_allocation_errors("index", [&] { return adv_gather(x, build_plan(x.shape(), index, false)); });
}

Tensor index_put(const Tensor& x_in, const std::vector<IndexItem>& index, const Tensor& values_in) {
  if (vmap::any_batched_arg(index)) {
    auto b = batched_index(x_in, index, {x_in, values_in});
    if (!b) VMAP_LOOP(index_put, x_in, index, values_in);
    // The values as the example's index lines them up, then as the batched index does.
    const Tensor values = move_block(vmap::to_front(values_in, b->levels, b->example_ndim, &b->sizes), *b, false);
    const Tensor out = index_put(vmap::to_front(x_in, b->levels, -1, &b->sizes), b->physical, values);
    return vmap::from_front(out, b->levels);
  }
  IndexPlan p = build_plan(x_in.shape(), index, true);
  int64_t post_nd;
  const Shape result_shape = p.out_shape(&post_nd);
  Tensor values = values_in.dtype() == x_in.dtype() ? values_in : astype(values_in, x_in.dtype());
  // Under vmap: the physical x and values with the batch dims in front, which the plan (built for
  // the logical shapes) passes through as leading dims.
  const vmap::Levels levels = vmap::levels_of({&x_in, &values});
  const Shape sizes = vmap::level_sizes(levels, {x_in, values});
  const Tensor x = levels.empty() ? x_in : vmap::to_front(x_in, levels, -1, &sizes);
  Shape region = sizes;
  region.insert(region.end(), result_shape.begin(), result_shape.end());
  Tensor spread;
  try {
    spread = levels.empty() ? broadcast_to(values, result_shape)
                            : broadcast_to(vmap::to_front(values, levels, int64_t(result_shape.size())), region);
  } catch (const ValueError&) {
    throw ValueError("index_put: shape mismatch: value array of shape " + shape_str(values_in.shape()) +
                     " could not be broadcast to indexing result of shape " + shape_str(result_shape));
  }
  // Only the last of several writes to one element counts (NumPy's assignment), so only it
  // passes values (and gradient) on; written marks the elements that get a value.
  Shape adv_strides;
  const Shape cs = contiguous_strides(x_in.shape());
  for (auto a : p.adv) adv_strides.push_back(p.view[a].src < 0 ? 0 : cs[p.view[a].src]);
  Tensor last = kernels::index_last_write(adv_strides, p.arrays);
  Shape last_shape = p.bshape;
  last_shape.insert(last_shape.end(), size_t(post_nd), 1);
  Tensor kept = where(reshape(last, last_shape), spread, scalar_tensor(0, x_in.dtype()));
  Tensor written = zeros(x_in.shape(), DType::Bool);
  int64_t pre_nd;
  Tensor view = plan_view(written, p, &pre_nd);
  kernels::index_scatter_add(view, pre_nd, p.arrays, full(result_shape, 1, DType::Bool));
  return vmap::from_front(where(written, adv_scatter(kept, p), x), levels);
}

Tensor take(const Tensor& a, const Tensor& indices_in, std::optional<int64_t> axis) {
  if (is_floating(indices_in.dtype()))
    throw TypeError(std::string("take: indices must be integers, got ") + describe(indices_in));
  Tensor indices = indices_in.dtype() == DType::Int64 ? indices_in : astype(indices_in, DType::Int64);
  Tensor x = axis ? a : reshape(a, {-1});
  if (x.ndim() == 0) throw ValueError("take: cannot take from a 0-d tensor along an axis");
  const int64_t ax = normalize_axis(axis.value_or(0), x.ndim(), "take");
  std::vector<IndexItem> index(size_t(ax), IndexItem{IndexItem::Slice});
  IndexItem it{IndexItem::Array};
  it.array = indices;
  index.push_back(it);
  return getitem_advanced(x, index);
}

Tensor take_along_axis(const Tensor& a, const Tensor& indices, std::optional<int64_t> axis) {
  if (indices.dtype() != DType::Int64)
    throw IndexError("take_along_axis: `indices` must be an integer array, got " + describe(indices));
  Tensor x = a;
  if (!axis) {
    if (indices.ndim() != 1)
      throw ValueError("take_along_axis: when axis=None, `indices` must have a single dimension, got " +
                       describe(indices));
    x = reshape(a, {-1});
  }
  if (indices.ndim() != x.ndim())
    throw ValueError("take_along_axis: `indices` and `arr` must have the same number of dimensions, got " +
                     describe(indices) + " and " + describe(a));
  const int64_t nd = x.ndim();
  const int64_t ax = normalize_axis(axis.value_or(0), nd, "take_along_axis");
  // Every other axis indexed by a broadcastable arange, so all arrays are adjacent: B in place.
  std::vector<IndexItem> index;
  for (int64_t d = 0; d < nd; ++d) {
    IndexItem it{IndexItem::Array};
    if (d == ax) {
      it.array = indices;
    } else {
      Shape s(size_t(nd), 1);
      s[d] = x.shape()[d];
      it.array = reshape(kernels::arange(0, double(x.shape()[d]), 1, DType::Int64), s);
    }
    index.push_back(it);
  }
  return getitem_advanced(x, index);
}

}  // namespace pyjac
