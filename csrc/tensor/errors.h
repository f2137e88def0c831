#pragma once
// Exceptions that the bindings translate to the Python exception of the same name.
#include <stdexcept>
#include <string>

namespace pyjac {

struct ValueError : std::runtime_error { using std::runtime_error::runtime_error; };
struct TypeError : std::runtime_error { using std::runtime_error::runtime_error; };
struct IndexError : std::runtime_error { using std::runtime_error::runtime_error; };
// RuntimeError is std::runtime_error itself: misuse of the graph.

}  // namespace pyjac
