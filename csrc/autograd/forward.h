#pragma once
// Forward mode: tangents travel with their primals, one per active level, so that jvp, jacfwd
// and forward-over-reverse (hvp) all run through the same ops. A tangent may carry extra leading
// batch dims (jacfwd pushes a whole identity through at once).
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "autograd/grad_mode.h"
#include "tensor/tensor.h"

namespace pyjac {

struct ForwardAD {
  // Opens a level and returns its id; ids are never reused, so tangents of a closed level go stale.
  static uint64_t enter();
  static void exit(uint64_t level);
  // Levels whose tangents ops must propagate now: open and not hidden.
  static const std::vector<uint64_t>& live() { return live_; }
  static bool any_live() { return any_live_; }

  static Tensor tangent(const Tensor& t, uint64_t level);
  static void set_tangent(const Tensor& t, uint64_t level, const Tensor& tangent);
  // set_tangent for the copy of an op's output that its node keeps (OpNode::out_data, read by
  // forward-over-reverse). When recording, the tangent's own graph can hold that node (a rule
  // that saved the output), and the node holds the tangent: a cycle of shared pointers. The
  // level's exit drops these tangents, which breaks it.
  static void set_node_held_tangent(const Tensor& t, uint64_t level, const Tensor& tangent);

  // While a level's JVP rule runs, that level is hidden: the rule's own ops must not propagate
  // the tangent they are computing (that would confuse perturbations).
  struct Hide {
    explicit Hide(uint64_t level);
    ~Hide();
    Hide(const Hide&) = delete;
    Hide& operator=(const Hide&) = delete;

   private:
    std::vector<uint64_t> saved_;
  };

 private:
  static thread_local std::vector<uint64_t> open_;
  static thread_local std::vector<uint64_t> live_;
  static thread_local bool any_live_ PYJAC_HOT_TLS;  // !live_.empty(), without the vector's TLS wrapper
  static void update_any_live() { any_live_ = !live_.empty(); }
  static thread_local std::vector<std::pair<uint64_t, std::weak_ptr<TensorImpl>>> node_held_;
};

}  // namespace pyjac
