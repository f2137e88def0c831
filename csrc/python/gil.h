#pragma once
// Releasing and taking the GIL from pyjac's C++ code. Use these rather than pybind11's
// gil_scoped_release / gil_scoped_acquire (see Note [The GIL at interpreter exit]).
//
// Note [The GIL at interpreter exit]
// Backward passes and long kernels run without the GIL. When the interpreter finalizes while a
// daemon thread is inside one, that thread must never run Python again; CPython (before 3.14)
// ends it with pthread_exit() as soon as it asks for the GIL back, which unwinds the C++ frames
// in between as a "forced unwind". Unwinding out of a destructor (pybind11's GIL guards release
// in theirs) calls std::terminate, and the whole process aborts ("terminate called without an
// active exception") instead of exiting as it was asked to. So a thread that comes back to the
// GIL while the interpreter is finalizing parks for good instead (what CPython 3.14 does itself):
// the process exits around it, as it does around any daemon thread.
#include <Python.h>

namespace pyjac::python {

bool interpreter_finalizing();

// Called from an atexit handler (registered at import): the thread that finalizes the
// interpreter is the one exception to parking.
void note_exiting_thread();

// Takes the GIL back with `state` (from PyEval_SaveThread), or parks the calling thread forever
// when the interpreter is finalizing. Never throws.
void restore_gil_or_park(PyThreadState* state) noexcept;

// Releases the GIL for its scope.
class ReleasedGil {
 public:
  ReleasedGil() : state_(PyEval_SaveThread()) {}
  ~ReleasedGil() { restore_gil_or_park(state_); }
  ReleasedGil(const ReleasedGil&) = delete;
  ReleasedGil& operator=(const ReleasedGil&) = delete;

 private:
  PyThreadState* state_;
};

// Holds the GIL for its scope, from a thread that may or may not hold it already (an engine
// thread running a custom Function's backward, say).
class AcquiredGil {
 public:
  AcquiredGil();
  ~AcquiredGil() { PyGILState_Release(state_); }
  AcquiredGil(const AcquiredGil&) = delete;
  AcquiredGil& operator=(const AcquiredGil&) = delete;

 private:
  PyGILState_STATE state_;
};

// Lets Ctrl-C stop a long backward pass: the engine's check between nodes (autograd/engine.h)
// takes the GIL every 20 ms of a pass on the main thread and runs Python's signal handlers, so a
// KeyboardInterrupt (or any exception a handler raises) ends the pass.
void install_pass_interrupt_check();

// Installs the core's blocking-wait hook (autograd/node.h): a thread holding the GIL gives it
// up while it waits for a lock another thread holds.
void install_blocking_wait_hook();

}  // namespace pyjac::python
