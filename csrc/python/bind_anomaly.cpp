// Bindings for anomaly mode: the switch, and the hook through which the core captures the Python
// stack when a node is recorded (the core itself never includes pybind11).
#include "autograd/anomaly.h"
#include "python/bind_util.h"

namespace pyjac::python {

namespace {

// Called from record() in anomaly mode, possibly on a thread that released the GIL around a
// large kernel or a backward pass.
std::string python_stack() {
  AcquiredGil gil;
  // An op that fails after recording may leave a Python error set; format_stack must not see it.
  py::error_scope keep_pending_error;
  try {
    static py::object* format_stack =
        new py::object(py::module_::import("traceback").attr("format_stack"));  // never freed: see convert.cpp numpy()
    return py::str("").attr("join")((*format_stack)()).cast<std::string>();
  } catch (const py::error_already_set&) {
    return "  (the Python stack could not be formatted)\n";
  }
}

}  // namespace

void bind_anomaly(py::module_& m) {
  AnomalyMode::set_trace_hook(&python_stack);
  m.def(
      "set_anomaly_enabled", [](bool on, bool check_nan) { AnomalyMode::set_enabled(on, check_nan); },
      py::arg("enabled"), py::kw_only(), py::arg("check_nan") = true);
  m.def("is_anomaly_enabled", &AnomalyMode::is_enabled);
  m.def("is_anomaly_check_nan_enabled", &AnomalyMode::check_nan);
  m.def(
      "node_creation_trace",
      [](const Node& node) -> py::object {
        if (!node.creation_trace) return py::none();
        return py::str(*node.creation_trace);
      },
      py::arg("node"));
}

}  // namespace pyjac::python
