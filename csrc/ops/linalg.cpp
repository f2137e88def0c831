// Matrix products. The recorded primitive is a product of two operands of at least 2 dims;
// NumPy's 1-D cases wrap it in expand_dims/squeeze, so their rules come for free.
#include "kernels/kernels.h"
#include "ops/record.h"
#include "ops/rule_macros.h"

namespace pyjac {

namespace {

// a @ b with a (..., n, k), b (..., k, m): g @ b^T for a, a^T @ g for b, each summed back over
// broadcast batch dims.
// Forward: ta @ b + a @ tb.
Tensor matmul_2d(const Tensor& a, const Tensor& b) {
  static const OpSpec spec{"MatmulBackward",
      RULE_WITH(READ_INPUT(a, 0) READ_INPUT(b, 1), {IF_NEEDED(0, reduce_to(n, 0, matmul(g, swap_last_two(b)))),
                                    IF_NEEDED(1, reduce_to(n, 1, matmul(swap_last_two(a), g)))}),
      JVP_WITH(READ_INPUT(a, 0) READ_INPUT(b, 1), plus(IF_TANGENT(0, matmul(n.lift(0, t[0]), b)), IF_TANGENT(1, matmul(a, n.lift(1, t[1])))))};
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
    throw ValueError("matmul: input operand does not have enough dimensions (shapes " + shape_str(a.shape()) +
                     " and " + shape_str(b.shape()) + "); use * for scalars");
  const int64_t ka = a.shape().back();
  const int64_t kb = b.ndim() == 1 ? b.shape()[0] : b.shape()[b.ndim() - 2];
  if (ka != kb)
    throw ValueError("matmul: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) +
                     " are not aligned (" + std::to_string(ka) + " != " + std::to_string(kb) + ")");
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
    throw ValueError("dot: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) + " not aligned: " +
                     std::to_string(k) + " (dim " + std::to_string(a.ndim() - 1) + ") != " + std::to_string(kb) +
                     " (dim " + std::to_string(kb_dim) + ")");
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

}  // namespace pyjac
