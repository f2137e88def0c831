// Sorting, order statistics and NaN handling: sort, argsort, partition, argpartition,
// searchsorted, isnan / isinf / isfinite, nan_to_num. The quantiles, median and the nan*
// reductions are composites over these in pyjac/_sorting.py.
// A sort is a gather through the permutation the kernel computes (kernels/sort.cpp), so its
// derivatives are take_along_axis's: the VJP scatters g back through the permutation, the JVP
// gathers the tangent; both take leading batch dims and are differentiable again. Among tied
// values the stable order decides which element lands where, so the first occurrence gets the
// first tied position's gradient.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/kernels.h"
#include "ops/record.h"
#include "ops/rule_macros.h"
#include "vmap/rules.h"

namespace pyjac {

namespace {

// x as the tensor the sort runs on, and the axis in it: flattened for axis=None; a 0-d tensor
// counts as 1-d for the arg* functions, as in NumPy.
std::pair<Tensor, int64_t> sort_operand(const Tensor& x, std::optional<int64_t> axis, bool zero_d_as_1d,
                                        const char* op) {
  if (!axis) return {reshape(x, {-1}), 0};
  if (x.ndim() == 0 && zero_d_as_1d) return {reshape(x, {1}), normalize_axis(*axis, 1, op)};
  return {x, normalize_axis(*axis, x.ndim(), op)};
}

void check_kth(const std::vector<int64_t>& kth, const Tensor& x, int64_t axis, const char* op) {
  const int64_t n = x.ndim() ? x.shape()[axis] : 1;
  for (int64_t k : kth)
    if (k < -n || k >= n)
      throw ValueError(std::string(op) + ": kth(=" + std::to_string(k) + ") out of bounds (" + std::to_string(n) + ")");
}

}  // namespace

Tensor sort(const Tensor& x, std::optional<int64_t> axis) {
  VMAP_AXIS_OR_FLAT(x, axis, sort(x, axis));
  auto [v, ax] = sort_operand(x, axis, false, "sort");
  return take_along_axis(v, kernels::argsort(v, ax), ax);
}

Tensor argsort(const Tensor& x, std::optional<int64_t> axis) {
  VMAP_AXIS_OR_FLAT(x, axis, argsort(x, axis));
  auto [v, ax] = sort_operand(x, axis, true, "argsort");
  return kernels::argsort(v, ax);
}

Tensor partition(const Tensor& x, const std::vector<int64_t>& kth, std::optional<int64_t> axis) {
  VMAP_AXIS_OR_FLAT(x, axis, partition(x, kth, axis));
  auto [v, ax] = sort_operand(x, axis, false, "partition");
  check_kth(kth, v, ax, "partition");
  return take_along_axis(v, kernels::argsort(v, ax), ax);  // a full sort is a valid partition
}

Tensor argpartition(const Tensor& x, const std::vector<int64_t>& kth, std::optional<int64_t> axis) {
  VMAP_AXIS_OR_FLAT(x, axis, argpartition(x, kth, axis));
  auto [v, ax] = sort_operand(x, axis, true, "argpartition");
  check_kth(kth, v, ax, "argpartition");
  return kernels::argsort(v, ax);
}

Tensor searchsorted(const Tensor& a_in, const Tensor& v, bool right, const std::optional<Tensor>& sorter) {
  // Batched values against a shared sorted a: one search of them all (v's shape is free).
  if (vmap::is_batched(v) && !vmap::any_batched_arg(a_in, sorter))
    return vmap::along_axes(v, [&](const Tensor& p, int64_t) { return searchsorted(a_in, p, right, sorter); });
  VMAP_LOOP(searchsorted, a_in, v, right, sorter);
  if (a_in.ndim() != 1) throw ValueError("searchsorted: a must be 1-d, got " + describe(a_in));
  Tensor a = a_in;
  if (sorter) {
    const Tensor& s = *sorter;
    if (s.dtype() != DType::Int64 || s.ndim() != 1 || s.numel() != a.numel())
      throw ValueError("searchsorted: sorter must be a 1-d integer tensor of a's size " + std::to_string(a.numel()) +
                       ", got " + describe(s));
    const Tensor order = kernels::contiguous(s);  // held: p points into it
    const int64_t* p = order.data<int64_t>();
    for (int64_t i = 0; i < s.numel(); ++i)
      if (p[i] < 0 || p[i] >= a.numel())
        throw ValueError("searchsorted: sorter index " + std::to_string(p[i]) + " out of range for a of size " +
                         std::to_string(a.numel()));
    a = kernels::index_gather(a.detach(), 0, {order});
  }
  const DType d = promote(a.dtype(), v.dtype());
  return kernels::searchsorted(kernels::as_dtype(a, d), kernels::as_dtype(v, d), right);
}

Tensor isnan(const Tensor& x) {
  VMAP_ELEMENTWISE(isnan, x);
  return kernels::classify(x, kernels::FloatClass::NaN);
}
Tensor isinf(const Tensor& x) {
  VMAP_ELEMENTWISE(isinf, x);
  return kernels::classify(x, kernels::FloatClass::Inf);
}
Tensor isfinite(const Tensor& x) {
  VMAP_ELEMENTWISE(isfinite, x);
  return kernels::classify(x, kernels::FloatClass::Finite);
}

// The replaced places are constants: g (or the tangent) passes where x was finite, 0 elsewhere.
Tensor nan_to_num(const Tensor& x, double nan, std::optional<double> posinf, std::optional<double> neginf) {
  VMAP_UNARY(x, nan_to_num(x, nan, posinf, neginf));
  static const OpSpec spec{"NanToNumBackward",
                           RULE_WITH(READ_SAVED(finite, 0), {where(finite, g, scalar_tensor(0, g.dtype()))}),
                           JVP_WITH(READ_SAVED(finite, 0), where(finite, t[0], scalar_tensor(0, t[0].dtype())))};
  if (!is_floating(x.dtype())) return copy(x);
  const bool f32 = x.dtype() == DType::Float32;
  const double big = f32 ? double(std::numeric_limits<float>::max()) : std::numeric_limits<double>::max();
  Tensor out = kernels::nan_to_num(x, nan, posinf.value_or(big), neginf.value_or(-big));
  if (Recording r = record(out, spec, x)) {
    r->save(isfinite(x));
    finish(r, out, {&x});
  }
  return out;
}

}  // namespace pyjac
