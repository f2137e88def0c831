// The engine: discovers the graph below the outputs, counts each node's dependencies, then runs
// nodes from a ready stack once every gradient flowing into them has arrived. No recursion, so
// graph depth is bounded by memory only.
#include "autograd/engine.h"

#include <algorithm>
#include <deque>
#include <unordered_map>

#include "autograd/anomaly.h"
#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace pyjac {

namespace {

struct NodeState {
  int dependencies = 0;
  bool needed = false;
  TensorList buffer;  // gradients arriving for each output
};

// Node -> NodeState for one backward pass: open addressing over a power-of-two table, so a
// lookup is a multiply and a probe or two rather than a heap-allocated bucket chain.
class NodeStates {
 public:
  NodeStates() : keys_(64, nullptr), slots_(64, 0) {}

  // The state of `n`, and whether it was just added.
  std::pair<NodeState*, bool> insert(Node* n) {
    size_t i = probe(n);
    if (keys_[i] == n) return {&states_[slots_[i]], false};
    keys_[i] = n;
    slots_[i] = uint32_t(states_.size());
    states_.emplace_back();
    if (states_.size() * 2 > keys_.size()) grow();
    return {&states_[slots_[probe(n)]], true};
  }

  NodeState& operator[](Node* n) { return *insert(n).first; }

 private:
  size_t probe(Node* n) const {
    const size_t mask = keys_.size() - 1;
    size_t i = (reinterpret_cast<uintptr_t>(n) >> 4) * 0x9E3779B97F4A7C15ull >> 20 & mask;
    while (keys_[i] && keys_[i] != n) i = (i + 1) & mask;
    return i;
  }

  void grow() {
    std::vector<Node*> old_keys = std::move(keys_);
    std::vector<uint32_t> old_slots = std::move(slots_);
    keys_.assign(old_keys.size() * 2, nullptr);
    slots_.assign(old_keys.size() * 2, 0);
    for (size_t j = 0; j < old_keys.size(); ++j)
      if (old_keys[j]) {
        size_t i = probe(old_keys[j]);
        keys_[i] = old_keys[j];
        slots_[i] = old_slots[j];
      }
  }

  std::vector<Node*> keys_;
  std::vector<uint32_t> slots_;
  std::deque<NodeState> states_;  // stable addresses while the table grows
};

}  // namespace

namespace {

// One backward pass: where it starts (roots seeded with cotangents), where it must reach
// (targets, for grad()), and the state of every node below the roots.
class GraphTask {
 public:
  GraphTask(std::vector<Edge> roots, std::vector<Edge> targets, bool keep_graph, bool accumulate)
      : roots_(std::move(roots)), targets_(std::move(targets)), keep_graph_(keep_graph), accumulate_(accumulate) {
    for (size_t i = 0; i < targets_.size(); ++i) targets_at_[targets_[i].fn.get()].push_back(i);
  }

  TensorList run(const TensorList& seeds) {
    discover();
    mark_needed();
    count_dependencies();
    for (size_t i = 0; i < roots_.size(); ++i) deliver(roots_[i], seeds[i]);
    std::vector<Node*> ready;
    for (auto& r : roots_) {
      NodeState& s = state_[r.fn.get()];
      if (s.needed && s.dependencies == 0) {
        s.dependencies = -1;  // queued
        ready.push_back(r.fn.get());
      }
    }
    while (!ready.empty()) {
      Node* node = ready.back();
      ready.pop_back();
      execute(node, ready);
    }
    return std::move(results_);
  }

 private:
  // Every node below the roots, in post-order (each after all the nodes below it).
  void discover() {
    std::vector<std::pair<Node*, size_t>> stack;
    for (auto& r : roots_) {
      if (!state_.insert(r.fn.get()).second) continue;
      stack.emplace_back(r.fn.get(), 0);
      while (!stack.empty()) {
        auto& [node, next] = stack.back();
        if (next < node->next_edges.size()) {
          Node* child = node->next_edges[next++].fn.get();
          if (child && state_.insert(child).second) stack.emplace_back(child, 0);
        } else {
          order_.push_back(node);
          stack.pop_back();
        }
      }
    }
  }

  // A node is needed when it is a target or leads to one (every node, for backward()).
  void mark_needed() {
    for (Node* n : order_) {
      NodeState& s = state_[n];
      s.needed = accumulate_ || targets_at_.count(n);
      for (auto& e : n->next_edges)
        if (!s.needed && e.fn && state_[e.fn.get()].needed) s.needed = true;
    }
  }

  // How many needed nodes send a gradient into each needed node.
  void count_dependencies() {
    for (Node* n : order_) {
      if (!state_[n].needed) continue;
      for (auto& e : n->next_edges)
        if (e.fn) {
          NodeState& c = state_[e.fn.get()];
          if (c.needed) ++c.dependencies;
        }
    }
    results_.resize(targets_.size());
  }

  void deliver(const Edge& e, Tensor grad) {
    if (!grad.defined()) return;
    NodeState& s = state_[e.fn.get()];
    if (s.buffer.empty()) {
      if (!spare_.empty()) {  // reuse a finished node's vector rather than allocate one per node
        s.buffer = std::move(spare_.back());
        spare_.pop_back();
      }
      s.buffer.resize(e.fn->num_outputs);
    }
    Tensor& slot = s.buffer[e.input_nr];
    slot = slot.defined() ? add_grads(slot, grad) : std::move(grad);
  }

  // Runs a node whose gradients have all arrived, and passes its input gradients on.
  void execute(Node* node, std::vector<Node*>& ready) {
    TensorList grads = std::move(state_[node].buffer);
    grads.resize(node->num_outputs);

    if (!accumulate_) {
      auto it = targets_at_.find(node);
      if (it != targets_at_.end())
        for (size_t i : it->second) results_[i] = grads[targets_[i].input_nr];
    }
    for (auto& [nr, weak] : node->retained)
      if (auto t = weak.lock())
        if (grads[nr].defined()) accumulate_into(t->grad, Tensor(grads[nr]));
    if (node->is_accumulator) {
      if (accumulate_ && grads[0].defined()) static_cast<AccumulateGrad*>(node)->accumulate(grads[0]);
      return;
    }

    Needs needs;
    needs.bits = 0;
    bool any_needed = node->next_edges.size() > 64;
    for (size_t i = 0; i < node->next_edges.size() && i < 64; ++i) {
      const Edge& e = node->next_edges[i];
      if (e.fn && state_[e.fn.get()].needed) {
        needs.bits |= uint64_t(1) << i;
        any_needed = true;
      }
    }
    if (!any_needed) return;  // a target with nothing needed below it

    bool any_grad = false;
    for (auto& g : grads) any_grad |= g.defined();
    TensorList input_grads;
    if (any_grad) {  // no gradient arrived at all: the inputs get none either
      input_grads = AnomalyMode::is_enabled() ? apply_checked(*node, std::move(grads), needs)
                                              : node->apply(std::move(grads), needs);
      if (!keep_graph_) node->release_saved();
    }
    grads.clear();
    spare_.push_back(std::move(grads));
    for (size_t i = 0; i < node->next_edges.size(); ++i) {
      const Edge& e = node->next_edges[i];
      if (!e.fn) continue;
      NodeState& c = state_[e.fn.get()];
      if (!c.needed) continue;
      if (i < input_grads.size()) deliver(e, std::move(input_grads[i]));
      if (--c.dependencies == 0) ready.push_back(e.fn.get());
    }
  }

  std::vector<Edge> roots_, targets_;
  const bool keep_graph_, accumulate_;
  std::unordered_map<Node*, std::vector<size_t>> targets_at_;
  NodeStates state_;
  std::vector<Node*> order_;
  std::vector<TensorList> spare_;  // emptied gradient buffers, kept for their capacity
  TensorList results_;
};

}  // namespace

TensorList run_backward(const TensorList& outputs, const TensorList& grad_outputs, bool keep_graph,
                        bool create_graph, const TensorList& inputs, bool allow_unused, bool batched) {
  GradModeGuard grad_mode(create_graph);  // rules record a graph only under create_graph

  std::vector<Edge> roots;
  TensorList seeds;
  for (size_t i = 0; i < outputs.size(); ++i) {
    Edge e = gradient_edge(outputs[i]);
    if (!e.fn)
      throw std::runtime_error("element " + std::to_string(i) +
                               " of tensors does not require grad and does not have a grad_fn");
    Shape expected = outputs[i].shape();
    if (batched) {
      if (grad_outputs[i].ndim() == 0)
        throw ValueError("grad: with is_grads_batched=True each grad_output needs a leading batch dimension");
      expected.insert(expected.begin(), grad_outputs[i].shape()[0]);
    }
    if (grad_outputs[i].shape() != expected)
      throw ValueError("grad: grad_output of shape " + shape_str(grad_outputs[i].shape()) +
                       " does not match output " + std::to_string(i) + " of shape " +
                       shape_str(outputs[i].shape()) + (batched ? " with a leading batch dimension" : ""));
    roots.push_back(std::move(e));
    const Tensor& g = grad_outputs[i];
    seeds.push_back(g.dtype() == outputs[i].dtype() ? g : astype(g, outputs[i].dtype()));
  }

  std::vector<Edge> targets;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].requires_grad())
      throw std::runtime_error("grad: input " + std::to_string(i) + " does not require grad");
    targets.push_back(gradient_edge(inputs[i]));
  }

  TensorList results = GraphTask(std::move(roots), std::move(targets), keep_graph, inputs.empty()).run(seeds);

  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].defined()) {
      if (!allow_unused)
        throw std::runtime_error(
            "grad: one of the differentiated tensors (input " + std::to_string(i) +
            ") appears to not have been used in the graph; set allow_unused=True if this is the desired behavior");
      continue;
    }
    if (results[i].dtype() != inputs[i].dtype()) results[i] = astype(results[i], inputs[i].dtype());
  }
  return results;
}

bool depends_on_other_leaves(const TensorList& outputs, const TensorList& own_leaves) {
  std::vector<Node*> own;
  for (auto& t : own_leaves)
    if (auto acc = t->grad_accumulator.lock()) own.push_back(acc.get());
  auto is_own = [&](Node* n) { return std::find(own.begin(), own.end(), n) != own.end(); };
  NodeStates seen;
  std::vector<Node*> stack;
  for (auto& t : outputs) {
    if (!t.defined() || !t.requires_grad()) continue;
    Node* n = gradient_edge(t).fn.get();
    if (n && seen.insert(n).second) stack.push_back(n);
  }
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    if (n->is_accumulator) {
      if (!is_own(n)) return true;
      continue;
    }
    for (auto& e : n->next_edges)
      if (e.fn && seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
  }
  return false;
}

}  // namespace pyjac
