// Bindings of the shape ops, array manipulation, diagonals and triangles, and indexing
// (pyjac._core.reshape, .concatenate, .split, .pad, .diagonal, .take, .index_put, ...). Parsing
// and conversion only: every body calls one op.
#include "python/bind_util.h"

namespace pyjac::python {

namespace {

// NumPy's order argument of reshape: 'C', 'F' or 'A' in either case; None means 'C'.
IndexOrder parse_index_order(py::handle order, const char* op) {
  if (order.is_none()) return IndexOrder::C;
  if (!py::isinstance<py::str>(order))
    throw TypeError(std::string(op) + ": order must be str, not " +
                    std::string(py::str(py::type::of(order).attr("__name__"))));
  const std::string s = order.cast<std::string>();
  if (s == "C" || s == "c") return IndexOrder::C;
  if (s == "F" || s == "f") return IndexOrder::F;
  if (s == "A" || s == "a") return IndexOrder::A;
  if (s == "K" || s == "k") throw ValueError(std::string(op) + ": order 'K' is not permitted for reshaping");
  throw ValueError(std::string(op) + ": order must be one of 'C', 'F' or 'A', got " + std::string(py::repr(order)));
}

int64_t total_numel(const TensorList& ts) {
  int64_t n = 0;
  for (auto& t : ts) n += t.numel();
  return n;
}

std::vector<int64_t> int_list(py::handle obj, const char* op, const char* what) {
  std::vector<int64_t> out;
  Tensor t = as_tensor(obj);
  if (t.dtype() != DType::Int64 && t.numel() != 0)  // an empty list reads as float
    throw TypeError(std::string(op) + ": " + what + " must be integers, got " + describe(t));
  if (t.ndim() > 1)
    throw ValueError(std::string(op) + ": " + what + " must be an int or a 1-d sequence, got " + describe(t));
  Tensor c = astype(t, DType::Int64);
  for (int64_t i = 0; i < c.numel(); ++i) out.push_back(c.data<int64_t>()[i]);
  return out;
}

SplitSpec split_spec(py::handle obj, const char* op) {
  SplitSpec spec;
  // NumPy: anything without a len() is a number of sections, 0-d arrays included.
  const bool sized = is_tensor(obj.ptr())             ? unwrap(obj.ptr()).ndim() > 0
                     : py::isinstance<py::array>(obj) ? py::reinterpret_borrow<py::array>(obj).ndim() > 0
                                                      : bool(PySequence_Check(obj.ptr()));
  std::vector<int64_t> values = int_list(obj, op, "indices_or_sections");
  if (sized)
    spec.indices = values;
  else
    spec.sections = values.at(0);
  return spec;
}

std::optional<int64_t> optional_axis(py::handle axis, const char* op) {
  if (axis.is_none()) return std::nullopt;
  auto axes = *parse_axes(axis, op);
  if (axes.size() != 1) throw TypeError(std::string(op) + ": axis must be an int or None");
  return axes[0];
}

}  // namespace

void bind_shapes(py::module_& m) {
  m.def(
      "reshape",
      [](const Tensor& x, py::handle shape, py::handle order) {
        Shape s = parse_shape(shape, "reshape");
        const IndexOrder o = parse_index_order(order, "reshape");
        return without_gil_if_large(x.numel(), [&] { return reshape(x, s, o); });
      },
      py::arg("x"), py::arg("shape"), py::arg("order") = "C");
  m.def(
      "transpose",
      [](const Tensor& x, py::handle axes) {
        if (axes.is_none()) return transpose(x, std::nullopt);
        return transpose(x, required_axes(axes, "transpose", "axes"));
      },
      py::arg("x"), py::arg("axes") = py::none());
  m.def("alias", [](const Tensor& x) { return alias(x); }, py::arg("x"));
  m.def(
      "broadcast_to",
      [](const Tensor& x, py::handle shape) { return broadcast_to(x, parse_shape(shape, "broadcast_to")); },
      py::arg("x"), py::arg("shape"));
  m.def(
      "squeeze", [](const Tensor& x, py::handle axis) { return squeeze(x, parse_axes(axis, "squeeze")); }, py::arg("x"),
      py::arg("axis") = py::none());
  m.def(
      "expand_dims",
      [](const Tensor& x, py::handle axis) { return expand_dims(x, required_axes(axis, "expand_dims", "axis")); },
      py::arg("x"), py::arg("axis"));
  m.def(
      "concatenate",
      [](py::handle xs, py::handle axis) {
        const std::optional<int64_t> ax = parse_single_axis(axis, "concatenate");
        TensorList ts = as_tensor_list(xs, "concatenate");
        return without_gil_if_large(total_numel(ts), [&] {
          return naming_allocation_errors("concatenate", [&] { return concatenate(ts, ax); });
        });
      },
      py::arg("arrays"), py::arg("axis") = 0);
  m.def(
      "stack",
      [](py::handle xs, int64_t axis) {
        TensorList ts = as_tensor_list(xs, "stack");
        return without_gil_if_large(total_numel(ts),
                                    [&] { return naming_allocation_errors("stack", [&] { return stack(ts, axis); }); });
      },
      py::arg("arrays"), py::arg("axis") = 0);
  m.def(
      "split", [](const Tensor& x, py::handle ios, int64_t axis) { return split(x, split_spec(ios, "split"), axis); },
      py::arg("ary"), py::arg("indices_or_sections"), py::arg("axis") = 0);
  m.def(
      "array_split",
      [](const Tensor& x, py::handle ios, int64_t axis) {
        return array_split(x, split_spec(ios, "array_split"), axis);
      },
      py::arg("ary"), py::arg("indices_or_sections"), py::arg("axis") = 0);
  m.def(
      "flip", [](const Tensor& x, py::handle axis) { return flip(x, parse_axes(axis, "flip")); }, py::arg("m"),
      py::arg("axis") = py::none());
  m.def(
      "tile",
      [](const Tensor& x, py::handle reps) {
        const Shape r = parse_shape(reps, "tile");
        return naming_allocation_errors("tile", [&] { return tile(x, r); });
      },
      py::arg("A"), py::arg("reps"));
  m.def(
      "repeat",
      [](const Tensor& x, py::handle repeats, py::handle axis) {
        const std::vector<int64_t> counts = int_list(repeats, "repeat", "repeats");
        const std::optional<int64_t> ax = optional_axis(axis, "repeat");
        return naming_allocation_errors("repeat", [&] { return repeat(x, counts, ax); });
      },
      py::arg("a"), py::arg("repeats"), py::arg("axis") = py::none());
  m.def(
      "pad",
      [](const Tensor& x, const std::vector<std::pair<int64_t, int64_t>>& widths, const std::string& mode,
         const std::vector<std::pair<double, double>>& values) {
        PadSpec spec;
        if (mode == "constant")
          spec.mode = PadSpec::Constant;
        else if (mode == "edge")
          spec.mode = PadSpec::Edge;
        else if (mode == "reflect")
          spec.mode = PadSpec::Reflect;
        else if (mode == "symmetric")
          spec.mode = PadSpec::Symmetric;
        else if (mode == "wrap")
          spec.mode = PadSpec::Wrap;
        else
          throw ValueError("pad: mode '" + mode + "' is not supported (constant, edge, reflect, symmetric, wrap)");
        spec.widths = widths;
        spec.constant_values = values;
        return naming_allocation_errors("pad", [&] { return pad(x, spec); });
      },
      py::arg("array"), py::arg("pad_width"), py::arg("mode"), py::arg("constant_values"));
  m.def(
      "moveaxis",
      [](const Tensor& x, py::handle source, py::handle destination) {
        return moveaxis(x, required_axes(source, "moveaxis", "source"),
                        required_axes(destination, "moveaxis", "destination"));
      },
      py::arg("a"), py::arg("source"), py::arg("destination"));
  m.def(
      "swapaxes", [](const Tensor& x, int64_t a1, int64_t a2) { return swapaxes(x, a1, a2); }, py::arg("a"),
      py::arg("axis1"), py::arg("axis2"));
  m.def("ravel", [](const Tensor& x) { return ravel(x); }, py::arg("a"));
  m.def("flatten", [](const Tensor& x) { return flatten(x); }, py::arg("a"));
  m.def(
      "nonzero",
      [](const Tensor& x) {
        TensorList coords = nonzero(x);
        return py::tuple(py::cast(coords));
      },
      py::arg("a"));
  m.def(
      "diagonal", [](const Tensor& x, int64_t offset, int64_t a1, int64_t a2) { return diagonal(x, offset, a1, a2); },
      py::arg("a"), py::arg("offset") = 0, py::arg("axis1") = 0, py::arg("axis2") = 1);
  m.def(
      "trace", [](const Tensor& x, int64_t offset, int64_t a1, int64_t a2) { return trace(x, offset, a1, a2); },
      py::arg("a"), py::arg("offset") = 0, py::arg("axis1") = 0, py::arg("axis2") = 1);
  m.def("triu", [](const Tensor& x, int64_t k) { return triu(x, k); }, py::arg("m"), py::arg("k") = 0);
  m.def("tril", [](const Tensor& x, int64_t k) { return tril(x, k); }, py::arg("m"), py::arg("k") = 0);
  m.def(
      "take",
      [](const Tensor& a, const Tensor& indices, py::handle axis) {
        const std::optional<int64_t> ax = optional_axis(axis, "take");
        return naming_allocation_errors("take", [&] { return take(a, indices, ax); });
      },
      py::arg("a"), py::arg("indices"), py::arg("axis") = py::none());
  m.def(
      "take_along_axis",
      [](const Tensor& a, const Tensor& indices, py::handle axis) {
        const std::optional<int64_t> ax = optional_axis(axis, "take_along_axis");
        return naming_allocation_errors("take_along_axis", [&] { return take_along_axis(a, indices, ax); });
      },
      py::arg("arr"), py::arg("indices"), py::arg("axis"));
  m.def(
      "index_put",
      [](const Tensor& x, py::handle index, py::handle values) {
        return index_put(x, parse_index(index), as_tensor(values));
      },
      py::arg("x"), py::arg("index"), py::arg("values"));
}

}  // namespace pyjac::python
