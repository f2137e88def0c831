#pragma once
// Exceptions that the bindings translate to the Python exception of the same name.
#include <new>
#include <stdexcept>
#include <string>

namespace pyjac {

struct ValueError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct TypeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct IndexError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// RuntimeError is std::runtime_error itself: misuse of the graph.

// A tensor too large to allocate. A std::bad_alloc, so that it reaches Python as MemoryError and
// no handler of runtime errors turns it into another kind; its message says how many bytes for
// which tensor, and, once an op has claimed it (for_op), which op asked.
class AllocationError : public std::bad_alloc {
 public:
  explicit AllocationError(std::string what_for) : what_for_(std::move(what_for)), message_(what_for_) {}
  // The same error named after `op`; an outer op renames it, so the op the user called is named.
  AllocationError for_op(const char* op) const {
    AllocationError named(what_for_);
    named.message_ = std::string(op) + ": " + what_for_;
    return named;
  }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string what_for_, message_;
};

// Runs f() (an op's body), naming `op` in any AllocationError it raises.
template <class F>
auto naming_allocation_errors(const char* op, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const AllocationError& e) {
    throw e.for_op(op);
  }
}

}  // namespace pyjac
