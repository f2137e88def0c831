#pragma once
// TensorImpl (storage + view geometry + autograd metadata) and Tensor, the handle the core passes around.
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/shape.h"

namespace pyjac {

struct Node;
namespace vmap {
struct BatchInfo;
}

// A flat buffer. Small buffers (0-d tensors, the per-op hot path) live inline, so a scalar tensor
// costs two allocations: its TensorImpl and this Storage (with its control block).
struct Storage {
  explicit Storage(size_t nbytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data;
  size_t nbytes;
  uint64_t version = 0;  // bumped by in-place writes
  // Bumped when an in-place op gives a tensor on this storage a new autograd history (or new
  // tangents): views made before that still describe the old history and must not be used.
  uint32_t rebases = 0;
  alignas(16) unsigned char inline_buf[16];
};

struct TensorImpl {
  ~TensorImpl();

  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;       // in elements
  int64_t offset = 0;  // in elements
  DType dtype = DType::Float64;

  // Autograd metadata. A tensor with grad_fn is a non-leaf; grad_fn's output `output_nr` is this tensor.
  bool requires_grad = false;
  bool retains_grad = false;
  // .grad has held a tensor with history: this tensor may head a reference cycle (see
  // autograd/cycles.h). Set under the .grad slot's lock, read by the collector.
  std::atomic<bool> may_cycle{false};
  uint32_t output_nr = 0;
  // Made by view_as_strided (shares a storage it may not own alone); `view_rebases` is the
  // storage's `rebases` when the view was made (see record()).
  bool is_view = false;
  uint32_t view_rebases = 0;
  std::shared_ptr<Node> grad_fn;
  std::weak_ptr<Node> grad_accumulator;  // leaves: the node that writes .grad, shared by graphs
  std::shared_ptr<TensorImpl> grad;
  // Forward-mode tangents by level id (see autograd/forward.h); empty almost always.
  std::vector<std::pair<uint64_t, std::shared_ptr<TensorImpl>>> tangents;
  // Set on a batched tensor inside vmap (vmap/batched.h): then there is no storage, and shape and
  // dtype are the logical (per-example) ones.
  std::shared_ptr<vmap::BatchInfo> batch;
  // The Python object wrapping this tensor while one is alive (owned and kept by the python/
  // layer, which clears it when the wrapper dies); lets a tensor keep its Python identity.
  void* pyobj = nullptr;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return bool(impl_); }
  TensorImpl* operator->() const { return impl_.get(); }
  TensorImpl& operator*() const { return *impl_; }
  const std::shared_ptr<TensorImpl>& impl() const { return impl_; }
  bool same(const Tensor& o) const { return impl_ == o.impl_; }

  const Shape& shape() const { return impl_->shape; }
  const Shape& strides() const { return impl_->strides; }
  int64_t ndim() const { return int64_t(impl_->shape.size()); }
  int64_t numel() const { return pyjac::numel(impl_->shape); }
  DType dtype() const { return impl_->dtype; }
  bool requires_grad() const { return impl_->requires_grad; }
  bool is_contiguous() const;

  template <class T>
  T* data() const {
    if (!impl_->storage) no_storage();
    return static_cast<T*>(impl_->storage->data) + impl_->offset;
  }
  void* raw_data() const {
    if (!impl_->storage) no_storage();
    return static_cast<char*>(impl_->storage->data) + impl_->offset * int64_t(itemsize(impl_->dtype));
  }

  // A new handle on the same storage and geometry, without autograd history.
  Tensor detach() const;
  // Same storage, new geometry (no autograd history: the ops layer records views).
  Tensor view_as_strided(const Shape& shape, const Shape& strides, int64_t offset) const;

 private:
  // A batched tensor (inside vmap) reached code that reads memory: an op without a batching rule.
  [[noreturn]] void no_storage() const;
  std::shared_ptr<TensorImpl> impl_;
};

// Allocations of more bytes than this are refused up front (AllocationError), without asking the
// system: no machine has them, and an overflowing size must never become a small allocation.
constexpr int64_t kMaxAllocationBytes = int64_t(1) << 48;

// Creation (no autograd). A tensor that can't be allocated raises AllocationError (MemoryError),
// saying how many bytes for which shape, and naming `op` when given.
Tensor empty(const Shape& shape, DType dtype);
Tensor empty(const Shape& shape, DType dtype, const char* op);
Tensor zeros(const Shape& shape, DType dtype);
inline Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }
Tensor full(const Shape& shape, double value, DType dtype);
Tensor scalar_tensor(double value, DType dtype);
// An integer value, exact in int64 (a double holds only 53 bits); other dtypes convert it.
Tensor full_int(const Shape& shape, int64_t value, DType dtype);

double item_as_double(const Tensor& t);  // first element, any dtype

std::string describe(const Tensor& t);  // "float64 tensor of shape (2, 3)", for error messages

}  // namespace pyjac
