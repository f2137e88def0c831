#pragma once
// pyjac.Tensor as a hand-written CPython type. The per-op hot path (operators, unary functions,
// a few properties) goes straight from a CPython slot to the op, with no pybind11 dispatch and no
// instance registry; everything else is bound with pybind11 onto the same type (see bindings.cpp),
// through the type_caster in convert.h.
#include <Python.h>

#include "ops/ops.h"

namespace pyjac::python {

struct PyTensor {
  PyObject_HEAD Tensor tensor;
  PyObject* weakrefs;
};

extern PyTypeObject* tensor_type;

inline bool is_tensor(PyObject* obj) { return Py_TYPE(obj) == tensor_type; }
inline const Tensor& unwrap(PyObject* obj) { return reinterpret_cast<PyTensor*>(obj)->tensor; }

// The Python object for t: a tensor keeps one wrapper while the wrapper is alive, so `x.grad is
// x.grad` and identity-keyed containers behave. Undefined tensors become None. New reference.
PyObject* wrap(Tensor t);

// Sets the Python error for the C++ exception being handled (call inside a catch block); the same
// translation pybind11 applies to bound functions.
void set_python_error();

// Creates the type (once) and adds it to the module as `Tensor`.
void create_tensor_type(PyObject* module);

}  // namespace pyjac::python
