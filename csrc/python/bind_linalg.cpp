// Bindings of pyjac.linalg's ops as the submodule pyjac._core.linalg (pyjac/linalg.py puts
// NumPy's names and result tuples on them), the LinAlgError exception, and LAPACK loading.
#include "kernels/lapack.h"
#include "python/bind_util.h"

namespace pyjac::python {

namespace {

// Decompositions cost about n^3 per matrix: anything but tiny ones runs without the GIL.
template <class F>
auto without_gil_for_matrices(const Tensor& a, F&& f) {
  const int64_t work = a.ndim() >= 2 ? a.numel() * a.shape().back() : a.numel();
  if (work < kReleaseGilAbove) return f();
  ReleasedGil released;
  return f();
}

py::tuple as_tuple(const TensorList& ts) {
  py::tuple out(ts.size());
  for (size_t i = 0; i < ts.size(); ++i) out[i] = py::cast(ts[i]);
  return out;
}

}  // namespace

void bind_linalg(py::module_& m) {
  py::module_ lm = m.def_submodule("linalg", "LAPACK-backed matrix functions (see pyjac.linalg)");
  // Registered after the core's translator, so it is tried first: a LinAlgError is not reported
  // as the plain ValueError it derives from.
  py::register_exception<LinAlgError>(lm, "LinAlgError", PyExc_ValueError);
  lm.def("load_lapack", &kernels::load_lapack, py::arg("path"));

  lm.def(
      "inv", [](const Tensor& a) { return without_gil_for_matrices(a, [&] { return linalg::inv(a); }); }, py::arg("a"));
  lm.def(
      "det", [](const Tensor& a) { return without_gil_for_matrices(a, [&] { return linalg::det(a); }); }, py::arg("a"));
  lm.def(
      "slogdet",
      [](const Tensor& a) { return as_tuple(without_gil_for_matrices(a, [&] { return linalg::slogdet(a); })); },
      py::arg("a"));
  lm.def(
      "solve",
      [](const Tensor& a, const Tensor& b) { return without_gil_for_matrices(a, [&] { return linalg::solve(a, b); }); },
      py::arg("a"), py::arg("b"));
  lm.def(
      "cholesky",
      [](const Tensor& a, bool upper) {
        return without_gil_for_matrices(a, [&] { return linalg::cholesky(a, upper); });
      },
      py::arg("a"), py::arg("upper") = false);
  lm.def(
      "qr",
      [](const Tensor& a, const std::string& mode) {
        return as_tuple(without_gil_for_matrices(a, [&] { return linalg::qr(a, mode); }));
      },
      py::arg("a"), py::arg("mode") = "reduced");
  lm.def(
      "eigh",
      [](const Tensor& a, const std::string& uplo) {
        if (uplo != "L" && uplo != "U") throw ValueError("eigh: UPLO argument must be 'L' or 'U', got '" + uplo + "'");
        return as_tuple(without_gil_for_matrices(a, [&] { return linalg::eigh(a, uplo == "U"); }));
      },
      py::arg("a"), py::arg("UPLO") = "L");
  lm.def(
      "svd",
      [](const Tensor& a, bool full_matrices, bool compute_uv) {
        return as_tuple(without_gil_for_matrices(a, [&] { return linalg::svd(a, full_matrices, compute_uv); }));
      },
      py::arg("a"), py::arg("full_matrices") = true, py::arg("compute_uv") = true);
  lm.def(
      "pinv",
      [](const Tensor& a, const Tensor& rcond) {
        return without_gil_for_matrices(a, [&] { return linalg::pinv(a, rcond); });
      },
      py::arg("a"), py::arg("rcond"));
}

}  // namespace pyjac::python
