#pragma once
// Grad mode is per thread, as in PyTorch: a no_grad block on one thread leaves others recording.

// Thread-locals read on every op: the initial-exec model makes each read one instruction instead
// of a call to __tls_get_addr. Only for a few bytes of trivially-initialised flags (the static
// TLS space it draws from is small).
#define PYJAC_HOT_TLS __attribute__((tls_model("initial-exec")))

namespace pyjac {

struct GradMode {
  static bool is_enabled() { return enabled_; }
  static void set_enabled(bool on) { enabled_ = on; }

 private:
  static thread_local bool enabled_ PYJAC_HOT_TLS;
};

struct GradModeGuard {
  explicit GradModeGuard(bool on) : prev_(GradMode::is_enabled()) { GradMode::set_enabled(on); }
  ~GradModeGuard() { GradMode::set_enabled(prev_); }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool prev_;
};

}  // namespace pyjac
