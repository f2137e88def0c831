// Bindings of vmap's levels and boundary (pyjac._core.vmap_*), used by pyjac/_vmap.py and the
// transforms. Conversion only.
#include "python/bind_util.h"
#include "vmap/batched.h"

namespace pyjac::python {

namespace {

vmap::Randomness parse_randomness(const std::string& r) {
  if (r == "error") return vmap::Randomness::Error;
  if (r == "different") return vmap::Randomness::Different;
  if (r == "same") return vmap::Randomness::Same;
  throw ValueError("vmap: randomness must be 'error', 'different' or 'same', got '" + r + "'");
}

}  // namespace

void bind_vmap(py::module_& m) {
  m.def("vmap_push_level", [](int64_t size, const std::string& randomness) {
    return vmap::push_level(size, parse_randomness(randomness));
  });
  m.def("vmap_pop_level", &vmap::pop_level);
  m.def("vmap_live_levels", [] { return vmap::live_levels(); });
  m.def("vmap_randomness", [] {
    switch (vmap::current_randomness()) {
      case vmap::Randomness::Error: return "error";
      case vmap::Randomness::Same: return "same";
      case vmap::Randomness::Different: break;
    }
    return "different";
  });
  m.def("vmap_add_batch_dim", &vmap::add_batch_dim, py::arg("x"), py::arg("axis"), py::arg("level"));
  m.def("vmap_remove_batch_dim", &vmap::remove_batch_dim, py::arg("x"), py::arg("level"), py::arg("axis"));
  m.def("vmap_is_batched", [](const Tensor& x) { return vmap::is_batched(x); });
  m.def(
      "vmap_batched_at_live_levels",
      [](const Tensor& x) { return vmap::live_levels().empty() ? x : vmap::batched_at(x, vmap::live_levels()); },
      "x batched at every running vmap level (expanded without copying where it is not): what a gradient taken "
      "inside vmap differentiates with respect to, so that each example gets its own");
  m.def("vmap_levels", [](const Tensor& x) { return vmap::levels_of({&x}); });
  m.def(
      "vmap_physical", [](const Tensor& x) { return vmap::physical(x); },
      "the plain tensor behind a batched one (itself when plain), for repr and debugging");
}

}  // namespace pyjac::python
