#pragma once
// Anomaly mode (pj.autograd.detect_anomaly): while it is on, every recorded node remembers where
// its forward op was called from, and the engine checks each rule's gradients for NaN and inf,
// raising a RuntimeError that names the rule and shows that place. Per thread, like grad mode.
// Off everywhere, it costs one load of a global per recorded node (no thread-local lookup).
#include <atomic>
#include <string>

#include "autograd/node.h"

namespace pyjac {

struct AnomalyMode {
  static bool is_enabled() { return threads_enabled_.load(std::memory_order_relaxed) != 0 && enabled_; }
  static bool check_nan() { return enabled_ && check_nan_; }
  static void set_enabled(bool on, bool check_nan = true) {
    if (on != enabled_) threads_enabled_.fetch_add(on ? 1 : -1, std::memory_order_relaxed);
    enabled_ = on;
    check_nan_ = on && check_nan;
  }

  // The current call stack as text. The core knows nothing of Python, so the bindings install a
  // function that formats the Python stack; without one, nodes get no trace.
  using TraceHook = std::string (*)();
  static void set_trace_hook(TraceHook hook);
  // Stores the current trace on a node being recorded (only called in anomaly mode).
  static void note_creation(Node& node);

 private:
  static thread_local bool enabled_;
  static thread_local bool check_nan_;
  static std::atomic<int> threads_enabled_;  // how many threads have it on
};

// node->apply() for the engine in anomaly mode: an exception from the rule gets the forward
// trace appended, and a NaN or inf among the returned gradients raises a RuntimeError.
TensorList apply_checked(Node& node, TensorList&& grads, Needs needs);

}  // namespace pyjac
