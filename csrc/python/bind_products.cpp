// Bindings of the products of tensors (pyjac._core.matmul, .dot, .outer, .inner, .kron, .einsum).
// Parsing and conversion only: every body calls one op.
#include <algorithm>

#include "python/bind_util.h"

namespace pyjac::python {

void bind_products(py::module_& m) {
  PYJAC_BINARY(matmul, matmul);
  PYJAC_BINARY(dot, dot);
  PYJAC_BINARY(outer, outer);
  PYJAC_BINARY(inner, inner);
  PYJAC_BINARY(kron, kron);
  m.def(
      "einsum",
      [](const std::string& subscripts, py::args operands) {
        TensorList xs;
        for (auto h : operands) xs.push_back(as_tensor(h));
        return naming_allocation_errors("einsum", [&] { return einsum(subscripts, xs); });
      },
      py::arg("subscripts"));
}

}  // namespace pyjac::python
