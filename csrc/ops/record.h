#pragma once
// How an op puts itself on the tape: an OpNode holding a rule (a plain function written in
// differentiable ops) and what the rule needs from the forward.
#include <stdexcept>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "ops/ops.h"

namespace pyjac {

struct OpNode;
// grad has shape (*batch, *output_shape); returns one gradient per input, shaped (*batch, *input_shape).
using Rule = TensorList (*)(OpNode& node, const Tensor& grad, Needs needs);

struct OpNode final : Node {
  OpNode(const char* name, Rule rule) : name_(name), rule_(rule) {}
  const char* name() const override { return name_; }
  TensorList apply(TensorList&& grads, Needs needs) override;
  void release_saved() override;

  // The forward output itself, for rules like exp's. Stored without history (holding the output
  // would be a cycle); under create_graph it is handed out again as this node's output.
  Tensor output();
  void save_output(const Tensor& out) { out_data = out.detach(); }
  int64_t batch_ndim(const Tensor& grad) const { return grad.ndim() - out_ndim; }

  TensorList saved;         // inputs the rule reads
  std::vector<Shape> shapes;  // usually the input shapes
  std::vector<int64_t> ints;  // axes, permutations, index specs
  double s0 = 0, s1 = 0;      // scalar operands
  int64_t out_ndim = 0;
  Tensor out_data;

 private:
  const char* name_;
  Rule rule_;
  bool released_ = false;
};

inline bool any_requires_grad() { return false; }
template <class... Ts>
bool any_requires_grad(const Tensor& t, const Ts&... rest) {
  return t.requires_grad() || any_requires_grad(rest...);
}

// Makes `out` the output of a new OpNode when grad mode is on and an input requires grad;
// returns the node to fill with saved values, or nullptr when nothing is recorded.
template <class... Ts>
OpNode* record(Tensor& out, const char* name, Rule rule, const Ts&... inputs) {
  if (!GradMode::is_enabled() || !any_requires_grad(inputs...)) return nullptr;
  auto node = std::make_shared<OpNode>(name, rule);
  node->next_edges.reserve(sizeof...(Ts));
  (node->next_edges.push_back(gradient_edge(inputs)), ...);
  node->out_ndim = out.ndim();
  OpNode* raw = node.get();
  out->requires_grad = true;
  out->output_nr = 0;
  out->grad_fn = std::move(node);
  return raw;
}

OpNode* record_list(Tensor& out, const char* name, Rule rule, const TensorList& inputs);

}  // namespace pyjac
