// Bindings of the elementwise ops (pyjac._core.add, .exp, .arctan2, .where, .clip, ...):
// arithmetic, comparisons, the math functions, where, clip and astype. Python numbers on either
// side of a binary op are NumPy 2's weak scalars (convert.h). Parsing and conversion only: every
// body calls one op.
#include <algorithm>

#include "python/bind_util.h"

namespace pyjac::python {

namespace {

std::optional<double> optional_number(py::handle h, const char* op) {
  if (h.is_none()) return std::nullopt;
  Scalar s;
  if (!as_number(h, s)) throw TypeError(std::string(op) + ": expected a number or None");
  return s.value;
}

Tensor clip_any(const Tensor& x, py::handle lo, py::handle hi) {
  Scalar s;
  bool lo_num = lo.is_none() || as_number(lo, s);
  bool hi_num = hi.is_none() || as_number(hi, s);
  if (lo_num && hi_num) {
    // Number bounds keep clip's own rule (gradient 1 up to and including the bounds). A NumPy
    // scalar bound is not weak, though: its dtype joins the result's as in NumPy 2 (float32 x
    // clipped to np.float64 bounds is float64), so x is cast to that first.
    DType d = x.dtype();
    for (py::handle bound : {lo, hi})
      if (!bound.is_none() && !as_scalar(bound, s)) d = promote(d, as_tensor(bound).dtype());
    const Tensor xd = d == x.dtype() ? x : astype(x, d);
    auto lo_v = optional_number(lo, "clip"), hi_v = optional_number(hi, "clip");
    return without_gil_if_large(x.numel(), [&] { return clip(xd, lo_v, hi_v); });
  }
  // Tensor bounds: clip is max-then-min, each differentiable in the bounds too. The shapes are
  // checked here first so that a mismatch is reported as clip's, not maximum's.
  const Tensor lo_t = lo.is_none() ? Tensor() : as_operands(py::cast(x), lo).second;
  const Tensor hi_t = hi.is_none() ? Tensor() : as_operands(py::cast(x), hi).second;
  Shape shape = x.shape();
  for (const Tensor* bound : {&lo_t, &hi_t})
    if (bound->defined()) shape = broadcast_shapes(shape, bound->shape(), "clip");
  Tensor r = x;
  if (lo_t.defined()) r = maximum(r, lo_t);
  if (hi_t.defined()) r = minimum(r, hi_t);
  return r;
}

using CompareFn = Tensor (*)(const Tensor&, const Tensor&);
using CompareNumberFn = Tensor (*)(const Tensor&, const Scalar&);

// A comparison function: a Python number on either side compares as with the operators (ints
// exactly against integer tensors, see ops.h); `reflected` is the op with the sides swapped.
Tensor compare_any(py::handle a, py::handle b, CompareFn on_tensors, CompareNumberFn number_right,
                   CompareNumberFn reflected) {
  Scalar sa, sb;
  const bool a_number = as_scalar(a, sa, true), b_number = as_scalar(b, sb, true);
  if (a_number != b_number) {
    Tensor x = as_tensor(a_number ? b : a);
    return without_gil_if_large(x.numel(), [&] { return a_number ? reflected(x, sa) : number_right(x, sb); });
  }
  auto [x, y] = as_operands(a, b);
  return without_gil_if_large(std::max(x.numel(), y.numel()), [&] { return on_tensors(x, y); });
}

}  // namespace

void bind_elementwise(py::module_& m) {
  PYJAC_BINARY(add, add);
  PYJAC_BINARY(subtract, sub);
  PYJAC_BINARY(multiply, mul);
  PYJAC_BINARY(divide, div);
  PYJAC_BINARY(power, pow);
  PYJAC_BINARY(maximum, maximum);
  PYJAC_BINARY(minimum, minimum);
  m.def("equal", [](py::handle a, py::handle b) { return compare_any(a, b, eq, eq, eq); }, py::arg("a"), py::arg("b"));
  m.def(
      "not_equal", [](py::handle a, py::handle b) { return compare_any(a, b, ne, ne, ne); }, py::arg("a"),
      py::arg("b"));
  m.def("less", [](py::handle a, py::handle b) { return compare_any(a, b, lt, lt, gt); }, py::arg("a"), py::arg("b"));
  m.def(
      "less_equal", [](py::handle a, py::handle b) { return compare_any(a, b, le, le, ge); }, py::arg("a"),
      py::arg("b"));
  m.def(
      "greater", [](py::handle a, py::handle b) { return compare_any(a, b, gt, gt, lt); }, py::arg("a"), py::arg("b"));
  m.def(
      "greater_equal", [](py::handle a, py::handle b) { return compare_any(a, b, ge, ge, le); }, py::arg("a"),
      py::arg("b"));
  make_unary_function(m.ptr(), "negative", [](const Tensor& x) { return neg(x); }, nullptr);
  PYJAC_UNARY(exp);
  PYJAC_UNARY(log);
  PYJAC_UNARY(log1p);
  PYJAC_UNARY(expm1);
  PYJAC_UNARY(sqrt);
  PYJAC_UNARY(square);
  PYJAC_UNARY(sin);
  PYJAC_UNARY(cos);
  PYJAC_UNARY(tan);
  PYJAC_UNARY(tanh);
  PYJAC_UNARY(sigmoid);
  PYJAC_UNARY(relu);
  PYJAC_UNARY(abs);
  PYJAC_UNARY(sign);
  m.def("logical_not", [](const Tensor& x) { return logical_not(x); }, py::arg("x"));
  m.def(
      "where",
      [](const Tensor& cond, py::handle a, py::handle b) {
        auto [x, y] = as_operands(a, b);
        return without_gil_if_large(std::max({cond.numel(), x.numel(), y.numel()}), [&] { return where(cond, x, y); });
      },
      py::arg("condition"), py::arg("x"), py::arg("y"));
  m.def("clip", &clip_any, py::arg("x"), py::arg("a_min") = py::none(), py::arg("a_max") = py::none());
  m.def("astype", [](const Tensor& x, py::handle dtype) {
    DType d = parse_dtype(dtype);
    return without_gil_if_large(x.numel(), [&] { return astype(x, d); });
  });

  PYJAC_UNARY(arcsin);
  PYJAC_UNARY(arccos);
  PYJAC_UNARY(arctan);
  PYJAC_UNARY(sinh);
  PYJAC_UNARY(cosh);
  PYJAC_UNARY(arcsinh);
  PYJAC_UNARY(arccosh);
  PYJAC_UNARY(arctanh);
  PYJAC_UNARY(log2);
  PYJAC_UNARY(log10);
  PYJAC_UNARY(exp2);
  PYJAC_UNARY(reciprocal);
  PYJAC_UNARY(floor);
  PYJAC_UNARY(ceil);
  PYJAC_UNARY(trunc);
  m.def(
      "round",
      [](const Tensor& x, int64_t decimals) {
        return without_gil_if_large(x.numel(), [&] { return round(x, decimals); });
      },
      py::arg("x"), py::arg("decimals") = 0);
  PYJAC_BINARY(arctan2, arctan2);
  PYJAC_BINARY(mod, mod);
  PYJAC_BINARY(floor_divide, floor_divide);
  PYJAC_UNARY(cbrt);
  PYJAC_UNARY(sinc);
  PYJAC_UNARY(fabs);
  PYJAC_UNARY(deg2rad);
  PYJAC_UNARY(rad2deg);
  PYJAC_BINARY(logaddexp, logaddexp);
  PYJAC_BINARY(logaddexp2, logaddexp2);
  PYJAC_BINARY(hypot, hypot);
  PYJAC_BINARY(fmax, fmax);
  PYJAC_BINARY(fmin, fmin);
  PYJAC_BINARY(logical_and, logical_and);
  PYJAC_BINARY(logical_or, logical_or);
  PYJAC_BINARY(logical_xor, logical_xor);
}

}  // namespace pyjac::python
