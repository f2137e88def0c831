#pragma once
// The tape: a Node per recorded op, pointing at the Nodes of its inputs through Edges.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "autograd/edge_list.h"
#include "tensor/tensor.h"

namespace pyjac {

using TensorList = std::vector<Tensor>;

// Note [Threads and the tape]
// Backward passes run without the GIL, so several threads may walk one graph, or graphs that
// share nodes and leaves, at once (Hogwild training; threads each backpropagating a shared loss
// with retain_graph=True). Three things are shared between them, and each has its own lock:
//  - a node's saved tensors and its list of retain_grad() outputs: the engine runs a node's rule
//    and frees what it saved under the node's NodeLock, so one pass without retain_graph wins and
//    every other pass through that node raises the "backward through the graph a second time"
//    error instead of reading freed buffers;
//  - a tensor's .grad slot: every read, write and accumulation goes through grad_slot() below,
//    so no update is lost and a reader always gets a whole tensor (accumulation makes a new
//    tensor rather than adding into one a reader may hold);
//  - a leaf's gradient accumulator, made on first use by whichever thread records first.
// Order: a node lock may be held while a grad slot is locked, never the reverse. A thread may
// hold a node lock while it waits for the GIL (a custom Function's backward), so a thread that
// finds a lock taken waits through wait_blocking(), where the python layer gives up the GIL.

// Runs wait(ctx), which blocks until another thread lets go of something, through the hook the
// python layer installs (it releases the GIL around the wait if the calling thread holds it).
using BlockingWait = void (*)(void* ctx);
void wait_blocking(BlockingWait wait, void* ctx);
void set_blocking_wait_hook(void (*hook)(BlockingWait wait, void* ctx));

// Holds `m` for its scope (or until unlock()); contended, it waits through wait_blocking().
template <class Mutex>
class BlockingLock {
 public:
  explicit BlockingLock(Mutex& m) : m_(m) {
    if (!m.try_lock()) wait_blocking([](void* p) { static_cast<Mutex*>(p)->lock(); }, &m);
  }
  ~BlockingLock() { unlock(); }
  void unlock() {
    if (held_) m_.unlock();
    held_ = false;
  }
  BlockingLock(const BlockingLock&) = delete;
  BlockingLock& operator=(const BlockingLock&) = delete;

 private:
  Mutex& m_;
  bool held_ = true;
};

// A lock that costs one byte of a node: contention is rare (two passes at one node at once) and
// brief unless the node's rule is long, so waiting threads spin a little, then yield.
class NodeLock {
 public:
  bool try_lock() { return !locked_.exchange(true, std::memory_order_acquire); }
  void lock() {
    int spins = 0;
    while (!try_lock())
      while (locked_.load(std::memory_order_relaxed))
        if (++spins > 64) std::this_thread::yield();
  }
  void unlock() { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

// Which inputs of a node need a gradient in this backward pass (inputs past 64 always do).
struct Needs {
  uint64_t bits = ~uint64_t(0);
  bool operator[](size_t i) const { return i >= 64 || ((bits >> i) & 1); }
};

// Receives the strong references a node holds (Note [Reference cycles through .grad]).
struct ReferenceVisitor {
  virtual void tensor(const std::shared_ptr<TensorImpl>& t) = 0;
  virtual void node(const std::shared_ptr<Node>& n) = 0;

 protected:
  ~ReferenceVisitor() = default;
};

struct Node : std::enable_shared_from_this<Node> {
  virtual ~Node();
  virtual const char* name() const = 0;
  // grads: one per output of the forward op, each shaped (*batch, *output_shape); an undefined
  // Tensor stands for zeros. Returns one gradient per input (undefined where not needed).
  virtual TensorList apply(TensorList&& grads, Needs needs) = 0;
  // Drops what the rule saved from the forward; a later apply() must then raise.
  virtual void release_saved() {}
  // Lists the node's strong references to tensors and nodes: its edges, and what a subclass
  // saved. A reference left out only makes its target look referenced from elsewhere (so a
  // cycle through it is kept, never wrongly freed). Called with the node's lock held.
  virtual void visit_references(ReferenceVisitor& v) const;

  EdgeList next_edges;  // one per input of the forward op
  uint32_t num_outputs = 1;
  bool is_accumulator = false;  // an AccumulateGrad (checked per node by the engine)
  // Its rule runs the user's code (a custom Function's backward), which may write in place to
  // the cotangents it gets or to any tensor it can reach (Note [Gradients user code can see]).
  bool runs_user_code = false;
  // Held while the rule runs or the saved tensors are freed, and while `retained` changes.
  NodeLock lock;
  // Non-leaf outputs that asked for retain_grad(): (output_nr, tensor).
  std::vector<std::pair<uint32_t, std::weak_ptr<TensorImpl>>> retained;
  // Where the forward op was called from; recorded only in anomaly mode (see anomaly.h).
  std::unique_ptr<std::string> creation_trace;
  // The pass that has claimed this node, and the node's index in it (Note [Claims on nodes]).
  std::atomic<uint64_t> claimed_by{0};
  uint32_t claimed_index = 0;
};

// Writes gradients into a leaf's .grad.
struct AccumulateGrad final : Node {
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> leaf) : leaf(std::move(leaf)) { is_accumulator = true; }
  const char* name() const override { return "AccumulateGrad"; }
  TensorList apply(TensorList&& grads, Needs needs) override;
  void visit_references(ReferenceVisitor& v) const override { v.tensor(leaf); }
  void accumulate(const Tensor& grad);

  std::shared_ptr<TensorImpl> leaf;
};

// Drops a reference to a node without recursing down a long chain: the last references of a
// million-node graph are released from a loop, not from nested destructors.
void release_node(std::shared_ptr<Node>&& node);

// The edge a gradient for `t` flows along: its grad_fn, its leaf accumulator, or nothing.
Edge gradient_edge(const Tensor& t);
std::shared_ptr<Node> grad_accumulator(const Tensor& leaf);

// Note [Gradients user code can see]
// Rules may hand a gradient on without copying it: a view of the caller's grad_outputs, or an
// input the forward saved (Note [The cotangent of a sum] in ops/arithmetic.cpp). That is safe
// while only rules read them. User code is different: a custom Function's backward may modify
// its cotangent in place (g.mul_(2)), or a tensor it saved (under no_grad), which would change a
// user tensor, or a gradient that aliases it and is still on its way to a leaf. So before user
// code runs, the engine gives every gradient it holds that shares memory with anything else its
// own copy (unaliased()), and .grad slots and grad()'s results never alias either.

// g itself when nothing else can see its memory (the caller's reference aside), else a copy
// (recorded under create_graph, so the copy is differentiated through).
Tensor unaliased(Tensor g);

// Shared by the engine and by accumulation into .grad: a + b, recorded only in grad mode.
Tensor add_grads(Tensor a, Tensor b);

// The lock guarding a tensor's .grad slot (striped over a fixed table: locks are never held
// while another slot's is taken, so two tensors sharing one is harmless).
std::mutex& grad_slot_mutex(const TensorImpl& t);

// .grad read and replaced under that lock.
Tensor grad_of(const TensorImpl& t);
void set_grad(const std::shared_ptr<TensorImpl>& t, std::shared_ptr<TensorImpl> grad);

// t.retain_grad() for a non-leaf: its grad_fn will write the gradient flowing through it to .grad.
void retain_grad(const Tensor& t);

// Accumulates `grad` into a tensor's .grad slot (a leaf's, or a retain_grad() non-leaf's),
// atomically with respect to other threads accumulating into or reading the same slot.
// A first gradient that shares memory with anything else (a view of the caller's grad_outputs,
// say) is copied, so that .grad.zero_() can't write through it.
void accumulate_into(const std::shared_ptr<TensorImpl>& owner, const Tensor& grad);

}  // namespace pyjac
