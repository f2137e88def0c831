#pragma once
// The one strided loop every kernel uses: walks an N-d index space for K operands at once,
// handing the innermost dimension to `inner` as a run so contiguous runs vectorise.
#include <array>
#include <cstdint>
#include <vector>

#include "kernels/parallel.h"
#include "tensor/shape.h"
#include "tensor/tensor.h"

namespace pyjac::kernels {

// Strides of `strides`/`shape` seen through broadcasting to `out_shape` (0 on broadcast dims).
inline Shape broadcast_strides(const Shape& shape, const Shape& strides, const Shape& out_shape) {
  Shape r(out_shape.size(), 0);
  size_t lead = out_shape.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i) r[lead + i] = shape[i] == 1 ? 0 : strides[i];
  return r;
}

// inner(offsets, n, inner_strides): process n elements starting at offsets[k] with steps
// inner_strides[k] for each operand k.
template <size_t K, class F>
void nd_loop(const Shape& shape_in, std::array<Shape, K> strides, std::array<int64_t, K> offsets, F&& inner) {
  // Merge dimensions that are contiguous with their successor for every operand, and drop size-1 ones.
  Shape shape;
  std::array<Shape, K> st;
  for (size_t d = 0; d < shape_in.size(); ++d) {
    if (shape_in[d] == 0) return;
    if (shape_in[d] == 1) continue;
    bool merge = !shape.empty();
    if (merge)
      for (size_t k = 0; k < K; ++k)
        if (st[k].back() != strides[k][d] * shape_in[d]) {
          merge = false;
          break;
        }
    if (merge) {
      shape.back() *= shape_in[d];
      for (size_t k = 0; k < K; ++k) st[k].back() = strides[k][d];
    } else {
      shape.push_back(shape_in[d]);
      for (size_t k = 0; k < K; ++k) st[k].push_back(strides[k][d]);
    }
  }
  std::array<int64_t, K> inner_st{};
  if (shape.empty()) {
    inner(offsets, int64_t(1), inner_st);
    return;
  }
  const size_t nd = shape.size();
  const int64_t n = shape[nd - 1];
  for (size_t k = 0; k < K; ++k) inner_st[k] = st[k][nd - 1];
  if (nd == 1) {
    inner(offsets, n, inner_st);
    return;
  }
  std::vector<int64_t> idx(nd - 1, 0);
  std::array<int64_t, K> off = offsets;
  while (true) {
    inner(off, n, inner_st);
    size_t d = nd - 1;
    while (d-- > 0) {
      if (++idx[d] < shape[d]) {
        for (size_t k = 0; k < K; ++k) off[k] += st[k][d];
        break;
      }
      for (size_t k = 0; k < K; ++k) off[k] -= st[k][d] * (shape[d] - 1);
      idx[d] = 0;
    }
    if (d == size_t(-1)) return;
  }
}

// out[i] = f(x[i]) for out fresh and contiguous, x of the same shape and any strides.
template <class Tout, class Tin, class F>
void map_unary(const Tensor& out, const Tensor& x, F f) {
  Tout* o = out.data<Tout>();
  const Tin* p = x.data<Tin>();
  if (x.is_contiguous()) {
    parallel_for(x.numel(), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = f(p[i]);
    });
    return;
  }
  nd_loop<2>(x.shape(), {out.strides(), x.strides()}, {0, 0},
             [&](std::array<int64_t, 2> off, int64_t n, std::array<int64_t, 2> st) {
               for (int64_t i = 0; i < n; ++i) o[off[0] + i * st[0]] = f(p[off[1] + i * st[1]]);
             });
}

}  // namespace pyjac::kernels
