// Bindings of the op functions (pyjac._core.add, .sum, .reshape, ...) and creation functions.
// Parsing and conversion only: every body calls one op.
#include <algorithm>

#include "kernels/kernels.h"
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

// NumPy's order argument of reshape: 'C', 'F' or 'A' in either case; None means 'C'.
IndexOrder parse_index_order(py::handle order, const char* op) {
  if (order.is_none()) return IndexOrder::C;
  if (!py::isinstance<py::str>(order))
    throw TypeError(std::string(op) + ": order must be str, not " + std::string(py::str(py::type::of(order).attr("__name__"))));
  const std::string s = order.cast<std::string>();
  if (s == "C" || s == "c") return IndexOrder::C;
  if (s == "F" || s == "f") return IndexOrder::F;
  if (s == "A" || s == "a") return IndexOrder::A;
  if (s == "K" || s == "k") throw ValueError(std::string(op) + ": order 'K' is not permitted for reshaping");
  throw ValueError(std::string(op) + ": order must be one of 'C', 'F' or 'A', got " +
                   std::string(py::repr(order)));
}

int64_t total_numel(const TensorList& ts) {
  int64_t n = 0;
  for (auto& t : ts) n += t.numel();
  return n;
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

TensorList as_tensor_list(py::handle seq, const char* op) {
  if (is_tensor(seq.ptr()) || !py::isinstance<py::sequence>(seq))
    throw TypeError(std::string(op) + ": expected a sequence of tensors");
  TensorList out;
  for (auto h : seq) out.push_back(as_tensor(h));
  return out;
}

void bind_ops_more(py::module_& m);

void bind_ops(py::module_& m) {
  // ---- functions -------------------------------------------------------------------------------
  PYJAC_BINARY(add, add);
  PYJAC_BINARY(subtract, sub);
  PYJAC_BINARY(multiply, mul);
  PYJAC_BINARY(divide, div);
  PYJAC_BINARY(power, pow);
  PYJAC_BINARY(maximum, maximum);
  PYJAC_BINARY(minimum, minimum);
  m.def("equal", [](py::handle a, py::handle b) { return compare_any(a, b, eq, eq, eq); }, py::arg("a"), py::arg("b"));
  m.def("not_equal", [](py::handle a, py::handle b) { return compare_any(a, b, ne, ne, ne); }, py::arg("a"), py::arg("b"));
  m.def("less", [](py::handle a, py::handle b) { return compare_any(a, b, lt, lt, gt); }, py::arg("a"), py::arg("b"));
  m.def("less_equal", [](py::handle a, py::handle b) { return compare_any(a, b, le, le, ge); }, py::arg("a"), py::arg("b"));
  m.def("greater", [](py::handle a, py::handle b) { return compare_any(a, b, gt, gt, lt); }, py::arg("a"), py::arg("b"));
  m.def("greater_equal", [](py::handle a, py::handle b) { return compare_any(a, b, ge, ge, le); }, py::arg("a"),
        py::arg("b"));
  PYJAC_BINARY(matmul, matmul);
  PYJAC_BINARY(dot, dot);
  make_unary_function(m.ptr(), "negative", [](const Tensor& x) { return neg(x); }, nullptr);
  PYJAC_UNARY(exp); PYJAC_UNARY(log); PYJAC_UNARY(log1p); PYJAC_UNARY(expm1); PYJAC_UNARY(sqrt); PYJAC_UNARY(square);
  PYJAC_UNARY(sin); PYJAC_UNARY(cos); PYJAC_UNARY(tan); PYJAC_UNARY(tanh); PYJAC_UNARY(sigmoid); PYJAC_UNARY(relu); PYJAC_UNARY(abs); PYJAC_UNARY(sign);
  m.def("logical_not", [](const Tensor& x) { return logical_not(x); }, py::arg("x"));
  m.def("where", [](const Tensor& cond, py::handle a, py::handle b) {
    auto [x, y] = as_operands(a, b);
    return without_gil_if_large(std::max({cond.numel(), x.numel(), y.numel()}), [&] { return where(cond, x, y); });
  }, py::arg("condition"), py::arg("x"), py::arg("y"));
  m.def("clip", &clip_any, py::arg("x"), py::arg("a_min") = py::none(), py::arg("a_max") = py::none());
  m.def("astype", [](const Tensor& x, py::handle dtype) {
    DType d = parse_dtype(dtype);
    return without_gil_if_large(x.numel(), [&] { return astype(x, d); });
  });

  m.def("sum", [](const Tensor& x, py::handle axis, bool keepdims) {
    auto axes = parse_axes(axis, "sum");
    return without_gil_if_large(x.numel(), [&] { return sum(x, axes, keepdims); });
  },
        py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdims") = false);
  m.def("mean", [](const Tensor& x, py::handle axis, bool keepdims) {
    auto axes = parse_axes(axis, "mean");
    return without_gil_if_large(x.numel(), [&] { return mean(x, axes, keepdims); });
  },
        py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdims") = false);
  m.def("max", [](const Tensor& x, py::handle axis, bool keepdims) {
    auto axes = parse_axes(axis, "max");
    return without_gil_if_large(x.numel(), [&] { return max(x, axes, keepdims); });
  },
        py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdims") = false);
  m.def("min", [](const Tensor& x, py::handle axis, bool keepdims) {
    auto axes = parse_axes(axis, "min");
    return without_gil_if_large(x.numel(), [&] { return min(x, axes, keepdims); });
  },
        py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdims") = false);
  m.def("norm", [](const Tensor& x, py::handle ord, py::handle axis, bool keepdims) {
    auto o = parse_ord(ord);
    auto axes = parse_axes(axis, "norm");
    return without_gil_if_large(x.numel(), [&] { return norm(x, o, axes, keepdims); });
  }, py::arg("x"), py::arg("ord") = py::none(), py::arg("axis") = py::none(), py::arg("keepdims") = false);

  m.def("reshape", [](const Tensor& x, py::handle shape, py::handle order) {
    Shape s = parse_shape(shape, "reshape");
    const IndexOrder o = parse_index_order(order, "reshape");
    return without_gil_if_large(x.numel(), [&] { return reshape(x, s, o); });
  },
        py::arg("x"), py::arg("shape"), py::arg("order") = "C");
  m.def("transpose", [](const Tensor& x, py::handle axes) {
    if (axes.is_none()) return transpose(x, std::nullopt);
    return transpose(x, required_axes(axes, "transpose", "axes"));
  }, py::arg("x"), py::arg("axes") = py::none());
  m.def("alias", [](const Tensor& x) { return alias(x); }, py::arg("x"));
  m.def("broadcast_to", [](const Tensor& x, py::handle shape) { return broadcast_to(x, parse_shape(shape, "broadcast_to")); },
        py::arg("x"), py::arg("shape"));
  m.def("squeeze", [](const Tensor& x, py::handle axis) { return squeeze(x, parse_axes(axis, "squeeze")); },
        py::arg("x"), py::arg("axis") = py::none());
  m.def("expand_dims", [](const Tensor& x, py::handle axis) { return expand_dims(x, required_axes(axis, "expand_dims", "axis")); },
        py::arg("x"), py::arg("axis"));
  m.def("concatenate", [](py::handle xs, py::handle axis) {
    const std::optional<int64_t> ax = parse_single_axis(axis, "concatenate");
    TensorList ts = as_tensor_list(xs, "concatenate");
    return without_gil_if_large(total_numel(ts), [&] { return naming_allocation_errors("concatenate", [&] { return concatenate(ts, ax); }); });
  }, py::arg("arrays"), py::arg("axis") = 0);
  m.def("stack", [](py::handle xs, int64_t axis) {
    TensorList ts = as_tensor_list(xs, "stack");
    return without_gil_if_large(total_numel(ts), [&] { return naming_allocation_errors("stack", [&] { return stack(ts, axis); }); });
  },
        py::arg("arrays"), py::arg("axis") = 0);

  // ---- creation -------------------------------------------------------------------------------
  m.def("from_object", &tensor_from_object);
  m.def("empty", [](py::handle shape, py::handle dtype) { return empty(parse_shape(shape, "empty"), parse_dtype(dtype), "empty"); });
  // A Python int fills an int64 tensor exactly (beyond int64: OverflowError, as NumPy).
  // `op` is the Python function that asked (zeros, ones, full), for error messages.
  m.def("full", [](py::handle shape, py::handle value, py::handle dtype, const std::string& op) {
    Scalar v;
    if (!as_number(value, v)) v = {py::cast<double>(value), false};
    const Shape s = parse_shape(shape, op.c_str());
    const DType d = parse_dtype(dtype);
    return naming_allocation_errors(op.c_str(), [&] { return full(s, v, d); });
  }, py::arg("shape"), py::arg("value"), py::arg("dtype"), py::arg("op") = "full");
  m.def("arange", [](double a, double b, double s, py::handle dtype) { return kernels::arange(a, b, s, parse_dtype(dtype)); });
  m.def("linspace", [](double a, double b, int64_t num, bool endpoint, py::handle dtype) {
    return kernels::linspace(a, b, num, endpoint, parse_dtype(dtype));
  });
  m.def("eye", [](int64_t n, int64_t mm, int64_t k, py::handle dtype) { return kernels::eye(n, mm, k, parse_dtype(dtype)); });
  m.def("rand", [](py::handle shape, py::handle dtype) { return kernels::rand(parse_shape(shape, "rand"), parse_dtype(dtype)); });
  m.def("randn", [](py::handle shape, py::handle dtype) { return kernels::randn(parse_shape(shape, "randn"), parse_dtype(dtype)); });
  m.def("manual_seed", [](uint64_t seed) { kernels::manual_seed(seed); });
  m.def("copy", [](const Tensor& x) {
    return without_gil_if_large(x.numel(), [&] { return naming_allocation_errors("copy", [&] { return copy(x); }); });
  }, py::arg("x"));

  // ---- neural-network activations and softmax (ops/activations.cpp) ----------------------------
  PYJAC_UNARY(erf);
  PYJAC_UNARY(silu);
  m.def("softplus", [](const Tensor& x, double beta, double threshold) {
    return without_gil_if_large(x.numel(), [&] { return softplus(x, beta, threshold); });
  }, py::arg("x"), py::arg("beta") = 1.0, py::arg("threshold") = 20.0);
  m.def("gelu", [](const Tensor& x, const std::string& approximate) {
    if (approximate != "none" && approximate != "tanh")
      throw ValueError("gelu: approximate must be 'none' or 'tanh', got '" + approximate + "'");
    return without_gil_if_large(x.numel(), [&] { return gelu(x, approximate == "tanh"); });
  }, py::arg("x"), py::arg("approximate") = "none");
  m.def("leaky_relu", [](const Tensor& x, double negative_slope) {
    return without_gil_if_large(x.numel(), [&] { return leaky_relu(x, negative_slope); });
  }, py::arg("x"), py::arg("negative_slope") = 0.01);
  m.def("elu", [](const Tensor& x, double alpha) {
    return without_gil_if_large(x.numel(), [&] { return elu(x, alpha); });
  }, py::arg("x"), py::arg("alpha") = 1.0);
  m.def("softmax", [](const Tensor& x, int64_t axis) {
    return without_gil_if_large(x.numel(), [&] { return softmax(x, axis); });
  }, py::arg("x"), py::arg("axis") = -1);
  m.def("log_softmax", [](const Tensor& x, int64_t axis) {
    return without_gil_if_large(x.numel(), [&] { return log_softmax(x, axis); });
  }, py::arg("x"), py::arg("axis") = -1);
  // In-place assignment for load_state_dict: same shape, any dtype converted, version bumped.
  m.def("_assign", [](const Tensor& dst, const Tensor& src) {
    if (dst.shape() != src.shape())
      throw ValueError("assign: source of shape " + shape_str(src.shape()) + " does not match destination of shape " +
                       shape_str(dst.shape()));
    kernels::copy_into(dst, src);
    ++dst->storage->version;
  }, py::arg("dst"), py::arg("src"));
  // ---- end of activations ----------------------------------------------------------------------

  bind_ops_more(m);  // the block at the end of this file
}

// ---- more shape ops, advanced indexing, take, index_put, einsum --------------------------------
namespace {

std::vector<int64_t> int_list(py::handle obj, const char* op, const char* what) {
  std::vector<int64_t> out;
  Tensor t = as_tensor(obj);
  if (t.dtype() != DType::Int64 && t.numel() != 0)  // an empty list reads as float
    throw TypeError(std::string(op) + ": " + what + " must be integers, got " + describe(t));
  if (t.ndim() > 1) throw ValueError(std::string(op) + ": " + what + " must be an int or a 1-d sequence, got " + describe(t));
  Tensor c = astype(t, DType::Int64);
  for (int64_t i = 0; i < c.numel(); ++i) out.push_back(c.data<int64_t>()[i]);
  return out;
}

SplitSpec split_spec(py::handle obj, const char* op) {
  SplitSpec spec;
  // NumPy: anything without a len() is a number of sections, 0-d arrays included.
  const bool sized = is_tensor(obj.ptr())   ? unwrap(obj.ptr()).ndim() > 0
                     : py::isinstance<py::array>(obj) ? py::reinterpret_borrow<py::array>(obj).ndim() > 0
                                                       : bool(PySequence_Check(obj.ptr()));
  std::vector<int64_t> values = int_list(obj, op, "indices_or_sections");
  if (sized) spec.indices = values;
  else spec.sections = values.at(0);
  return spec;
}

std::optional<int64_t> optional_axis(py::handle axis, const char* op) {
  if (axis.is_none()) return std::nullopt;
  auto axes = *parse_axes(axis, op);
  if (axes.size() != 1) throw TypeError(std::string(op) + ": axis must be an int or None");
  return axes[0];
}

}  // namespace

void bind_ops_more(py::module_& m) {
  m.def("split", [](const Tensor& x, py::handle ios, int64_t axis) { return split(x, split_spec(ios, "split"), axis); },
        py::arg("ary"), py::arg("indices_or_sections"), py::arg("axis") = 0);
  m.def("array_split", [](const Tensor& x, py::handle ios, int64_t axis) {
    return array_split(x, split_spec(ios, "array_split"), axis);
  }, py::arg("ary"), py::arg("indices_or_sections"), py::arg("axis") = 0);
  m.def("flip", [](const Tensor& x, py::handle axis) { return flip(x, parse_axes(axis, "flip")); },
        py::arg("m"), py::arg("axis") = py::none());
  m.def("tile", [](const Tensor& x, py::handle reps) {
    const Shape r = parse_shape(reps, "tile");
    return naming_allocation_errors("tile", [&] { return tile(x, r); });
  },
        py::arg("A"), py::arg("reps"));
  m.def("repeat", [](const Tensor& x, py::handle repeats, py::handle axis) {
    const std::vector<int64_t> counts = int_list(repeats, "repeat", "repeats");
    const std::optional<int64_t> ax = optional_axis(axis, "repeat");
    return naming_allocation_errors("repeat", [&] { return repeat(x, counts, ax); });
  }, py::arg("a"), py::arg("repeats"), py::arg("axis") = py::none());
  m.def("pad", [](const Tensor& x, const std::vector<std::pair<int64_t, int64_t>>& widths, const std::string& mode,
                  const std::vector<std::pair<double, double>>& values) {
    PadSpec spec;
    if (mode == "constant") spec.mode = PadSpec::Constant;
    else if (mode == "edge") spec.mode = PadSpec::Edge;
    else if (mode == "reflect") spec.mode = PadSpec::Reflect;
    else if (mode == "symmetric") spec.mode = PadSpec::Symmetric;
    else if (mode == "wrap") spec.mode = PadSpec::Wrap;
    else throw ValueError("pad: mode '" + mode + "' is not supported (constant, edge, reflect, symmetric, wrap)");
    spec.widths = widths;
    spec.constant_values = values;
    return naming_allocation_errors("pad", [&] { return pad(x, spec); });
  }, py::arg("array"), py::arg("pad_width"), py::arg("mode"), py::arg("constant_values"));
  m.def("moveaxis", [](const Tensor& x, py::handle source, py::handle destination) {
    return moveaxis(x, required_axes(source, "moveaxis", "source"), required_axes(destination, "moveaxis", "destination"));
  }, py::arg("a"), py::arg("source"), py::arg("destination"));
  m.def("swapaxes", [](const Tensor& x, int64_t a1, int64_t a2) { return swapaxes(x, a1, a2); },
        py::arg("a"), py::arg("axis1"), py::arg("axis2"));
  m.def("ravel", [](const Tensor& x) { return ravel(x); }, py::arg("a"));
  m.def("flatten", [](const Tensor& x) { return flatten(x); }, py::arg("a"));
  m.def("diagonal", [](const Tensor& x, int64_t offset, int64_t a1, int64_t a2) { return diagonal(x, offset, a1, a2); },
        py::arg("a"), py::arg("offset") = 0, py::arg("axis1") = 0, py::arg("axis2") = 1);
  m.def("trace", [](const Tensor& x, int64_t offset, int64_t a1, int64_t a2) { return trace(x, offset, a1, a2); },
        py::arg("a"), py::arg("offset") = 0, py::arg("axis1") = 0, py::arg("axis2") = 1);
  m.def("triu", [](const Tensor& x, int64_t k) { return triu(x, k); }, py::arg("m"), py::arg("k") = 0);
  m.def("tril", [](const Tensor& x, int64_t k) { return tril(x, k); }, py::arg("m"), py::arg("k") = 0);
  PYJAC_BINARY(outer, outer);
  PYJAC_BINARY(inner, inner);
  PYJAC_BINARY(kron, kron);
  m.def("take", [](const Tensor& a, const Tensor& indices, py::handle axis) {
    const std::optional<int64_t> ax = optional_axis(axis, "take");
    return naming_allocation_errors("take", [&] { return take(a, indices, ax); });
  }, py::arg("a"), py::arg("indices"), py::arg("axis") = py::none());
  m.def("take_along_axis", [](const Tensor& a, const Tensor& indices, py::handle axis) {
    const std::optional<int64_t> ax = optional_axis(axis, "take_along_axis");
    return naming_allocation_errors("take_along_axis", [&] { return take_along_axis(a, indices, ax); });
  }, py::arg("arr"), py::arg("indices"), py::arg("axis"));
  m.def("index_put", [](const Tensor& x, py::handle index, py::handle values) {
    return index_put(x, parse_index(index), as_tensor(values));
  }, py::arg("x"), py::arg("index"), py::arg("values"));
  m.def("einsum", [](const std::string& subscripts, py::args operands) {
    TensorList xs;
    for (auto h : operands) xs.push_back(as_tensor(h));
    return naming_allocation_errors("einsum", [&] { return einsum(subscripts, xs); });
  }, py::arg("subscripts"));

  // ==== breadth (h1): more elementwise functions, reductions and scans ==========================
  PYJAC_UNARY(arcsin); PYJAC_UNARY(arccos); PYJAC_UNARY(arctan); PYJAC_UNARY(sinh); PYJAC_UNARY(cosh);
  PYJAC_UNARY(arcsinh); PYJAC_UNARY(arccosh); PYJAC_UNARY(arctanh); PYJAC_UNARY(log2); PYJAC_UNARY(log10);
  PYJAC_UNARY(exp2); PYJAC_UNARY(reciprocal); PYJAC_UNARY(floor); PYJAC_UNARY(ceil); PYJAC_UNARY(trunc);
  m.def("round", [](const Tensor& x, int64_t decimals) {
    return without_gil_if_large(x.numel(), [&] { return round(x, decimals); });
  }, py::arg("x"), py::arg("decimals") = 0);
  PYJAC_BINARY(arctan2, arctan2);
  PYJAC_BINARY(mod, mod);
  PYJAC_BINARY(floor_divide, floor_divide);

  m.def("prod", [](const Tensor& x, py::handle axis, bool keepdims) {
    auto axes = parse_axes(axis, "prod");
    return without_gil_if_large(x.numel(), [&] { return prod(x, axes, keepdims); });
  }, py::arg("x"), py::arg("axis") = py::none(), py::kw_only(), py::arg("keepdims") = false);
  m.def("var", [](const Tensor& x, py::handle axis, double ddof, bool keepdims) {
    auto axes = parse_axes(axis, "var");
    return without_gil_if_large(x.numel(), [&] { return var(x, axes, ddof, keepdims); });
  }, py::arg("x"), py::arg("axis") = py::none(), py::kw_only(), py::arg("ddof") = 0.0, py::arg("keepdims") = false);
  m.def("std", [](const Tensor& x, py::handle axis, double ddof, bool keepdims) {
    auto axes = parse_axes(axis, "std");
    return without_gil_if_large(x.numel(), [&] { return stddev(x, axes, ddof, keepdims); });
  }, py::arg("x"), py::arg("axis") = py::none(), py::kw_only(), py::arg("ddof") = 0.0, py::arg("keepdims") = false);
  m.def("logsumexp", [](const Tensor& x, py::handle axis, bool keepdims) {
    auto axes = parse_axes(axis, "logsumexp");
    return without_gil_if_large(x.numel(), [&] { return logsumexp(x, axes, keepdims); });
  }, py::arg("x"), py::arg("axis") = py::none(), py::kw_only(), py::arg("keepdims") = false);
  m.def("argmax", [](const Tensor& x, py::handle axis, bool keepdims) {
    auto ax = parse_single_axis(axis, "argmax");
    return without_gil_if_large(x.numel(), [&] { return argmax(x, ax, keepdims); });
  }, py::arg("x"), py::arg("axis") = py::none(), py::kw_only(), py::arg("keepdims") = false);
  m.def("argmin", [](const Tensor& x, py::handle axis, bool keepdims) {
    auto ax = parse_single_axis(axis, "argmin");
    return without_gil_if_large(x.numel(), [&] { return argmin(x, ax, keepdims); });
  }, py::arg("x"), py::arg("axis") = py::none(), py::kw_only(), py::arg("keepdims") = false);
  m.def("all", [](const Tensor& x, py::handle axis, bool keepdims) {
    auto axes = parse_axes(axis, "all");
    return without_gil_if_large(x.numel(), [&] { return all(x, axes, keepdims); });
  }, py::arg("x"), py::arg("axis") = py::none(), py::kw_only(), py::arg("keepdims") = false);
  m.def("any", [](const Tensor& x, py::handle axis, bool keepdims) {
    auto axes = parse_axes(axis, "any");
    return without_gil_if_large(x.numel(), [&] { return any(x, axes, keepdims); });
  }, py::arg("x"), py::arg("axis") = py::none(), py::kw_only(), py::arg("keepdims") = false);
  m.def("cumsum", [](const Tensor& x, py::handle axis) {
    auto ax = parse_single_axis(axis, "cumsum");
    return without_gil_if_large(x.numel(), [&] { return cumsum(x, ax); });
  }, py::arg("x"), py::arg("axis") = py::none());
  m.def("cumprod", [](const Tensor& x, py::handle axis) {
    auto ax = parse_single_axis(axis, "cumprod");
    return without_gil_if_large(x.numel(), [&] { return cumprod(x, ax); });
  }, py::arg("x"), py::arg("axis") = py::none());
  // ==== end breadth (h1) ========================================================================

}

}  // namespace pyjac::python
