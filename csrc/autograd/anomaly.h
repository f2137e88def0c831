#pragma once
// Anomaly mode (pj.autograd.detect_anomaly): while it is on, every recorded node remembers where
// its forward op was called from, and the engine checks each rule's gradients for NaN and inf,
// raising a RuntimeError that names the rule and shows that place. Off, it costs one
// thread-local read per recorded node. Per thread, like grad mode.
#include <string>

#include "autograd/node.h"

namespace pyjac {

struct AnomalyMode {
  static bool is_enabled() { return enabled_; }
  static bool check_nan() { return check_nan_; }
  static void set_enabled(bool on, bool check_nan = true) {
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
};

// node->apply() for the engine in anomaly mode: an exception from the rule gets the forward
// trace appended, and a NaN or inf among the returned gradients raises a RuntimeError.
TensorList apply_checked(Node& node, TensorList&& grads, Needs needs);

}  // namespace pyjac
