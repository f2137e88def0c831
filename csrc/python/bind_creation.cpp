// Bindings of the creation functions (pyjac._core.empty, .full, .arange, .rand, ...), conversion
// from Python objects, and copy. Parsing and conversion only.
#include "kernels/kernels.h"
#include "python/bind_util.h"
#include "vmap/batched.h"

namespace pyjac::python {

void bind_creation(py::module_& m) {
  m.def("from_object", &tensor_from_object);
  m.def("number_param", [](py::handle value, const std::string& op, const std::string& name) {
    return number_param(value, op.c_str(), name.c_str());
  });
  m.def("has_grad_path", [](py::handle value) { return has_grad_path(value); });
  m.def("empty", [](py::handle shape, py::handle dtype) {
    return empty(parse_shape(shape, "empty"), parse_dtype(dtype), "empty");
  });
  // A Python int fills an int64 tensor exactly (beyond int64: OverflowError, as NumPy).
  // `op` is the Python function that asked (zeros, ones, full), for error messages.
  m.def(
      "full",
      [](py::handle shape, py::handle value, py::handle dtype, const std::string& op) {
        Scalar v;
        if (!as_number(value, v)) v = {py::cast<double>(value), false};
        const Shape s = parse_shape(shape, op.c_str());
        const DType d = parse_dtype(dtype);
        return naming_allocation_errors(op.c_str(), [&] { return full(s, v, d); });
      },
      py::arg("shape"), py::arg("value"), py::arg("dtype"), py::arg("op") = "full");
  m.def("arange",
        [](double a, double b, double s, py::handle dtype) { return kernels::arange(a, b, s, parse_dtype(dtype)); });
  m.def("linspace", [](double a, double b, int64_t num, bool endpoint, py::handle dtype) {
    return kernels::linspace(a, b, num, endpoint, parse_dtype(dtype));
  });
  m.def("eye",
        [](int64_t n, int64_t mm, int64_t k, py::handle dtype) { return kernels::eye(n, mm, k, parse_dtype(dtype)); });
  m.def("rand", [](py::handle shape, py::handle dtype) {
    const DType d = parse_dtype(dtype);
    return vmap::random("rand", parse_shape(shape, "rand"), [&](const Shape& s) { return kernels::rand(s, d); });
  });
  m.def("randn", [](py::handle shape, py::handle dtype) {
    const DType d = parse_dtype(dtype);
    return vmap::random("randn", parse_shape(shape, "randn"), [&](const Shape& s) { return kernels::randn(s, d); });
  });
  m.def("manual_seed", [](uint64_t seed) { kernels::manual_seed(seed); });
  m.def(
      "copy",
      [](const Tensor& x) {
        return without_gil_if_large(x.numel(),
                                    [&] { return naming_allocation_errors("copy", [&] { return copy(x); }); });
      },
      py::arg("x"));
}

}  // namespace pyjac::python
