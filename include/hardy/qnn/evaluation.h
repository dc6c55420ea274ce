// Accuracy and agreement of a float graph and its int8 model on a labelled test set.
#pragma once

#include <cstdint>
#include <string>

#include "hardy/core/thread_pool.h"
#include "hardy/data/dataset.h"
#include "hardy/qnn/graph.h"
#include "hardy/qnn/int8_executor.h"

namespace hardy::qnn {

struct EvalResult {
  int64_t images = 0;
  double fp32_accuracy = 0, int8_accuracy = 0;  ///< fractions in [0, 1]
  double agreement = 0;                         ///< int8 top-1 == fp32 top-1
  double fp32_images_per_second = 0, int8_images_per_second = 0;
  int threads = 1;
};

/// Runs the first n test images through the float graph and the int8 executor (timed
/// separately). Deterministic apart from the timings.
EvalResult evaluate(const Graph& graph, const Int8Executor& int8, const data::Dataset& test,
                    int64_t n, ThreadPool& pool);

}  // namespace hardy::qnn
