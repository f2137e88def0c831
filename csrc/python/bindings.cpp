// The pyjac._core module: pybind11 glue only. Every function here parses Python arguments,
// calls one op or engine entry point, and converts the result.
#include <pybind11/functional.h>

#include "autograd/cycles.h"
#include "autograd/engine.h"
#include "autograd/forward.h"
#include "autograd/grad_mode.h"
#include "kernels/kernels.h"
#include "kernels/parallel.h"
#include "python/bind_util.h"
#include "python/tensor_type.h"
#include "tensor/buffer_cache.h"
#include "tensor/pool.h"
#include "vmap/autograd_boundary.h"
#include "vmap/batched.h"

namespace pyjac::python {

namespace {

void check_can_require_grad(const Tensor& t) {
  if (!is_floating(t.dtype()))
    throw TypeError(std::string("only floating point tensors can require gradients, got dtype ") +
                    dtype_name(t.dtype()));
}

py::object item(const Tensor& t) {
  vmap::check_readable(t, "item");
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

  install_blocking_wait_hook();
  install_pass_interrupt_check();
  // Cycles through .grad that outlive the last Python reference to their head are collected
  // at each full collection of Python's own collector (Note [Reference cycles through .grad]).
  py::module_::import("gc").attr("callbacks").attr("append")(py::cpp_function([](py::str phase, py::dict info) {
    if (std::string(phase) == "start" && info["generation"].cast<int>() == 2) collect_cycles();
  }));
  py::module_::import("atexit").attr("register")(py::cpp_function(&note_exiting_thread));

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

  // The Tensor type is hand-written (python/tensor_type.cpp) for the hot path; the rest of its
  // methods are bound here with pybind11 onto the same type.
  create_tensor_type(m.ptr());
  py::handle tensor(reinterpret_cast<PyObject*>(tensor_type));
  auto def = [&](const char* name, auto&& f) {
    tensor.attr(name) = py::cpp_function(std::forward<decltype(f)>(f), py::name(name), py::is_method(tensor));
  };
  py::object property = py::module_::import("builtins").attr("property");
  auto def_property = [&](const char* name, auto&& getter) {
    tensor.attr(name) = property(py::cpp_function(std::forward<decltype(getter)>(getter), py::is_method(tensor)));
  };
  def_property("strides", [](const Tensor& t) {
    py::list out;
    for (auto s : t.strides()) out.append(s * int64_t(itemsize(t.dtype())));
    return py::tuple(out);
  });
  def_property("retains_grad", [](const Tensor& t) { return t->retains_grad; });
  def_property("T", [](const Tensor& t) { return transpose(t, std::nullopt); });
  tensor.attr("requires_grad_") = py::cpp_function(
      [](const Tensor& t, bool on) {
        const Tensor& p = vmap::physical(t);  // a batched tensor's autograd state is its physical one's
        if (p->grad_fn && !on) throw std::runtime_error("requires_grad_: only leaf tensors can stop requiring grad");
        if (on) check_can_require_grad(t);
        if (!p->grad_fn) p->requires_grad = t->requires_grad = on;
        return t;
      },
      py::name("requires_grad_"), py::is_method(tensor), py::arg("requires_grad") = true);
  def("detach", [](const Tensor& t) { return t.detach(); });
  def("retain_grad", [](const Tensor& t) {
    if (!t.requires_grad())
      throw std::runtime_error("retain_grad: can't retain_grad on a tensor that doesn't require grad");
    retain_grad(t);
  });
  def("item", &item);
  tensor.attr("numpy") = py::cpp_function(
      [](py::handle self, bool force) {
        const Tensor& t = unwrap(self.ptr());
        vmap::check_readable(t, "numpy");
        // Writes through a writable view would bypass the version counter that guards what a
        // graph saved, and give wrong gradients silently (as in PyTorch).
        if (t.requires_grad() && !force)
          throw std::runtime_error(
              "numpy: can't call numpy() on a tensor that requires grad (writes through the array would change "
              "values the autograd graph saved without it knowing); use t.detach().numpy() for a writable view "
              "without history, or np.asarray(t) for a read-only one");
        return numpy_view(t, self);
      },
      py::name("numpy"), py::is_method(tensor), py::arg("force") = false,
      "A NumPy array sharing this tensor's memory (no copy). Raises for a tensor that requires grad unless "
      "force=True; see docs/numpy.md");

  bind_elementwise(m);
  bind_reductions(m);
  bind_shapes(m);
  bind_products(m);
  bind_creation(m);
  bind_activations(m);
  bind_linalg(m);
  bind_sorting(m);
  bind_vmap(m);

  bind_inplace(m);
  bind_anomaly(m);
  bind_special(m);

  // ---- autograd -------------------------------------------------------------------------------
  // Called once per backward pass: native keyword parsing (Note [Keyword arguments on hot paths]).
  make_keyword_function(
      m.ptr(), "run_backward",
      {"outputs", "grad_outputs", "retain_graph", "create_graph", "inputs", "allow_unused", "batched"}, 2,
      [](PyObject* const* args) -> PyObject* {
        const char* fn = "run_backward";
        const TensorList outputs = as_tensor_list(args[0], fn), grad_outputs = as_tensor_list(args[1], fn);
        const bool retain_graph = as_flag(args[2], fn, "retain_graph"),
                   create_graph = as_flag(args[3], fn, "create_graph");
        const TensorList inputs = as_tensor_list(args[4], fn);
        const bool allow_unused = as_flag(args[5], fn, "allow_unused"), batched = as_flag(args[6], fn, "batched");
        TensorList grads;
        const bool vmapped = vmap::any_batched(outputs) || vmap::any_batched(grad_outputs) || vmap::any_batched(inputs);
        {
          ReleasedGil released;
          grads =
              vmapped
                  ? vmap::run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs, allow_unused, batched)
                  : run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs, allow_unused, batched);
        }
        PyObject* result = PyTuple_New(static_cast<Py_ssize_t>(grads.size()));
        if (!result) return nullptr;
        for (size_t i = 0; i < grads.size(); ++i) {
          PyObject* g = wrap(std::move(grads[i]));  // None where a gradient is undefined
          if (!g) return Py_DECREF(result), nullptr;
          PyTuple_SET_ITEM(result, static_cast<Py_ssize_t>(i), g);
        }
        return result;
      },
      "The gradients of outputs (seeded with grad_outputs) with respect to inputs; all of inputs' leaves "
      "when inputs is empty (then accumulated into .grad and None is returned for each).");
  // `loss.backward()`: the scalar output seeded with one, in C++.
  make_keyword_function(
      m.ptr(), "backward_scalar", {"tensor", "retain_graph"}, 1,
      [](PyObject* const* args) -> PyObject* {
        if (!is_tensor(args[0])) throw py::type_error("backward_scalar: tensor must be a Tensor");
        const Tensor& t = unwrap(args[0]);
        const bool retain_graph = as_flag(args[1], "backward_scalar", "retain_graph");
        if (vmap::is_batched(t)) vmap::run_backward({t}, {t}, false, false, {}, false, false);  // raises
        if (t.numel() != 1)
          throw std::runtime_error(
              "backward: grad can be implicitly created only for scalar outputs, got an output of "
              "shape " +
              shape_str(t.shape()) + "; pass a gradient");
        Tensor seed = full(t.shape(), 1.0, t.dtype());
        {
          ReleasedGil released;
          run_backward({t}, {seed}, retain_graph, false, {}, false, false);
        }
        Py_RETURN_NONE;
      },
      "Backpropagates from a one-element tensor, seeded with one.");
  m.def("forward_enter", &ForwardAD::enter);
  m.def("forward_exit", &ForwardAD::exit);
  m.def("make_dual", [](const Tensor& x, const Tensor& tangent, uint64_t level) -> Tensor {
    if (vmap::any_batched(x, tangent)) {
      if (tangent.ndim() < x.ndim())
        throw ValueError("make_dual: tangent of shape " + shape_str(tangent.shape()) +
                         " does not fit primal of shape " + shape_str(x.shape()));
      return vmap::make_dual(x, tangent, [&](const Tensor& xp, const Tensor& tp) {
        Tensor dual = alias(xp);
        ForwardAD::set_tangent(dual, level, tp.dtype() == xp.dtype() ? tp : astype(tp, xp.dtype()));
        return dual;
      });
    }
    const int64_t batch = tangent.ndim() - x.ndim();
    if (batch < 0 || Shape(tangent.shape().begin() + batch, tangent.shape().end()) != x.shape())
      throw ValueError("make_dual: tangent of shape " + shape_str(tangent.shape()) + " does not fit primal of shape " +
                       shape_str(x.shape()) + " (expected the primal's shape, optionally after batch dims)");
    if (!is_floating(x.dtype()))
      throw TypeError(std::string("make_dual: primal must be floating, got ") + dtype_name(x.dtype()));
    Tensor dual = alias(x);
    ForwardAD::set_tangent(dual, level, tangent.dtype() == x.dtype() ? tangent : astype(tangent, x.dtype()));
    return dual;
  });
  m.def("tangent", [](const Tensor& y, uint64_t level) {
    return vmap::tangent_of(y, ForwardAD::tangent(vmap::physical(y), level));
  });
  m.def("depends_on_other_leaves", [](const TensorList& outputs, const TensorList& own_leaves) {
    TensorList outs, leaves;
    for (const Tensor& t : outputs) outs.push_back(vmap::physical(t));
    for (const Tensor& t : own_leaves) leaves.push_back(vmap::physical(t));
    return depends_on_other_leaves(outs, leaves);
  });
  m.def("is_grad_enabled", &GradMode::is_enabled);
  m.def("set_grad_enabled", &GradMode::set_enabled);

  m.def(
      "release_cached_buffers",
      [] {
        buffers::release_cached();
        pool::release_cached();
      },
      "hand cached tensor buffers back to the system (RSS then tracks live tensors)");
  m.def("cached_buffer_bytes", &buffers::cached_bytes);
  m.def("num_threads", &kernels::parallel::num_threads,
        "threads a big elementwise loop is split across (PYJAC_NUM_THREADS, else the usable CPUs)");
  m.def("load_blas", &kernels::load_blas);
  m.def("blas_loaded", &kernels::blas_loaded);
}
