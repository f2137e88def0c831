// Bindings of the special functions (ops/special_functions.cpp): pyjac._core.gammaln, .digamma,
// .polygamma, .erfc, .ndtr, ... for pyjac.special. Parsing and conversion only.
#include "python/bind_util.h"

namespace pyjac::python {

void bind_special(py::module_& m) {
  PYJAC_UNARY(gamma);
  PYJAC_UNARY(gammaln);
  PYJAC_UNARY(digamma);
  PYJAC_UNARY(erfc);
  PYJAC_UNARY(erfinv);
  PYJAC_UNARY(erfcx);
  PYJAC_UNARY(ndtr);
  PYJAC_UNARY(log_ndtr);
  PYJAC_UNARY(ndtri);
  PYJAC_UNARY(i0e);
  PYJAC_UNARY(i1e);
  PYJAC_UNARY(logit);
  m.def(
      "polygamma",
      [](int64_t n, const Tensor& x) { return without_gil_if_large(x.numel(), [&] { return polygamma(n, x); }); },
      py::arg("n"), py::arg("x"));
}

}  // namespace pyjac::python
