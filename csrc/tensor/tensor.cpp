#include "tensor/tensor.h"

#include <algorithm>
#include <cstring>

#include "autograd/node.h"
#include "tensor/buffer_cache.h"
#include "tensor/pool.h"

namespace pyjac {

Storage::Storage(size_t n) : nbytes(n) {
  if (n <= sizeof(inline_buf)) {
    data = inline_buf;
    return;
  }
  data = buffers::allocate(n);
}

Storage::~Storage() {
  if (data != inline_buf) buffers::deallocate(data, nbytes);
}

// Dropping the last reference to a long graph must not recurse once per node.
TensorImpl::~TensorImpl() { release_node(std::move(grad_fn)); }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  const auto& sh = impl_->shape;
  const auto& st = impl_->strides;
  for (size_t i = sh.size(); i-- > 0;) {
    if (sh[i] == 1) continue;
    if (st[i] != expected) return false;
    expected *= sh[i];
  }
  return true;
}

Tensor Tensor::detach() const {
  auto t = std::allocate_shared<TensorImpl>(pool::Allocator<TensorImpl>());
  t->storage = impl_->storage;
  t->shape = impl_->shape;
  t->strides = impl_->strides;
  t->offset = impl_->offset;
  t->dtype = impl_->dtype;
  return Tensor(std::move(t));
}

Tensor Tensor::view_as_strided(const Shape& shape, const Shape& strides, int64_t offset) const {
  auto t = std::allocate_shared<TensorImpl>(pool::Allocator<TensorImpl>());
  t->storage = impl_->storage;
  t->shape = shape;
  t->strides = strides;
  t->offset = offset;
  t->dtype = impl_->dtype;
  t->is_view = true;
  t->view_rebases = impl_->storage->rebases;
  return Tensor(std::move(t));
}

Tensor empty(const Shape& shape, DType dtype) {
  // Checked size: an overflowing product must not become a small allocation.
  constexpr int64_t kMaxBytes = int64_t(1) << 48;
  int64_t n = 1;
  for (auto s : shape) {
    if (s < 0) throw ValueError("negative dimensions are not allowed: " + shape_str(shape));
    if (s != 0 && n > kMaxBytes / s) n = kMaxBytes;
    else n *= s;
  }
  if (n >= kMaxBytes / int64_t(itemsize(dtype)))
    throw std::bad_alloc();
  auto t = std::allocate_shared<TensorImpl>(pool::Allocator<TensorImpl>());
  t->storage = std::allocate_shared<Storage>(pool::Allocator<Storage>(), size_t(numel(shape)) * itemsize(dtype));
  t->shape = shape;
  t->strides = contiguous_strides(shape);
  t->dtype = dtype;
  return Tensor(std::move(t));
}

Tensor zeros(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  std::memset(t.raw_data(), 0, t->storage->nbytes);
  return t;
}

namespace {

// A tensor of `shape` holding convert(T) everywhere, T its element type.
template <class Convert>
Tensor filled(const Shape& shape, DType dtype, Convert convert) {
  Tensor t = empty(shape, dtype);
  const int64_t n = t.numel();
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    const T v = convert(tag);
    std::fill(p, p + n, v);
  });
  return t;
}

}  // namespace

Tensor full(const Shape& shape, double value, DType dtype) {
  return filled(shape, dtype, [value](auto tag) { return numeric_cast<decltype(tag)>(value); });
}

Tensor scalar_tensor(double value, DType dtype) { return full({}, value, dtype); }

Tensor full_int(const Shape& shape, int64_t value, DType dtype) {
  return filled(shape, dtype, [value](auto tag) { return static_cast<decltype(tag)>(value); });
}

double item_as_double(const Tensor& t) {
  return dispatch(t.dtype(), [&](auto tag) -> double {
    using T = decltype(tag);
    return static_cast<double>(*t.data<T>());
  });
}

std::string describe(const Tensor& t) {
  return std::string(dtype_name(t.dtype())) + " tensor of shape " + shape_str(t.shape());
}

}  // namespace pyjac
