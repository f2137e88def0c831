#include "tensor/buffer_cache.h"

#include <sys/mman.h>

#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace pyjac::buffers {

namespace {

constexpr size_t kPage = size_t(1) << 12;
constexpr size_t kHuge = size_t(1) << 21;
constexpr size_t kCachedFrom = size_t(1) << 15;
constexpr size_t kCachedUpTo = size_t(1) << 26;
constexpr size_t kCacheLimit = size_t(1) << 28;  // bytes held while unused, across all classes

// Sizes rounded up to a class: whole pages below 1 MB, then eighths of the power of two, so a
// buffer wastes at most 12.5% and similar sizes share buffers.
size_t size_class(size_t n) {
  if (n < (size_t(1) << 20)) return (n + kPage - 1) / kPage * kPage;
  size_t power = size_t(1) << (63 - __builtin_clzll(n));
  size_t step = power / 8;
  return (n + step - 1) / step * step;
}

struct Cache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free;
  size_t bytes = 0;
};

// Leaked on purpose: buffers may be freed during interpreter shutdown, after static destructors.
Cache& cache() {
  static Cache* c = new Cache();
  return *c;
}

void* system_allocate(size_t rounded) {
  const size_t align = rounded >= 2 * kHuge ? kHuge : 64;
  void* p = std::aligned_alloc(align, (rounded + align - 1) / align * align);
  if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  // Fresh pages from the kernel: huge ones make the first touch hundreds of times fewer faults.
  if (align == kHuge) madvise(p, (rounded + align - 1) / align * align, MADV_HUGEPAGE);
#endif
  return p;
}

}  // namespace

void* allocate(size_t n) {
  if (n < kCachedFrom) {
    void* p = std::malloc(n);
    if (!p) throw std::bad_alloc();
    return p;
  }
  if (n > kCachedUpTo) return system_allocate(n);
  const size_t cls = size_class(n);
  {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free.find(cls);
    if (it != c.free.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.bytes -= cls;
      return p;
    }
  }
  return system_allocate(cls);
}

void deallocate(void* p, size_t n) noexcept {
  if (!p) return;
#ifndef PYJAC_SANITIZE  // sanitized builds free every buffer, so AddressSanitizer sees reuse
  if (n >= kCachedFrom && n <= kCachedUpTo) {
    const size_t cls = size_class(n);
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.bytes + cls <= kCacheLimit) {
      try {
        c.free[cls].push_back(p);
        c.bytes += cls;
        return;
      } catch (...) {  // no memory for the bookkeeping: just free it
      }
    }
  }
#endif
  std::free(p);
}

void release_cached() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [cls, list] : c.free)
    for (void* p : list) std::free(p);
  c.free.clear();
  c.bytes = 0;
}

size_t cached_bytes() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.bytes;
}

}  // namespace pyjac::buffers
