#pragma once
// Small-object pool for what every op allocates (TensorImpl, Storage, OpNode, with their
// shared_ptr control blocks). An op on a 0-d tensor allocates a handful of these and a backward
// pass frees thousands in a burst; malloc's per-thread cache holds only a few blocks per size, so
// most of those went through its slow paths. Here each thread keeps its own free lists per
// 16-byte size class (bounded, returned to the system when the thread exits).
#include <cstddef>
#include <new>

namespace pyjac::pool {

void* allocate(size_t bytes);
void deallocate(void* p, size_t bytes) noexcept;
// Hands the calling thread's cached blocks back to malloc.
void release_cached();

// For std::allocate_shared.
template <class T>
struct Allocator {
  using value_type = T;
  Allocator() = default;
  template <class U>
  Allocator(const Allocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(pool::allocate(n * sizeof(T))); }
  void deallocate(T* p, size_t n) noexcept { pool::deallocate(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const Allocator<U>&) const {
    return true;
  }
  template <class U>
  bool operator!=(const Allocator<U>&) const {
    return false;
  }
};

}  // namespace pyjac::pool
