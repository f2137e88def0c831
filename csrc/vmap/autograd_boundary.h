#pragma once
// Where batched tensors meet the autograd engine and forward mode (Note [Batched tensors],
// batched.h): these translate logical calls into physical ones and wrap the results.
#include <cstdint>

#include "ops/ops.h"
#include "tensor/tensor.h"
#include "vmap/batched.h"

namespace pyjac::vmap {

// run_backward when any output, seed or input is batched. Each example's gradient is separate
// only if every input is batched at every level of the outputs (func.grad & co. make sure of it
// by differentiating with respect to inputs batched at every live level); otherwise raises.
// Levels only the seeds are batched at (vmap over a vjp's cotangents) become batched cotangents:
// one backward sweep for all of them.
TensorList run_backward(const TensorList& outputs, const TensorList& grad_outputs, bool keep_graph, bool create_graph,
                        const TensorList& inputs, bool allow_unused, bool batched);

// make_dual(x, tangent) when either is batched: both batched at the levels of either (expanded
// where one lacks some), the dual carrying the physical tangent. `make` is the plain make_dual.
template <class Make>
Tensor make_dual(const Tensor& x, const Tensor& tangent, Make&& make);
// The tangent of a batched y at a forward level, batched like y.
Tensor tangent_of(const Tensor& y, const Tensor& physical_tangent);

template <class Make>
Tensor make_dual(const Tensor& x, const Tensor& tangent, Make&& make) {
  Levels levels = levels_of({&x, &tangent});
  const Shape sizes = level_sizes(levels, {x, tangent});
  const int64_t k = int64_t(levels.size());
  const Tensor xp = to_front(x, levels, -1, &sizes);
  Tensor tp = to_front(tangent, levels, -1, &sizes);
  const int64_t extra = tangent.ndim() - x.ndim();  // the tangent's own batch dims (jacfwd's rows)
  if (extra > 0) {
    std::vector<int64_t> from, to;
    for (int64_t i = 0; i < extra; ++i) from.push_back(k + i), to.push_back(i);
    tp = moveaxis(tp, from, to);
  }
  return from_front(make(xp, tp), levels);
}

}  // namespace pyjac::vmap
