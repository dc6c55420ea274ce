// A small deterministic thread pool: work is split into fixed contiguous chunks by index, so which
// thread runs an index never changes a result.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hardy {

class ThreadPool {
 public:
  /// threads ≥ 1; the calling thread is one of them, so threads − 1 workers are started.
  explicit ThreadPool(int threads = 1);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  /// Calls body(begin, end, worker) on the chunks of [0, n): chunk w is
  /// [n·w/T, n·(w+1)/T) for T = threads(). Blocks until all chunks finish; rethrows the first
  /// exception. Not reentrant: body must not call parallel_for on the same pool.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& body);

 private:
  void worker_loop(int worker);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(int64_t, int64_t, int)>* body_ = nullptr;
  int64_t n_ = 0;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace hardy
