// Thread pool: covers every index exactly once, same chunks for any run, propagates exceptions.
#include "hardy/core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "hardy/core/error.h"

namespace hardy {
namespace {

TEST(ThreadPool, EveryIndexOnceForAnyThreadCount) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.parallel_for(n, [&](int64_t b, int64_t e, int) {
        for (int64_t i = b; i < e; ++i) ++hits[static_cast<size_t>(i)];
      });
      for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    }
  }
}

TEST(ThreadPool, ChunksAreContiguousAndFixed) {
  ThreadPool pool(3);
  std::vector<int> owner(10, -1);
  pool.parallel_for(10, [&](int64_t b, int64_t e, int w) {
    for (int64_t i = b; i < e; ++i) owner[static_cast<size_t>(i)] = w;
  });
  EXPECT_EQ(owner, (std::vector<int>{0, 0, 0, 1, 1, 1, 2, 2, 2, 2}));
}

TEST(ThreadPool, RethrowsAndStaysUsable) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(10,
                                 [](int64_t, int64_t e, int) {
                                   if (e == 10) throw std::runtime_error("boom");
                                 }),
               std::runtime_error);
  int64_t total = 0;
  std::mutex m;
  pool.parallel_for(100, [&](int64_t b, int64_t e, int) {
    std::lock_guard lock(m);
    total += e - b;
  });
  EXPECT_EQ(total, 100);
}

TEST(ThreadPool, RejectsZeroThreads) { EXPECT_THROW(ThreadPool(0), ConfigError); }

}  // namespace
}  // namespace hardy
