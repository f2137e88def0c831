#pragma once
// The tape: a Node per recorded op, pointing at the Nodes of its inputs through Edges.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "autograd/edge_list.h"
#include "tensor/tensor.h"

namespace pyjac {

using TensorList = std::vector<Tensor>;


// Which inputs of a node need a gradient in this backward pass (inputs past 64 always do).
struct Needs {
  uint64_t bits = ~uint64_t(0);
  bool operator[](size_t i) const { return i >= 64 || ((bits >> i) & 1); }
};

struct Node : std::enable_shared_from_this<Node> {
  virtual ~Node();
  virtual const char* name() const = 0;
  // grads: one per output of the forward op, each shaped (*batch, *output_shape); an undefined
  // Tensor stands for zeros. Returns one gradient per input (undefined where not needed).
  virtual TensorList apply(TensorList&& grads, Needs needs) = 0;
  // Drops what the rule saved from the forward; a later apply() must then raise.
  virtual void release_saved() {}

  EdgeList next_edges;  // one per input of the forward op
  uint32_t num_outputs = 1;
  bool is_accumulator = false;  // an AccumulateGrad (checked per node by the engine)
  // Non-leaf outputs that asked for retain_grad(): (output_nr, tensor).
  std::vector<std::pair<uint32_t, std::weak_ptr<TensorImpl>>> retained;
  // Where the forward op was called from; recorded only in anomaly mode (see anomaly.h).
  std::unique_ptr<std::string> creation_trace;
  // The id of the backward pass walking this node, and the node's index in it: the engine finds
  // nodes it has seen without a hash table (see GraphTask::add in engine.cpp).
  std::atomic<uint64_t> claimed_by{0};
  uint32_t claimed_index = 0;
};

// Writes gradients into a leaf's .grad.
struct AccumulateGrad final : Node {
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> leaf) : leaf(std::move(leaf)) { is_accumulator = true; }
  const char* name() const override { return "AccumulateGrad"; }
  TensorList apply(TensorList&& grads, Needs needs) override;
  void accumulate(const Tensor& grad);

  std::shared_ptr<TensorImpl> leaf;
};

// Drops a reference to a node without recursing down a long chain: the last references of a
// million-node graph are released from a loop, not from nested destructors.
void release_node(std::shared_ptr<Node>&& node);

// The edge a gradient for `t` flows along: its grad_fn, its leaf accumulator, or nothing.
Edge gradient_edge(const Tensor& t);
std::shared_ptr<Node> grad_accumulator(const Tensor& leaf);

// Shared by the engine and by accumulation into .grad: a + b, recorded only in grad mode.
Tensor add_grads(Tensor a, Tensor b);

// Accumulates `grad` into a tensor's .grad slot (a leaf's, or a retain_grad() non-leaf's).
// A first gradient that shares memory with anything else (a view of the caller's grad_outputs,
// say) is copied, so that .grad.zero_() can't write through it.
void accumulate_into(std::shared_ptr<TensorImpl>& slot, const Tensor& grad);

}  // namespace pyjac
