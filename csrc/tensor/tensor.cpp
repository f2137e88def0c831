#include "tensor/tensor.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <stdexcept>

#include "autograd/node.h"
#include "tensor/buffer_cache.h"
#include "tensor/pool.h"
#include "vmap/batched.h"

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

void Tensor::no_storage() const {
  throw std::runtime_error(
      "vmap: an operation has no batching rule and read a batched tensor's memory directly; please report this "
      "(the operation's name is in the traceback)");
}

Tensor Tensor::detach() const {
  if (impl_->batch) return vmap::make_batched(impl_->batch->physical.detach(), impl_->batch->dims);
  auto t = std::allocate_shared<TensorImpl>(pool::Allocator<TensorImpl>());
  t->storage = impl_->storage;
  t->shape = impl_->shape;
  t->strides = impl_->strides;
  t->offset = impl_->offset;
  t->dtype = impl_->dtype;
  return Tensor(std::move(t));
}

Tensor Tensor::view_as_strided(const Shape& shape, const Shape& strides, int64_t offset) const {
  if (!impl_->storage) no_storage();
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

namespace {

// "cannot allocate 8.0 TB (8000000000000 bytes) for a float64 tensor of shape (1000000, 1000000)".
// Counted in long double (and exactly in 128 bits while that holds): the product of the
// dimensions may not fit 64 bits.
AllocationError cannot_allocate(const Shape& shape, DType dtype) {
  long double bytes = itemsize(dtype);
  unsigned __int128 exact = itemsize(dtype);
  bool exact_fits = true;
  for (auto s : shape) {
    bytes *= static_cast<long double>(s);
    const auto d = static_cast<unsigned __int128>(s);
    if (!exact_fits) continue;
    if (d != 0 && exact > ~static_cast<unsigned __int128>(0) / d)
      exact_fits = false;
    else
      exact *= d;
  }
  static const char* const units[] = {"bytes", "KB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  size_t unit = 0;
  long double scaled = bytes;
  while (scaled >= 1000 && unit + 1 < std::size(units)) {
    scaled /= 1000;
    ++unit;
  }
  char human[64];
  if (scaled >= 1000)
    std::snprintf(human, sizeof human, "%.1Le bytes", bytes);  // beyond yottabytes
  else
    std::snprintf(human, sizeof human, unit == 0 ? "%.0Lf %s" : "%.1Lf %s", scaled, units[unit]);
  std::string count;
  if (exact_fits) {
    for (unsigned __int128 v = exact; v > 0 || count.empty(); v /= 10)
      count.insert(count.begin(), char('0' + int(v % 10)));
    count = " (" + count + " bytes)";
  }
  return AllocationError("cannot allocate " + std::string(human) + count + " for a " + dtype_name(dtype) +
                         " tensor of shape " + shape_str(shape));
}

}  // namespace

Tensor empty(const Shape& shape, DType dtype) {
  // Checked size: an overflowing product must not become a small allocation.
  int64_t n = 1;
  for (auto s : shape) {
    if (s < 0) throw ValueError("negative dimensions are not allowed: " + shape_str(shape));
    if (s != 0 && n > kMaxAllocationBytes / s)
      n = kMaxAllocationBytes;
    else
      n *= s;
  }
  if (n >= kMaxAllocationBytes / int64_t(itemsize(dtype))) throw cannot_allocate(shape, dtype);
  auto t = std::allocate_shared<TensorImpl>(pool::Allocator<TensorImpl>());
  try {
    t->storage = std::allocate_shared<Storage>(pool::Allocator<Storage>(), size_t(numel(shape)) * itemsize(dtype));
  } catch (const std::bad_alloc&) {  // the system refused: more than it has
    throw cannot_allocate(shape, dtype);
  }
  t->shape = shape;
  t->strides = contiguous_strides(shape);
  t->dtype = dtype;
  return Tensor(std::move(t));
}

Tensor empty(const Shape& shape, DType dtype, const char* op) {
  return naming_allocation_errors(op, [&] { return empty(shape, dtype); });
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
