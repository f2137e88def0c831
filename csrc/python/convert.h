#pragma once
// Crossing the language boundary: Tensor <-> Python objects, and parsing of Python arguments
// (axes, dtypes, indices, numbers). No math lives here.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "ops/ops.h"

namespace py = pybind11;

namespace pyjac::python {

// Copies any array-like (nested lists, NumPy arrays and scalars, Python numbers) into a new tensor.
// NumPy's dtype is kept where pyjac has it; other integers become int64, float16 float32.
Tensor tensor_from_object(py::handle obj);
Tensor tensor_from_array(const py::array& arr);
// Tensors pass through; anything else is converted as above.
Tensor as_tensor(py::handle obj);

// A zero-copy NumPy view of t; `owner` (the Python Tensor) keeps the storage alive.
py::array numpy_view(const Tensor& t, py::handle owner);

DType parse_dtype(py::handle dtype);
py::object numpy_dtype(DType d);

// A Python int or float, exactly those types: the numbers NumPy 2 treats as weak, taking their
// dtype from the other operand. False for anything else: bools (they become 0-d bool tensors,
// which promote like NumPy's bool scalars) and NumPy scalars (np.float64 too, though it is a
// float subclass: they have a dtype of their own). An int keeps its exact value (see Scalar).
// An int beyond a double raises OverflowError, unless `beyond_double_ok` (comparisons, which
// NumPy answers for integer tensors): then its `value` is +-inf.
bool as_scalar(py::handle obj, Scalar& out, bool beyond_double_ok = false);
// A number argument (fill values, bounds, alpha): a Python int or float as as_scalar, or a NumPy
// integer or floating scalar (integers exactly). False for bools, tensors, arrays and the rest.
bool as_number(py::handle obj, Scalar& out);

// A parameter that is a number, not an operand (a slope, a threshold, ddof): a Python or NumPy
// number, or a one-element tensor or array. A tensor that requires grad (with grad mode on) or
// carries a forward-mode tangent is refused with a TypeError naming `op` and `name`: its value
// would be read and its derivative silently lost.
double number_param(py::handle obj, const char* op, const char* name);
// Whether obj is, or (nested lists and tuples) holds, a tensor with a derivative to keep: one that
// requires grad while grad mode is on, or carries a forward-mode tangent.
bool has_grad_path(py::handle obj, int depth = 0);
// Two operands of a binary function: a Python number takes its dtype from the other operand
// (NumPy 2's weak scalars).
std::pair<Tensor, Tensor> as_operands(py::handle a, py::handle b);
// A Python number as the 0-d operand of an op with `other`: other's dtype when that is a float.
Tensor weak_scalar(const Tensor& other, const Scalar& v);

Axes parse_axes(py::handle axis, const char* op);
Shape parse_shape(py::handle shape, const char* op);
std::vector<IndexItem> parse_index(py::handle index);
NormOrd parse_ord(py::handle ord);

}  // namespace pyjac::python

namespace pybind11::detail {

// Lets bound functions take `const Tensor&`; with conversion allowed, array-likes are accepted too.
template <>
struct type_caster<pyjac::Tensor> {
  PYBIND11_TYPE_CASTER(pyjac::Tensor, const_name("Tensor"));
  bool load(handle src, bool convert);
  static handle cast(const pyjac::Tensor& t, return_value_policy, handle);
};

}  // namespace pybind11::detail
