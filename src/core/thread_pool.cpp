// ThreadPool: persistent workers woken per parallel_for generation.
#include "hardy/core/thread_pool.h"

#include "hardy/core/error.h"

namespace hardy {

ThreadPool::ThreadPool(int threads) {
  if (threads < 1) throw ConfigError("thread count must be >= 1, got " + std::to_string(threads));
  for (int w = 1; w < threads; ++w) workers_.emplace_back([this, w] { worker_loop(w); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

static void chunk_of(int64_t n, int worker, int threads, int64_t& begin, int64_t& end) {
  begin = n * worker / threads;
  end = n * (worker + 1) / threads;
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& body) {
  if (n <= 0) return;
  if (workers_.empty()) {
    body(0, n, 0);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    body_ = &body;
    n_ = n;
    pending_ = static_cast<int>(workers_.size());
    error_ = nullptr;
    ++generation_;
  }
  start_cv_.notify_all();
  std::exception_ptr own_error;
  try {
    int64_t b = 0, e = 0;
    chunk_of(n, 0, threads(), b, e);
    if (b < e) body(b, e, 0);
  } catch (...) {
    own_error = std::current_exception();
  }
  std::unique_lock lock(mutex_);
  done_cv_.wait(lock, [this] { return pending_ == 0; });
  body_ = nullptr;
  if (own_error) std::rethrow_exception(own_error);
  if (error_) std::rethrow_exception(error_);
}

void ThreadPool::worker_loop(int worker) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int64_t, int64_t, int)>* body = nullptr;
    int64_t n = 0;
    {
      std::unique_lock lock(mutex_);
      start_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      body = body_;
      n = n_;
    }
    try {
      int64_t b = 0, e = 0;
      chunk_of(n, worker, threads(), b, e);
      if (b < e) (*body)(b, e, worker);
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    {
      std::lock_guard lock(mutex_);
      --pending_;
    }
    done_cv_.notify_one();
  }
}

}  // namespace hardy
