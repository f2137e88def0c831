// pyjac.Tensor's CPython type: allocation, identity, the number/mapping/compare slots and the hot
// properties. Each slot parses its operands, calls one op and wraps the result; no math here.
#include "python/tensor_type.h"
#include "vmap/batched.h"

#include <pybind11/detail/exception_translation.h>
#include <structmember.h>

#include "autograd/cycles.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "python/bind_util.h"

namespace pyjac::python {

PyTypeObject* tensor_type = nullptr;

void set_python_error() {
  try {
    throw;
  } catch (const AllocationError& e) {  // a tensor too large: its message says how large
    PyErr_SetString(PyExc_MemoryError, e.what());
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
  } catch (...) {
    py::detail::try_translate_exceptions();
  }
}

PyObject* wrap(Tensor t) {
  if (!t.defined()) Py_RETURN_NONE;
  TensorImpl& impl = *t;
  if (impl.pyobj) {
    PyObject* existing = static_cast<PyObject*>(impl.pyobj);
    Py_INCREF(existing);
    return existing;
  }
  auto* obj = static_cast<PyTensor*>(PyObject_Malloc(sizeof(PyTensor)));
  if (!obj) return PyErr_NoMemory();
  PyObject_Init(reinterpret_cast<PyObject*>(obj), tensor_type);
  new (&obj->tensor) Tensor(std::move(t));
  obj->weakrefs = nullptr;
  impl.pyobj = obj;
  return reinterpret_cast<PyObject*>(obj);
}

namespace {

void tensor_dealloc(PyObject* self) {
  auto* obj = reinterpret_cast<PyTensor*>(self);
  if (obj->weakrefs) PyObject_ClearWeakRefs(self);
  if (obj->tensor.defined() && obj->tensor->pyobj == self) obj->tensor->pyobj = nullptr;
  // A tensor whose .grad has history, still referenced from C++ once this wrapper is gone, may
  // be held only by a cycle through that .grad (Note [Reference cycles through .grad]).
  std::shared_ptr<TensorImpl> maybe_cycle;
  if (obj->tensor.defined() && obj->tensor->may_cycle.load(std::memory_order_relaxed) &&
      obj->tensor.impl().use_count() > 1)
    maybe_cycle = obj->tensor.impl();
  obj->tensor.~Tensor();  // may free a whole graph (iteratively, see autograd/node.cpp)
  wrapper_released(std::move(maybe_cycle));
  PyTypeObject* type = Py_TYPE(self);
  PyObject_Free(self);
  Py_DECREF(type);
}

Py_hash_t tensor_hash(PyObject* self) {
  Py_hash_t h = Py_hash_t(reinterpret_cast<uintptr_t>(self) >> 4);
  return h == -1 ? -2 : h;
}

// Runs `body` (returning a Tensor) and wraps its result; C++ exceptions become Python ones.
template <class F>
PyObject* guarded(F&& body) {
  try {
    return wrap(body());
  } catch (...) {
    set_python_error();
    return nullptr;
  }
}

// The other operand of an operator: a tensor, or nothing when NumPy can't read it, so that the
// operator returns NotImplemented and Python raises its usual TypeError (or `t == None` is False).
std::optional<Tensor> operand(PyObject* other) {
  if (is_tensor(other)) return unwrap(other);
  try {
    return tensor_from_object(other);
  } catch (const TypeError&) {
    return std::nullopt;
  }
}

using TensorFn = Tensor (*)(const Tensor&, const Tensor&);
using ScalarFn = Tensor (*)(const Tensor&, const Scalar&);

// A binary operator slot. Python calls it as slot(a, b) for both `a op b` and the reflected
// `b op a`, so which side is the tensor decides the order. Python numbers take the scalar fast
// path: no tensor is made for them.
PyObject* binary_slot(PyObject* a, PyObject* b, TensorFn on_tensors, ScalarFn tensor_scalar, ScalarFn scalar_tensor) {
  const bool tensor_left = is_tensor(a);
  PyObject* self = tensor_left ? a : b;
  PyObject* other = tensor_left ? b : a;
  try {
    const Tensor& x = unwrap(self);
    Scalar s;
    if (as_scalar(other, s))
      return wrap(
          without_gil_if_large(x.numel(), [&] { return tensor_left ? tensor_scalar(x, s) : scalar_tensor(x, s); }));
    std::optional<Tensor> y = operand(other);
    if (!y) Py_RETURN_NOTIMPLEMENTED;
    const Tensor& lhs = tensor_left ? x : *y;
    const Tensor& rhs = tensor_left ? *y : x;
    return wrap(without_gil_if_large(std::max(x.numel(), y->numel()), [&] { return on_tensors(lhs, rhs); }));
  } catch (...) {
    set_python_error();
    return nullptr;
  }
}

Tensor add_ts(const Tensor& x, const Scalar& s) { return add(x, s); }
Tensor sub_ts(const Tensor& x, const Scalar& s) { return sub(x, s); }
Tensor sub_st(const Tensor& x, const Scalar& s) { return rsub(s, x); }
Tensor mul_ts(const Tensor& x, const Scalar& s) { return mul(x, s); }
Tensor div_ts(const Tensor& x, const Scalar& s) { return div(x, s); }
Tensor div_st(const Tensor& x, const Scalar& s) { return rdiv(s, x); }
Tensor pow_ts(const Tensor& x, const Scalar& s) { return pow(x, s); }
Tensor pow_st(const Tensor& x, const Scalar& s) { return rpow(s, x); }
Tensor matmul_number(const Tensor&, const Scalar&) {
  throw ValueError("matmul: a Python number is not a matrix; use *");
}
Tensor mod_ts(const Tensor& x, const Scalar& s) { return mod(x, weak_scalar(x, s)); }
Tensor mod_st(const Tensor& x, const Scalar& s) { return mod(weak_scalar(x, s), x); }
Tensor floordiv_ts(const Tensor& x, const Scalar& s) { return floor_divide(x, weak_scalar(x, s)); }
Tensor floordiv_st(const Tensor& x, const Scalar& s) { return floor_divide(weak_scalar(x, s), x); }

PyObject* nb_add(PyObject* a, PyObject* b) { return binary_slot(a, b, add, add_ts, add_ts); }
PyObject* nb_subtract(PyObject* a, PyObject* b) { return binary_slot(a, b, sub, sub_ts, sub_st); }
PyObject* nb_multiply(PyObject* a, PyObject* b) { return binary_slot(a, b, mul, mul_ts, mul_ts); }
PyObject* nb_true_divide(PyObject* a, PyObject* b) { return binary_slot(a, b, div, div_ts, div_st); }
PyObject* nb_matmul(PyObject* a, PyObject* b) { return binary_slot(a, b, matmul, matmul_number, matmul_number); }
PyObject* nb_remainder(PyObject* a, PyObject* b) { return binary_slot(a, b, mod, mod_ts, mod_st); }
PyObject* nb_floor_divide(PyObject* a, PyObject* b) {
  return binary_slot(a, b, floor_divide, floordiv_ts, floordiv_st);
}
PyObject* nb_divmod(PyObject* a, PyObject* b) {
  PyObject* q = nb_floor_divide(a, b);
  if (!q || q == Py_NotImplemented) return q;
  PyObject* r = nb_remainder(a, b);
  if (!r || r == Py_NotImplemented) {
    Py_DECREF(q);
    return r;
  }
  PyObject* pair = PyTuple_Pack(2, q, r);
  Py_DECREF(q);
  Py_DECREF(r);
  return pair;
}
PyObject* nb_power(PyObject* a, PyObject* b, PyObject* mod) {
  if (mod != Py_None) {
    PyErr_SetString(PyExc_TypeError, "pow() with a modulus is not supported for tensors");
    return nullptr;
  }
  return binary_slot(a, b, pow, pow_ts, pow_st);
}

PyObject* nb_negative(PyObject* a) {
  return guarded([&] { return neg(unwrap(a)); });
}
PyObject* nb_positive(PyObject* a) {
  Py_INCREF(a);
  return a;
}
PyObject* nb_absolute(PyObject* a) {
  return guarded([&] { return abs(unwrap(a)); });
}
PyObject* nb_invert(PyObject* a) {
  return guarded([&] {
    const Tensor& x = unwrap(a);
    if (x.dtype() != DType::Bool) throw TypeError("~ is only defined for bool tensors here, got " + describe(x));
    return logical_not(x);
  });
}

// Python numbers from a one-element tensor.
template <class Convert>
PyObject* one_element(PyObject* a, const char* what, Convert convert) {
  try {
    const Tensor& x = unwrap(a);
    vmap::check_readable(x, what);
    if (x.numel() != 1)
      throw ValueError(std::string(what) +
                       ": only a tensor with one element can be converted to a Python scalar, got " + describe(x));
    return convert(x);
  } catch (...) {
    set_python_error();
    return nullptr;
  }
}

int nb_bool(PyObject* a) {
  try {
    const Tensor& x = unwrap(a);
    vmap::check_readable(x, "bool");
    if (x.numel() != 1)
      throw ValueError("the truth value of a tensor with more than one element is ambiguous (" + describe(x) + ")");
    return item_as_double(x) != 0;
  } catch (...) {
    set_python_error();
    return -1;
  }
}
PyObject* nb_float(PyObject* a) {
  return one_element(a, "float", [](const Tensor& x) { return PyFloat_FromDouble(item_as_double(x)); });
}
PyObject* nb_int(PyObject* a) {
  return one_element(a, "int", [](const Tensor& x) -> PyObject* {
    if (x.dtype() == DType::Int64) return PyLong_FromLongLong(*x.data<int64_t>());
    if (x.dtype() == DType::Bool) return PyLong_FromLong(*x.data<bool>());
    PyObject* f = PyFloat_FromDouble(item_as_double(x));
    if (!f) return nullptr;
    PyObject* i = PyNumber_Long(f);  // raises for nan and inf, as int(float('nan')) does
    Py_DECREF(f);
    return i;
  });
}

PyObject* richcompare(PyObject* self, PyObject* other, int op) {
  try {
    const Tensor& x = unwrap(self);
    Scalar s;
    if (op < Py_LT || op > Py_GE) Py_RETURN_NOTIMPLEMENTED;
    if (as_scalar(other, s, true)) {
      // Numbers compare as NumPy 2's weak scalars (ops.h): ints exactly against integer tensors.
      using NumberFn = Tensor (*)(const Tensor&, const Scalar&);
      static constexpr NumberFn by_number[] = {lt, le, eq, ne, gt, ge};  // Py_LT .. Py_GE
      return wrap(without_gil_if_large(x.numel(), [&] { return by_number[op](x, s); }));
    }
    std::optional<Tensor> t = operand(other);
    if (!t) Py_RETURN_NOTIMPLEMENTED;
    const Tensor& y = *t;
    using TensorsFn = Tensor (*)(const Tensor&, const Tensor&);
    static constexpr TensorsFn by_tensor[] = {lt, le, eq, ne, gt, ge};
    return wrap(without_gil_if_large(std::max(x.numel(), y.numel()), [&] { return by_tensor[op](x, y); }));
  } catch (...) {
    set_python_error();
    return nullptr;
  }
}

Py_ssize_t mp_length(PyObject* self) {
  const Tensor& x = unwrap(self);
  if (x.ndim() == 0) {
    PyErr_SetString(PyExc_TypeError, "len() of a 0-d tensor");
    return -1;
  }
  return Py_ssize_t(x.shape()[0]);
}

PyObject* mp_subscript(PyObject* self, PyObject* index) {
  return guarded([&] { return getitem(unwrap(self), parse_index(index)); });
}

// ---- hot properties ----------------------------------------------------------------------------

PyObject* get_shape(PyObject* self, void*) {
  const Shape& shape = unwrap(self).shape();
  PyObject* tuple = PyTuple_New(Py_ssize_t(shape.size()));
  if (!tuple) return nullptr;
  for (size_t i = 0; i < shape.size(); ++i) {
    PyObject* dim = PyLong_FromLongLong(shape[i]);
    if (!dim) {
      Py_DECREF(tuple);
      return nullptr;
    }
    PyTuple_SET_ITEM(tuple, Py_ssize_t(i), dim);
  }
  return tuple;
}
PyObject* get_ndim(PyObject* self, void*) { return PyLong_FromLongLong(unwrap(self).ndim()); }
PyObject* get_size(PyObject* self, void*) { return PyLong_FromLongLong(unwrap(self).numel()); }
// A batched tensor (inside vmap) answers for its physical tensor: autograd only sees those.
PyObject* get_requires_grad(PyObject* self, void*) {
  return PyBool_FromLong(vmap::physical(unwrap(self)).requires_grad());
}
PyObject* get_is_leaf(PyObject* self, void*) { return PyBool_FromLong(!vmap::physical(unwrap(self))->grad_fn); }
PyObject* get_grad(PyObject* self, void*) {
  const Tensor& t = unwrap(self);
  // under the slot's lock: another thread may be accumulating
  if (!vmap::is_batched(t)) return wrap(grad_of(*t));
  Tensor g = grad_of(*vmap::physical(t));
  return wrap(g.defined() ? vmap::make_batched(g, vmap::info(t).dims) : g);
}
PyObject* get_version(PyObject* self, void*) {
  return PyLong_FromUnsignedLongLong(vmap::physical(unwrap(self))->storage->version);
}

PyObject* get_dtype(PyObject* self, void*) {
  // NumPy dtype objects, made once per dtype and kept for the process.
  static PyObject* cache[4] = {};
  const DType d = unwrap(self).dtype();
  PyObject*& slot = cache[int(d)];
  if (!slot) {
    try {
      slot = numpy_dtype(d).release().ptr();
    } catch (...) {
      set_python_error();
      return nullptr;
    }
  }
  Py_INCREF(slot);
  return slot;
}

PyObject* get_grad_fn(PyObject* self, void*) {
  try {
    const auto& fn = vmap::physical(unwrap(self))->grad_fn;
    if (!fn) Py_RETURN_NONE;
    return py::cast(fn).release().ptr();
  } catch (...) {
    set_python_error();
    return nullptr;
  }
}

int set_requires_grad(PyObject* self, PyObject* value, void*) {
  try {
    if (!value) throw TypeError("requires_grad can't be deleted");
    const int on = PyObject_IsTrue(value);
    if (on < 0) return -1;
    const Tensor& t = unwrap(self);
    const Tensor& p = vmap::physical(t);
    if (p->grad_fn)
      throw std::runtime_error(
          "requires_grad: you can only change requires_grad of leaf tensors; use detach() for a non-leaf");
    if (on && !is_floating(t.dtype()))
      throw TypeError(std::string("only floating point tensors can require gradients, got dtype ") +
                      dtype_name(t.dtype()));
    p->requires_grad = on;
    t->requires_grad = on;
    return 0;
  } catch (...) {
    set_python_error();
    return -1;
  }
}

// What may be assigned to t.grad: a tensor (not t itself) of t's shape and dtype, as PyTorch
// requires; NumPy arrays and nested lists are converted to t's dtype.
Tensor checked_grad(const Tensor& t, PyObject* value) {
  if (!is_floating(t.dtype()))
    throw TypeError(std::string("grad: only floating point tensors have gradients, not a tensor of dtype ") +
                    dtype_name(t.dtype()));
  Tensor g;
  if (is_tensor(value)) {
    g = unwrap(value);
    if (g.same(t) || g->storage == t->storage)
      throw std::runtime_error("grad: can't assign a tensor (or a view of it) as its own gradient; assign a copy");
    if (g.dtype() != t.dtype())
      throw TypeError(std::string("grad: assigned gradient has dtype ") + dtype_name(g.dtype()) +
                      ", but the tensor's dtype is " + dtype_name(t.dtype()) + "; convert it with astype first");
  } else {
    g = as_tensor(value);
    if (!is_floating(g.dtype()) || g.dtype() != t.dtype()) g = astype(g, t.dtype());
  }
  if (g.shape() != t.shape())
    throw ValueError("grad: assigned gradient of shape " + shape_str(g.shape()) +
                     " does not match the tensor's shape " + shape_str(t.shape()));
  return g;
}

int set_grad(PyObject* self, PyObject* value, void*) {
  try {
    const Tensor& t = unwrap(self);
    std::shared_ptr<TensorImpl> grad;
    if (value && value != Py_None) grad = checked_grad(t, value).impl();
    pyjac::set_grad(t.impl(), std::move(grad));
    return 0;
  } catch (...) {
    set_python_error();
    return -1;
  }
}

// Tensors come from pyjac's functions only: the type has no constructor of its own, so that no
// Python code can make a Tensor object without a tensor inside.
PyObject* tensor_new(PyTypeObject*, PyObject*, PyObject*) {
  PyErr_SetString(PyExc_TypeError,
                  "pyjac.Tensor can't be constructed directly; make tensors with pyjac.tensor(data), "
                  "pyjac.asarray(data), pyjac.zeros(shape), ...");
  return nullptr;
}

PyGetSetDef getset[] = {
    {"shape", get_shape, nullptr, "the tensor's shape, a tuple of ints", nullptr},
    {"ndim", get_ndim, nullptr, "number of dimensions", nullptr},
    {"size", get_size, nullptr, "number of elements", nullptr},
    {"dtype", get_dtype, nullptr, "the NumPy dtype of the elements", nullptr},
    {"requires_grad", get_requires_grad, set_requires_grad, "whether gradients flow to this tensor", nullptr},
    {"is_leaf", get_is_leaf, nullptr, "True for tensors no recorded op produced", nullptr},
    {"grad_fn", get_grad_fn, nullptr, "the node that produced this tensor, or None", nullptr},
    {"grad", get_grad, set_grad, "the gradient accumulated by backward(), or None", nullptr},
    {"_version", get_version, nullptr, "counter bumped by in-place writes to the storage", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyMemberDef members[] = {
    {"__weaklistoffset__", T_PYSSIZET, offsetof(PyTensor, weakrefs), READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr},
};

PyType_Slot slots[] = {
    {Py_tp_new, reinterpret_cast<void*>(tensor_new)},
    {Py_tp_dealloc, reinterpret_cast<void*>(tensor_dealloc)},
    {Py_tp_hash, reinterpret_cast<void*>(tensor_hash)},
    {Py_tp_richcompare, reinterpret_cast<void*>(richcompare)},
    {Py_tp_getset, getset},
    {Py_tp_members, members},
    {Py_tp_doc, const_cast<char*>("A pyjac tensor: an n-dimensional array that records the ops applied to it")},
    {Py_nb_add, reinterpret_cast<void*>(nb_add)},
    {Py_nb_subtract, reinterpret_cast<void*>(nb_subtract)},
    {Py_nb_multiply, reinterpret_cast<void*>(nb_multiply)},
    {Py_nb_true_divide, reinterpret_cast<void*>(nb_true_divide)},
    {Py_nb_remainder, reinterpret_cast<void*>(nb_remainder)},
    {Py_nb_floor_divide, reinterpret_cast<void*>(nb_floor_divide)},
    {Py_nb_divmod, reinterpret_cast<void*>(nb_divmod)},
    {Py_nb_power, reinterpret_cast<void*>(nb_power)},
    {Py_nb_matrix_multiply, reinterpret_cast<void*>(nb_matmul)},
    {Py_nb_negative, reinterpret_cast<void*>(nb_negative)},
    {Py_nb_positive, reinterpret_cast<void*>(nb_positive)},
    {Py_nb_absolute, reinterpret_cast<void*>(nb_absolute)},
    {Py_nb_invert, reinterpret_cast<void*>(nb_invert)},
    {Py_nb_bool, reinterpret_cast<void*>(nb_bool)},
    {Py_nb_float, reinterpret_cast<void*>(nb_float)},
    {Py_nb_int, reinterpret_cast<void*>(nb_int)},
    {Py_mp_length, reinterpret_cast<void*>(mp_length)},
    {Py_mp_subscript, reinterpret_cast<void*>(mp_subscript)},
    {0, nullptr},
};

PyType_Spec spec = {
    "pyjac.Tensor",
    sizeof(PyTensor),
    0,
    // No Py_TPFLAGS_HAVE_GC: a tensor holds no Python objects (nodes hold C++ objects only), so it
    // can't be part of a reference cycle and needn't pay for tracking.
    Py_TPFLAGS_DEFAULT,
    slots,
};

}  // namespace

void create_tensor_type(PyObject* module) {
  if (!tensor_type) {
    tensor_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&spec));
    if (!tensor_type) throw py::error_already_set();
  }
  Py_INCREF(tensor_type);
  if (PyModule_AddObject(module, "Tensor", reinterpret_cast<PyObject*>(tensor_type)) < 0) {
    Py_DECREF(tensor_type);
    throw py::error_already_set();
  }
}

}  // namespace pyjac::python
