// Products of tensors: matmul and dot, and outer, inner and kron. The one recorded primitive is a
// matrix product of two operands of at least 2 dims; NumPy's 1-D cases wrap it in
// expand_dims/squeeze, and outer, inner and kron are written in it, reshape and mul, so all their
// rules come for free.
#include <algorithm>

#include "kernels/kernels.h"
#include "ops/record.h"
#include "ops/rule_macros.h"
#include "vmap/rules.h"

namespace pyjac {

namespace {

// a @ b with a (..., n, k), b (..., k, m): g @ b^T for a, a^T @ g for b, each summed back over
// broadcast batch dims.
// Forward: ta @ b + a @ tb.
Tensor matmul_2d(const Tensor& a, const Tensor& b) {
  // Stacks of matrices broadcast like elementwise operands, so the batch dims go in front alike.
  if (vmap::any_batched(a, b)) return vmap::elementwise(matmul_2d, a, b);
  static const OpSpec spec{
      "MatmulBackward",
      RULE_WITH(READ_INPUT(a, 0) READ_INPUT(b, 1), {IF_NEEDED(0, reduce_to(n, 0, matmul(g, swap_last_two(b)))),
                                                    IF_NEEDED(1, reduce_to(n, 1, matmul(swap_last_two(a), g)))}),
      JVP_WITH(READ_INPUT(a, 0) READ_INPUT(b, 1),
               plus(IF_TANGENT(0, matmul(n.lift(0, t[0]), b)), IF_TANGENT(1, matmul(a, n.lift(1, t[1])))))};
  Tensor out = kernels::matmul(a, b);
  if (Recording r = record(out, spec, a, b)) {
    r->save_inputs(a, b);
    r->shapes = {a.shape(), b.shape()};
    finish(r, out, {&a, &b});
  }
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  if (a.ndim() == 0 || b.ndim() == 0)
    throw ValueError("matmul: input operand does not have enough dimensions (shapes " + shape_str(a.shape()) + " and " +
                     shape_str(b.shape()) + "); use * for scalars");
  const int64_t ka = a.shape().back();
  const int64_t kb = b.ndim() == 1 ? b.shape()[0] : b.shape()[b.ndim() - 2];
  if (ka != kb)
    throw ValueError("matmul: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) + " are not aligned (" +
                     std::to_string(ka) + " != " + std::to_string(kb) + ")");
  if (a.ndim() > 2 || b.ndim() > 2) {
    Shape ab(a.shape().begin(), a.shape().end() - std::min<int64_t>(a.ndim(), 2));
    Shape bb(b.shape().begin(), b.shape().end() - std::min<int64_t>(b.ndim(), 2));
    try {
      broadcast_shapes(ab, bb, "matmul");
    } catch (const ValueError&) {
      throw ValueError("matmul: batch dimensions of shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) +
                       " could not be broadcast together");
    }
  }
  if (a.ndim() >= 2 && b.ndim() >= 2) return matmul_2d(a, b);
  Tensor a2 = a.ndim() == 1 ? expand_dims(a, {0}) : a;
  Tensor b2 = b.ndim() == 1 ? expand_dims(b, {1}) : b;
  Tensor out = matmul_2d(a2, b2);
  std::vector<int64_t> drop;
  if (a.ndim() == 1) drop.push_back(out.ndim() - 2);
  if (b.ndim() == 1) drop.push_back(out.ndim() - 1);
  return squeeze(out, drop);
}

// NumPy's dot: products with scalars, matmul up to 2-D, and for N-D a sum over the last axis of
// `a` and the second-to-last of `b`.
Tensor dot(const Tensor& a, const Tensor& b) {
  if (a.ndim() == 0 || b.ndim() == 0) return mul(a, b);
  // Checked here, not left to matmul, so that the message names dot.
  const int64_t k = a.shape().back();
  const int64_t kb_dim = b.ndim() == 1 ? 0 : b.ndim() - 2;
  const int64_t kb = b.shape()[kb_dim];
  if (k != kb)
    throw ValueError("dot: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) +
                     " not aligned: " + std::to_string(k) + " (dim " + std::to_string(a.ndim() - 1) +
                     ") != " + std::to_string(kb) + " (dim " + std::to_string(kb_dim) + ")");
  if (b.ndim() <= 2 && a.ndim() <= 2) return matmul(a, b);
  if (b.ndim() == 1) return matmul(a, b);
  // Move b's contracted axis to the front, flatten the rest, one matrix product, reshape back.
  std::vector<int64_t> perm{b.ndim() - 2};
  for (int64_t d = 0; d < b.ndim(); ++d)
    if (d != b.ndim() - 2) perm.push_back(d);
  // Sizes spelled out rather than -1, which can't be inferred when a dimension is 0.
  Shape out_shape(a.shape().begin(), a.shape().end() - 1);
  const int64_t a_rest = numel(out_shape);
  int64_t b_rest = 1;
  for (int64_t d = 0; d < b.ndim(); ++d)
    if (d != b.ndim() - 2) {
      out_shape.push_back(b.shape()[d]);
      b_rest *= b.shape()[d];
    }
  Tensor b2 = reshape(transpose(b, perm), {k, b_rest});
  Tensor a2 = reshape(a, {a_rest, k});
  return reshape(matmul(a2, b2), out_shape);
}

Tensor outer(const Tensor& a, const Tensor& b) { return mul(reshape(a, {-1, 1}), reshape(b, {1, -1})); }

// Sum over the last axes: (*a_rest, k) x (*b_rest, k) -> (*a_rest, *b_rest), as one matrix product.
Tensor inner(const Tensor& a, const Tensor& b) {
  if (a.ndim() == 0 || b.ndim() == 0) return mul(a, b);
  const int64_t k = a.shape().back();
  if (b.shape().back() != k)
    throw ValueError("inner: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) +
                     " not aligned: " + std::to_string(k) + " (dim " + std::to_string(a.ndim() - 1) +
                     ") != " + std::to_string(b.shape().back()) + " (dim " + std::to_string(b.ndim() - 1) + ")");
  Shape a_rest(a.shape().begin(), a.shape().end() - 1), b_rest(b.shape().begin(), b.shape().end() - 1);
  Tensor prod = matmul(reshape(a, {numel(a_rest), k}), swap_last_two(reshape(b, {numel(b_rest), k})));
  return reshape(prod, concat(a_rest, b_rest));
}

// a seen as (a0, 1, a1, 1, ...) times b as (1, b0, 1, b1, ...), then each pair merged.
Tensor kron(const Tensor& a, const Tensor& b) {
  const size_t nd = size_t(std::max(a.ndim(), b.ndim()));
  Shape as(nd - size_t(a.ndim()), 1), bs(nd - size_t(b.ndim()), 1);
  as.insert(as.end(), a.shape().begin(), a.shape().end());
  bs.insert(bs.end(), b.shape().begin(), b.shape().end());
  Shape a2, b2, out_shape;
  for (size_t d = 0; d < nd; ++d) {
    a2.insert(a2.end(), {as[d], 1});
    b2.insert(b2.end(), {1, bs[d]});
    out_shape.push_back(as[d] * bs[d]);
  }
  return reshape(mul(reshape(a, a2), reshape(b, b2)), out_shape);
}

}  // namespace pyjac
