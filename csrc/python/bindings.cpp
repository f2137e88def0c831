// The pyjac._core module: pybind11 glue only. Every function here parses Python arguments,
// calls one op or engine entry point, and converts the result.
#include <pybind11/functional.h>

#include "autograd/engine.h"
#include "autograd/forward.h"
#include "autograd/grad_mode.h"
#include "kernels/kernels.h"
#include "python/bind_util.h"

namespace pyjac::python {

namespace {

using TensorPtr = std::shared_ptr<TensorImpl>;

py::object not_implemented() { return py::reinterpret_borrow<py::object>(Py_NotImplemented); }

// The other operand of an operator as a tensor; nothing when NumPy can't read it, so that the
// operator returns NotImplemented and Python raises its usual TypeError (or `t == None` is False).
std::optional<Tensor> operand(py::handle other) {
  if (py::isinstance<TensorImpl>(other)) return other.cast<Tensor>();
  try {
    return tensor_from_object(other);
  } catch (const TypeError&) {
    return std::nullopt;
  }
}

// A binary operator: Python numbers take the scalar fast path, everything else the tensor one.
template <class TensorFn, class ScalarFn>
py::object binary_operator(const Tensor& self, py::handle other, TensorFn on_tensor, ScalarFn on_scalar) {
  Scalar s;
  if (as_scalar(other, s)) return py::cast(on_scalar(self, s));
  std::optional<Tensor> t = operand(other);
  if (!t) return not_implemented();
  return py::cast(without_gil_if_large(std::max(self.numel(), t->numel()), [&] { return on_tensor(self, *t); }));
}

// A comparison operator: numbers compare as weak scalars (they take self's dtype when it's a float).
template <class Fn>
py::object comparison(const Tensor& self, py::handle other, Fn fn) {
  Scalar s;
  if (as_scalar(other, s)) {
    Tensor t = scalar_tensor(s.value, is_floating(self.dtype()) ? self.dtype() : (s.is_int ? DType::Int64 : DType::Float64));
    return py::cast(fn(self, t));
  }
  std::optional<Tensor> t = operand(other);
  if (!t) return not_implemented();
  return py::cast(fn(self, *t));
}

void check_can_require_grad(const Tensor& t) {
  if (!is_floating(t.dtype()))
    throw TypeError(std::string("only floating point tensors can require gradients, got dtype ") + dtype_name(t.dtype()));
}

void zero_inplace(const Tensor& t) {
  if (t.requires_grad() && !t->grad_fn && GradMode::is_enabled())
    throw std::runtime_error("zero_: a leaf tensor that requires grad can't be modified in place (use pj.no_grad())");
  kernels::copy_into(t, scalar_tensor(0, t.dtype()));
  ++t->storage->version;
}

py::object item(const Tensor& t) {
  if (t.numel() != 1)
    throw ValueError("item: only a tensor with one element can be converted to a Python scalar, got " + describe(t));
  switch (t.dtype()) {
    case DType::Bool: return py::bool_(*t.data<bool>());
    case DType::Int64: return py::int_(*t.data<int64_t>());
    case DType::Float32: return py::float_(*t.data<float>());
    case DType::Float64: return py::float_(*t.data<double>());
  }
  return py::none();
}

}  // namespace
}  // namespace pyjac::python

using namespace pyjac;
using namespace pyjac::python;

PYBIND11_MODULE(_core, m) {
  m.doc() = "pyjac's C++ core: tensors, kernels, differentiable ops and the autograd engine";

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const IndexError& e) {
      PyErr_SetString(PyExc_IndexError, e.what());
    }
  });

  py::class_<Node, std::shared_ptr<Node>>(m, "Node")
      .def("name", &Node::name)
      .def_property_readonly("next_functions",
                             [](const Node& n) {
                               py::list out;
                               for (auto& e : n.next_edges)
                                 out.append(py::make_tuple(e.fn ? py::cast(e.fn) : py::none(), e.input_nr));
                               return py::tuple(out);
                             })
      .def("__repr__", [](const Node& n) { return std::string("<") + n.name() + ">"; });

  py::class_<TensorImpl, TensorPtr> tensor(m, "Tensor");
  tensor
      .def_property_readonly("shape", [](const Tensor& t) { return py::tuple(py::cast(t.shape())); })
      .def_property_readonly("ndim", [](const Tensor& t) { return t.ndim(); })
      .def_property_readonly("size", [](const Tensor& t) { return t.numel(); })
      .def_property_readonly("dtype", [](const Tensor& t) { return numpy_dtype(t.dtype()); })
      .def_property_readonly("strides", [](const Tensor& t) {
        py::list out;
        for (auto s : t.strides()) out.append(s * int64_t(itemsize(t.dtype())));
        return py::tuple(out);
      })
      .def_property(
          "requires_grad", [](const Tensor& t) { return t.requires_grad(); },
          [](const Tensor& t, bool on) {
            if (t->grad_fn)
              throw std::runtime_error(
                  "requires_grad: you can only change requires_grad of leaf tensors; use detach() for a non-leaf");
            if (on) check_can_require_grad(t);
            t->requires_grad = on;
          })
      .def_property_readonly("is_leaf", [](const Tensor& t) { return !t->grad_fn; })
      .def_property_readonly("grad_fn", [](const Tensor& t) { return t->grad_fn; })
      .def_property(
          "grad", [](const Tensor& t) { return Tensor(t->grad); },
          [](const Tensor& t, py::handle g) {
            if (g.is_none()) {
              t->grad.reset();
              return;
            }
            Tensor gt = as_tensor(g);
            if (gt.shape() != t.shape())
              throw ValueError("grad: assigned gradient of shape " + shape_str(gt.shape()) +
                               " does not match the tensor's shape " + shape_str(t.shape()));
            t->grad = gt.impl();
          })
      .def_property_readonly("_version", [](const Tensor& t) { return t->storage->version; })
      .def("requires_grad_",
           [](const Tensor& t, bool on) {
             if (t->grad_fn && !on) throw std::runtime_error("requires_grad_: only leaf tensors can stop requiring grad");
             if (on) check_can_require_grad(t);
             if (!t->grad_fn) t->requires_grad = on;
             return t;
           },
           py::arg("requires_grad") = true)
      .def("detach", [](const Tensor& t) { return t.detach(); })
      .def("retain_grad",
           [](const Tensor& t) {
             if (!t.requires_grad()) throw std::runtime_error("retain_grad: can't retain_grad on a tensor that doesn't require grad");
             if (!t->grad_fn || t->retains_grad) return;
             t->retains_grad = true;
             t->grad_fn->retained.emplace_back(t->output_nr, t.impl());
           })
      .def_property_readonly("retains_grad", [](const Tensor& t) { return t->retains_grad; })
      .def("zero_", [](const Tensor& t) { zero_inplace(t); return t; })
      .def("item", &item)
      .def("numpy", [](py::handle self) { return numpy_view(self.cast<Tensor>(), self); })
      .def("__len__",
           [](const Tensor& t) {
             if (t.ndim() == 0) throw TypeError("len() of a 0-d tensor");
             return t.shape()[0];
           })
      .def("__bool__",
           [](const Tensor& t) {
             if (t.numel() != 1)
               throw ValueError("the truth value of a tensor with more than one element is ambiguous (" + describe(t) + ")");
             return item_as_double(t) != 0;
           })
      .def("__float__", [](const Tensor& t) { return py::float_(item(t)); })
      .def("__int__", [](const Tensor& t) { return py::int_(item(t)); })
      .def("__getitem__", [](const Tensor& t, py::handle idx) { return getitem(t, parse_index(idx)); })
      // Operators. The scalar forms are the hot path: no tensor is made for the Python number.
      .def("__add__", [](const Tensor& a, py::handle b) {
        return binary_operator(a, b, [](auto& x, auto& y) { return add(x, y); }, [](auto& x, Scalar s) { return add(x, s); });
      })
      .def("__radd__", [](const Tensor& a, py::handle b) {
        return binary_operator(a, b, [](auto& x, auto& y) { return add(y, x); }, [](auto& x, Scalar s) { return add(x, s); });
      })
      .def("__sub__", [](const Tensor& a, py::handle b) {
        return binary_operator(a, b, [](auto& x, auto& y) { return sub(x, y); }, [](auto& x, Scalar s) { return sub(x, s); });
      })
      .def("__rsub__", [](const Tensor& a, py::handle b) {
        return binary_operator(a, b, [](auto& x, auto& y) { return sub(y, x); }, [](auto& x, Scalar s) { return rsub(s, x); });
      })
      .def("__mul__", [](const Tensor& a, py::handle b) {
        return binary_operator(a, b, [](auto& x, auto& y) { return mul(x, y); }, [](auto& x, Scalar s) { return mul(x, s); });
      })
      .def("__rmul__", [](const Tensor& a, py::handle b) {
        return binary_operator(a, b, [](auto& x, auto& y) { return mul(y, x); }, [](auto& x, Scalar s) { return mul(x, s); });
      })
      .def("__truediv__", [](const Tensor& a, py::handle b) {
        return binary_operator(a, b, [](auto& x, auto& y) { return div(x, y); }, [](auto& x, Scalar s) { return div(x, s); });
      })
      .def("__rtruediv__", [](const Tensor& a, py::handle b) {
        return binary_operator(a, b, [](auto& x, auto& y) { return div(y, x); }, [](auto& x, Scalar s) { return rdiv(s, x); });
      })
      .def("__pow__", [](const Tensor& a, py::handle b) {
        return binary_operator(a, b, [](auto& x, auto& y) { return pow(x, y); }, [](auto& x, Scalar s) { return pow(x, s); });
      })
      .def("__rpow__", [](const Tensor& a, py::handle b) {
        return binary_operator(a, b, [](auto& x, auto& y) { return pow(y, x); }, [](auto& x, Scalar s) { return rpow(s, x); });
      })
      .def("__matmul__", [](const Tensor& a, py::handle b) {
        if (is_number(b)) throw ValueError("matmul: a Python number is not a matrix; use *");
        return binary_operator(a, b, [](auto& x, auto& y) { return matmul(x, y); }, [](auto& x, Scalar) { return x; });
      })
      .def("__rmatmul__", [](const Tensor& a, py::handle b) {
        if (is_number(b)) throw ValueError("matmul: a Python number is not a matrix; use *");
        return binary_operator(a, b, [](auto& x, auto& y) { return matmul(y, x); }, [](auto& x, Scalar) { return x; });
      })
      .def("__neg__", [](const Tensor& a) { return neg(a); })
      .def("__pos__", [](const Tensor& a) { return a; })
      .def("__abs__", [](const Tensor& a) { return abs(a); })
      .def("__eq__", [](const Tensor& a, py::handle b) { return comparison(a, b, [](auto& x, auto& y) { return eq(x, y); }); })
      .def("__ne__", [](const Tensor& a, py::handle b) { return comparison(a, b, [](auto& x, auto& y) { return ne(x, y); }); })
      .def("__lt__", [](const Tensor& a, py::handle b) { return comparison(a, b, [](auto& x, auto& y) { return lt(x, y); }); })
      .def("__le__", [](const Tensor& a, py::handle b) { return comparison(a, b, [](auto& x, auto& y) { return le(x, y); }); })
      .def("__gt__", [](const Tensor& a, py::handle b) { return comparison(a, b, [](auto& x, auto& y) { return gt(x, y); }); })
      .def("__ge__", [](const Tensor& a, py::handle b) { return comparison(a, b, [](auto& x, auto& y) { return ge(x, y); }); })
      .def("__invert__", [](const Tensor& a) {
        if (a.dtype() != DType::Bool) throw TypeError("~ is only defined for bool tensors here, got " + describe(a));
        return logical_not(a);
      })
      .def_property_readonly("T", [](const Tensor& t) { return transpose(t, std::nullopt); });

  bind_ops(m);
  bind_anomaly(m);

  // ---- autograd -------------------------------------------------------------------------------
  m.def("run_backward", [](const TensorList& outputs, const TensorList& grad_outputs, bool keep_graph, bool create_graph,
                           const TensorList& inputs, bool allow_unused, bool batched) {
    TensorList grads;
    {
      py::gil_scoped_release release;
      grads = run_backward(outputs, grad_outputs, keep_graph, create_graph, inputs, allow_unused, batched);
    }
    py::list out;
    for (auto& g : grads) out.append(g.defined() ? py::cast(g) : py::none());
    return py::tuple(out);
  });
  m.def("forward_enter", &ForwardAD::enter);
  m.def("forward_exit", &ForwardAD::exit);
  m.def("make_dual", [](const Tensor& x, const Tensor& tangent, uint64_t level) {
    const int64_t batch = tangent.ndim() - x.ndim();
    if (batch < 0 || Shape(tangent.shape().begin() + batch, tangent.shape().end()) != x.shape())
      throw ValueError("make_dual: tangent of shape " + shape_str(tangent.shape()) + " does not fit primal of shape " +
                       shape_str(x.shape()) + " (expected the primal's shape, optionally after batch dims)");
    if (!is_floating(x.dtype())) throw TypeError(std::string("make_dual: primal must be floating, got ") + dtype_name(x.dtype()));
    Tensor dual = alias(x);
    ForwardAD::set_tangent(dual, level, tangent.dtype() == x.dtype() ? tangent : astype(tangent, x.dtype()));
    return dual;
  });
  m.def("tangent", [](const Tensor& y, uint64_t level) { return ForwardAD::tangent(y, level); });
  m.def("depends_on_other_leaves", &depends_on_other_leaves);
  m.def("is_grad_enabled", &GradMode::is_enabled);
  m.def("set_grad_enabled", &GradMode::set_enabled);

  m.def("load_blas", &kernels::load_blas);
  m.def("blas_loaded", &kernels::blas_loaded);
}
