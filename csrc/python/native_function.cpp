// Native module functions: see native_function.h. Parsing and error translation only; no math.
#include "python/native_function.h"

#include <string>
#include <vector>

#include "python/bind_util.h"

namespace pyjac::python {

namespace {

// Both kinds live as long as the process: the function object points at them through a capsule.
struct UnaryFunction {
  PyMethodDef def;
  UnaryFn fn;
};

PyObject* call_unary(PyObject* capsule, PyObject* arg) {
  auto* f = static_cast<UnaryFunction*>(PyCapsule_GetPointer(capsule, nullptr));
  try {
    if (is_tensor(arg)) {
      const Tensor& x = unwrap(arg);
      return wrap(without_gil_if_large(x.numel(), [&] { return f->fn(x); }));
    }
    Tensor x = as_tensor(arg);
    return wrap(without_gil_if_large(x.numel(), [&] { return f->fn(x); }));
  } catch (...) {
    set_python_error();
    return nullptr;
  }
}

struct KeywordFunction {
  PyMethodDef def;
  std::string name;
  std::string doc;
  std::vector<PyObject*> parameters;  // interned names, never released
  size_t positional;
  KeywordFn fn;
};

// The parameter a keyword names, or -1.
Py_ssize_t parameter_index(const KeywordFunction& f, PyObject* keyword) {
  for (size_t i = 0; i < f.parameters.size(); ++i)
    if (f.parameters[i] == keyword) return static_cast<Py_ssize_t>(i);
  for (size_t i = 0; i < f.parameters.size(); ++i)  // a name built at run time, not interned
    if (PyUnicode_Compare(f.parameters[i], keyword) == 0) return static_cast<Py_ssize_t>(i);
  return -1;
}

PyObject* call_keyword(PyObject* capsule, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  auto* f = static_cast<KeywordFunction*>(PyCapsule_GetPointer(capsule, nullptr));
  const char* name = f->name.c_str();
  PyObject* arguments[16] = {};
  if (static_cast<size_t>(nargs) > f->positional)
    return PyErr_Format(PyExc_TypeError, "%s() takes %zu positional arguments but %zd were given", name, f->positional,
                        nargs);
  for (Py_ssize_t i = 0; i < nargs; ++i) arguments[i] = args[i];
  const Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  for (Py_ssize_t k = 0; k < nkw; ++k) {
    PyObject* keyword = PyTuple_GET_ITEM(kwnames, k);
    const Py_ssize_t i = parameter_index(*f, keyword);
    if (i < 0) return PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", name, keyword);
    if (arguments[i]) return PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%U'", name, keyword);
    arguments[i] = args[nargs + k];
  }
  for (size_t i = 0; i < f->parameters.size(); ++i)
    if (!arguments[i])
      return PyErr_Format(PyExc_TypeError, "%s() missing required argument '%U'", name, f->parameters[i]);
  try {
    return f->fn(arguments);
  } catch (...) {
    set_python_error();
    return nullptr;
  }
}

// Adds a native function to the module; `def` must outlive the process.
PyObject* add_function(PyObject* module, PyMethodDef* def, void* record) {
  PyObject* capsule = PyCapsule_New(record, nullptr, nullptr);
  if (!capsule) throw py::error_already_set();
  PyObject* module_name = PyModule_GetNameObject(module);
  PyObject* function = PyCFunction_NewEx(def, capsule, module_name);
  Py_XDECREF(module_name);
  Py_DECREF(capsule);
  if (!function || PyModule_AddObject(module, def->ml_name, function) < 0) {
    Py_XDECREF(function);
    throw py::error_already_set();
  }
  return function;
}

}  // namespace

PyObject* make_unary_function(PyObject* module, const char* name, UnaryFn fn, const char* doc) {
  auto* f = new UnaryFunction{{name, call_unary, METH_O, doc}, fn};
  return add_function(module, &f->def, f);
}

PyObject* make_keyword_function(PyObject* module, const char* name, std::initializer_list<const char*> parameters,
                                size_t positional, KeywordFn fn, const char* doc) {
  auto* f = new KeywordFunction{};
  f->name = name;
  // The text signature lets inspect.signature and help() show the parameters.
  std::string signature = f->name + "(";
  size_t i = 0;
  for (const char* p : parameters) {
    if (i == positional) signature += "*, ";
    signature += p;
    signature += ++i < parameters.size() ? ", " : ")";
    PyObject* interned = PyUnicode_InternFromString(p);
    if (!interned) throw py::error_already_set();
    f->parameters.push_back(interned);
  }
  if (f->parameters.size() > 16) throw std::logic_error("make_keyword_function: at most 16 parameters");
  f->doc = signature + "\n--\n\n" + (doc ? doc : "");
  f->positional = positional;
  f->fn = fn;
  f->def = {f->name.c_str(), reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(call_keyword)),
            METH_FASTCALL | METH_KEYWORDS, f->doc.c_str()};
  return add_function(module, &f->def, f);
}

bool as_flag(PyObject* obj, const char* function, const char* parameter) {
  if (obj == Py_True) return true;
  if (obj == Py_False) return false;
  throw py::type_error(std::string(function) + ": " + parameter + " must be True or False, got " +
                       Py_TYPE(obj)->tp_name);
}

}  // namespace pyjac::python
