#include "autograd/forward.h"

#include <algorithm>
#include <atomic>
#include <stdexcept>

namespace pyjac {

thread_local std::vector<uint64_t> ForwardAD::open_;
thread_local std::vector<uint64_t> ForwardAD::live_;
thread_local bool ForwardAD::any_live_ PYJAC_HOT_TLS = false;
thread_local std::vector<std::pair<uint64_t, std::weak_ptr<TensorImpl>>> ForwardAD::node_held_;

uint64_t ForwardAD::enter() {
  static std::atomic<uint64_t> next{1};
  uint64_t id = next++;
  open_.push_back(id);
  live_.push_back(id);
  update_any_live();
  return id;
}

void ForwardAD::exit(uint64_t level) {
  auto it = std::find(open_.begin(), open_.end(), level);
  if (it == open_.end()) throw std::runtime_error("forward AD: exiting a level that is not open");
  open_.erase(it);
  live_.erase(std::remove(live_.begin(), live_.end(), level), live_.end());
  // Break the node <-> tangent cycles this level made (see set_node_held_tangent).
  auto held = std::move(node_held_);
  node_held_.clear();
  for (auto& [lvl, weak] : held) {
    std::shared_ptr<TensorImpl> t = weak.lock();
    if (!t) continue;
    if (lvl != level) {
      node_held_.emplace_back(lvl, t);
      continue;
    }
    std::vector<std::shared_ptr<TensorImpl>> dropped;  // freed after the erase, on a consistent `t`
    for (auto& e : t->tangents)
      if (e.first == level) dropped.push_back(std::move(e.second));
    auto& tans = t->tangents;
    tans.erase(std::remove_if(tans.begin(), tans.end(), [&](auto& e) { return e.first == level; }), tans.end());
  }
  update_any_live();
}

Tensor ForwardAD::tangent(const Tensor& t, uint64_t level) {
  for (auto& [lvl, tan] : t->tangents)
    if (lvl == level) return Tensor(tan);
  return Tensor();
}

void ForwardAD::set_tangent(const Tensor& t, uint64_t level, const Tensor& tangent) {
  auto& tans = t->tangents;
  // Drop tangents of closed levels while here.
  tans.erase(std::remove_if(tans.begin(), tans.end(),
                            [&](auto& e) {
                              return e.first == level || std::find(open_.begin(), open_.end(), e.first) == open_.end();
                            }),
             tans.end());
  if (tangent.defined()) tans.emplace_back(level, tangent.impl());
}

void ForwardAD::set_node_held_tangent(const Tensor& t, uint64_t level, const Tensor& tangent) {
  set_tangent(t, level, tangent);
  if (tangent.defined()) node_held_.emplace_back(level, t.impl());
}

ForwardAD::Hide::Hide(uint64_t level) : saved_(live_) {
  live_.erase(std::remove(live_.begin(), live_.end(), level), live_.end());
  update_any_live();
}

ForwardAD::Hide::~Hide() {
  live_ = std::move(saved_);
  update_any_live();
}

}  // namespace pyjac
