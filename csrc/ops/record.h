#pragma once
// How an op puts itself on the tape: an OpNode holding the op's two derivative rules (plain
// functions written in differentiable ops) and what they need from the forward.
//   vjp (reverse): g shaped (*batch, *out_shape) -> one gradient per input, (*batch, *in_shape).
//   jvp (forward): tangents t[i] shaped (*batch, *in_shape) (undefined = zero) -> the output's.
#include <initializer_list>
#include <stdexcept>
#include <type_traits>
#include <typeinfo>

#include "autograd/anomaly.h"
#include "autograd/forward.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "ops/ops.h"
#include "tensor/pool.h"

namespace pyjac {

// The storage versions of what a node saved (inputs, then outputs), taken when it was recorded:
// apply() raises if an in-place op has written to one since, as the rule would read new values.
class SavedVersions {
 public:
  void remember(const TensorList& saved, const Tensor* outs, size_t n_outs);
  void check(const char* node, const TensorList& saved, const Tensor* outs, size_t n_outs) const;

 private:
  uint64_t at(size_t i) const { return i < 3 ? inline_[i] : more_[i - 3]; }
  uint32_t n_saved_ = 0, n_outs_ = 0;
  uint64_t inline_[3] = {0, 0, 0};  // the usual two saved inputs and an output: no allocation
  std::vector<uint64_t> more_;
};

// What recording an op with these inputs needs: a reverse node (grad mode on, an input requires
// grad) and/or forward tangents (a live level, an input has one). Checks for stale views first.
struct RecordModes {
  bool reverse = false, forward = false;
};
RecordModes record_modes(const char* op, const TensorList& inputs);

// A node's output handed to its own rules: without history, or under create_graph as the node's
// output `nr` again (so the rule's use of it is differentiable); it keeps its tangents.
Tensor reattached_output(const Tensor& data, Node& node, uint32_t nr);

struct OpNode;
using Rule = TensorList (*)(OpNode& node, const Tensor& grad, Needs needs);
using JvpRule = Tensor (*)(OpNode& node, const TensorList& tangents);

struct OpSpec {
  const char* name;
  Rule vjp;
  JvpRule jvp;
};

// Note [An op's entry]
// An op is one entry in its family's file: the forward (a kernel call), an OpSpec with one rule
// per transform (vjp and jvp today; batching and sparsity rules join them there), and what the
// rules read from the forward, by name:
//   n.input(i)     input i as the forward saw it (the op saved it with save_inputs / save_input);
//   n.output()     the forward's output (saved with save_output);
//   n.saved(k)     any other tensor the forward kept (a mask, a condition, index arrays), bound to
//                  a name where the rule reads it;
//   n.params<P>()  the op's typed non-tensor parameters (axes, a dtype, a Python-number operand):
//                  a struct P declared beside the op, held in the node itself (record_with<P>).
// Every saved tensor is checked against in-place writes before a rule runs (SavedVersions).
struct OpNode : Node {
  explicit OpNode(const OpSpec& spec, const std::type_info* params_type = nullptr)
      : spec_(spec), params_type_(params_type) {}
  const char* name() const override { return spec_.name; }
  TensorList apply(TensorList&& grads, Needs needs) override;
  void release_saved() override;
  void visit_references(ReferenceVisitor& v) const override;
  Tensor jvp(const TensorList& tangents) { return spec_.jvp(*this, tangents); }

  // ---- what the rules read ----
  const Tensor& input(size_t i) const {
    if (i >= n_inputs_ || !saved_[i].defined()) missing_input(i);
    return saved_[i];
  }
  const Tensor& saved(size_t k) const { return saved_.at(n_inputs_ + k); }
  // The forward output itself, for rules like exp's. Stored without history (holding the output
  // would be a cycle); under create_graph it is handed out again as this node's output.
  Tensor output();
  size_t n_saved() const { return saved_.size() - n_inputs_; }
  template <class P>
  P& params();
  template <class P>
  const P& params() const {
    return const_cast<OpNode*>(this)->params<P>();
  }

  // ---- what the forward keeps (inputs before other tensors) ----
  template <class... Ts>
  void save_inputs(const Ts&... inputs) {
    saved_ = {inputs...};
    n_inputs_ = sizeof...(Ts);
  }
  void save_input(size_t i, const Tensor& t);
  void save(const Tensor& t) { saved_.push_back(t); }
  void save_output(const Tensor& out) { out_data = out.detach(); }

  int64_t batch_ndim(const Tensor& grad) const { return grad.ndim() - out_ndim; }
  // Input i's tangent (*batch, *in_shape) reshaped to (*batch, 1, ..., *in_shape) so that it
  // broadcasts against the output and the other operands.
  Tensor lift(size_t i, const Tensor& tangent) const;

  // Called by finish(): the storage versions of the saved tensors as the rules will need them.
  void remember_versions() { versions_.remember(saved_, &out_data, 1); }

  std::vector<Shape> shapes;  // usually the input shapes (reduce_to, lift)
  int64_t out_ndim = 0;
  Tensor out_data;

 private:
  [[noreturn]] void missing_input(size_t i) const;
  [[noreturn]] void wrong_params(const std::type_info& asked) const;
  OpSpec spec_;
  const std::type_info* params_type_;
  bool released_ = false;
  uint32_t n_inputs_ = 0;
  TensorList saved_;  // saved inputs by position (undefined where not saved), then the rest
  SavedVersions versions_;
};

// A node with parameters P (see Note [An op's entry]).
struct NoParams {};
template <class P>
struct OpNodeWith final : OpNode {
  explicit OpNodeWith(const OpSpec& spec) : OpNode(spec, &typeid(P)) {}
  P params{};
};

template <class P>
P& OpNode::params() {
  if (!params_type_ || *params_type_ != typeid(P)) wrong_params(typeid(P));
  return static_cast<OpNodeWith<P>*>(this)->params;
}

// A fresh node for `spec` from the node pool, with parameters P unless P is NoParams.
template <class P>
std::shared_ptr<OpNode> make_op_node(const OpSpec& spec) {
  if constexpr (std::is_same_v<P, NoParams>)
    return std::allocate_shared<OpNode>(pool::Allocator<OpNode>(), spec);
  else
    return std::allocate_shared<OpNodeWith<P>>(pool::Allocator<OpNodeWith<P>>(), spec);
}

// Input i's share of a cotangent: broadcasting undone, batch dims kept.
inline Tensor reduce_to(OpNode& n, size_t i, const Tensor& t) { return unbroadcast(t, n.shapes[i], n.out_ndim); }

// A node's rule called again after its saved tensors were freed (no retain_graph).
[[noreturn]] void throw_released(const char* node);

// What record() hands an op: the node to fill (or nothing to do), and which modes need it.
struct Recording {
  std::shared_ptr<OpNode> node;
  bool forward = false;
  explicit operator bool() const { return bool(node); }
  OpNode* operator->() const { return node.get(); }
};

inline bool any_requires_grad() { return false; }
template <class... Ts>
bool any_requires_grad(const Tensor& t, const Ts&... rest) {
  return t.requires_grad() || any_requires_grad(rest...);
}
// A view made before an in-place op gave its base a new autograd history still points at the
// old history (pyjac has no PyTorch-style view replay), so using it would give wrong derivatives.
// `node` is the recording node's name; the error names the forward op it belongs to.
[[noreturn]] void throw_stale_view(const char* node, const Tensor& t);
inline void check_not_stale(const char* node, const Tensor& t) {
  if (t->is_view && t->view_rebases != t->storage->rebases) throw_stale_view(node, t);
}

inline bool any_tangent() { return false; }
template <class... Ts>
bool any_tangent(const Tensor& t, const Ts&... rest) {
  return !t->tangents.empty() || any_tangent(rest...);
}

// Creates the op's node when grad mode is on and an input requires grad (then `out` becomes its
// output), or when an input carries a live forward-mode tangent. The op fills the node with what
// its rules need and then calls finish().
// record_with<P> makes a node with parameters P, to be filled through r->params<P>().
template <class P, class... Ts>
Recording record_with(Tensor& out, const OpSpec& spec, const Ts&... inputs) {
  if (GradMode::is_enabled() || ForwardAD::any_live()) (check_not_stale(spec.name, inputs), ...);
  const bool reverse = GradMode::is_enabled() && any_requires_grad(inputs...);
  const bool forward = ForwardAD::any_live() && any_tangent(inputs...);
  if (!reverse && !forward) return {};
  std::shared_ptr<OpNode> node = make_op_node<P>(spec);
  node->out_ndim = out.ndim();
  if (reverse) {
    node->next_edges.reserve(sizeof...(Ts));
    (node->next_edges.push_back(gradient_edge(inputs)), ...);
    out->requires_grad = true;
    out->output_nr = 0;
    out->grad_fn = node;
    if (AnomalyMode::is_enabled()) AnomalyMode::note_creation(*node);  // anomaly mode: where it was made
  }
  return {std::move(node), forward};
}
template <class... Ts>
Recording record(Tensor& out, const OpSpec& spec, const Ts&... inputs) {
  return record_with<NoParams>(out, spec, inputs...);
}

// record() for a list of inputs; record_list_with<P> makes a node with parameters P.
Recording attach_node(std::shared_ptr<OpNode> node, Tensor& out, const TensorList& inputs, RecordModes modes);
template <class P>
Recording record_list_with(Tensor& out, const OpSpec& spec, const TensorList& inputs) {
  const RecordModes modes = record_modes(spec.name, inputs);
  if (!modes.reverse && !modes.forward) return {};
  return attach_node(make_op_node<P>(spec), out, inputs, modes);
}
inline Recording record_list(Tensor& out, const OpSpec& spec, const TensorList& inputs) {
  return record_list_with<NoParams>(out, spec, inputs);
}

// Runs the op's JVP rule for every live level at which an input has a tangent.
void finish(const Recording& r, const Tensor& out, std::initializer_list<const Tensor*> inputs);
void finish(const Recording& r, const Tensor& out, const TensorList& inputs);

// Sum of tangent terms where an undefined term is zero.
Tensor plus(const Tensor& a, const Tensor& b);

}  // namespace pyjac
