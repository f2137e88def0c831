#pragma once
// Shared by the binding files: argument helpers and the macros that bind one op each.
#include "python/convert.h"
#include "python/gil.h"
#include "python/native_function.h"
#include "python/tensor_type.h"

namespace pyjac::python {

// Long kernels run without the GIL so other Python threads progress; tiny ones keep it, since
// releasing costs more than they take.
constexpr int64_t kReleaseGilAbove = 1 << 15;

template <class F>
Tensor without_gil_if_large(int64_t work, F&& f) {
  if (work < kReleaseGilAbove) return f();
  ReleasedGil released;
  return f();
}

inline bool is_number(py::handle h) {
  Scalar s;
  return as_scalar(h, s);
}

// A sequence of tensors (or of anything as_tensor takes); a lone tensor is refused, not iterated.
inline TensorList as_tensor_list(py::handle seq, const char* op) {
  if (is_tensor(seq.ptr()) || !py::isinstance<py::sequence>(seq))
    throw TypeError(std::string(op) + ": expected a sequence of tensors");
  TensorList out;
  for (auto h : seq) out.push_back(as_tensor(h));
  return out;
}

// ---- axis arguments ------------------------------------------------------------------------------

// Axes that must be given (an int or a sequence of ints; None is refused, as NumPy does).
inline std::vector<int64_t> required_axes(py::handle axes, const char* op, const char* what) {
  if (axes.is_none())
    throw TypeError(std::string(op) + ": " + what + " must be an int or a sequence of ints, not None");
  return *parse_axes(axes, op);
}

// An axis that must be one int or None (argmax, argmin), as NumPy.
inline std::optional<int64_t> parse_single_axis(py::handle axis, const char* op) {
  if (axis.is_none()) return std::nullopt;
  if (PyBool_Check(axis.ptr()) || !PyIndex_Check(axis.ptr()))
    throw TypeError(std::string(op) + ": axis must be an int or None, got " +
                    std::string(py::str(py::type::of(axis).attr("__name__"))));
  return parse_axes(axis, op)->at(0);
}

// ---- the binding files: each registers its functions on the module; bindings.cpp calls them ----
void bind_elementwise(py::module_& m);  // arithmetic, comparisons, math functions (bind_elementwise.cpp)
void bind_reductions(py::module_& m);   // reductions, statistics, norms, scans (bind_reductions.cpp)
void bind_shapes(py::module_& m);       // shapes, array manipulation, indexing (bind_shapes.cpp)
void bind_products(py::module_& m);     // matmul, dot, outer, inner, kron, einsum (bind_products.cpp)
void bind_creation(py::module_& m);     // creation functions and copy (bind_creation.cpp)
void bind_activations(py::module_& m);  // activations and softmax (bind_activations.cpp)
void bind_linalg(py::module_& m);       // the pyjac._core.linalg submodule (bind_linalg.cpp)
// In-place ops (bind_inplace.cpp). bind_inplace also registers custom Functions
// (py_function.cpp: bind_function), so that bindings.cpp needs only the one call.
void bind_inplace(py::module_& m);
void bind_function(py::module_& m);
void bind_anomaly(py::module_& m);  // anomaly mode (bind_anomaly.cpp)
void bind_special(py::module_& m);  // pyjac.special's functions (bind_special.cpp)
void bind_sorting(py::module_& m);  // sorting, searching, NaN handling (bind_sorting.cpp)
void bind_vmap(py::module_& m);     // vmap's levels and boundary (bind_vmap.cpp)

}  // namespace pyjac::python

// One-argument elementwise functions get a native (METH_O) entry point: see native_function.h.
#define PYJAC_UNARY(name) make_unary_function(m.ptr(), #name, [](const Tensor& x) { return name(x); }, nullptr)
#define PYJAC_BINARY(name, fn)                                                                                  \
  m.def(                                                                                                        \
      #name,                                                                                                    \
      [](py::handle a, py::handle b) {                                                                          \
        auto [x, y] = as_operands(a, b);                                                                        \
        return without_gil_if_large(std::max(x.numel(), y.numel()),                                             \
                                    [&] { return naming_allocation_errors(#name, [&] { return fn(x, y); }); }); \
      },                                                                                                        \
      py::arg("a"), py::arg("b"))
