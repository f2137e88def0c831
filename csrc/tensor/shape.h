#pragma once
// Shapes, strides (in elements) and NumPy broadcasting.
#include <cstdint>
#include <string>
#include <vector>

namespace pyjac {

using Shape = std::vector<int64_t>;

int64_t numel(const Shape& shape);
// Whether the product of the non-zero dims exceeds int64 (NumPy's "array is too big").
bool numel_overflows(const Shape& shape);
Shape contiguous_strides(const Shape& shape);
std::string shape_str(const Shape& shape);

// NumPy broadcasting of two shapes; ValueError naming `op` and both shapes when they don't match.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// Maps a possibly negative axis into [0, ndim); ValueError naming `op` when out of range.
int64_t normalize_axis(int64_t axis, int64_t ndim, const char* op);

// Sorted, distinct, non-negative axes; an empty `axes` with `all_if_empty` means every axis.
std::vector<int64_t> normalize_axes(const std::vector<int64_t>& axes, int64_t ndim, const char* op);

// a followed by b: a cotangent's batch dims put in front of a shape, say.
Shape concat(Shape a, const Shape& b);

// The permutation that undoes `perm` (transpose's rule, and anything that moves axes and back).
std::vector<int64_t> inverse_perm(const std::vector<int64_t>& perm);

}  // namespace pyjac
