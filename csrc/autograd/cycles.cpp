#include "autograd/cycles.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "autograd/node.h"

namespace pyjac {

namespace {

// Beyond this many objects a scan gives up (and keeps everything): a graph that large is not
// the short-lived loop the collector is for, and the walk would cost as much as a backward.
constexpr size_t kMaxScanned = size_t(1) << 22;

// One trial deletion from a root tensor, as CPython's collector does it. The scan holds one
// strong reference to every object it finds (so no other thread can free one mid-scan) and
// records every reference between them. An object referenced more often than the scan found
// from inside is reachable from outside (a Python wrapper, a running pass, a live tensor a graph
// saved), and so is everything it reaches; what is left is garbage.
class Scan final : public ReferenceVisitor {
 public:
  // Each root is held by the caller's reference, which the scan takes over.
  void add_root(std::shared_ptr<TensorImpl> root) {
    if (index_.count(root.get())) return;  // a second reference to one root would count as outside
    index_of(root);
    roots_ = uint32_t(entries_.size());
  }
  size_t size() const { return entries_.size(); }

  // Walks everything reachable from the root; false when it had too much to walk.
  bool walk() {
    while (!pending_.empty()) {
      if (entries_.size() > kMaxScanned) return false;
      current_ = pending_.back();
      pending_.pop_back();
      Entry& e = entries_[current_];
      if (e.tensor)
        walk_tensor(*e.tensor);
      else
        walk_node(*e.node);
    }
    return true;
  }

  // Frees the objects nothing outside reaches (clearing their .grad and tangents breaks every
  // cycle among them); returns how many tensors that was. The roots still reachable are added
  // to `kept`.
  size_t free_unreachable(std::vector<std::weak_ptr<TensorImpl>>* kept = nullptr) {
    std::vector<std::vector<uint32_t>> out(entries_.size());
    for (auto [from, to] : references_) {
      out[from].push_back(to);
      ++entries_[to].inside;
    }
    std::vector<uint32_t> stack;
    for (uint32_t i = 0; i < entries_.size(); ++i) {
      Entry& e = entries_[i];
      if (e.opaque || e.use_count() != e.inside + 1) {  // + 1: the scan's own reference
        e.reachable = true;
        stack.push_back(i);
      }
    }
    while (!stack.empty()) {
      const uint32_t i = stack.back();
      stack.pop_back();
      for (uint32_t j : out[i])
        if (!entries_[j].reachable) {
          entries_[j].reachable = true;
          stack.push_back(j);
        }
    }
    std::vector<std::shared_ptr<TensorImpl>> grads;
    size_t freed = 0;
    for (uint32_t i = 0; i < roots_ && kept; ++i)
      if (entries_[i].reachable) kept->push_back(entries_[i].tensor);
    for (Entry& e : entries_) {
      if (e.reachable || !e.tensor) continue;
      TensorImpl& t = *e.tensor;
      {
        std::lock_guard<std::mutex> lock(grad_slot_mutex(t));
        grads.push_back(std::move(t.grad));
        t.grad.reset();
      }
      t.tangents.clear();
      t.may_cycle = false;
      ++freed;
    }
    grads.clear();
    for (Entry& e : entries_) release_node(std::move(e.node));
    entries_.clear();
    return freed;
  }

  void tensor(const std::shared_ptr<TensorImpl>& t) override {
    if (t) references_.emplace_back(current_, index_of(t));
  }
  void node(const std::shared_ptr<Node>& n) override {
    if (n) references_.emplace_back(current_, index_of(n));
  }

 private:
  struct Entry {
    std::shared_ptr<TensorImpl> tensor;  // one of the two
    std::shared_ptr<Node> node;
    long inside = 0;      // references from other objects of the scan
    bool opaque = false;  // its references couldn't be listed (in use elsewhere)
    bool reachable = false;
    long use_count() const { return tensor ? tensor.use_count() : node.use_count(); }
  };

  template <class T>
  uint32_t index_of(const std::shared_ptr<T>& p) {
    auto [it, added] = index_.emplace(p.get(), uint32_t(entries_.size()));
    if (added) {
      Entry e;
      if constexpr (std::is_same_v<T, TensorImpl>)
        e.tensor = p;
      else
        e.node = p;
      entries_.push_back(std::move(e));
      pending_.push_back(it->second);
    }
    return it->second;
  }

  void walk_tensor(const TensorImpl& t) {
    std::shared_ptr<TensorImpl> grad;
    {
      // A slot another thread is writing (or this one, further up the stack) is in use: the
      // tensor counts as reachable, and what it holds isn't walked.
      std::unique_lock<std::mutex> lock(grad_slot_mutex(t), std::try_to_lock);
      if (!lock.owns_lock()) {
        entries_[current_].opaque = true;
        return;
      }
      grad = t.grad;
    }
    tensor(grad);
    node(t.grad_fn);
    for (auto& [level, tangent] : t.tangents) tensor(tangent);
  }

  void walk_node(Node& n) {
    std::unique_lock<NodeLock> lock(n.lock, std::try_to_lock);  // busy: a pass is running it
    if (!lock.owns_lock()) {
      entries_[current_].opaque = true;
      return;
    }
    n.visit_references(*this);
  }

  std::unordered_map<const void*, uint32_t> index_;
  std::vector<Entry> entries_;
  std::vector<std::pair<uint32_t, uint32_t>> references_;  // (from, to), one per reference
  std::vector<uint32_t> pending_;                          // found, not yet walked
  uint32_t current_ = 0;
  uint32_t roots_ = 0;  // entries_[0, roots_) are the roots
};

// Tensors whose wrapper died while something still referenced them, and were found reachable
// then (the frame that dropped them still held the loss that saved them, say): scanned again
// after as many wrappers have died as the last scan walked objects (so a scan's cost is spread
// over the ops that made the garbage), and at each full collection of Python's collector.
std::mutex pending_mutex;
std::vector<std::weak_ptr<TensorImpl>> pending;
std::atomic<long> deaths_until_rescan{0};

}  // namespace

void note_grad_with_history(const std::shared_ptr<TensorImpl>& t) {
  t->may_cycle.store(true, std::memory_order_relaxed);
}

void wrapper_released(std::shared_ptr<TensorImpl> t) {
  if (t && t->may_cycle.load(std::memory_order_relaxed) && t.use_count() > 1) {
    Scan scan;
    scan.add_root(std::move(t));
    std::vector<std::weak_ptr<TensorImpl>> kept;
    if (!scan.walk()) return;
    const long walked = long(scan.size());
    scan.free_unreachable(&kept);
    if (!kept.empty()) {
      std::lock_guard<std::mutex> lock(pending_mutex);
      for (auto& w : kept) pending.push_back(std::move(w));
      if (deaths_until_rescan.load(std::memory_order_relaxed) <= 0)  // else a rescan is already due
        deaths_until_rescan.store(std::max(walked, 1000L), std::memory_order_relaxed);
    }
    return;
  }
  if (deaths_until_rescan.load(std::memory_order_relaxed) > 0 &&
      deaths_until_rescan.fetch_sub(1, std::memory_order_relaxed) == 1)
    collect_cycles();
}

size_t collect_cycles() {
  std::vector<std::weak_ptr<TensorImpl>> candidates;
  {
    std::lock_guard<std::mutex> lock(pending_mutex);
    candidates.swap(pending);
    deaths_until_rescan.store(0, std::memory_order_relaxed);
  }
  Scan scan;
  for (auto& weak : candidates)
    if (std::shared_ptr<TensorImpl> t = weak.lock()) scan.add_root(std::move(t));
  if (!scan.size()) return 0;
  std::vector<std::weak_ptr<TensorImpl>> kept;
  if (!scan.walk()) return 0;  // too big: dropped from the list, as a graph that size is no leak
  const long walked = long(scan.size());
  const size_t freed = scan.free_unreachable(&kept);
  if (!kept.empty()) {
    std::lock_guard<std::mutex> lock(pending_mutex);
    for (auto& w : kept) pending.push_back(std::move(w));
    deaths_until_rescan.store(std::max(walked, 1000L), std::memory_order_relaxed);
  }
  return freed;
}

}  // namespace pyjac
