// Bindings of the reductions and scans (pyjac._core.sum, .var, .norm, .argmax, .cumsum, ...).
// Parsing and conversion only: every body calls one op.
#include "python/bind_util.h"

namespace pyjac::python {

void bind_reductions(py::module_& m) {
  m.def(
      "sum",
      [](const Tensor& x, py::handle axis, bool keepdims) {
        auto axes = parse_axes(axis, "sum");
        return without_gil_if_large(x.numel(), [&] { return sum(x, axes, keepdims); });
      },
      py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdims") = false);
  m.def(
      "mean",
      [](const Tensor& x, py::handle axis, bool keepdims) {
        auto axes = parse_axes(axis, "mean");
        return without_gil_if_large(x.numel(), [&] { return mean(x, axes, keepdims); });
      },
      py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdims") = false);
  m.def(
      "max",
      [](const Tensor& x, py::handle axis, bool keepdims) {
        auto axes = parse_axes(axis, "max");
        return without_gil_if_large(x.numel(), [&] { return max(x, axes, keepdims); });
      },
      py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdims") = false);
  m.def(
      "min",
      [](const Tensor& x, py::handle axis, bool keepdims) {
        auto axes = parse_axes(axis, "min");
        return without_gil_if_large(x.numel(), [&] { return min(x, axes, keepdims); });
      },
      py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdims") = false);
  m.def(
      "norm",
      [](const Tensor& x, py::handle ord, py::handle axis, bool keepdims) {
        auto o = parse_ord(ord);
        auto axes = parse_axes(axis, "norm");
        return without_gil_if_large(x.numel(), [&] { return norm(x, o, axes, keepdims); });
      },
      py::arg("x"), py::arg("ord") = py::none(), py::arg("axis") = py::none(), py::arg("keepdims") = false);
  m.def(
      "prod",
      [](const Tensor& x, py::handle axis, bool keepdims) {
        auto axes = parse_axes(axis, "prod");
        return without_gil_if_large(x.numel(), [&] { return prod(x, axes, keepdims); });
      },
      py::arg("x"), py::arg("axis") = py::none(), py::kw_only(), py::arg("keepdims") = false);
  m.def(
      "var",
      [](const Tensor& x, py::handle axis, py::handle ddof_arg, bool keepdims) {
        auto axes = parse_axes(axis, "var");
        const double ddof = number_param(ddof_arg, "var", "ddof");
        return without_gil_if_large(x.numel(), [&] { return var(x, axes, ddof, keepdims); });
      },
      py::arg("x"), py::arg("axis") = py::none(), py::kw_only(), py::arg("ddof") = 0.0, py::arg("keepdims") = false);
  m.def(
      "std",
      [](const Tensor& x, py::handle axis, py::handle ddof_arg, bool keepdims) {
        auto axes = parse_axes(axis, "std");
        const double ddof = number_param(ddof_arg, "std", "ddof");
        return without_gil_if_large(x.numel(), [&] { return stddev(x, axes, ddof, keepdims); });
      },
      py::arg("x"), py::arg("axis") = py::none(), py::kw_only(), py::arg("ddof") = 0.0, py::arg("keepdims") = false);
  m.def(
      "logsumexp",
      [](const Tensor& x, py::handle axis, bool keepdims) {
        auto axes = parse_axes(axis, "logsumexp");
        return without_gil_if_large(x.numel(), [&] { return logsumexp(x, axes, keepdims); });
      },
      py::arg("x"), py::arg("axis") = py::none(), py::kw_only(), py::arg("keepdims") = false);
  m.def(
      "argmax",
      [](const Tensor& x, py::handle axis, bool keepdims) {
        auto ax = parse_single_axis(axis, "argmax");
        return without_gil_if_large(x.numel(), [&] { return argmax(x, ax, keepdims); });
      },
      py::arg("x"), py::arg("axis") = py::none(), py::kw_only(), py::arg("keepdims") = false);
  m.def(
      "argmin",
      [](const Tensor& x, py::handle axis, bool keepdims) {
        auto ax = parse_single_axis(axis, "argmin");
        return without_gil_if_large(x.numel(), [&] { return argmin(x, ax, keepdims); });
      },
      py::arg("x"), py::arg("axis") = py::none(), py::kw_only(), py::arg("keepdims") = false);
  m.def(
      "all",
      [](const Tensor& x, py::handle axis, bool keepdims) {
        auto axes = parse_axes(axis, "all");
        return without_gil_if_large(x.numel(), [&] { return all(x, axes, keepdims); });
      },
      py::arg("x"), py::arg("axis") = py::none(), py::kw_only(), py::arg("keepdims") = false);
  m.def(
      "any",
      [](const Tensor& x, py::handle axis, bool keepdims) {
        auto axes = parse_axes(axis, "any");
        return without_gil_if_large(x.numel(), [&] { return any(x, axes, keepdims); });
      },
      py::arg("x"), py::arg("axis") = py::none(), py::kw_only(), py::arg("keepdims") = false);
  m.def(
      "cumsum",
      [](const Tensor& x, py::handle axis) {
        auto ax = parse_single_axis(axis, "cumsum");
        return without_gil_if_large(x.numel(), [&] { return cumsum(x, ax); });
      },
      py::arg("x"), py::arg("axis") = py::none());
  m.def(
      "cumprod",
      [](const Tensor& x, py::handle axis) {
        auto ax = parse_single_axis(axis, "cumprod");
        return without_gil_if_large(x.numel(), [&] { return cumprod(x, ax); });
      },
      py::arg("x"), py::arg("axis") = py::none());
}

}  // namespace pyjac::python
