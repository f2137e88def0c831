#include "tensor/pool.h"

#include <cstdint>

namespace pyjac::pool {

namespace {

constexpr size_t kGranule = 16;
constexpr size_t kClasses = 32;           // blocks up to 512 bytes
constexpr uint32_t kMaxCached = 1 << 13;  // per class and thread: beyond this, back to malloc

struct FreeBlock {
  FreeBlock* next;
};

struct FreeLists {
  FreeBlock* head[kClasses] = {};
  uint32_t count[kClasses] = {};
};

void release_all(FreeLists* lists) {
  for (size_t c = 0; c < kClasses; ++c)
    while (FreeBlock* b = lists->head[c]) {
      lists->head[c] = b->next;
      ::operator delete(b);
    }
}

// The hot path reads one trivially-initialised thread_local pointer; the owner below (with a
// destructor, hence slower to reach) is touched once per thread to free the lists at thread exit.
// initial-exec: one instruction per read instead of a __tls_get_addr call (see grad_mode.h).
__attribute__((tls_model("initial-exec"))) thread_local FreeLists* current = nullptr;
__attribute__((tls_model("initial-exec"))) thread_local bool exited = false;

struct Owner {
  FreeLists lists;
  ~Owner() {
    release_all(&lists);
    current = nullptr;
    exited = true;
  }
};

FreeLists* lists_for_thread() {
  if (current) return current;
  if (exited) return nullptr;  // objects freed during thread teardown go straight to the system
  thread_local Owner owner;
  current = &owner.lists;
  return current;
}

}  // namespace

void* allocate(size_t bytes) {
#ifdef PYJAC_SANITIZE
  return ::operator new(bytes);  // every block fresh, so AddressSanitizer sees use-after-free
#endif
  const size_t c = (bytes + kGranule - 1) / kGranule;
  if (c < kClasses) {
    if (FreeLists* lists = lists_for_thread()) {
      if (FreeBlock* b = lists->head[c]) {
        lists->head[c] = b->next;
        --lists->count[c];
        return b;
      }
    }
    return ::operator new(c * kGranule);
  }
  return ::operator new(bytes);
}

void release_cached() {
  if (current) {
    release_all(current);
    for (auto& c : current->count) c = 0;
  }
}

void deallocate(void* p, size_t bytes) noexcept {
#ifdef PYJAC_SANITIZE
  ::operator delete(p);
  return;
#endif
  const size_t c = (bytes + kGranule - 1) / kGranule;
  if (c < kClasses) {
    FreeLists* lists = lists_for_thread();
    if (lists && lists->count[c] < kMaxCached) {
      auto* b = static_cast<FreeBlock*>(p);
      b->next = lists->head[c];
      lists->head[c] = b;
      ++lists->count[c];
      return;
    }
  }
  ::operator delete(p);
}

}  // namespace pyjac::pool
