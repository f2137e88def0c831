// Custom derivative rules written in Python (pyjac.autograd.Function): function_apply runs a
// Function's forward and puts a PyFunctionNode on the tape, whose apply() calls the Function's
// backward. The node holds Python objects (the Function class and its ctx), so it lives in the
// python/ layer and takes the GIL itself: the engine runs without it.
//
// Reference cycles: the node holds the ctx and, as C++ references, the tensors saved with
// save_for_backward (taken out of the ctx when forward returns, so that the tape's cycle
// collector sees them; tensors kept as other ctx attributes are Python references it can't
// follow, as in PyTorch). The tensors the caller gets back are new handles on the forward's
// outputs carrying grad_fn = the node; the objects forward returned (and may have saved) carry no
// history. So saved output -> grad_fn -> node -> saved output never forms; a saved output is
// handed to backward as a fresh handle with this node as grad_fn (for create_graph), dropped
// again when backward returns. The node lets go of the ctx and what it saved after backward
// (release_saved) or when the graph is dropped.
//
// Note [Custom Functions under vmap]
// With batched arguments (vmap/batched.h) forward runs once on them, as any pyjac code does, and
// the node is recorded on the physical tensors (batch dims in front, in level order) like every
// op's. backward, written for one example, runs once too: the engine's physical cotangents are
// handed to it batched again (at the forward's levels, made live once more if its vmap has
// returned), and so are cotangents with leading batch dims (jacobian, is_grads_batched), at a
// level of their own. A backward that can't be batched (it reads values) runs once per row.
#include <memory>

#include "autograd/forward.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "python/bind_util.h"
#include "vmap/batched.h"

namespace pyjac::python {

namespace {

struct ArgInfo {
  bool tensor_arg = false;
  Shape shape;
  DType dtype = DType::Float64;
  size_t edge = 0;  // index into next_edges when tensor_arg
};

struct OutInfo {
  Shape shape;
  DType dtype;
};

struct PyFunctionNode final : Node {
  ~PyFunctionNode() override { drop_python(); }
  const char* name() const override { return name_.c_str(); }
  TensorList apply(TensorList&& grads, Needs needs) override;
  void release_saved() override {
    saved.clear();
    AcquiredGil gil;
    ctx = py::object();
    released_ = true;
  }
  // The saved tensors are references the tape's cycle collector can follow (the ctx and the
  // class are Python objects it can't).
  void visit_references(ReferenceVisitor& v) const override {
    Node::visit_references(v);
    for (const Tensor& t : saved)
      if (t.defined()) v.tensor(t.impl());
  }

  // The saved tensors as backward sees them: outputs come back as this node's outputs while
  // grad mode is on (so a create_graph backward differentiates through them).
  py::tuple unpack_saved();
  void check_versions() const;
  // One call of backward for cotangents without batch dims; one gradient per tensor argument.
  TensorList call_backward(const TensorList& grads);

  std::string name_, cls_name_;
  py::object cls, ctx;
  std::vector<ArgInfo> args;
  std::vector<OutInfo> outputs;
  // What ctx.save_for_backward kept (undefined for None), taken out of the ctx when forward
  // returns: a Python tuple there would hide reference cycles through it from every collector
  // (Note [Reference cycles through .grad] in autograd/cycles.h).
  TensorList saved;

  // forward may return non-tensors among its outputs (`return y, 3`); as in torch, backward still
  // gets one cotangent per output (None for those) and jvp returns one tangent per output.
  size_t forward_output_count = 0;
  std::vector<size_t> tensor_output_positions;  // per entry of `outputs`: its place in forward's result
  py::tuple with_none_for_non_tensor_outputs(const py::tuple& tensor_grads) const;
  py::tuple tensor_entries(const py::tuple& per_output, const std::string& who) const;
  std::vector<int64_t> saved_output_nr;  // per saved tensor: its output number, or -1
  std::vector<uint64_t> saved_versions;
  bool released_ = false;
  // Under vmap (Note [Custom Functions under vmap]): the levels of the arguments and their sizes,
  // the leading dims of every physical input and output of this node.
  vmap::Levels levels;
  Shape level_sizes;

  // The engine's physical cotangents (*batch, *level sizes, *output shape) as backward sees them,
  // at the forward's levels and `batch_level` (-1: no batch dims).
  TensorList logical_grads(const TensorList& grads, const Shape& batch, int64_t batch_level) const;
  // backward's gradients back to physical ones for the engine: (*batch, *level sizes, *arg shape).
  TensorList physical_grads(const TensorList& grads, const Shape& batch, int64_t batch_level) const;

 private:
  void drop_python() {
    if (!ctx && !cls) return;
    if (!Py_IsInitialized()) {  // the interpreter is gone: nothing left to release into
      ctx.release();
      cls.release();
      return;
    }
    AcquiredGil gil;
    ctx = py::object();
    cls = py::object();
  }
};

// Hides every live forward-mode level while the user's forward runs: its ops must not propagate
// tangents (the Function's jvp says what the output tangents are). Restored in reverse order.
class HideAllLevels {
 public:
  HideAllLevels() {
    const std::vector<uint64_t> levels = ForwardAD::live();
    for (uint64_t level : levels) hidden_.push_back(std::make_unique<ForwardAD::Hide>(level));
  }
  ~HideAllLevels() {
    while (!hidden_.empty()) hidden_.pop_back();
  }

 private:
  std::vector<std::unique_ptr<ForwardAD::Hide>> hidden_;
};

// ctx.saved_tensors is readable only while backward or jvp runs: outside, the unpacked tuple
// (which may hold this node's outputs, hence the node) would make a cycle through the ctx.
struct SavedScope {
  py::object& ctx;
  SavedScope(py::object& c, py::tuple t) : ctx(c) { ctx.attr("_saved") = std::move(t); }
  ~SavedScope() { ctx.attr("_saved") = py::none(); }
  SavedScope(const SavedScope&) = delete;
  SavedScope& operator=(const SavedScope&) = delete;
};

py::tuple as_tuple(const py::object& result) {
  if (PyTuple_Check(result.ptr())) return py::reinterpret_borrow<py::tuple>(result);
  return py::make_tuple(result);
}

// A gradient or tangent the user returned for a tensor of `shape` (after `batch` leading dims):
// checked, and cast to `dtype`.
Tensor checked_result(py::handle h, const std::string& who, const char* what, size_t i, const Shape& shape,
                      DType dtype) {
  Tensor t = as_tensor(h);
  if (t.shape() != shape)
    throw ValueError(who + " returned a " + what + " of shape " + shape_str(t.shape()) + " at position " +
                     std::to_string(i) + ", but it must have shape " + shape_str(shape));
  if (t.dtype() != dtype && is_floating(dtype)) t = astype(t, dtype);
  return t;
}

// Row r of each of `ts` after flattening their `batch` leading dims (differentiable).
TensorList rows_of(const TensorList& ts, const Shape& batch, int64_t r) {
  TensorList out;
  for (const Tensor& t : ts) {
    if (!t.defined()) {
      out.emplace_back();
      continue;
    }
    Shape flat{numel(batch)};
    flat.insert(flat.end(), t.shape().begin() + int64_t(batch.size()), t.shape().end());
    out.push_back(getitem(reshape(t, flat), {IndexItem{IndexItem::Int, r}}));
  }
  return out;
}

// Per-row results stacked back under the batch dims; rows without a result count as zeros.
Tensor stack_rows(const TensorList& rows, const Shape& batch, const Shape& shape, DType dtype) {
  bool any = false;
  for (auto& r : rows) any |= r.defined();
  if (!any) return Tensor();
  TensorList filled;
  for (auto& r : rows) filled.push_back(r.defined() ? r : zeros(shape, dtype));
  return reshape(stack(filled, 0), concat(batch, shape));
}

py::tuple PyFunctionNode::unpack_saved() {
  py::tuple out(saved.size());
  for (size_t j = 0; j < saved.size(); ++j) {
    const Tensor& original = saved[j];
    const int64_t nr = j < saved_output_nr.size() ? saved_output_nr[j] : -1;
    if (!original.defined()) {
      out[j] = py::none();
      continue;
    }
    if (nr < 0) {
      out[j] = py::reinterpret_steal<py::object>(wrap(original));  // the caller's object, if it is alive
      continue;
    }
    // Under vmap the node's output is the physical one, batch dims in front.
    Tensor t = levels.empty() ? original.detach() : vmap::to_front(original, levels, -1, &level_sizes).detach();
    t->tangents = original->tangents;  // forward-over-reverse reads the output's tangent
    if (GradMode::is_enabled() && !next_edges.empty()) {
      t->requires_grad = true;
      t->grad_fn = shared_from_this();
      t->output_nr = uint32_t(nr);
    }
    out[j] = py::cast(vmap::from_front(t, levels));
  }
  return out;
}

void PyFunctionNode::check_versions() const {
  for (size_t j = 0; j < saved.size() && j < saved_versions.size(); ++j) {
    const Tensor& t = saved[j];
    if (!t.defined()) continue;
    const uint64_t version = vmap::physical(t)->storage->version;
    if (version != saved_versions[j])
      throw std::runtime_error(
          "one of the variables needed for gradient computation has been modified by an inplace operation: " + name_ +
          "'s saved tensor " + std::to_string(j) + " (a " + describe(t) + ") is at version " + std::to_string(version) +
          "; expected version " + std::to_string(saved_versions[j]) +
          ". Hint: modify a copy instead, or modify it only after the backward pass.");
  }
}

py::tuple PyFunctionNode::with_none_for_non_tensor_outputs(const py::tuple& tensor_grads) const {
  if (forward_output_count == tensor_grads.size()) return tensor_grads;
  py::tuple all(forward_output_count);
  for (size_t i = 0; i < forward_output_count; ++i) all[i] = py::none();
  for (size_t k = 0; k < tensor_grads.size(); ++k) all[tensor_output_positions[k]] = tensor_grads[k];
  return all;
}

// The entries of a per-output result (jvp's tangents) that belong to tensor outputs. A result
// with one entry per tensor output only is taken as it is; one per forward output must have None
// where forward's output is not a tensor.
py::tuple PyFunctionNode::tensor_entries(const py::tuple& per_output, const std::string& who) const {
  if (per_output.size() != forward_output_count || forward_output_count == outputs.size()) return per_output;
  py::tuple picked(outputs.size());
  for (size_t k = 0; k < outputs.size(); ++k) picked[k] = per_output[tensor_output_positions[k]];
  for (size_t i = 0, k = 0; i < forward_output_count; ++i) {
    if (k < outputs.size() && tensor_output_positions[k] == i) {
      ++k;
      continue;
    }
    if (!per_output[i].is_none())
      throw std::runtime_error(who + " returned a tangent at position " + std::to_string(i) +
                               ", but forward's output there is not a tensor (return None for it)");
  }
  return picked;
}

TensorList PyFunctionNode::call_backward(const TensorList& grads) {
  check_versions();  // per call: a batched backward runs once per row, and a row may write one
  const bool materialize = py::bool_(py::getattr(ctx, "materialize_grads", py::bool_(true)));
  py::tuple py_grads(grads.size());
  for (size_t k = 0; k < grads.size(); ++k) {
    if (grads[k].defined())
      py_grads[k] = py::cast(grads[k]);
    else if (materialize)
      py_grads[k] = py::cast(zeros(outputs[k].shape, outputs[k].dtype));
    else
      py_grads[k] = py::none();
  }
  const std::string who = cls_name_ + ".backward";
  py::tuple result = as_tuple(cls.attr("backward")(ctx, *with_none_for_non_tensor_outputs(py_grads)));
  bool extra_nones = true;
  for (size_t i = args.size(); i < result.size(); ++i) extra_nones &= result[i].is_none();
  if (result.size() < args.size() || !extra_nones)
    throw std::runtime_error(who + " returned " + std::to_string(result.size()) + " gradient(s), but forward took " +
                             std::to_string(args.size()) +
                             " argument(s): return one gradient per argument (None for non-tensors and for "
                             "inputs that need no gradient)");
  TensorList grads_in(next_edges.size());
  for (size_t i = 0; i < args.size(); ++i) {
    py::handle g = result[i];
    if (g.is_none()) continue;
    if (!args[i].tensor_arg)
      throw std::runtime_error(who + " returned a gradient at position " + std::to_string(i) +
                               ", but forward's argument there is not a tensor (return None for it)");
    if (!next_edges[args[i].edge].fn) continue;  // that input doesn't require grad: ignored, as in PyTorch
    grads_in[args[i].edge] = checked_result(g, who, "gradient", i, args[i].shape, args[i].dtype);
  }
  return grads_in;
}

TensorList PyFunctionNode::logical_grads(const TensorList& grads, const Shape& batch, int64_t batch_level) const {
  TensorList out;
  const int64_t lead = batch_level >= 0 ? 1 : 0;
  for (const Tensor& g : grads) {
    if (!g.defined()) {
      out.emplace_back();
      continue;
    }
    Tensor flat = g;
    if (lead) {
      Shape s{numel(batch)};
      s.insert(s.end(), g.shape().begin() + int64_t(batch.size()), g.shape().end());
      flat = reshape(g, s);
    }
    vmap::BatchDims dims;
    for (size_t i = 0; i < levels.size(); ++i) dims.push_back({levels[i], lead + int64_t(i)});
    if (lead) dims.push_back({batch_level, 0});  // the newest level: last in level order
    out.push_back(vmap::make_batched(flat, std::move(dims)));
  }
  return out;
}

TensorList PyFunctionNode::physical_grads(const TensorList& grads, const Shape& batch, int64_t batch_level) const {
  vmap::Levels all = levels;
  Shape sizes = level_sizes;
  if (batch_level >= 0) all.push_back(batch_level), sizes.push_back(numel(batch));
  TensorList out;
  for (size_t e = 0; e < grads.size(); ++e) {
    const Tensor& g = grads[e];
    if (!g.defined()) {
      out.emplace_back();
      continue;
    }
    Tensor p = vmap::to_front(g, all, -1, &sizes);  // (*level sizes, [rows], *arg shape)
    if (batch_level >= 0) {
      const int64_t k = int64_t(levels.size());
      p = moveaxis(p, {k}, {0});
      Shape s = batch;
      s.insert(s.end(), p.shape().begin() + 1, p.shape().end());
      p = reshape(p, s);
    }
    out.push_back(p);
  }
  return out;
}

TensorList PyFunctionNode::apply(TensorList&& grads, Needs) {
  AcquiredGil gil;
  if (released_)
    throw std::runtime_error("Trying to backward through the graph a second time (" + name_ +
                             "'s saved tensors were already freed). Specify retain_graph=True on the first backward "
                             "or grad call if you need to backward through the graph again.");
  // Cotangents may carry leading batch dims (is_grads_batched, jacobian) before the physical
  // output shape (the level sizes, under vmap, then the output's own shape).
  Shape batch;
  for (size_t k = 0; k < grads.size(); ++k)
    if (grads[k].defined()) {
      const int64_t own = int64_t(levels.size() + outputs[k].shape.size());
      batch.assign(grads[k].shape().begin(), grads[k].shape().end() - own);
      break;
    }
  vmap::Reenter live(levels, level_sizes);
  SavedScope scope(ctx, unpack_saved());
  if (batch.empty() && levels.empty()) return call_backward(grads);
  if (batch.empty()) return physical_grads(call_backward(logical_grads(grads, batch, -1)), batch, -1);
  try {
    vmap::ScopedLevel rows(numel(batch));
    return physical_grads(call_backward(logical_grads(grads, batch, rows.level)), batch, rows.level);
  } catch (const std::exception& e) {
    // A backward that can't be batched (it reads values) runs once per row, as before vmap.
    // (Raised in Python, the message comes after the exception's type name.)
    if (!levels.empty() || std::string(e.what()).find("vmap: ") == std::string::npos) throw;
  }
  std::vector<TensorList> per_row;
  for (int64_t r = 0; r < numel(batch); ++r) per_row.push_back(call_backward(rows_of(grads, batch, r)));
  TensorList out(next_edges.size());
  for (size_t i = 0; i < args.size(); ++i) {
    if (!args[i].tensor_arg) continue;
    TensorList rows;
    for (auto& row : per_row) rows.push_back(row[args[i].edge]);
    out[args[i].edge] = stack_rows(rows, batch, args[i].shape, args[i].dtype);
  }
  return out;
}

// (A batched tensor's tangents are its physical tensor's.)
bool has_tangent_at(const Tensor& t, uint64_t level) { return ForwardAD::tangent(vmap::physical(t), level).defined(); }

// Output tangents at `level` from the Function's jvp(ctx, *tangents), one row at a time when the
// tangents carry batch dims. Tensor arguments without a tangent get zeros, others None.
void run_jvp(PyFunctionNode& node, const py::tuple& args, const TensorList& originals, const TensorList& out_handles,
             uint64_t level) {
  const std::string who = node.cls_name_ + ".jvp";
  Shape batch;
  for (size_t i = 0; i < args.size(); ++i)
    if (node.args[i].tensor_arg) {
      Tensor t = ForwardAD::tangent(unwrap(args[i].ptr()), level);
      if (t.defined()) {
        batch.assign(t.shape().begin(), t.shape().end() - int64_t(node.args[i].shape.size()));
        break;
      }
    }
  TensorList tangents;
  for (size_t i = 0; i < args.size(); ++i) {
    if (!node.args[i].tensor_arg) {
      tangents.emplace_back();
      continue;
    }
    Tensor t = ForwardAD::tangent(unwrap(args[i].ptr()), level);
    tangents.push_back(t.defined() ? t : zeros(concat(batch, node.args[i].shape), node.args[i].dtype));
  }
  ForwardAD::Hide hide(level);
  auto call = [&](const TensorList& ts) {
    py::tuple py_ts(ts.size());
    for (size_t i = 0; i < ts.size(); ++i) py_ts[i] = ts[i].defined() ? py::cast(ts[i]) : py::none();
    py::tuple result = node.tensor_entries(as_tuple(node.cls.attr("jvp")(node.ctx, *py_ts)), who);
    if (result.size() != node.outputs.size())
      throw std::runtime_error(who + " returned " + std::to_string(result.size()) + " tangent(s) for " +
                               std::to_string(node.forward_output_count) + " output(s) of forward (" +
                               std::to_string(node.outputs.size()) + " of them tensors; None for the others)");
    TensorList out;
    for (size_t k = 0; k < result.size(); ++k)
      out.push_back(result[k].is_none()
                        ? Tensor()
                        : checked_result(result[k], who, "tangent", k, node.outputs[k].shape, node.outputs[k].dtype));
    return out;
  };
  TensorList out_tangents;
  if (batch.empty()) {
    out_tangents = call(tangents);
  } else {
    std::vector<TensorList> per_row;
    for (int64_t r = 0; r < numel(batch); ++r) per_row.push_back(call(rows_of(tangents, batch, r)));
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      TensorList rows;
      for (auto& row : per_row) rows.push_back(row[k]);
      out_tangents.push_back(stack_rows(rows, batch, node.outputs[k].shape, node.outputs[k].dtype));
    }
  }
  // The forward's own object gets it too: backward may read it as a saved output (unpack_saved).
  for (size_t k = 0; k < out_handles.size(); ++k)
    if (out_handles[k].defined() && out_tangents[k].defined()) {
      ForwardAD::set_tangent(out_handles[k], level, out_tangents[k]);
      ForwardAD::set_tangent(originals[k], level, out_tangents[k]);
    }
}

py::object function_apply(py::object cls, py::object ctx, py::tuple args) {
  // Under vmap: the levels of the batched arguments (Note [Custom Functions under vmap]).
  vmap::Levels vlevels;
  TensorList tensor_args;
  for (py::handle a : args)
    if (is_tensor(a.ptr())) {
      vmap::add_levels(vlevels, unwrap(a.ptr()));
      tensor_args.push_back(unwrap(a.ptr()));
    }
  const Shape vsizes = vmap::level_sizes(vlevels, tensor_args);
  const std::string cls_name = py::str(cls.attr("__name__"));
  const bool grad_mode = GradMode::is_enabled();
  bool reverse = false;
  std::vector<uint64_t> levels;
  for (uint64_t level : ForwardAD::live()) {
    bool any = false;
    for (auto h : args)
      if (is_tensor(h.ptr())) any |= has_tangent_at(unwrap(h.ptr()), level);
    if (any) levels.push_back(level);
  }
  py::tuple needs(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    const bool req = is_tensor(args[i].ptr()) && grad_mode && vmap::physical(unwrap(args[i].ptr())).requires_grad();
    needs[i] = py::bool_(req);
    reverse |= req;
  }
  if (!levels.empty() && !vlevels.empty())
    throw std::runtime_error("vmap: forward mode through a custom Function under vmap runs per example");
  if (!levels.empty() && !py::hasattr(cls, "jvp"))
    throw std::runtime_error(cls_name +
                             ": forward-mode AD (jvp, jacfwd, hvp) through a custom Function needs a "
                             "jvp(ctx, *tangents) staticmethod giving the output tangents");
  ctx.attr("needs_input_grad") = needs;

  py::object result;
  {
    GradModeGuard no_grad(false);
    HideAllLevels hide;
    result = cls.attr("forward")(ctx, *args);
  }
  if (!reverse && levels.empty()) return result;

  const bool is_tuple = PyTuple_Check(result.ptr());
  py::tuple outs = as_tuple(result);
  py::tuple non_diff = py::getattr(ctx, "_non_differentiable", py::tuple());
  auto marked = [&](const Tensor& t) {
    for (auto h : non_diff)
      if (is_tensor(h.ptr()) && unwrap(h.ptr()).same(t)) return true;
    return false;
  };

  auto node = std::make_shared<PyFunctionNode>();
  node->runs_user_code = true;
  node->name_ = cls_name + "Backward";
  node->cls_name_ = cls_name;
  node->cls = cls;
  node->ctx = ctx;
  node->levels = vlevels;
  node->level_sizes = vsizes;
  // The node's inputs and outputs: under vmap the physical tensors, batch dims in front.
  auto physical = [&](const Tensor& t) { return vlevels.empty() ? t : vmap::to_front(t, vlevels, -1, &vsizes); };
  for (size_t i = 0; i < args.size(); ++i) {
    ArgInfo info;
    if (is_tensor(args[i].ptr())) {
      Tensor t = unwrap(args[i].ptr());
      info = {true, t.shape(), t.dtype(), node->next_edges.size()};
      node->next_edges.push_back(reverse ? gradient_edge(physical(t)) : Edge{});
    }
    node->args.push_back(std::move(info));
  }

  // The caller gets new handles on the outputs; the forward's own objects stay history-free.
  TensorList originals, handles;
  py::list returned;
  node->forward_output_count = outs.size();
  for (auto h : outs) {
    if (!is_tensor(h.ptr())) {
      returned.append(h);
      continue;
    }
    Tensor t = unwrap(h.ptr());
    originals.push_back(t);
    node->tensor_output_positions.push_back(returned.size());
    node->outputs.push_back({t.shape(), t.dtype()});
    if (!is_floating(t.dtype()) || marked(t)) {
      handles.emplace_back();
      returned.append(h);
      continue;
    }
    const Tensor p = physical(t);
    Tensor out = p.detach();
    out->is_view = p->is_view;
    out->view_rebases = p->view_rebases;
    if (reverse) {
      out->requires_grad = true;
      out->grad_fn = node;
      out->output_nr = uint32_t(originals.size() - 1);
    }
    handles.push_back(out);
    returned.append(py::cast(vmap::from_front(out, vlevels)));
  }
  node->num_outputs = uint32_t(originals.size());

  py::tuple to_save = py::getattr(ctx, "_to_save", py::tuple());
  for (auto h : to_save) {
    int64_t nr = -1;
    uint64_t version = 0;
    Tensor t;
    if (!h.is_none()) {
      t = unwrap(h.ptr());
      version = vmap::physical(t)->storage->version;
      for (size_t k = 0; k < originals.size(); ++k)
        if (originals[k].same(t) && handles[k].defined()) nr = int64_t(k);
    }
    node->saved.push_back(std::move(t));
    node->saved_output_nr.push_back(nr);
    node->saved_versions.push_back(version);
  }
  ctx.attr("_to_save") = py::tuple();

  if (!levels.empty()) {
    SavedScope scope(node->ctx, node->unpack_saved());
    for (uint64_t level : levels) run_jvp(*node, args, originals, handles, level);
  }
  if (!reverse) {  // nothing will run backward
    node->ctx = py::object();
    node->saved.clear();
  }
  return is_tuple ? py::object(py::tuple(returned)) : returned[0];
}

}  // namespace

void bind_function(py::module_& m) {
  m.def("function_apply", &function_apply, py::arg("cls"), py::arg("ctx"), py::arg("args"));
}

}  // namespace pyjac::python
