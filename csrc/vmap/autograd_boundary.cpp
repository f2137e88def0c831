#include "vmap/autograd_boundary.h"

#include <algorithm>

#include "autograd/engine.h"
#include "ops/ops.h"
#include "tensor/errors.h"

namespace pyjac::vmap {

namespace {

bool contains(const Levels& levels, int64_t level) { return std::binary_search(levels.begin(), levels.end(), level); }

}  // namespace

TensorList run_backward(const TensorList& outputs, const TensorList& grad_outputs, bool keep_graph, bool create_graph,
                        const TensorList& inputs, bool allow_unused, bool batched) {
  const Levels out_levels = levels_of(outputs);
  if (inputs.empty() && !out_levels.empty())
    throw std::runtime_error(
        "vmap: backward() on a batched tensor would add every example's gradient into the leaves' .grad; inside "
        "vmap use pyjac.func.grad (or vjp), which gives each example its own");
  for (size_t j = 0; j < inputs.size(); ++j)
    for (int64_t level : out_levels)
      if (!contains(levels_of({&inputs[j]}), level))
        throw std::runtime_error(
            "vmap: grad of a batched output with respect to input " + std::to_string(j) +
            ", which is not batched over the same vmap: the examples' gradients would be added together. "
            "Differentiate inside vmap with pyjac.func.grad / vjp / jacrev, which give each example its own");
  // Levels only the seeds have lead the cotangents, then the user's own batch dim (batched), then
  // the outputs' levels: (*extra, [k], *out_levels, *output shape).
  Levels seed_levels = levels_of(grad_outputs), extra;
  for (int64_t level : seed_levels)
    if (!contains(out_levels, level)) extra.push_back(level);
  for (size_t j = 0; j < inputs.size(); ++j)
    for (int64_t level : extra)
      if (contains(levels_of({&inputs[j]}), level))
        throw std::runtime_error("vmap: grad with cotangents batched over a vmap that input " + std::to_string(j) +
                                 " is batched over but the outputs are not");
  Levels all = out_levels;
  all.insert(all.end(), extra.begin(), extra.end());
  std::sort(all.begin(), all.end());
  TensorList everything = outputs;
  everything.insert(everything.end(), grad_outputs.begin(), grad_outputs.end());
  const Shape out_sizes = level_sizes(out_levels, everything);
  const Shape all_sizes = level_sizes(all, everything);
  const int64_t n_extra = int64_t(extra.size());
  TensorList outs, seeds, phys_inputs;
  for (size_t i = 0; i < outputs.size(); ++i) {
    outs.push_back(to_front(outputs[i], out_levels, -1, &out_sizes));
    // The seed with every level in front, in level order; then reordered to extra levels first.
    Tensor s = to_front(grad_outputs[i], all, -1, &all_sizes);
    std::vector<int64_t> order;
    for (int64_t level : extra) order.push_back(std::lower_bound(all.begin(), all.end(), level) - all.begin());
    if (batched) order.push_back(int64_t(all.size()));  // the user's batch dim, first logical one
    for (int64_t level : out_levels) order.push_back(std::lower_bound(all.begin(), all.end(), level) - all.begin());
    for (int64_t d = 0; d < s.ndim(); ++d)
      if (std::find(order.begin(), order.end(), d) == order.end()) order.push_back(d);
    seeds.push_back(transpose(s, order));
  }
  for (const Tensor& x : inputs) phys_inputs.push_back(physical(x));
  const bool lead = n_extra > 0 || batched;
  TensorList grads = pyjac::run_backward(outs, seeds, keep_graph, create_graph, phys_inputs, allow_unused, lead);
  // Each gradient: (*extra, [k], *input's physical shape).
  const int64_t shift = n_extra + (batched ? 1 : 0);
  for (size_t j = 0; j < grads.size(); ++j) {
    if (!grads[j].defined()) continue;
    BatchDims dims;
    for (int64_t i = 0; i < n_extra; ++i) dims.push_back({extra[size_t(i)], i});
    if (is_batched(inputs[j]))
      for (const BatchDim& b : info(inputs[j]).dims) dims.push_back({b.level, b.dim + shift});
    std::sort(dims.begin(), dims.end(), [](const BatchDim& a, const BatchDim& b) { return a.level < b.level; });
    grads[j] = make_batched(grads[j], std::move(dims));
  }
  return grads;
}

Tensor tangent_of(const Tensor& y, const Tensor& t) {
  if (!t.defined() || !is_batched(y)) return t;
  const int64_t shift = t.ndim() - physical(y).ndim();
  BatchDims dims;
  for (const BatchDim& b : info(y).dims) dims.push_back({b.level, b.dim + shift});
  return make_batched(t, std::move(dims));
}

}  // namespace pyjac::vmap
