#include "python/gil.h"

#include "autograd/node.h"

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
bool must_not_return() {
  return interpreter_finalizing() && exiting_thread.load() != std::this_thread::get_id();
}

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
