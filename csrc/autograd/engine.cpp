// The engine: discovers the graph below the outputs, counts each node's dependencies, then runs
// nodes from a ready stack once every gradient flowing into them has arrived. No recursion, so
// graph depth is bounded by memory only.
#include "autograd/engine.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <unordered_map>

#include "autograd/anomaly.h"
#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace pyjac {

namespace {

// Node -> dense index for one backward pass: open addressing over a power-of-two table, so a
// lookup is a multiply and a probe or two rather than a heap-allocated bucket chain. Only graph
// discovery hashes; everything after works on the indices.
class NodeIndex {
 public:
  NodeIndex() : keys_(64, nullptr), values_(64, 0) {}

  static constexpr uint32_t kMissing = ~uint32_t(0);

  uint32_t find(Node* n) const {
    size_t i = probe(n);
    return keys_[i] == n ? values_[i] : kMissing;
  }

  // n's index, and whether it was just added (with index `next`).
  std::pair<uint32_t, bool> insert(Node* n, uint32_t next) {
    size_t i = probe(n);
    if (keys_[i] == n) return {values_[i], false};
    keys_[i] = n;
    values_[i] = next;
    if (++size_ * 2 > keys_.size()) grow();
    return {next, true};
  }

 private:
  size_t probe(Node* n) const {
    const size_t mask = keys_.size() - 1;
    size_t i = (reinterpret_cast<uintptr_t>(n) >> 4) * 0x9E3779B97F4A7C15ull >> 20 & mask;
    while (keys_[i] && keys_[i] != n) i = (i + 1) & mask;
    return i;
  }

  void grow() {
    std::vector<Node*> old_keys = std::move(keys_);
    std::vector<uint32_t> old_values = std::move(values_);
    keys_.assign(old_keys.size() * 2, nullptr);
    values_.assign(old_keys.size() * 2, 0);
    for (size_t j = 0; j < old_keys.size(); ++j)
      if (old_keys[j]) {
        size_t i = probe(old_keys[j]);
        keys_[i] = old_keys[j];
        values_[i] = old_values[j];
      }
  }

  std::vector<Node*> keys_;
  std::vector<uint32_t> values_;
  size_t size_ = 0;
};

std::atomic<void (*)(uint32_t)> interrupt_check{nullptr};

constexpr int32_t kNoChild = -1;

uint64_t next_task_id() {
  static std::atomic<uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

// Note [Gradient buffers]
// The gradients arriving at a node wait in a list, one slot per output of the node, until every
// gradient for it has arrived and it runs; several arriving for one slot are summed there. Lists
// are recycled: a node that ran hands its emptied list (with its capacity) to the next node that
// needs one, so a pass allocates as many lists as nodes wait at one time, not one per node.
class GradientBuffers {
 public:
  static constexpr uint32_t kNone = ~uint32_t(0);

  // Adds `grad` into slot `nr` of list `id`, first giving `id` a list of `slots` slots if it has
  // none (kNone).
  void add(uint32_t& id, size_t slots, uint32_t nr, Tensor grad) {
    if (id == kNone) {
      if (!free_.empty()) {
        id = free_.back();
        free_.pop_back();
      } else {
        id = uint32_t(lists_.size());
        lists_.emplace_back();
      }
      lists_[id].resize(slots);
    }
    Tensor& slot = lists_[id][nr];
    slot = slot.defined() ? add_grads(std::move(slot), std::move(grad)) : std::move(grad);
  }

  // List `id`'s gradients, `slots` of them (undefined where none arrived); `id` has none after.
  TensorList take(uint32_t& id, size_t slots) {
    TensorList grads;
    if (id != kNone) {
      grads = std::move(lists_[id]);
      free_.push_back(id);
      id = kNone;
    }
    grads.resize(slots);
    return grads;
  }

  // Hands back a list a node has finished with, so that its capacity serves the next one.
  void recycle(TensorList&& grads) {
    grads.clear();
    if (!free_.empty()) lists_[free_.back()] = std::move(grads);
  }

  // Every gradient still waiting at a node that hasn't run.
  template <class F>
  void for_each_waiting(F&& f) {
    for (TensorList& list : lists_)
      for (Tensor& g : list) f(g);
  }

 private:
  std::vector<TensorList> lists_;
  std::vector<uint32_t> free_;  // indices into lists_ no node holds
};

// 24 bytes a node: a million-node graph's state stays small and is walked in order.
struct NodeState {
  Node* node;
  uint32_t first_child;  // where this node's child indices start in GraphTask::children_
  int dependencies = 0;
  uint32_t buffer = GradientBuffers::kNone;  // its list in GraphTask::buffers_ (Note [Gradient buffers])
  bool needed = false;
  bool is_target = false;
  bool claimed = false;  // node->claimed_by holds this pass's id
};

// One backward pass: where it starts (roots seeded with cotangents), where it must reach
// (targets, for grad()), and the state of every node below the roots, by dense index.
class GraphTask {
 public:
  GraphTask(std::vector<Edge> roots, std::vector<Edge> targets, bool keep_graph, bool accumulate)
      : roots_(std::move(roots)), targets_(std::move(targets)), keep_graph_(keep_graph), accumulate_(accumulate) {}

  GraphTask(const GraphTask&) = delete;
  GraphTask& operator=(const GraphTask&) = delete;

  ~GraphTask() {  // nodes that never ran (not needed, or an error stopped the pass) are let go here
    for (NodeState& s : states_) release_claim(s);
  }

  TensorList run(const TensorList& seeds) {
    discover();
    find_targets();
    mark_needed();
    count_dependencies();
    for (size_t i = 0; i < roots_.size(); ++i) deliver(root_ids_[i], roots_[i].input_nr, seeds[i]);
    std::vector<uint32_t> ready;
    for (uint32_t r : root_ids_) {
      NodeState& s = states_[r];
      if (s.needed && s.dependencies == 0) {
        s.dependencies = -1;  // queued
        ready.push_back(r);
      }
    }
    void (*check)(uint32_t) = interrupt_check.load(std::memory_order_relaxed);
    for (uint32_t executed = 1; !ready.empty(); ++executed) {
      uint32_t i = ready.back();
      ready.pop_back();
      execute(i, ready);
      if (check && executed % 256 == 0) check(executed);
    }
    return std::move(results_);
  }

 private:
  // Note [Claims on nodes]
  // Discovery looks every node up by identity, once per edge into it: with a hash table that was
  // the biggest cost of backpropagating a long graph. So a pass claims each node it finds
  // (Node::claimed_by, compare-and-swap from 0 to the pass's id) and writes the node's index in
  // the pass on the node itself (Node::claimed_index); looking it up again is a load. A node
  // another pass has claimed (threads backpropagating through a shared subgraph) goes in this
  // pass's own table instead. Claims are let go as nodes run, or when the pass ends, however it
  // ends, so the next pass finds them free.

  // A node's index in this pass, and whether it was just added.
  std::pair<uint32_t, bool> add(Node* n) {
    uint64_t owner = n->claimed_by.load(std::memory_order_relaxed);
    if (owner == id_) return {n->claimed_index, false};
    if (index_size_) {
      uint32_t i = index_.find(n);
      if (i != NodeIndex::kMissing) return {i, false};
    }
    const uint32_t next = uint32_t(states_.size());
    bool claimed = owner == 0 && n->claimed_by.compare_exchange_strong(owner, id_, std::memory_order_acquire);
    if (claimed) {
      n->claimed_index = next;
    } else {
      index_.insert(n, next);
      ++index_size_;
    }
    states_.push_back(NodeState{n, uint32_t(children_.size())});
    states_.back().claimed = claimed;
    children_.resize(children_.size() + n->next_edges.size(), kNoChild);
    return {next, true};
  }

  uint32_t find(Node* n) const {
    if (n->claimed_by.load(std::memory_order_relaxed) == id_) return n->claimed_index;
    return index_size_ ? index_.find(n) : NodeIndex::kMissing;
  }

  void release_claim(NodeState& s) {
    if (!s.claimed) return;
    s.node->claimed_by.store(0, std::memory_order_release);
    s.claimed = false;
  }

  // Every node below the roots gets an index, and its children's indices, in post-order
  // (each node after all the nodes below it).
  void discover() {
    std::vector<std::pair<uint32_t, size_t>> stack;
    for (auto& r : roots_) {
      auto [ri, added] = add(r.fn.get());
      root_ids_.push_back(ri);
      if (!added) continue;
      stack.emplace_back(ri, 0);
      while (!stack.empty()) {
        const uint32_t i = stack.back().first;
        const size_t next = stack.back().second;
        Node* node = states_[i].node;
        if (next < node->next_edges.size()) {
          ++stack.back().second;
          Node* child = node->next_edges[next].fn.get();
          if (!child) continue;
          auto [ci, child_added] = add(child);
          children_[states_[i].first_child + next] = int32_t(ci);
          if (child_added) stack.emplace_back(ci, 0);
        } else {
          order_.push_back(i);
          stack.pop_back();
        }
      }
    }
  }

  void find_targets() {
    target_ids_.assign(targets_.size(), NodeIndex::kMissing);
    for (size_t t = 0; t < targets_.size(); ++t) {
      uint32_t i = find(targets_[t].fn.get());
      if (i == NodeIndex::kMissing) continue;
      target_ids_[t] = i;
      states_[i].is_target = true;
    }
    results_.resize(targets_.size());
  }

  template <class F>
  void for_children(const NodeState& s, F&& f) {
    const int32_t* c = children_.data() + s.first_child;
    for (size_t k = 0; k < s.node->next_edges.size(); ++k)
      if (c[k] != kNoChild) f(k, uint32_t(c[k]));
  }

  // A node is needed when it is a target or leads to one (every node, for backward()).
  void mark_needed() {
    for (uint32_t i : order_) {
      NodeState& s = states_[i];
      s.needed = accumulate_ || s.is_target;
      if (!s.needed) for_children(s, [&](size_t, uint32_t c) { s.needed |= states_[c].needed; });
    }
  }

  // How many needed nodes send a gradient into each needed node.
  void count_dependencies() {
    for (uint32_t i : order_) {
      if (!states_[i].needed) continue;
      for_children(states_[i], [&](size_t, uint32_t c) {
        if (states_[c].needed) ++states_[c].dependencies;
      });
    }
  }

  void deliver(uint32_t i, uint32_t input_nr, Tensor grad) {
    if (!grad.defined()) return;
    NodeState& s = states_[i];
    buffers_.add(s.buffer, s.node->num_outputs, input_nr, std::move(grad));
  }

  // Runs a node whose gradients have all arrived, and passes its input gradients on.
  void execute(uint32_t index, std::vector<uint32_t>& ready) {
    NodeState& s = states_[index];
    Node* node = s.node;
    release_claim(s);  // discovery is over: the node may be claimed by the next pass
    TensorList grads = buffers_.take(s.buffer, node->num_outputs);
    if (!accumulate_ && s.is_target) record_results(index, grads);
    if (node->is_accumulator) {
      if (accumulate_ && grads[0].defined()) static_cast<AccumulateGrad*>(node)->accumulate(grads[0]);
      return;
    }
    const Needs needs = needed_inputs(s);
    if (!needs.bits && node->retained.empty()) return;  // a target with nothing needed below it
    TensorList input_grads = run_rule(*node, std::move(grads), needs);
    for_children(states_[index], [&](size_t k, uint32_t c) {
      if (!states_[c].needed) return;
      if (k < input_grads.size()) deliver(c, node->next_edges[k].input_nr, std::move(input_grads[k]));
      if (--states_[c].dependencies == 0) ready.push_back(c);
    });
  }

  // grad() returns the gradients arriving at its inputs' nodes.
  void record_results(uint32_t index, const TensorList& grads) {
    for (size_t t = 0; t < targets_.size(); ++t)
      if (target_ids_[t] == index) results_[t] = grads[targets_[t].input_nr];
  }

  // Which of a node's inputs lead to a needed node.
  Needs needed_inputs(const NodeState& s) {
    Needs needs;
    needs.bits = s.node->next_edges.size() > 64 ? ~uint64_t(0) : 0;
    for_children(s, [&](size_t k, uint32_t c) {
      if (k < 64 && states_[c].needed) needs.bits |= uint64_t(1) << k;
    });
    return needs;
  }

  // The node's rule on the gradients that arrived (none arrived: its inputs get none either), with
  // its retain_grad() outputs written first and, without retain_graph, what it saved freed after.
  TensorList run_rule(Node& node, TensorList&& grads, Needs needs) {
    // The rule reads what the forward saved, and a pass without retain_graph frees it: other
    // passes through this node wait (Note [Threads and the tape]).
    BlockingLock<NodeLock> node_lock(node.lock);
    for (auto& [nr, weak] : node.retained)
      if (auto t = weak.lock())
        if (grads[nr].defined()) accumulate_into(t, Tensor(grads[nr]));
    bool any_grad = false;
    for (auto& g : grads) any_grad |= g.defined();
    TensorList input_grads;
    if (any_grad && needs.bits) {
      if (node.runs_user_code) {  // Note [Gradients user code can see]
        for (Tensor& g : grads) g = unaliased(std::move(g));
        buffers_.for_each_waiting([](Tensor& g) { g = unaliased(std::move(g)); });
      }
      input_grads = AnomalyMode::is_enabled() ? apply_checked(node, std::move(grads), needs)
                                              : node.apply(std::move(grads), needs);
      if (!keep_graph_) node.release_saved();
    }
    node_lock.unlock();
    buffers_.recycle(std::move(grads));
    return input_grads;
  }

  std::vector<Edge> roots_, targets_;
  const bool keep_graph_, accumulate_;
  NodeIndex index_;
  std::vector<NodeState> states_;
  std::vector<int32_t> children_;
  std::vector<uint32_t> order_, root_ids_, target_ids_;
  GradientBuffers buffers_;  // gradients waiting at nodes that haven't run yet
  size_t index_size_ = 0;    // nodes in index_ (held by another pass when found)
  const uint64_t id_ = next_task_id();
  TensorList results_;
};

}  // namespace

void set_pass_interrupt_check(void (*check)(uint32_t)) { interrupt_check.store(check); }

TensorList run_backward(const TensorList& outputs, const TensorList& grad_outputs, bool keep_graph, bool create_graph,
                        const TensorList& inputs, bool allow_unused, bool batched) {
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
      throw ValueError("grad: grad_output of shape " + shape_str(grad_outputs[i].shape()) + " does not match output " +
                       std::to_string(i) + " of shape " + shape_str(outputs[i].shape()) +
                       (batched ? " with a leading batch dimension" : ""));
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
    // A gradient may be a view of a seed or of a saved input (a rule can hand one on unchanged);
    // the caller gets its own memory, as with .grad, so writing to one can't change the other.
    else if (!create_graph && (results[i].impl().use_count() > 1 || results[i]->storage.use_count() > 1))
      results[i] = copy(results[i]);
  }
  return results;
}

bool depends_on_other_leaves(const TensorList& outputs, const TensorList& own_leaves) {
  std::vector<Node*> own;
  for (auto& t : own_leaves)
    if (auto acc = t->grad_accumulator.lock()) own.push_back(acc.get());
  auto is_own = [&](Node* n) { return std::find(own.begin(), own.end(), n) != own.end(); };
  NodeIndex seen;
  std::vector<Node*> stack;
  // gradient_edge may create a leaf's accumulator on the spot: hold it while the walk runs.
  std::vector<std::shared_ptr<Node>> roots;
  for (auto& t : outputs) {
    if (!t.defined() || !t.requires_grad()) continue;
    roots.push_back(gradient_edge(t).fn);
    Node* n = roots.back().get();
    if (n && seen.insert(n, 0).second) stack.push_back(n);
  }
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    if (n->is_accumulator) {
      if (!is_own(n)) return true;
      continue;
    }
    for (auto& e : n->next_edges)
      if (e.fn && seen.insert(e.fn.get(), 0).second) stack.push_back(e.fn.get());
  }
  return false;
}

}  // namespace pyjac
