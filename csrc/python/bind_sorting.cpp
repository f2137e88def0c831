// Bindings of the sorting family (ops/sorting.cpp): pyjac._core.sort, .argsort, .partition,
// .argpartition, .searchsorted, .isnan, .isinf, .isfinite, .nan_to_num. Parsing and conversion
// only; NumPy's extra arguments (kind, order, stable) are checked in pyjac/_ops.py.
#include "python/bind_util.h"

namespace pyjac::python {

namespace {

std::optional<int64_t> sort_axis(py::handle axis, const char* op) {
  if (axis.is_none()) return std::nullopt;
  if (PyBool_Check(axis.ptr()) || !PyIndex_Check(axis.ptr()))
    throw TypeError(std::string(op) + ": axis must be an int or None, got " +
                    std::string(py::str(py::type::of(axis).attr("__name__"))));
  return py::cast<int64_t>(axis);
}

// kth: an int or a sequence of ints.
std::vector<int64_t> kth_list(py::handle kth, const char* op) {
  if (PyIndex_Check(kth.ptr()) && !PyBool_Check(kth.ptr())) return {py::cast<int64_t>(kth)};
  if (py::isinstance<py::sequence>(kth) && !py::isinstance<py::str>(kth)) {
    std::vector<int64_t> out;
    for (auto h : kth) {
      if (PyBool_Check(h.ptr()) || !PyIndex_Check(h.ptr()))
        throw TypeError(std::string(op) + ": kth must be an int or a sequence of ints");
      out.push_back(py::cast<int64_t>(h));
    }
    return out;
  }
  throw TypeError(std::string(op) + ": kth must be an int or a sequence of ints");
}

std::optional<double> optional_number(py::handle h, const char* op, const char* what) {
  if (h.is_none()) return std::nullopt;
  Scalar s;
  if (!as_number(h, s)) throw TypeError(std::string(op) + ": " + what + " must be a number or None");
  return s.value;
}

}  // namespace

void bind_sorting(py::module_& m) {
  m.def(
      "sort",
      [](const Tensor& a, py::handle axis) {
        auto ax = sort_axis(axis, "sort");
        return without_gil_if_large(a.numel(),
                                    [&] { return naming_allocation_errors("sort", [&] { return sort(a, ax); }); });
      },
      py::arg("a"), py::arg("axis") = -1);
  m.def(
      "argsort",
      [](const Tensor& a, py::handle axis) {
        auto ax = sort_axis(axis, "argsort");
        return without_gil_if_large(a.numel(), [&] { return argsort(a, ax); });
      },
      py::arg("a"), py::arg("axis") = -1);
  m.def(
      "partition",
      [](const Tensor& a, py::handle kth, py::handle axis) {
        auto k = kth_list(kth, "partition");
        auto ax = sort_axis(axis, "partition");
        return without_gil_if_large(a.numel(), [&] { return partition(a, k, ax); });
      },
      py::arg("a"), py::arg("kth"), py::arg("axis") = -1);
  m.def(
      "argpartition",
      [](const Tensor& a, py::handle kth, py::handle axis) {
        auto k = kth_list(kth, "argpartition");
        auto ax = sort_axis(axis, "argpartition");
        return without_gil_if_large(a.numel(), [&] { return argpartition(a, k, ax); });
      },
      py::arg("a"), py::arg("kth"), py::arg("axis") = -1);
  m.def(
      "searchsorted",
      [](const Tensor& a, py::handle v, const std::string& side, py::handle sorter) {
        if (side != "left" && side != "right")
          throw ValueError("searchsorted: side must be 'left' or 'right', got '" + side + "'");
        const Tensor values = as_tensor(v);
        std::optional<Tensor> s;
        if (!sorter.is_none()) s = as_tensor(sorter);
        return without_gil_if_large(values.numel(), [&] { return searchsorted(a, values, side == "right", s); });
      },
      py::arg("a"), py::arg("v"), py::arg("side") = "left", py::arg("sorter") = py::none());
  PYJAC_UNARY(isnan);
  PYJAC_UNARY(isinf);
  PYJAC_UNARY(isfinite);
  m.def(
      "nan_to_num",
      [](const Tensor& x, py::handle nan, py::handle posinf, py::handle neginf) {
        const std::optional<double> n = optional_number(nan, "nan_to_num", "nan");
        if (!n) throw TypeError("nan_to_num: nan must be a number");
        auto p = optional_number(posinf, "nan_to_num", "posinf"), q = optional_number(neginf, "nan_to_num", "neginf");
        return without_gil_if_large(x.numel(), [&] { return nan_to_num(x, *n, p, q); });
      },
      py::arg("x"), py::arg("nan") = 0.0, py::arg("posinf") = py::none(), py::arg("neginf") = py::none());
}

}  // namespace pyjac::python
