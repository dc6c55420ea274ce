// Float vs int8 evaluation.
#include "hardy/qnn/evaluation.h"

#include <atomic>
#include <chrono>

#include "hardy/core/error.h"
#include "hardy/core/progress.h"
#include "hardy/qnn/float_executor.h"

namespace hardy::qnn {

EvalResult evaluate(const Graph& graph, const Int8Executor& int8, const data::Dataset& test,
                    int64_t n, ThreadPool& pool) {
  HARDY_CHECK(n >= 1 && n <= test.size());
  check_input_matches(graph, test.rows, test.cols, test.name);
  using Clock = std::chrono::steady_clock;
  const int64_t classes = int8.model().output_elements();
  std::vector<int> fp32_top(static_cast<size_t>(n));
  std::atomic<int64_t> done{0};
  Progress fp32_progress("fp32", n, "images");
  auto t0 = Clock::now();
  pool.parallel_for(n, [&](int64_t b, int64_t e, int worker) {
    for (int64_t i = b; i < e; ++i) {
      const auto out = run_float(graph, image_to_float(test.image(i)));
      fp32_top[static_cast<size_t>(i)] = argmax(out.data(), static_cast<int64_t>(out.size()));
      const int64_t finished = ++done;
      if (worker == 0) fp32_progress.update(finished);
    }
  });
  auto t1 = Clock::now();
  fp32_progress.finish();
  const std::vector<uint8_t> outputs = int8.run_dataset(test, n, pool);
  auto t2 = Clock::now();

  EvalResult r;
  r.images = n;
  r.threads = pool.threads();
  int64_t fp32_ok = 0, int8_ok = 0, agree = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int top = argmax(outputs.data() + i * classes, classes);
    const int label = test.labels[static_cast<size_t>(i)];
    fp32_ok += fp32_top[static_cast<size_t>(i)] == label;
    int8_ok += top == label;
    agree += top == fp32_top[static_cast<size_t>(i)];
  }
  const auto dn = static_cast<double>(n);
  r.fp32_accuracy = static_cast<double>(fp32_ok) / dn;
  r.int8_accuracy = static_cast<double>(int8_ok) / dn;
  r.agreement = static_cast<double>(agree) / dn;
  r.fp32_images_per_second = dn / std::chrono::duration<double>(t1 - t0).count();
  r.int8_images_per_second = dn / std::chrono::duration<double>(t2 - t1).count();
  return r;
}

}  // namespace hardy::qnn
