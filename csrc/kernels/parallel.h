#pragma once
// Big elementwise loops split across cores. A loop of n elements runs as f(begin, end) pieces on
// a small pool of worker threads plus the caller; small loops (most of them: per-op overhead
// matters more there) run inline. Elementwise results don't depend on the split.
#include <cstdint>

namespace pyjac::kernels {

// Below this many elements a loop runs on the calling thread: waking a sleeping worker costs
// tens of microseconds (measured here: no gain at 2e5 elements, 1.2-1.6x at 1e6, 2x at 1e7 on
// two cores), and matrices up to 512 x 512 stay on one core beside BLAS's own threads.
constexpr int64_t kParallelFrom = int64_t(1) << 18;

namespace parallel {

using RangeFn = void (*)(const void* ctx, int64_t begin, int64_t end);

// Threads a loop may use (PYJAC_NUM_THREADS, else the CPUs this process may run on).
int num_threads();
// Runs fn(ctx, b, e) over pieces covering [0, n); returns once every piece is done. Runs
// inline when the pool is busy with another thread's loop, or from inside a piece.
void run(int64_t n, RangeFn fn, const void* ctx);

}  // namespace parallel

template <class F>
void parallel_for(int64_t n, const F& f) {
  if (n < kParallelFrom) {
    f(int64_t(0), n);
    return;
  }
  parallel::run(n, [](const void* ctx, int64_t b, int64_t e) { (*static_cast<const F*>(ctx))(b, e); }, &f);
}

}  // namespace pyjac::kernels
