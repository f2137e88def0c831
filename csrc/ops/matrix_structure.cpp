// Diagonals and triangles of matrices (the last two axes, or any two for diagonal and trace):
// diagonal, trace, triu, tril. diagonal is a primitive: a strided view, whose VJP is its
// transpose, the diagonal scatter, and each is the other's rule, so derivatives of every order
// stay views and scatters. trace, triu and tril are written in differentiable ops (sum of the
// diagonal, where with a constant mask), so their rules come from those.
#include <algorithm>

#include "kernels/kernels.h"
#include "ops/record.h"
#include "ops/rule_macros.h"
#include "vmap/rules.h"

namespace pyjac {

namespace {

// Axes are kept negative (counted from the end) so that both apply past leading batch dims.
Tensor diagonal_geometry(const Tensor& t, int64_t offset, int64_t a1_neg, int64_t a2_neg) {
  const int64_t nd = t.ndim(), a1 = nd + a1_neg, a2 = nd + a2_neg;
  const int64_t n1 = t.shape()[a1], n2 = t.shape()[a2];
  const int64_t len = std::max<int64_t>(0, offset >= 0 ? std::min(n1, n2 - offset) : std::min(n1 + offset, n2));
  int64_t start = t->offset;
  if (len > 0) start += offset >= 0 ? offset * t.strides()[a2] : -offset * t.strides()[a1];
  Shape shape, strides;
  for (int64_t d = 0; d < nd; ++d)
    if (d != a1 && d != a2) {
      shape.push_back(t.shape()[d]);
      strides.push_back(t.strides()[d]);
    }
  shape.push_back(len);
  strides.push_back(t.strides()[a1] + t.strides()[a2]);
  return t.view_as_strided(shape, strides, start);
}

Tensor diagonal_scatter(const Tensor& g, int64_t offset, int64_t a1_neg, int64_t a2_neg, const Shape& in_shape);

// Which diagonal: its offset and the two axes it runs along (negative, past any batch dims).
struct Diagonal {
  int64_t offset, axis1, axis2;
};
#define READ_DIAGONAL const Diagonal& d = n.params<Diagonal>();

// Records a diagonal view or scatter; in_shape is the shape of the tensor the diagonal is in.
Recording record_diagonal(Tensor& out, const OpSpec& spec, const Tensor& input, const Diagonal& d,
                          const Shape& in_shape) {
  Recording r = record_with<Diagonal>(out, spec, input);
  if (r) {
    r->params<Diagonal>() = d;
    r->shapes = {in_shape};
  }
  return r;
}

Tensor diagonal_view(const Tensor& x, int64_t offset, int64_t a1_neg, int64_t a2_neg) {
  static const OpSpec spec{"DiagonalBackward",
                           RULE_WITH(READ_DIAGONAL, {diagonal_scatter(g, d.offset, d.axis1, d.axis2, n.shapes[0])}),
                           JVP_WITH(READ_DIAGONAL, diagonal_view(t[0], d.offset, d.axis1, d.axis2))};
  Tensor out = diagonal_geometry(x, offset, a1_neg, a2_neg);
  if (Recording r = record_diagonal(out, spec, x, {offset, a1_neg, a2_neg}, x.shape())) finish(r, out, {&x});
  return out;
}

// zeros(*batch, *in_shape) with g written on the diagonal.
Tensor diagonal_scatter(const Tensor& g, int64_t offset, int64_t a1_neg, int64_t a2_neg, const Shape& in_shape) {
  static const OpSpec spec{"DiagonalScatterBackward",
                           RULE_WITH(READ_DIAGONAL, {diagonal_view(g, d.offset, d.axis1, d.axis2)}),
                           JVP_WITH(READ_DIAGONAL, diagonal_scatter(t[0], d.offset, d.axis1, d.axis2, n.shapes[0]))};
  const int64_t batch = g.ndim() - (int64_t(in_shape.size()) - 1);
  Tensor out = zeros(concat(Shape(g.shape().begin(), g.shape().begin() + batch), in_shape), g.dtype());
  kernels::copy_into(diagonal_geometry(out, offset, a1_neg, a2_neg), g);
  if (Recording r = record_diagonal(out, spec, g, {offset, a1_neg, a2_neg}, in_shape)) finish(r, out, {&g});
  return out;
}
#undef READ_DIAGONAL

// Positions of the two axes a matrix op works on: the last two, or for 1-D the one twice.
std::pair<int64_t, int64_t> matrix_dims(const Tensor& x, const char* op) {
  if (x.ndim() == 0) throw ValueError(std::string(op) + ": input must be at least 1-d, got " + describe(x));
  if (x.ndim() == 1) return {x.shape()[0], x.shape()[0]};
  return {x.shape()[x.ndim() - 2], x.shape()[x.ndim() - 1]};
}

// where(j - i >= k (upper) or j - i <= k (lower), x, 0) over the last two dims.
Tensor triangle(const Tensor& x, int64_t k, bool upper, const char* op) {
  auto [rows, cols] = matrix_dims(x, op);
  Tensor mask = empty({rows, cols}, DType::Bool);
  bool* m = mask.data<bool>();
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) m[i * cols + j] = upper ? j - i >= k : j - i <= k;
  return where(mask, x, scalar_tensor(0, x.dtype()));
}

}  // namespace

Tensor diagonal(const Tensor& x, int64_t offset, int64_t axis1, int64_t axis2) {
  const int64_t nd = x.ndim();
  if (nd < 2) throw ValueError("diagonal: input must be at least 2-d, got " + describe(x));
  const int64_t a1 = normalize_axis(axis1, nd, "diagonal"), a2 = normalize_axis(axis2, nd, "diagonal");
  if (a1 == a2) throw ValueError("diagonal: axis1 and axis2 cannot be the same (both " + std::to_string(a1) + ")");
  // The axes count from the end, so the batch dims in front leave them alone.
  VMAP_UNARY(x, diagonal_view(x, offset, a1 - nd, a2 - nd));
  return diagonal_view(x, offset, a1 - nd, a2 - nd);
}

Tensor trace(const Tensor& x, int64_t offset, int64_t axis1, int64_t axis2) {
  if (x.ndim() < 2) throw ValueError("trace: input must be at least 2-d, got " + describe(x));
  return sum(diagonal(x, offset, axis1, axis2), std::vector<int64_t>{-1}, false);
}

Tensor triu(const Tensor& x, int64_t k) { return triangle(x, k, true, "triu"); }
Tensor tril(const Tensor& x, int64_t k) { return triangle(x, k, false, "tril"); }

}  // namespace pyjac
