#include "ops/record_multi.h"

#include <stdexcept>

namespace pyjac {

TensorList MultiOpNode::apply(TensorList&& grads, Needs needs) {
  if (released_) throw_released(spec_.name);
  versions_.check(spec_.name, saved, out_data.data(), out_data.size());
  return spec_.vjp(*this, grads, needs);
}

void MultiOpNode::visit_references(ReferenceVisitor& v) const {
  Node::visit_references(v);
  for (const TensorList* list : {&saved, &out_data})
    for (const Tensor& t : *list)
      if (t.defined()) v.tensor(t.impl());
}

void MultiOpNode::release_saved() {
  saved.clear();
  out_data.clear();
  released_ = true;
}

Tensor MultiOpNode::output(size_t i) { return reattached_output(out_data.at(i), *this, uint32_t(i)); }

int64_t MultiOpNode::batch_ndim(const TensorList& grads) const {
  for (size_t i = 0; i < grads.size(); ++i)
    if (grads[i].defined()) return grads[i].ndim() - out_ndims[i];
  return 0;
}

std::shared_ptr<MultiOpNode> record_multi(TensorList& outs, const MultiOpSpec& spec, const TensorList& inputs) {
  const auto [reverse, forward] = record_modes(spec.name, inputs);
  if (!reverse && !forward) return nullptr;
  auto node = std::make_shared<MultiOpNode>(spec, uint32_t(outs.size()));
  for (auto& o : outs) {
    node->out_ndims.push_back(o.ndim());
    node->out_data.push_back(o.detach());
  }
  for (auto& t : inputs) node->shapes.push_back(t.shape());
  if (reverse) {
    for (auto& t : inputs) node->next_edges.push_back(gradient_edge(t));
    for (size_t i = 0; i < outs.size(); ++i) {
      outs[i]->requires_grad = true;
      outs[i]->output_nr = uint32_t(i);
      outs[i]->grad_fn = node;
    }
    if (AnomalyMode::is_enabled()) AnomalyMode::note_creation(*node);  // anomaly mode: where it was made
  }
  return node;
}

void finish_multi(MultiOpNode& node, const TensorList& outs, const TensorList& inputs) {
  node.versions_.remember(node.saved, node.out_data.data(), node.out_data.size());
  if (!ForwardAD::any_live()) return;
  const std::vector<uint64_t> levels = ForwardAD::live();
  for (uint64_t level : levels) {
    TensorList tangents;
    Shape batch;
    bool any = false;
    for (const auto& x : inputs) {
      Tensor t = ForwardAD::tangent(x, level);
      if (t.defined() && !any) {
        batch.assign(t.shape().begin(), t.shape().begin() + (t.ndim() - x.ndim()));
        any = true;
      }
      tangents.push_back(std::move(t));
    }
    if (!any) continue;
    TensorList t_outs;
    {
      ForwardAD::Hide hide(level);
      t_outs = node.jvp(tangents);
      for (size_t i = 0; i < outs.size(); ++i) {
        Tensor& t = t_outs.at(i);
        if (!t.defined()) continue;
        Shape expected = batch;
        expected.insert(expected.end(), outs[i].shape().begin(), outs[i].shape().end());
        if (t.shape() != expected) t = broadcast_to(t, expected);
        if (t.dtype() != outs[i].dtype()) t = astype(t, outs[i].dtype());
      }
    }
    for (size_t i = 0; i < outs.size(); ++i) {
      ForwardAD::set_tangent(outs[i], level, t_outs[i]);
      ForwardAD::set_node_held_tangent(node.out_data[i], level, t_outs[i]);
    }
  }
}

}  // namespace pyjac
