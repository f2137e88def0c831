#pragma once
// Module functions with a native CPython calling convention, for entry points called often enough
// that pybind11's argument machinery would be a visible part of their cost.
#include <Python.h>

#include <initializer_list>

#include "ops/ops.h"

namespace pyjac::python {

// A one-argument function (METH_O), for the elementwise functions people call in loops.
using UnaryFn = Tensor (*)(const Tensor&);
PyObject* make_unary_function(PyObject* module, const char* name, UnaryFn fn, const char* doc);

// Note [Keyword arguments on hot paths]
// pybind11 finds each keyword argument by interning its name from a C string on every call,
// about 0.2 us per keyword: as much as a small graph's whole backward pass for `grad`'s five flags.
// A keyword function parses its arguments itself (METH_FASTCALL | METH_KEYWORDS) against names
// interned once. Every parameter is required; the first `positional` ones may also be passed by
// position, the rest only by keyword. `fn` gets the arguments in declaration order (borrowed) and
// returns a new reference; a C++ exception it throws becomes the matching Python one.
using KeywordFn = PyObject* (*)(PyObject* const* arguments);
PyObject* make_keyword_function(PyObject* module, const char* name, std::initializer_list<const char*> parameters,
                                size_t positional, KeywordFn fn, const char* doc);

// A keyword function's flag: exactly True or False (a stray tensor or int is a caller's bug).
bool as_flag(PyObject* obj, const char* function, const char* parameter);

}  // namespace pyjac::python
