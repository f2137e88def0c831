#include "python/convert.h"

#include <cmath>
#include <cstring>

#include "autograd/grad_mode.h"
#include "kernels/kernels.h"
#include "python/tensor_type.h"

namespace pyjac::python {

namespace {

// Deliberately never released: a static py::module_ would be destroyed after the interpreter
// has shut down, and dropping what may be numpy's last reference then crashes the process.
py::module_& numpy() {
  static py::module_* np = new py::module_(py::module_::import("numpy"));
  return *np;
}

// operator.index(h): a Python int, from anything with __index__, and nothing else. (int() would
// also take floats, and tensors of any dtype, truncating them.)
py::int_ as_index(py::handle h) {
  PyObject* i = PyNumber_Index(h.ptr());
  if (!i) throw py::error_already_set();
  return py::reinterpret_steal<py::int_>(i);
}

// A Python integer (or anything with __index__) as int64; beyond int64 raises `Error`.
template <class Error>
int64_t to_int64(py::handle h, const char* what) {
  py::int_ i = as_index(h);
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
  if (overflow) throw Error(std::string(what) + " " + std::string(py::str(i)) + " is out of range");
  return v;
}

// pyjac has no uint64: a uint64 array becomes int64, which holds its values up to 2**63 - 1 bit for
// bit. A larger value would wrap around to a negative number, so it raises instead.
Tensor tensor_from_uint64(const py::array& arr_in) {
  auto arr = py::array_t<uint64_t, py::array::c_style | py::array::forcecast>::ensure(arr_in);
  if (!arr) throw py::error_already_set();
  const uint64_t* data = arr.data();
  for (py::ssize_t i = 0; i < arr.size(); ++i)
    if (data[i] > uint64_t(INT64_MAX))
      throw std::overflow_error("cannot make a tensor: the uint64 value " + std::to_string(data[i]) +
                                " is out of bounds for int64, pyjac's integer dtype (it has no uint64)");
  Tensor t = empty(Shape(arr.shape(), arr.shape() + arr.ndim()), DType::Int64);
  if (t.numel()) std::memcpy(t.raw_data(), data, size_t(t.numel()) * sizeof(uint64_t));
  return t;
}

}  // namespace

DType parse_dtype(py::handle dtype) {
  py::dtype dt = py::dtype::from_args(py::reinterpret_borrow<py::object>(dtype));
  const char kind = dt.kind();
  if (kind == 'f') {
    if (dt.itemsize() == 8) return DType::Float64;
    if (dt.itemsize() == 4) return DType::Float32;
  }
  if (kind == 'i' || kind == 'u') return DType::Int64;
  if (kind == 'b') return DType::Bool;
  throw TypeError("pyjac supports float32, float64, int64 and bool tensors, not dtype " + std::string(py::str(dt)));
}

py::object numpy_dtype(DType d) { return py::dtype(dtype_name(d)); }

Tensor tensor_from_array(const py::array& arr_in) {
  py::dtype dt = arr_in.dtype();
  const char kind = dt.kind();
  DType d;
  if (kind == 'f')
    d = dt.itemsize() == 8 ? DType::Float64 : DType::Float32;
  else if (kind == 'i' || kind == 'u')
    d = DType::Int64;
  else if (kind == 'b')
    d = DType::Bool;
  else
    throw TypeError("cannot make a tensor from an array of dtype " + std::string(py::str(dt)) +
                    ": pyjac tensors hold float32, float64, int64 or bool numbers");
  if (kind == 'f' && dt.itemsize() > 8) d = DType::Float64;
  if (kind == 'u' && dt.itemsize() == 8) return tensor_from_uint64(arr_in);
  // np.asarray, not np.ascontiguousarray: the latter turns 0-d arrays into 1-d ones.
  py::array arr = py::array::ensure(numpy().attr("asarray")(arr_in, py::dtype(dtype_name(d)), py::arg("order") = "C"));
  Shape shape(arr.shape(), arr.shape() + arr.ndim());
  Tensor t = empty(shape, d);
  if (t.numel()) std::memcpy(t.raw_data(), arr.data(), size_t(t.numel()) * itemsize(d));
  return t;
}

namespace {

// Note [Lists of tensors]
// A list (or tuple, nested) holding tensors is stacked with the differentiable `stack`, never
// read through np.asarray: that would take the tensors' values and silently drop their gradient
// and tangent paths (pj.mean([x, x + 2]) would be a constant). Numbers and arrays beside the
// tensors become constant tensors, and the dtype is the promotion of all of them, as NumPy's.
// Deeper than NumPy's 64 dimensions (or a list holding itself), the list is left to np.asarray,
// which raises.
bool holds_tensor(py::handle obj, int depth = 0) {
  if (is_tensor(obj.ptr())) return true;
  if (depth > 64 || (!PyList_Check(obj.ptr()) && !PyTuple_Check(obj.ptr()))) return false;
  for (py::handle item : obj)
    if (holds_tensor(item, depth + 1)) return true;
  return false;
}

Tensor stack_nested(py::handle obj) {
  if (is_tensor(obj.ptr())) return unwrap(obj.ptr());
  if (!PyList_Check(obj.ptr()) && !PyTuple_Check(obj.ptr())) return tensor_from_object(obj);
  TensorList parts;
  for (py::handle item : obj) parts.push_back(stack_nested(item));
  if (parts.empty()) return tensor_from_object(obj);
  const Shape& first = parts.front().shape();
  for (const Tensor& part : parts)
    if (part.shape() != first)
      throw ValueError("cannot make a tensor from a list whose elements have different shapes (" + shape_str(first) +
                       " and " + shape_str(part.shape()) + ")");
  return stack(parts, 0);
}

}  // namespace

Tensor tensor_from_object(py::handle obj) {
  // A copy, as np.array(a) makes; differentiable, like every other way of making a tensor from
  // tensors (Note [Lists of tensors]). torch.tensor(t) detaches instead: use t.detach() for that.
  if (is_tensor(obj.ptr())) return copy(unwrap(obj.ptr()));
  if ((PyList_Check(obj.ptr()) || PyTuple_Check(obj.ptr())) && holds_tensor(obj)) return stack_nested(obj);
  py::object arr;
  try {
    arr = numpy().attr("asarray")(obj);
  } catch (py::error_already_set& e) {
    if (e.matches(PyExc_ValueError)) throw ValueError(std::string("cannot make a tensor: ") + e.what());
    throw TypeError(std::string("cannot make a tensor from ") + std::string(py::str(py::type::of(obj))) + ": " +
                    e.what());
  }
  // NumPy reads Python ints in [2**63, 2**64) as uint64, which int64 would wrap around: raise as
  // NumPy does where an int64 array can't hold a Python int. (uint64 arrays convert as they are.)
  py::dtype dt = py::reinterpret_borrow<py::array>(arr).dtype();
  if (dt.kind() == 'u' && dt.itemsize() == 8 && !py::isinstance<py::array>(obj) &&
      !py::isinstance(obj, numpy().attr("generic"))) {
    auto u = py::array_t<uint64_t, py::array::c_style | py::array::forcecast>::ensure(arr);
    for (py::ssize_t i = 0; i < u.size(); ++i)
      if (u.data()[i] > uint64_t(INT64_MAX))
        throw std::overflow_error("Python integer " + std::to_string(u.data()[i]) + " out of bounds for int64");
  }
  return tensor_from_array(py::reinterpret_borrow<py::array>(arr));
}

Tensor as_tensor(py::handle obj) {
  if (is_tensor(obj.ptr())) return unwrap(obj.ptr());
  if (PyFloat_Check(obj.ptr())) return scalar_tensor(PyFloat_AS_DOUBLE(obj.ptr()), DType::Float64);
  return tensor_from_object(obj);
}

py::array numpy_view(const Tensor& t, py::handle owner) {
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end());
  std::vector<py::ssize_t> strides;
  for (auto s : t.strides()) strides.push_back(s * py::ssize_t(itemsize(t.dtype())));
  return py::array(py::dtype(dtype_name(t.dtype())), shape, strides, t.raw_data(), owner);
}

bool as_scalar(py::handle obj, Scalar& out, bool beyond_double_ok) {
  PyObject* p = obj.ptr();
  // Exactly float and int: NumPy 2 treats only Python's own numbers as weak (NEP 50). np.float64
  // is a subclass of float, but it is a float64 scalar and promotes as one (float32 + np.float64
  // is float64), so subclasses take the array path.
  if (PyFloat_CheckExact(p)) {
    out = {PyFloat_AS_DOUBLE(p), false};
    return true;
  }
  // Python bools are not taken here (bool is a subclass of int): as 0-d bool tensors they promote
  // exactly as NumPy's weak bool scalars do (a bool tensor + True stays bool, a logical or).
  if (PyLong_CheckExact(p)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(p, &overflow);
    if (!overflow) {
      out = {double(v), true, 0, v};
      return true;
    }
    double d = PyLong_AsDouble(p);
    if (d == -1.0 && PyErr_Occurred()) {  // beyond a double too
      PyErr_Clear();
      if (!beyond_double_ok) throw std::overflow_error("int too large to convert to float");  // as NumPy says
      d = overflow > 0 ? HUGE_VAL : -HUGE_VAL;
    }
    out = {d, true, int8_t(overflow > 0 ? 1 : -1), 0};
    return true;
  }
  return false;
}

bool as_number(py::handle obj, Scalar& out) {
  if (as_scalar(obj, out)) return true;
  PyObject* p = obj.ptr();
  if (PyBool_Check(p) || is_tensor(p) || py::isinstance<py::array>(obj)) return false;
  if (PyLong_Check(p) || py::isinstance(obj, numpy().attr("integer"))) {
    py::object exact = py::reinterpret_steal<py::object>(PyNumber_Long(p));
    if (!exact) throw py::error_already_set();
    return as_scalar(exact, out);
  }
  if (PyFloat_Check(p) || py::isinstance(obj, numpy().attr("floating"))) {
    const double v = PyFloat_AsDouble(p);
    if (v == -1.0 && PyErr_Occurred()) throw py::error_already_set();
    out = {v, false};
    return true;
  }
  return false;
}

bool has_grad_path(py::handle obj, int depth) {
  if (is_tensor(obj.ptr())) {
    const Tensor& t = unwrap(obj.ptr());
    return (t.requires_grad() && GradMode::is_enabled()) || !t.impl()->tangents.empty();
  }
  if (depth > 64 || (!PyList_Check(obj.ptr()) && !PyTuple_Check(obj.ptr()))) return false;
  for (py::handle item : obj)
    if (has_grad_path(item, depth + 1)) return true;
  return false;
}

double number_param(py::handle obj, const char* op, const char* name) {
  Scalar s;
  if (as_number(obj, s)) return s.value;
  if (PyBool_Check(obj.ptr())) return obj.ptr() == Py_True ? 1.0 : 0.0;  // NumPy takes ddof=True
  const std::string where = std::string(op) + ": " + name;
  if (is_tensor(obj.ptr())) {
    if (has_grad_path(obj))
      throw TypeError(where + " must be a number, not a tensor that requires grad: " + op +
                      " is not differentiable in it, so its gradient would be lost (pass float(t) or t.detach() to "
                      "use its value)");
  }
  if (is_tensor(obj.ptr()) || py::isinstance<py::array>(obj)) {
    const Tensor t = as_tensor(obj);
    if (t.numel() == 1 && (is_floating(t.dtype()) || t.dtype() == DType::Int64)) return item_as_double(t);
  }
  throw TypeError(where + " must be a number, got " + std::string(py::str(py::type::of(obj).attr("__name__"))));
}

Tensor weak_scalar(const Tensor& other, const Scalar& v) {
  DType d = is_floating(other.dtype()) ? other.dtype() : (v.is_int ? DType::Int64 : DType::Float64);
  return scalar_tensor(v, d);  // an int exactly; beyond int64 for an integer tensor: OverflowError
}

std::pair<Tensor, Tensor> as_operands(py::handle a, py::handle b) {
  Scalar s;
  auto weak = weak_scalar;
  if (as_scalar(a, s) && !as_scalar(b, s)) {
    as_scalar(a, s);
    Tensor tb = as_tensor(b);
    return {weak(tb, s), tb};
  }
  if (as_scalar(b, s) && !as_scalar(a, s)) {
    Tensor ta = as_tensor(a);
    return {ta, weak(ta, s)};
  }
  return {as_tensor(a), as_tensor(b)};
}

namespace {

// An int, or a tuple or list of them (bools refused, as NumPy does): `expected` says what in the
// TypeError, `item` names an entry in overflow errors.
std::vector<int64_t> parse_ints(py::handle obj, const char* op, const char* expected, const char* item) {
  std::vector<int64_t> out;
  auto one = [&](py::handle h) {
    if (PyBool_Check(h.ptr()) || !PyIndex_Check(h.ptr()))
      throw TypeError(std::string(op) + ": " + expected + ", got " +
                      std::string(py::str(py::type::of(h).attr("__name__"))));
    out.push_back(to_int64<ValueError>(h, (std::string(op) + ": " + item).c_str()));
  };
  if (py::isinstance<py::tuple>(obj) || py::isinstance<py::list>(obj)) {
    for (auto h : obj) one(h);
  } else {
    one(obj);
  }
  return out;
}

}  // namespace

Axes parse_axes(py::handle axis, const char* op) {
  if (axis.is_none()) return std::nullopt;
  return parse_ints(axis, op, "axis must be an int or a tuple of ints", "axis");
}

Shape parse_shape(py::handle shape, const char* op) {
  return parse_ints(shape, op, "shape entries must be ints", "dimension");
}

std::vector<IndexItem> parse_index(py::handle index) {
  std::vector<IndexItem> items;
  auto one = [&](py::handle h) {
    PyObject* p = h.ptr();
    if (p == Py_None) {
      items.push_back({IndexItem::NewAxis});
    } else if (p == Py_Ellipsis) {
      items.push_back({IndexItem::Ellipsis});
    } else if (PySlice_Check(p)) {
      auto* s = reinterpret_cast<PySliceObject*>(p);
      IndexItem it{IndexItem::Slice};
      auto get = [](PyObject* v, int64_t& dst) {
        if (v == Py_None) return false;
        if (!PyIndex_Check(v)) throw TypeError("slice indices must be integers or None");
        // Slice bounds clamp like Python's, so huge ones just mean "to the end".
        int overflow = 0;
        py::int_ i = as_index(v);
        long long x = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
        dst = overflow > 0 ? INT64_MAX / 2 : overflow < 0 ? -(INT64_MAX / 2) : x;
        return true;
      };
      it.has_start = get(s->start, it.start);
      it.has_stop = get(s->stop, it.stop);
      int64_t step = 1;
      if (get(s->step, step)) it.step = step;
      items.push_back(it);
    } else if (is_tensor(p) || py::isinstance<py::array>(h) || PyBool_Check(p) ||
               py::isinstance(h, numpy().attr("bool_"))) {
      // Arrays (int64 indices or bool masks); ops/indexing.cpp checks their dtype.
      IndexItem it{IndexItem::Array};
      it.array = is_tensor(p) ? unwrap(p) : tensor_from_object(h);
      items.push_back(it);
    } else if (PyIndex_Check(p)) {
      IndexItem it{IndexItem::Int};
      it.start = to_int64<IndexError>(h, "index");
      items.push_back(it);
    } else {
      const char* valid =
          "only integers, slices (:), ellipsis (...), None and integer or boolean arrays are valid indices";
      if (!py::isinstance<py::sequence>(h) || py::isinstance<py::str>(h) || py::isinstance<py::bytes>(h))
        throw IndexError(std::string(valid) + ", got " + std::string(py::str(py::type::of(h).attr("__name__"))));
      IndexItem it{IndexItem::Array};
      try {
        it.array = tensor_from_object(h);
      } catch (const std::exception& e) {
        throw IndexError(std::string(valid) + " (a list that NumPy can't read as an array: " + e.what() + ")");
      }
      // An empty list selects nothing; NumPy reads it as float, but as an index it means intp.
      if (it.array.numel() == 0 && it.array.dtype() != DType::Bool) it.array = empty(it.array.shape(), DType::Int64);
      items.push_back(it);
    }
  };
  if (py::isinstance<py::tuple>(index)) {
    for (auto h : index) one(h);
  } else {
    one(index);
  }
  return items;
}

NormOrd parse_ord(py::handle ord) {
  NormOrd o;
  if (ord.is_none()) return o;
  if (py::isinstance<py::str>(ord)) {
    std::string s = ord.cast<std::string>();
    if (s == "fro")
      o.kind = NormOrd::Fro;
    else if (s == "nuc")
      o.kind = NormOrd::Nuc;
    else
      throw ValueError("norm: invalid norm order '" + s + "'");
    return o;
  }
  if (!PyNumber_Check(ord.ptr()) && !is_tensor(ord.ptr()))
    throw TypeError("norm: ord must be a number, 'fro', 'nuc' or None");
  o.kind = NormOrd::P;
  o.p = number_param(ord, "norm", "ord");  // the norm depends on p: a tensor that requires grad is refused
  return o;
}

}  // namespace pyjac::python

namespace pybind11::detail {

bool type_caster<pyjac::Tensor>::load(handle src, bool convert) {
  if (pyjac::python::is_tensor(src.ptr())) {
    value = pyjac::python::unwrap(src.ptr());
    return true;
  }
  if (!convert || src.is_none()) return false;
  try {
    value = pyjac::python::as_tensor(src);
    return true;
  } catch (const std::exception&) {
    PyErr_Clear();
    return false;
  }
}

handle type_caster<pyjac::Tensor>::cast(const pyjac::Tensor& t, return_value_policy, handle) {
  return pyjac::python::wrap(t);
}

}  // namespace pybind11::detail
