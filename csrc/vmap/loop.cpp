#include "vmap/loop.h"

#include <stdexcept>

#include "tensor/errors.h"

namespace pyjac::vmap::loop_detail {

TensorList examples(const Tensor& x, const Levels& levels, const Shape& sizes, int64_t n) {
  Shape flat{n};
  flat.insert(flat.end(), x.shape().begin(), x.shape().end());
  const Tensor p = reshape(to_front(x, levels, -1, &sizes), flat);
  // One split rather than n selections: its backward is one concatenation, not n scatters.
  TensorList pieces = split(p, SplitSpec{n, {}}, 0);
  for (Tensor& piece : pieces) piece = reshape(piece, x.shape());
  return pieces;
}

Tensor combine(const char* op, const TensorList& results, const Levels& levels, const Shape& sizes) {
  for (const Tensor& r : results)
    if (r.shape() != results[0].shape() || r.dtype() != results[0].dtype())
      unbatchable(op, "gives results of different shapes for different examples (" + shape_str(results[0].shape()) +
                          " and " + shape_str(r.shape()) +
                          "): a result whose shape depends on the values can't be batched");
  Shape shape = sizes;
  shape.insert(shape.end(), results[0].shape().begin(), results[0].shape().end());
  return from_front(reshape(stack(results, 0), shape), levels);
}

TensorList combine(const char* op, const std::vector<TensorList>& results, const Levels& levels, const Shape& sizes) {
  TensorList out;
  for (size_t j = 0; j < results[0].size(); ++j) {
    TensorList column;
    for (const TensorList& r : results) column.push_back(r.at(j));
    out.push_back(combine(op, column, levels, sizes));
  }
  return out;
}

}  // namespace pyjac::vmap::loop_detail
