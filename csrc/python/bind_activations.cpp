// Bindings of the neural-network activations and softmax (ops/activations.cpp): pyjac._core.erf,
// .silu, .softplus, .gelu, .leaky_relu, .elu, .softmax, .log_softmax. Parsing and conversion only.
#include "python/bind_util.h"

namespace pyjac::python {

void bind_activations(py::module_& m) {
  PYJAC_UNARY(erf);
  PYJAC_UNARY(silu);
  m.def(
      "softplus",
      [](const Tensor& x, double beta, double threshold) {
        return without_gil_if_large(x.numel(), [&] { return softplus(x, beta, threshold); });
      },
      py::arg("x"), py::arg("beta") = 1.0, py::arg("threshold") = 20.0);
  m.def(
      "gelu",
      [](const Tensor& x, const std::string& approximate) {
        if (approximate != "none" && approximate != "tanh")
          throw ValueError("gelu: approximate must be 'none' or 'tanh', got '" + approximate + "'");
        return without_gil_if_large(x.numel(), [&] { return gelu(x, approximate == "tanh"); });
      },
      py::arg("x"), py::arg("approximate") = "none");
  m.def(
      "leaky_relu",
      [](const Tensor& x, double negative_slope) {
        return without_gil_if_large(x.numel(), [&] { return leaky_relu(x, negative_slope); });
      },
      py::arg("x"), py::arg("negative_slope") = 0.01);
  m.def(
      "elu",
      [](const Tensor& x, double alpha) { return without_gil_if_large(x.numel(), [&] { return elu(x, alpha); }); },
      py::arg("x"), py::arg("alpha") = 1.0);
  m.def(
      "softmax",
      [](const Tensor& x, int64_t axis) { return without_gil_if_large(x.numel(), [&] { return softmax(x, axis); }); },
      py::arg("x"), py::arg("axis") = -1);
  m.def(
      "log_softmax",
      [](const Tensor& x, int64_t axis) {
        return without_gil_if_large(x.numel(), [&] { return log_softmax(x, axis); });
      },
      py::arg("x"), py::arg("axis") = -1);
}

}  // namespace pyjac::python
