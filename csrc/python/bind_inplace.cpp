// Bindings of the in-place ops (pyjac._core.add_, ..., setitem_); pyjac/_tensor.py makes them
// Tensor methods and Tensor.__setitem__. Parsing and conversion only.
#include <algorithm>

#include "kernels/kernels.h"
#include "python/bind_util.h"

namespace pyjac::python {

namespace {

// The operand of an in-place op: a Python number takes self's dtype when self is floating (NumPy's
// weak scalars), so x.add_(1.5) keeps a float32 x float32 and int_tensor.add_(1.5) fails the cast.
// An int goes into int64 exactly, and beyond int64 raises OverflowError, as NumPy.
Tensor operand_for(const Tensor& self, py::handle other) {
  Scalar s;
  if (as_scalar(other, s)) {
    const DType d = is_floating(self.dtype())   ? self.dtype()
                    : PyBool_Check(other.ptr()) ? DType::Bool
                    : s.is_int                  ? DType::Int64
                                                : DType::Float64;
    return scalar_tensor(s, d);
  }
  return as_tensor(other);
}

Scalar number(py::handle h, const char* op, const char* what) {
  Scalar s;
  if (!as_number(h, s)) throw TypeError(std::string(op) + ": " + what + " must be a number");
  return s;
}

std::optional<double> optional_number(py::handle h, const char* op, const char* what) {
  if (h.is_none()) return std::nullopt;
  return number(h, op, what).value;
}

// Anything parse_index rejects because it is an array, a tensor, a list or a bool: an advanced index.
bool is_advanced_item(py::handle h) {
  PyObject* p = h.ptr();
  return PyBool_Check(p) || is_tensor(h.ptr()) || py::isinstance<py::array>(h) || PyList_Check(p) || PyTuple_Check(p);
}

bool has_advanced_index(py::handle index) {
  if (PyTuple_Check(index.ptr()))
    return std::any_of(index.begin(), index.end(), [](py::handle h) { return is_advanced_item(h); });
  return is_advanced_item(index);
}

// self[index] = value for indices with arrays, masks or tensors in them.
// Advanced indices write through the differentiable out-of-place index_put, then copy back.
Tensor setitem_advanced(const Tensor& self, py::handle index, const Tensor& values) {
  std::vector<IndexItem> items = parse_index(index);
  return copy_(self, index_put(self, items, values));
}

template <class F>
Tensor run(const Tensor& self, F&& f) {
  return without_gil_if_large(self.numel(), std::forward<F>(f));
}

}  // namespace

void bind_inplace(py::module_& m) {
  m.def(
      "add_",
      [](const Tensor& self, py::handle other, py::handle alpha) {
        Tensor o = operand_for(self, other);
        Scalar a = number(alpha, "add_", "alpha");
        return run(self, [&] { return add_(self, o, a); });
      },
      py::arg("self").noconvert(), py::arg("other"), py::arg("alpha") = 1);
  m.def(
      "sub_",
      [](const Tensor& self, py::handle other, py::handle alpha) {
        Tensor o = operand_for(self, other);
        Scalar a = number(alpha, "sub_", "alpha");
        return run(self, [&] { return sub_(self, o, a); });
      },
      py::arg("self").noconvert(), py::arg("other"), py::arg("alpha") = 1);
  m.def(
      "mul_",
      [](const Tensor& self, py::handle other) {
        Tensor o = operand_for(self, other);
        return run(self, [&] { return mul_(self, o); });
      },
      py::arg("self").noconvert(), py::arg("other"));
  m.def(
      "div_",
      [](const Tensor& self, py::handle other) {
        Tensor o = operand_for(self, other);
        return run(self, [&] { return div_(self, o); });
      },
      py::arg("self").noconvert(), py::arg("other"));
  m.def(
      "clamp_",
      [](const Tensor& self, py::handle lo, py::handle hi) {
        auto l = optional_number(lo, "clamp_", "min"), h = optional_number(hi, "clamp_", "max");
        return run(self, [&] { return clamp_(self, l, h); });
      },
      py::arg("self").noconvert(), py::arg("min") = py::none(), py::arg("max") = py::none());
  m.def(
      "copy_",
      [](const Tensor& self, py::handle src) {
        Tensor s = operand_for(self, src);
        return run(self, [&] { return copy_(self, s); });
      },
      py::arg("self").noconvert(), py::arg("src"));
  m.def(
      "fill_",
      [](const Tensor& self, py::handle value) {
        const Scalar v = number(value, "fill_", "value");
        return run(self, [&] { return fill_(self, v); });
      },
      py::arg("self").noconvert(), py::arg("value"));
  m.def(
      "zero_", [](const Tensor& self) { return run(self, [&] { return zero_(self); }); }, py::arg("self").noconvert());
  m.def(
      "setitem_",
      [](const Tensor& self, py::handle index, py::handle value) {
        Tensor v = operand_for(self, value);
        if (has_advanced_index(index)) return setitem_advanced(self, index, v);
        std::vector<IndexItem> items = parse_index(index);
        return run(self, [&] { return setitem_(self, items, v); });
      },
      py::arg("self").noconvert(), py::arg("index"), py::arg("value"));
  // In-place assignment for load_state_dict: same shape, any dtype converted, version bumped.
  m.def(
      "_assign",
      [](const Tensor& dst, const Tensor& src) {
        if (dst.shape() != src.shape())
          throw ValueError("assign: source of shape " + shape_str(src.shape()) +
                           " does not match destination of shape " + shape_str(dst.shape()));
        kernels::copy_into(dst, src);
        ++dst->storage->version;
      },
      py::arg("dst"), py::arg("src"));

  bind_function(m);
}

}  // namespace pyjac::python
