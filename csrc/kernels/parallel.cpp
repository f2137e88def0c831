#include "kernels/parallel.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

namespace pyjac::kernels::parallel {

namespace {

thread_local bool in_piece = false;

int threads_from_environment() {
  if (const char* s = std::getenv("PYJAC_NUM_THREADS")) {
    const int n = std::atoi(s);
    if (n >= 1) return std::min(n, 256);
  }
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

// Workers sleep on a condition variable between loops. The pool is never destroyed (threads may
// still be asleep in it at interpreter exit) and is dropped in a forked child, which has none of
// its threads: the child makes a new one on first use.
class Pool {
 public:
  explicit Pool(int threads) : pieces_(threads) {
    for (int i = 1; i < threads; ++i) std::thread([this, i] { work(i); }).detach();
  }

  bool try_run(int64_t n, RangeFn fn, const void* ctx) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      n_ = n, fn_ = fn, ctx_ = ctx;
      pending_ = pieces_ - 1;
      ++generation_;
    }
    wake_.notify_all();
    run_piece(0);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    return true;
  }

 private:
  void run_piece(int i) {
    // Pieces start on 64-element boundaries, so no two threads write one cache line.
    auto edge = [&](int k) { return std::min(n_, (n_ * k / pieces_ + 63) / 64 * 64); };
    const int64_t b = i == 0 ? 0 : edge(i), e = i == pieces_ - 1 ? n_ : edge(i + 1);
    in_piece = true;
    if (b < e) fn_(ctx_, b, e);
    in_piece = false;
  }

  void work(int i) {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      lock.unlock();
      run_piece(i);
      lock.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  const int pieces_;
  std::mutex busy_;  // one loop at a time; a second caller runs its loop inline
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  uint64_t generation_ = 0;
  int pending_ = 0;
  int64_t n_ = 0;
  RangeFn fn_ = nullptr;
  const void* ctx_ = nullptr;
};

std::mutex pool_mutex;
Pool* pool = nullptr;

void forget_pool_in_child() {
  pool = nullptr;
  new (&pool_mutex) std::mutex();  // another thread may have held it at the fork
}

int configured_threads() {
  static const int threads = [] {
    pthread_atfork(nullptr, nullptr, forget_pool_in_child);
    return threads_from_environment();
  }();
  return threads;
}

Pool* get_pool() {
  if (configured_threads() < 2) return nullptr;
  std::lock_guard<std::mutex> lock(pool_mutex);
  if (!pool) pool = new Pool(configured_threads());
  return pool;
}

}  // namespace

int num_threads() { return configured_threads(); }

void run(int64_t n, RangeFn fn, const void* ctx) {
  if (!in_piece)
    if (Pool* p = get_pool(); p && p->try_run(n, fn, ctx)) return;
  fn(ctx, 0, n);
}

}  // namespace pyjac::kernels::parallel
