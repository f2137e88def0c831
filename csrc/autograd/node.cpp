#include "autograd/node.h"

#include <utility>

#include "autograd/cycles.h"
#include "autograd/forward.h"
#include "autograd/grad_mode.h"
#include "kernels/kernels.h"
#include "ops/ops.h"

namespace pyjac {

thread_local bool GradMode::enabled_ PYJAC_HOT_TLS = true;

Node::~Node() {
  for (auto& e : next_edges) release_node(std::move(e.fn));
}

void Node::visit_references(ReferenceVisitor& v) const {
  for (const Edge& e : next_edges)
    if (e.fn) v.node(e.fn);
}

void release_node(std::shared_ptr<Node>&& node) {
  static thread_local bool draining PYJAC_HOT_TLS = false;
  if (!node) return;
  if (node.use_count() > 1) {  // not the last reference: nothing is destroyed here
    node.reset();
    return;
  }
  thread_local std::vector<std::shared_ptr<Node>> pending_list;
  std::vector<std::shared_ptr<Node>>& pending = pending_list;  // one TLS lookup, not one per use
  pending.push_back(std::move(node));
  if (draining) return;  // an outer call is already emptying the list
  draining = true;
  while (!pending.empty()) {
    std::shared_ptr<Node> last = std::move(pending.back());
    pending.pop_back();
    last.reset();  // may push this node's inputs onto `pending`
  }
  draining = false;
}

namespace {

// Striped locks: a mutex per tensor would cost 40 bytes on every tensor for a lock taken only
// when a gradient lands. Each stripe on its own cache line.
struct alignas(64) Stripe {
  std::mutex mutex;
};
constexpr size_t kStripes = 64;

std::mutex& stripe(Stripe (&table)[kStripes], const void* p) {
  return table[(reinterpret_cast<uintptr_t>(p) >> 4) * 0x9E3779B97F4A7C15ull >> 58].mutex;
}

Stripe grad_slot_stripes[kStripes];
Stripe accumulator_stripes[kStripes];

void (*blocking_wait_hook)(BlockingWait, void*) = nullptr;

}  // namespace

void set_blocking_wait_hook(void (*hook)(BlockingWait wait, void* ctx)) { blocking_wait_hook = hook; }

void wait_blocking(BlockingWait wait, void* ctx) {
  if (blocking_wait_hook)
    blocking_wait_hook(wait, ctx);
  else
    wait(ctx);
}

std::mutex& grad_slot_mutex(const TensorImpl& t) { return stripe(grad_slot_stripes, &t); }

Tensor grad_of(const TensorImpl& t) {
  BlockingLock<std::mutex> lock(grad_slot_mutex(t));
  return Tensor(t.grad);
}

void set_grad(const std::shared_ptr<TensorImpl>& t, std::shared_ptr<TensorImpl> grad) {
  std::shared_ptr<TensorImpl> old;  // freed outside the lock: it may hold a whole graph
  BlockingLock<std::mutex> lock(grad_slot_mutex(*t));
  if (grad && grad->grad_fn) note_grad_with_history(t);
  old = std::exchange(t->grad, std::move(grad));
}

void retain_grad(const Tensor& t) {
  if (!t->grad_fn || t->retains_grad) return;
  BlockingLock<NodeLock> lock(t->grad_fn->lock);  // a backward pass may be reading the list
  t->retains_grad = true;
  t->grad_fn->retained.emplace_back(t->output_nr, t.impl());
}

std::shared_ptr<Node> grad_accumulator(const Tensor& leaf) {
  // Two threads recording ops on one leaf at once (without the GIL, for big tensors or inside
  // backward passes) must share one accumulator, or gradients would land through two nodes.
  BlockingLock<std::mutex> lock(stripe(accumulator_stripes, leaf.impl().get()));
  if (auto acc = leaf->grad_accumulator.lock()) return acc;
  auto acc = std::make_shared<AccumulateGrad>(leaf.impl());
  leaf->grad_accumulator = acc;
  return acc;
}

Edge gradient_edge(const Tensor& t) {
  if (t->grad_fn) return Edge{t->grad_fn, t->output_nr};
  if (t->requires_grad) return Edge{grad_accumulator(t), 0};
  return Edge{};
}

namespace {

// A gradient only the engine can see: no other tensor, view or saved slot shares its buffer, so
// adding into it is invisible (tensors the user or a rule holds are always shared).
bool is_private(const Tensor& t) {
  return t.impl().use_count() == 1 && t->storage.use_count() == 1 && !t.requires_grad() && t.is_contiguous();
}

bool add_into(Tensor& into, const Tensor& other) {
  if (!is_private(into) || into.dtype() != other.dtype() || !is_floating(into.dtype())) return false;
  if (broadcast_shapes(into.shape(), other.shape(), "add") != into.shape()) return false;
  kernels::binary_inplace(kernels::Binary::Add, into, other, 1.0, 1);
  return true;
}

}  // namespace

Tensor unaliased(Tensor g) {
  if (!g.defined() || (g.impl().use_count() == 1 && g->storage.use_count() == 1 && g.is_contiguous())) return g;
  return copy(g);
}

Tensor add_grads(Tensor a, Tensor b) {
  // Outside create_graph, sum into a buffer the engine owns rather than allocate a third: for
  // big tensors that saves a fresh allocation (page faults) per accumulation.
  if (!GradMode::is_enabled() && !ForwardAD::any_live()) {  // no history, no tangents to sum
    if (add_into(a, b)) return a;
    if (add_into(b, a)) return b;
  }
  return add(a, b);
}

TensorList AccumulateGrad::apply(TensorList&& grads, Needs) {
  if (grads[0].defined()) accumulate(grads[0]);
  return {};
}

void AccumulateGrad::accumulate(const Tensor& grad_in) {
  Tensor grad = grad_in.dtype() == leaf->dtype ? grad_in : astype(grad_in, leaf->dtype);
  if (grad.shape() != leaf->shape)
    throw ValueError("AccumulateGrad: gradient of shape " + shape_str(grad.shape()) +
                     " does not match the leaf's shape " + shape_str(leaf->shape));
  accumulate_into(leaf, grad);
}

void accumulate_into(const std::shared_ptr<TensorImpl>& owner, const Tensor& grad) {
  std::shared_ptr<TensorImpl> old;  // released after unlocking (see set_grad)
  BlockingLock<std::mutex> lock(grad_slot_mutex(*owner));
  std::shared_ptr<TensorImpl>& slot = owner->grad;
  if (slot) {
    // A new tensor, never an addition into the old one: a reader may be holding it.
    Tensor sum = add_grads(Tensor(slot), grad);
    old = std::exchange(slot, sum.impl());
  } else {
    // Held here and by the engine's buffer (or the caller's cast above): more means shared.
    const bool shared = grad.impl().use_count() > 2 || grad->storage.use_count() > 1 || !grad.is_contiguous();
    slot = (GradMode::is_enabled() || !shared) ? grad.impl() : kernels::cast(grad, grad.dtype()).impl();
  }
  if (slot->grad_fn) note_grad_with_history(owner);  // Note [Reference cycles through .grad]
}

}  // namespace pyjac
