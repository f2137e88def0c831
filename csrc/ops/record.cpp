#include "ops/record.h"

namespace pyjac {

TensorList OpNode::apply(TensorList&& grads, Needs needs) {
  if (released_)
    throw std::runtime_error(
        std::string("Trying to backward through the graph a second time (") + name_ +
        "'s saved tensors were already freed). Specify retain_graph=True on the first backward or grad call "
        "if you need to backward through the graph again.");
  return rule_(*this, grads[0], needs);
}

void OpNode::release_saved() {
  if (saved.empty() && !out_data.defined()) return;  // nothing saved: running again is harmless
  saved.clear();
  out_data = Tensor();
  released_ = true;
}

Tensor OpNode::output() {
  if (!GradMode::is_enabled()) return out_data;
  // Under create_graph the rule's use of the output must itself be differentiable, so hand out
  // a tensor that is again this node's output.
  Tensor t = out_data.detach();
  t->requires_grad = true;
  t->grad_fn = shared_from_this();
  t->output_nr = 0;
  return t;
}

OpNode* record_list(Tensor& out, const char* name, Rule rule, const TensorList& inputs) {
  if (!GradMode::is_enabled()) return nullptr;
  bool any = false;
  for (auto& t : inputs) any |= t.requires_grad();
  if (!any) return nullptr;
  auto node = std::make_shared<OpNode>(name, rule);
  node->next_edges.reserve(inputs.size());
  for (auto& t : inputs) node->next_edges.push_back(gradient_edge(t));
  node->out_ndim = out.ndim();
  OpNode* raw = node.get();
  out->requires_grad = true;
  out->output_nr = 0;
  out->grad_fn = std::move(node);
  return raw;
}

}  // namespace pyjac
