#pragma once
// How an op puts itself on the tape: an OpNode holding the op's two derivative rules (plain
// functions written in differentiable ops) and what they need from the forward.
//   vjp (reverse): g shaped (*batch, *out_shape) -> one gradient per input, (*batch, *in_shape).
//   jvp (forward): tangents t[i] shaped (*batch, *in_shape) (undefined = zero) -> the output's.
#include <initializer_list>
#include <stdexcept>

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

struct OpNode final : Node {
  explicit OpNode(const OpSpec& spec) : spec_(spec) {}
  const char* name() const override { return spec_.name; }
  TensorList apply(TensorList&& grads, Needs needs) override;
  void release_saved() override;
  void visit_references(ReferenceVisitor& v) const override;
  Tensor jvp(const TensorList& tangents) { return spec_.jvp(*this, tangents); }

  // The forward output itself, for rules like exp's. Stored without history (holding the output
  // would be a cycle); under create_graph it is handed out again as this node's output.
  Tensor output();
  void save_output(const Tensor& out) { out_data = out.detach(); }
  int64_t batch_ndim(const Tensor& grad) const { return grad.ndim() - out_ndim; }
  // Input i's tangent (*batch, *in_shape) reshaped to (*batch, 1, ..., *in_shape) so that it
  // broadcasts against the output and the other operands.
  Tensor lift(size_t i, const Tensor& tangent) const;

  // Called by finish(): the storage versions of `saved` and `out_data` as the rules will need them.
  void remember_versions() { versions_.remember(saved, &out_data, 1); }

  TensorList saved;           // inputs the rules read
  std::vector<Shape> shapes;  // usually the input shapes
  std::vector<int64_t> ints;  // axes, permutations, index specs
  double s0 = 0, s1 = 0;      // scalar operands
  int64_t out_ndim = 0;
  Tensor out_data;

 private:
  OpSpec spec_;
  bool released_ = false;
  SavedVersions versions_;
};

// Input i's share of a cotangent: broadcasting undone, batch dims kept.
inline Tensor reduce_to(OpNode& n, size_t i, const Tensor& t) { return unbroadcast(t, n.shapes[i], n.out_ndim); }

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
template <class... Ts>
Recording record(Tensor& out, const OpSpec& spec, const Ts&... inputs) {
  if (GradMode::is_enabled() || ForwardAD::any_live()) (check_not_stale(spec.name, inputs), ...);
  const bool reverse = GradMode::is_enabled() && any_requires_grad(inputs...);
  const bool forward = ForwardAD::any_live() && any_tangent(inputs...);
  if (!reverse && !forward) return {};
  auto node = std::allocate_shared<OpNode>(pool::Allocator<OpNode>(), spec);
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

Recording record_list(Tensor& out, const OpSpec& spec, const TensorList& inputs);

// Runs the op's JVP rule for every live level at which an input has a tangent.
void finish(const Recording& r, const Tensor& out, std::initializer_list<const Tensor*> inputs);
void finish(const Recording& r, const Tensor& out, const TensorList& inputs);

// Sum of tangent terms where an undefined term is zero.
Tensor plus(const Tensor& a, const Tensor& b);

}  // namespace pyjac
