#pragma once
// Shared by the binding files: argument helpers and the macros that bind one op each.
#include "python/convert.h"

namespace pyjac::python {

// Long kernels run without the GIL so other Python threads progress; tiny ones keep it, since
// releasing costs more than they take.
constexpr int64_t kReleaseGilAbove = 1 << 15;

template <class F>
Tensor without_gil_if_large(int64_t work, F&& f) {
  if (work < kReleaseGilAbove) return f();
  py::gil_scoped_release release;
  return f();
}

inline bool is_number(py::handle h) {
  Scalar s;
  return as_scalar(h, s);
}

TensorList as_tensor_list(py::handle seq, const char* op);

// Each binding file registers its functions on the module.
void bind_ops(py::module_& m);

// ---- anomaly mode (python/bind_anomaly.cpp) ----
void bind_anomaly(py::module_& m);

}  // namespace pyjac::python

#define PYJAC_UNARY(name) \
  m.def(#name, [](const Tensor& x) { return without_gil_if_large(x.numel(), [&] { return name(x); }); }, py::arg("x"))
#define PYJAC_BINARY(name, fn)                                                                       \
  m.def(                                                                                             \
      #name,                                                                                         \
      [](py::handle a, py::handle b) {                                                               \
        auto [x, y] = as_operands(a, b);                                                             \
        return without_gil_if_large(std::max(x.numel(), y.numel()), [&] { return fn(x, y); });      \
      },                                                                                             \
      py::arg("a"), py::arg("b"))
