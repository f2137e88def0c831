// In-place ops. Each writes into a tensor's memory, bumps its storage's version and keeps
// autograd right the way PyTorch does:
//  - a leaf that requires grad can't be written while grad mode is on (its .grad would belong to
//    values it no longer holds); under no_grad it can, which is how optimizers update parameters;
//  - otherwise, when autograd must see the write, self takes a new history: a node whose input is
//    self's old history. add_/sub_/mul_/div_/clamp_ reuse the out-of-place op's node (computed
//    from self, then adopted by self); copy_, fill_ and setitem_ have their own rules below;
//  - a node that saved the old values raises when it runs (versions, see ops/record.cpp);
//  - a view shares memory with its base, whose history would not see the write (pyjac has no
//    PyTorch CopySlices), so giving a view a new history raises instead; and views made before
//    a write that changed their base's history are refused by later ops (check_not_stale).
#include <algorithm>

#include "kernels/kernels.h"
#include "ops/record.h"
#include "ops/rule_macros.h"
#include "vmap/rules.h"

namespace pyjac {

namespace {

// NumPy's same_kind casting: bool -> int -> float, never back.
int kind_rank(DType d) { return d == DType::Bool ? 0 : d == DType::Int64 ? 1 : 2; }

void check_same_kind(const char* op, DType from, DType to) {
  if (kind_rank(from) > kind_rank(to))
    throw TypeError(std::string(op) + ": cannot cast the result from " + dtype_name(from) + " to " + dtype_name(to) +
                    " (the tensor's dtype) with casting rule 'same_kind'");
}

// A broadcast view would have one memory location written from several elements.
void check_writable(const char* op, const Tensor& t) {
  for (int64_t d = 0; d < t.ndim(); ++d)
    if (t.shape()[d] > 1 && t.strides()[d] == 0)
      throw ValueError(std::string(op) + ": the " + describe(t) +
                       " is a broadcast view (several of its elements share one memory location), so it can't be "
                       "written in place; copy it first");
}

// `operand` must broadcast to `target` without growing it (NumPy's rule for out= and assignment).
void check_fits(const char* op, const Shape& operand, const Shape& target) {
  bool ok = operand.size() <= target.size();
  for (size_t i = 1; ok && i <= operand.size(); ++i) {
    const int64_t o = operand[operand.size() - i], t = target[target.size() - i];
    ok = o == t || o == 1;
  }
  if (!ok)
    throw ValueError(std::string(op) + ": non-broadcastable operand: shape " + shape_str(operand) +
                     " doesn't broadcast to the written shape " + shape_str(target));
}

void write(const Tensor& self, const Tensor& value) {
  kernels::copy_into(self, value);
  ++self->storage->version;
}

bool has_live_tangent(const Tensor& t) {
  for (auto& entry : t->tangents)
    for (uint64_t level : ForwardAD::live())
      if (entry.first == level) return true;
  return false;
}

// Whether autograd (reverse, or forward tangents) must see a write into self, after the checks
// that make the write legal for it.
struct Gate {
  bool reverse = false, forward = false;
  explicit operator bool() const { return reverse || forward; }
};

Gate autograd_gate(const char* op, const Tensor& self, std::initializer_list<const Tensor*> others) {
  Gate gate;
  const bool grad_mode = GradMode::is_enabled(), forward_mode = ForwardAD::any_live();
  if (!grad_mode && !forward_mode) return gate;
  check_not_stale(op, self);  // before anything is written, unlike record()'s own check
  for (const Tensor* o : others) check_not_stale(op, *o);
  if (!is_floating(self.dtype())) return gate;  // nothing differentiable lives in integer memory
  gate.reverse = grad_mode && self.requires_grad();
  gate.forward = forward_mode && has_live_tangent(self);
  for (const Tensor* o : others) {
    gate.reverse |= grad_mode && o->requires_grad();
    gate.forward |= forward_mode && has_live_tangent(*o);
  }
  if (gate.reverse && self.requires_grad() && !self->grad_fn)
    throw std::runtime_error(std::string(op) +
                             ": a leaf Variable that requires grad is being used in an in-place operation. Update "
                             "it under pj.no_grad() (as optimizers do), or use the out-of-place op.");
  // A view whose memory nobody else holds any more is safe to treat as a plain tensor.
  if (gate && self->is_view && self->storage.use_count() > 1)
    throw std::runtime_error(
        std::string(op) + ": in-place operation on a view (" + describe(self) +
        ") of a tensor, while autograd tracks it (the view or the written value requires grad or carries a "
        "forward-mode tangent): pyjac can't give the base tensor the new history. Write into the base instead "
        "(base[index] = value works), use the "
        "out-of-place op, or do it under pj.no_grad().");
  return gate;
}

// Self takes over `from`'s history and tangents (`from` shares nothing else with it).
void adopt(const Tensor& self, const Tensor& from, Gate gate) {
  if (gate.reverse && from->grad_fn) {
    std::shared_ptr<Node> old = std::move(self->grad_fn);
    if (self->retains_grad && old) {  // .grad follows the tensor to its new values, as in PyTorch
      {
        BlockingLock<NodeLock> lock(old->lock);  // a backward pass may be reading the list
        auto& r = old->retained;
        r.erase(std::remove_if(r.begin(), r.end(), [&](auto& e) { return e.second.lock() == self.impl(); }), r.end());
      }
      BlockingLock<NodeLock> lock(from->grad_fn->lock);
      from->grad_fn->retained.emplace_back(from->output_nr, self.impl());
    }
    self->grad_fn = from->grad_fn;
    self->output_nr = from->output_nr;
    self->requires_grad = true;
    release_node(std::move(old));
  }
  if (gate.forward) self->tangents = from->tangents;
  ++self->storage->rebases;
  if (self->is_view) self->view_rebases = self->storage->rebases;
}

// self := result, where result was computed from self by a recorded out-of-place op.
Tensor assign(const char* op, const Tensor& self, const Tensor& result, Gate gate) {
  check_same_kind(op, result.dtype(), self.dtype());
  Tensor r = result.dtype() == self.dtype() || !gate ? result : astype(result, self.dtype());
  write(self, r);
  if (gate) adopt(self, r, gate);
  return self;
}

Tensor scaled(const Tensor& other, Scalar alpha) { return alpha.value == 1 ? other : mul(other, alpha); }

// Whether self op= alpha * other can be computed straight into self's memory, with the same
// result as the out-of-place path: an operand of self's dtype (and an alpha that keeps it) that
// doesn't partly overlap self (each element is read just before it is written, so shared memory
// is fine only with identical geometry).
bool direct(const Tensor& self, const Tensor& other, kernels::Binary k, Scalar alpha) {
  const DType d = self.dtype();
  if (other.dtype() != d || d == DType::Bool) return false;
  if (!is_floating(d) && (k == kernels::Binary::Div || !alpha.is_int || alpha.overflow)) return false;
  if (other->storage != self->storage) return true;
  return other->offset == self->offset && other.shape() == self.shape() && other.strides() == self.strides();
}

// Note [In-place ops under vmap]
// A batched self is written through its physical tensor with the batch dims in front (a view
// when they are elsewhere), the other operand lined up with it. An operand batched at a level
// self is not can't be written into self: each example of self would need several values.
vmap::Levels inplace_levels(const char* op, const Tensor& self, std::initializer_list<const Tensor*> others) {
  const vmap::Levels levels = vmap::levels_of({&self});
  for (const Tensor* o : others)
    for (int64_t level : vmap::levels_of({o}))
      if (!std::binary_search(levels.begin(), levels.end(), level))
        vmap::unbatchable(op,
                          "can't write a value that is batched into a tensor that is not (self is not batched "
                          "over the vmap that batches the operand); use the out-of-place op");
  return levels;
}

// self op= alpha * other: the out-of-place op `fn` adopted by self, or, when autograd needn't see
// it, a direct update. Ops whose rules read their inputs (mul, div) get copies of them: self's
// memory is about to be overwritten, and so is other's if shared.
Tensor arith_(const char* op, const Tensor& self, const Tensor& other, Scalar alpha, kernels::Binary k,
              Tensor (*fn)(const Tensor&, const Tensor&), bool rules_read_inputs) {
  if (vmap::any_batched(self, other)) {
    const vmap::Levels levels = inplace_levels(op, self, {&other});
    arith_(op, vmap::to_front(self, levels), vmap::to_front(other, levels, self.ndim()), alpha, k, fn,
           rules_read_inputs);
    return self;
  }
  check_writable(op, self);
  check_fits(op, other.shape(), self.shape());
  const Gate gate = autograd_gate(op, self, {&other});
  if (!gate && direct(self, other, k, alpha)) {
    kernels::binary_inplace(k, self, other, alpha.value, alpha.int_value);
    ++self->storage->version;
    return self;
  }
  Tensor a = self, b = scaled(other, alpha);
  if (gate.reverse && rules_read_inputs) {
    a = copy(self);
    if (other->storage == self->storage) b = copy(b);
  }
  return assign(op, self, fn(a, b), gate);
}

// Records `spec` with inputs (self's old history, others...) on a fresh handle of self's memory,
// lets `fill` store what the rules need (parameters P), then self adopts the result.
template <class P = NoParams, class Fill>
void rebase(const Tensor& self, Gate gate, const OpSpec& spec, const TensorList& inputs, Fill fill) {
  Tensor out = self.detach();
  Recording r = record_list_with<P>(out, spec, inputs);
  if (!r) return;
  fill(*r.node);
  finish(r, out, inputs);
  adopt(self, out, gate);
}

// A gradient in the dtype of the input it is for (when that is a float dtype and differs).
Tensor in_dtype(const Tensor& t, DType d) { return is_floating(d) && t.dtype() != d ? astype(t, d) : t; }

// What copy_ and setitem rules read besides shapes: the written value's dtype.
struct ValueDtype {
  DType dtype;
};

// ---- basic indices as stored in a node --------------------------------------------------------
// An index made explicit (no Ellipsis: every dim of the indexed tensor has an item), so that a
// leading Ellipsis later applies it to the trailing dims of a batched cotangent or tangent.
std::vector<IndexItem> explicit_index(const std::vector<IndexItem>& index, int64_t ndim) {
  int64_t consumed = 0, ellipses = 0;
  for (auto& it : index) {
    if (it.kind == IndexItem::Int || it.kind == IndexItem::Slice) ++consumed;
    if (it.kind == IndexItem::Ellipsis) ++ellipses;
  }
  if (ellipses > 1) throw IndexError("an index can only have a single ellipsis ('...')");
  const int64_t rest = std::max<int64_t>(0, ndim - consumed);
  std::vector<IndexItem> out;
  for (auto& it : index) {
    if (it.kind != IndexItem::Ellipsis)
      out.push_back(it);
    else
      out.insert(out.end(), size_t(rest), IndexItem{IndexItem::Slice});
  }
  if (!ellipses) out.insert(out.end(), size_t(rest), IndexItem{IndexItem::Slice});
  return out;
}

int64_t region_ndim(const std::vector<IndexItem>& index) {
  int64_t n = 0;
  for (auto& it : index) n += it.kind == IndexItem::Slice || it.kind == IndexItem::NewAxis;
  return n;
}

// An assignment x[index] = value as its node keeps it: the index made explicit, the region's
// ndim, and value's dtype.
struct SetitemParams {
  std::vector<IndexItem> index;
  int64_t region_ndim;
  DType value_dtype;
};

SetitemParams setitem_params(const std::vector<IndexItem>& index, const Tensor& value) {
  return {index, region_ndim(index), value.dtype()};
}

// The stored index behind a leading Ellipsis: it applies past any batch dims.
std::vector<IndexItem> batched_index(const OpNode& n) {
  std::vector<IndexItem> index{{IndexItem::Ellipsis}};
  const auto& kept = n.params<SetitemParams>().index;
  index.insert(index.end(), kept.begin(), kept.end());
  return index;
}

// value reshaped to fit `region` as NumPy's assignment does: extra leading dims of size 1 go.
Tensor fit_value(const char* op, const Tensor& value, const Shape& region) {
  Tensor v = value;
  const int64_t extra = value.ndim() - int64_t(region.size());
  bool ok = true;
  for (int64_t d = 0; d < extra; ++d) ok &= value.shape()[d] == 1;
  if (ok && extra > 0) v = reshape(value, Shape(value.shape().begin() + extra, value.shape().end()));
  if (ok) {
    for (size_t i = 1; ok && i <= size_t(v.ndim()); ++i) {
      const int64_t s = v.shape()[v.ndim() - i], t = region[region.size() - i];
      ok = s == t || s == 1;
    }
  }
  if (!ok)
    throw ValueError(std::string(op) + ": could not broadcast input array from shape " + shape_str(value.shape()) +
                     " into shape " + shape_str(region));
  return v;
}

// False inside the region an index selects, true elsewhere.
Tensor outside_region(const Shape& shape, const std::vector<IndexItem>& index) {
  Tensor keep = full(shape, 1, DType::Bool);
  kernels::copy_into(getitem(keep, index), scalar_tensor(0, DType::Bool));
  return keep;
}

// A tangent (*batch, *value_shape) lined up with the region: (*batch, 1, ..., *value_shape).
Tensor lift_to(const Tensor& t, const Shape& value_shape, int64_t region_nd) {
  const int64_t missing = region_nd - int64_t(value_shape.size());
  if (missing <= 0) return t;
  Shape s(t.shape().begin(), t.shape().end() - int64_t(value_shape.size()));
  s.insert(s.end(), size_t(missing), 1);
  s.insert(s.end(), value_shape.begin(), value_shape.end());
  return reshape(t, s);
}

// Inputs (x, value); n.shapes = {x's shape, value's shape}. The region gets value's gradient, the
// rest x's; tangents are put together the same way.
Tensor setitem_jvp(OpNode& n, const TensorList& t) {
  const bool has_x = t[0].defined();
  const Shape batch =
      has_x ? batch_shape(t[0], int64_t(n.shapes[0].size())) : batch_shape(t[1], int64_t(n.shapes[1].size()));
  Shape x_shape = batch;
  x_shape.insert(x_shape.end(), n.shapes[0].begin(), n.shapes[0].end());
  const DType d = has_x ? t[0].dtype() : t[1].dtype();
  Tensor base = has_x ? t[0] : zeros(x_shape, d);
  Tensor value =
      t[1].defined() ? lift_to(t[1], n.shapes[1], n.params<SetitemParams>().region_ndim) : scalar_tensor(0, d);
  return setitem(base, batched_index(n), value);
}

const OpSpec& setitem_spec() {
  static const OpSpec spec{
      "SetitemBackward",
      RULE({IF_NEEDED(0, where(outside_region(n.shapes[0], batched_index(n)), g, scalar_tensor(0, g.dtype()))),
            IF_NEEDED(1, in_dtype(unbroadcast(getitem(g, batched_index(n)), n.shapes[1],
                                              n.params<SetitemParams>().region_ndim),
                                  n.params<SetitemParams>().value_dtype))}),
      setitem_jvp};
  return spec;
}

}  // namespace

// ---- arithmetic: the out-of-place op's node, adopted by self --------------------------------------
using kernels::Binary;
constexpr Scalar kOne = Scalar::of_int(1);

Tensor add_(const Tensor& self, const Tensor& other, Scalar alpha) {
  return arith_("add_", self, other, alpha, Binary::Add, add, false);
}
Tensor sub_(const Tensor& self, const Tensor& other, Scalar alpha) {
  return arith_("sub_", self, other, alpha, Binary::Sub, sub, false);
}
Tensor mul_(const Tensor& self, const Tensor& other) {
  return arith_("mul_", self, other, kOne, Binary::Mul, mul, true);
}
Tensor div_(const Tensor& self, const Tensor& other) {
  return arith_("div_", self, other, kOne, Binary::Div, div, true);
}

Tensor clamp_(const Tensor& self, std::optional<double> lo, std::optional<double> hi) {
  if (vmap::is_batched(self)) return clamp_(vmap::physical(self), lo, hi), self;
  check_writable("clamp_", self);
  const Gate gate = autograd_gate("clamp_", self, {});
  return assign("clamp_", self, clip(self, lo, hi), gate);  // clip's rule keeps a mask, not self
}

// ---- writes that replace values: their own rules ---------------------------------------------------
// copy_: the old values get a zero gradient, src its share (summed over broadcasting, in its dtype).
Tensor copy_(const Tensor& self, const Tensor& src) {
  static const OpSpec spec{
      "CopyBackwards",
      RULE({IF_NEEDED(0, zeros_like(g)), IF_NEEDED(1, in_dtype(reduce_to(n, 1, g), n.params<ValueDtype>().dtype))}),
      JVP(t[1].defined() ? n.lift(1, t[1]) : zeros_like(t[0]))};
  if (vmap::any_batched(self, src)) {
    const vmap::Levels levels = inplace_levels("copy_", self, {&src});
    copy_(vmap::to_front(self, levels), vmap::to_front(src, levels, self.ndim()));
    return self;
  }
  check_writable("copy_", self);
  check_fits("copy_", src.shape(), self.shape());
  check_same_kind("copy_", src.dtype(), self.dtype());
  const Gate gate = autograd_gate("copy_", self, {&src});
  write(self, src->storage == self->storage ? kernels::cast(src, src.dtype()) : src);
  if (gate)
    rebase<ValueDtype>(self, gate, spec, {self, src}, [&](OpNode& n) {
      n.shapes = {self.shape(), src.shape()};
      n.params<ValueDtype>().dtype = src.dtype();
    });
  return self;
}

namespace {

Tensor fill(const char* op, const Tensor& self, const Scalar& value) {
  if (vmap::is_batched(self)) return fill(op, vmap::physical(self), value), self;
  static const OpSpec spec{"FillBackward", RULE({zeros_like(g)}), JVP(zeros_like(t[0]))};
  check_writable(op, self);
  const Tensor v = scalar_tensor(value, self.dtype());  // exact for an int into int64
  const Gate gate = autograd_gate(op, self, {});
  write(self, v);
  if (gate) rebase(self, gate, spec, {self}, [](OpNode&) {});
  return self;
}

}  // namespace

Tensor fill_(const Tensor& self, Scalar value) { return fill("fill_", self, value); }
Tensor zero_(const Tensor& self) { return fill("zero_", self, Scalar::of_int(0)); }

// ---- assignment to a basic index ---------------------------------------------------------------
Tensor setitem_(const Tensor& self, const std::vector<IndexItem>& index_in, const Tensor& value_in) {
  const char* op = "__setitem__";
  if (vmap::any_batched(self, value_in)) {
    const vmap::Levels levels = inplace_levels(op, self, {&value_in});
    const int64_t region_ndim = getitem(self, index_in).ndim();
    setitem_(vmap::to_front(self, levels), vmap::with_batch_slices(index_in, int64_t(levels.size())),
             vmap::to_front(value_in, levels, region_ndim));
    return self;
  }
  const std::vector<IndexItem> index = explicit_index(index_in, self.ndim());
  Tensor region = getitem(self.detach(), index);  // also checks the index against the shape
  check_writable(op, region);
  const Tensor value = fit_value(op, value_in, region.shape());
  const Gate gate = autograd_gate(op, self, {&value});
  kernels::copy_into(region, value->storage == self->storage ? kernels::cast(value, value.dtype()) : value);
  ++self->storage->version;
  if (gate)
    rebase<SetitemParams>(self, gate, setitem_spec(), {self, value}, [&](OpNode& n) {
      n.shapes = {self.shape(), value.shape()};
      n.params<SetitemParams>() = setitem_params(index, value);
    });
  return self;
}

Tensor setitem(const Tensor& x, const std::vector<IndexItem>& index_in, const Tensor& value_in) {
  if (vmap::any_batched(x, value_in)) {
    const vmap::Levels levels = vmap::levels_of({&x, &value_in});
    const Shape sizes = vmap::level_sizes(levels, {x, value_in});
    const int64_t region_ndim = getitem(x, index_in).ndim();
    return vmap::from_front(
        setitem(vmap::to_front(x, levels, -1, &sizes), vmap::with_batch_slices(index_in, int64_t(levels.size())),
                vmap::to_front(value_in, levels, region_ndim)),
        levels);
  }
  const std::vector<IndexItem> index = explicit_index(index_in, x.ndim());
  Tensor out = kernels::cast(x, x.dtype());
  Tensor region = getitem(out, index);
  const Tensor value = fit_value("setitem", value_in, region.shape());
  kernels::copy_into(region, value);
  if (Recording r = record_with<SetitemParams>(out, setitem_spec(), x, value)) {
    r->shapes = {x.shape(), value.shape()};
    r->params<SetitemParams>() = setitem_params(index, value);
    finish(r, out, {&x, &value});
  }
  return out;
}

}  // namespace pyjac
