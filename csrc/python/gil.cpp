#include "python/gil.h"

#include "autograd/engine.h"
#include "autograd/node.h"
#include "python/convert.h"

#include <cxxabi.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace pyjac::python {

namespace {

[[noreturn]] void park_forever() noexcept {
  while (true) std::this_thread::sleep_for(std::chrono::hours(24));
}

// The thread running the interpreter's exit (it runs atexit handlers before finalizing, and may
// still call into pyjac afterwards, from __del__ methods): it alone keeps the GIL, as in CPython.
std::atomic<std::thread::id> exiting_thread{};

// Whether this thread must stay out of Python for good.
bool must_not_return() { return interpreter_finalizing() && exiting_thread.load() != std::this_thread::get_id(); }

}  // namespace

bool interpreter_finalizing() {
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsFinalizing();
#else
  return _Py_IsFinalizing();
#endif
}

void note_exiting_thread() { exiting_thread.store(std::this_thread::get_id()); }

void restore_gil_or_park(PyThreadState* state) noexcept {
  if (must_not_return()) park_forever();
  // Finalization may also begin while this thread waits for the GIL: CPython then ends the
  // thread from inside PyEval_RestoreThread. Catch that unwind here and park, never leaving the
  // handler (a forced unwind that is caught must not be swallowed).
  try {
    PyEval_RestoreThread(state);
  } catch (abi::__forced_unwind&) {
    park_forever();
  }
}

AcquiredGil::AcquiredGil() {
  if (must_not_return() && !PyGILState_Check()) park_forever();
  try {
    state_ = PyGILState_Ensure();
  } catch (abi::__forced_unwind&) {
    park_forever();
  }
}

namespace {

unsigned long main_thread_ident = 0;
constexpr auto kSignalCheckEvery = std::chrono::milliseconds(20);

void check_signals_between_nodes(uint32_t executed) {
  // Signal handlers run on the main thread only; other threads' passes have nothing to check.
  if (PyThread_get_thread_ident() != main_thread_ident) return;
  static thread_local std::chrono::steady_clock::time_point last_check;
  const auto now = std::chrono::steady_clock::now();
  if (executed == 256) {  // a pass's first call: a short pass never waits for the GIL
    last_check = now;
    return;
  }
  if (now - last_check < kSignalCheckEvery) return;
  last_check = now;
  AcquiredGil gil;
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

}  // namespace

void install_pass_interrupt_check() {
  main_thread_ident = py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();
  set_pass_interrupt_check(&check_signals_between_nodes);
}

void install_blocking_wait_hook() {
  set_blocking_wait_hook([](BlockingWait wait, void* ctx) {
    if (PyGILState_Check()) {
      ReleasedGil released;
      wait(ctx);
    } else {
      wait(ctx);
    }
  });
}

}  // namespace pyjac::python
