// Reductions with their rules: sum, mean, max, min and prod; and argmax, argmin, all and any,
// which have no gradient. The statistics over the same axes (var, std, logsumexp) are in
// statistics.cpp, the norms in norms.cpp; how every reduction rule spreads g back and reduces a
// tangent is in reduction_helpers.h.
#include <algorithm>

#include "kernels/kernels.h"
#include "ops/record.h"
#include "ops/reduction_helpers.h"
#include "ops/rule_macros.h"
#include "vmap/rules.h"

namespace pyjac {

namespace {

using namespace reduction;

// Where a max/min was attained, each of k tied places gets 1/k (a constant weight).
Tensor tie_weights(OpNode& n) {
  const Tensor& x = n.input(0);
  Tensor hit =
      kernels::cast(kernels::binary(kernels::Binary::Eq, x,
                                    reshape(n.out_data.detach(), kept_shape(x.shape(), reduced_axes(n))), "max"),
                    x.dtype());
  Tensor count = kernels::reduce(kernels::Reduce::Sum, hit, reduced_axes(n), true, "max");
  return kernels::binary(kernels::Binary::Div, hit, count, "max");
}

Tensor extremum(const Tensor& x, const Axes& axes, bool keepdims, kernels::Reduce op, const char* name,
                const OpSpec& spec) {
  auto ax = resolve_axes(axes, x.ndim(), name);
  Tensor out = kernels::reduce(op, x, ax, keepdims, name);
  if (Recording r = record_reduction(out, spec, x, ax)) {
    r->save_inputs(x);
    r->save_output(out);
    finish(r, out, {&x});
  }
  return out;
}

// For each element, the product of the other elements along the reduced axes: with those axes
// moved last and flattened, the exclusive products from the front and from the back. No division,
// so zeros are exact (one zero: the others' product at it, 0 elsewhere; two: 0 everywhere), and
// cumprod's and shift's rules make every higher derivative exact too.
Tensor prod_of_others(const Tensor& x, const std::vector<int64_t>& axes) {
  std::vector<int64_t> perm;
  Shape flat;
  int64_t len = 1;
  for (int64_t d = 0; d < x.ndim(); ++d)
    if (!std::binary_search(axes.begin(), axes.end(), d)) {
      perm.push_back(d);
      flat.push_back(x.shape()[d]);
    }
  for (auto a : axes) {
    perm.push_back(a);
    len *= x.shape()[a];
  }
  flat.push_back(len);
  Tensor moved = transpose(x, perm);
  Tensor rows = reshape(moved, flat);
  Tensor before = shift_along(cumprod_along(rows, -1, false), -1, false, 1.0);
  Tensor after = shift_along(cumprod_along(rows, -1, true), -1, true, 1.0);
  return transpose(reshape(before * after, moved.shape()), inverse_perm(perm));
}

Tensor arg_extremum(const Tensor& x, std::optional<int64_t> axis, bool keepdims, bool largest, const char* op) {
  const Tensor data = x.detach();
  if (!axis) {
    Tensor r = kernels::arg_extremum(largest, reshape(data, {-1}), 0, false, op);
    return keepdims ? reshape(r, Shape(size_t(x.ndim()), 1)) : r;
  }
  if (x.ndim() == 0) {  // NumPy treats a 0-d tensor as 1-d here
    normalize_axis(*axis, 1, op);
    return kernels::arg_extremum(largest, reshape(data, {1}), 0, false, op);
  }
  return kernels::arg_extremum(largest, data, normalize_axis(*axis, x.ndim(), op), keepdims, op);
}

// argmax / argmin under vmap: along the axis past the batch dims, or (no axis) over each example
// flattened, the kept dims then all of size one.
Tensor batched_arg_extremum(const Tensor& x, std::optional<int64_t> axis, bool keepdims,
                            Tensor (*op)(const Tensor&, std::optional<int64_t>, bool)) {
  if (axis) return vmap::along_axes(x, *axis, [&](const Tensor& p, int64_t ax) { return op(p, ax, keepdims); });
  return vmap::along_axis_or_flat(x, axis, [&](const Tensor& p, std::optional<int64_t> ax) {
    Tensor r = op(p, ax, false);
    if (!keepdims) return r;
    Shape kept = r.shape();
    kept.insert(kept.end(), size_t(x.ndim()), 1);
    return reshape(r, kept);
  });
}

}  // namespace

Tensor sum(const Tensor& x, const Axes& axes, bool keepdims) {
  VMAP_AXES(x, axes, sum(x, axes, keepdims));
  static const OpSpec spec{"SumBackward", RULE({spread(n, g)}), JVP(reduce_tangent(n, t[0]))};
  auto ax = resolve_axes(axes, x.ndim(), "sum");
  Tensor out = kernels::reduce(kernels::Reduce::Sum, x, ax, keepdims, "sum");
  if (Recording r = record_reduction(out, spec, x, ax)) finish(r, out, {&x});
  return out;
}

Tensor mean(const Tensor& x, const Axes& axes, bool keepdims) {
  VMAP_AXES(x, axes, mean(x, axes, keepdims));
  static const OpSpec spec{"MeanBackward", RULE({spread(n, g) / reduction_of(n).divisor}),
                           JVP(reduce_tangent(n, t[0]) / reduction_of(n).divisor)};
  auto ax = resolve_axes(axes, x.ndim(), "mean");
  const double count = count_of(x.shape(), ax);
  Tensor total = kernels::reduce(kernels::Reduce::Sum, x, ax, keepdims, "mean");
  Tensor out = kernels::binary_scalar(kernels::Binary::Div, total, count, false, float_result(total.dtype()));
  if (Recording r = record_reduction(out, spec, x, ax)) {
    r->params<ReductionParams>().divisor = count;
    finish(r, out, {&x});
  }
  return out;
}

// max/min split the gradient evenly among tied extrema.
Tensor max(const Tensor& x, const Axes& axes, bool keepdims) {
  VMAP_AXES(x, axes, max(x, axes, keepdims));
  static const OpSpec spec{"MaxBackward", RULE({spread(n, g) * tie_weights(n)}),
                           JVP(reduce_tangent(n, t[0] * tie_weights(n)))};
  return extremum(x, axes, keepdims, kernels::Reduce::Max, "max", spec);
}
Tensor min(const Tensor& x, const Axes& axes, bool keepdims) {
  VMAP_AXES(x, axes, min(x, axes, keepdims));
  static const OpSpec spec{"MinBackward", RULE({spread(n, g) * tie_weights(n)}),
                           JVP(reduce_tangent(n, t[0] * tie_weights(n)))};
  return extremum(x, axes, keepdims, kernels::Reduce::Min, "min", spec);
}

Tensor prod(const Tensor& x, const Axes& axes, bool keepdims) {
  VMAP_AXES(x, axes, prod(x, axes, keepdims));
  static const OpSpec spec{"ProdBackward", RULE({spread(n, g) * prod_of_others(n.input(0), reduced_axes(n))}),
                           JVP(reduce_tangent(n, t[0] * prod_of_others(n.input(0), reduced_axes(n))))};
  auto ax = resolve_axes(axes, x.ndim(), "prod");
  Tensor out = kernels::prod(x, ax, keepdims);
  if (Recording r = record_reduction_saving_input(out, spec, x, ax)) finish(r, out, {&x});
  return out;
}

Tensor argmax(const Tensor& x, std::optional<int64_t> axis, bool keepdims) {
  if (vmap::is_batched(x)) return batched_arg_extremum(x, axis, keepdims, argmax);
  return arg_extremum(x, axis, keepdims, true, "argmax");
}
Tensor argmin(const Tensor& x, std::optional<int64_t> axis, bool keepdims) {
  if (vmap::is_batched(x)) return batched_arg_extremum(x, axis, keepdims, argmin);
  return arg_extremum(x, axis, keepdims, false, "argmin");
}

Tensor all(const Tensor& x, const Axes& axes, bool keepdims) {
  VMAP_AXES(x, axes, all(x, axes, keepdims));
  return kernels::all(x, resolve_axes(axes, x.ndim(), "all"), keepdims);
}
Tensor any(const Tensor& x, const Axes& axes, bool keepdims) {
  VMAP_AXES(x, axes, any(x, axes, keepdims));
  return kernels::any(x, resolve_axes(axes, x.ndim(), "any"), keepdims);
}

}  // namespace pyjac
