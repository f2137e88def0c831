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

// One value seen everywhere: a single element, or a broadcast view (every stride 0), such as
// the cotangent a sum spreads back over its input.
inline bool is_uniform(const Tensor& t) {
  if (t.numel() <= 1) return t.numel() == 1;  // an empty tensor has no value to read
  for (size_t d = 0; d < t.strides().size(); ++d)
    if (t.shape()[d] != 1 && t.strides()[d] != 0) return false;
  return true;
}

// out[i] = f(a[i], b[i]) with a and b broadcast to out's shape; contiguous and one-value operands
// take flat loops, split across threads for large outputs.
template <class Tout, class Ta, class Tb, class F>
void map_binary(const Tensor& out, const Tensor& a, const Tensor& b, F f) {
  Tout* o = out.data<Tout>();
  const Ta* pa = a.data<Ta>();
  const Tb* pb = b.data<Tb>();
  const int64_t n = out.numel();
  if (n == 0) return;
  const bool a_full = a.shape() == out.shape() && a.is_contiguous();
  const bool b_full = b.shape() == out.shape() && b.is_contiguous();
  if (a_full && b_full) {
    parallel_for(n, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) o[i] = f(pa[i], pb[i]);
    });
    return;
  }
  if (a_full && is_uniform(b)) {
    const Tb s = *pb;
    parallel_for(n, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) o[i] = f(pa[i], s);
    });
    return;
  }
  if (b_full && is_uniform(a)) {
    const Ta s = *pa;
    parallel_for(n, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) o[i] = f(s, pb[i]);
    });
    return;
  }
  nd_loop<3>(out.shape(),
             {out.strides(), broadcast_strides(a.shape(), a.strides(), out.shape()),
              broadcast_strides(b.shape(), b.strides(), out.shape())},
             {0, 0, 0}, [&](std::array<int64_t, 3> off, int64_t m, std::array<int64_t, 3> st) {
               for (int64_t i = 0; i < m; ++i)
                 o[off[0] + i * st[0]] = f(pa[off[1] + i * st[1]], pb[off[2] + i * st[2]]);
             });
}

}  // namespace pyjac::kernels
