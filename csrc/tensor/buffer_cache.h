#pragma once
// Memory for tensor buffers.
//
// Note [Buffer caches]
// Buffers from 32 KB to 64 MB are recycled through a bounded cache keyed by size class: a fresh
// buffer from the system costs a page fault per 4 KB on first touch, which made a 10^5-element op
// several times slower than its arithmetic, and elementwise graphs allocate a new buffer per op
// and per rule. Huge buffers get 2 MB-aligned huge pages instead. Small objects (TensorImpl,
// Storage, nodes) have their own per-thread free lists (tensor/pool.h). Both are bypassed in
// sanitizer builds, and tests that measure RSS empty them first (release_cached_buffers()).
#include <cstddef>

namespace pyjac::buffers {

void* allocate(size_t bytes);                     // never null: throws std::bad_alloc
void deallocate(void* p, size_t bytes) noexcept;  // `bytes` as passed to allocate

// Hands every cached buffer back to the system (tests measuring RSS call this first).
void release_cached();
size_t cached_bytes();

}  // namespace pyjac::buffers
