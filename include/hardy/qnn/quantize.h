// Post-training quantization: calibrate activation ranges on training images, quantize weights.
#pragma once

#include <cstdint>

#include "hardy/core/thread_pool.h"
#include "hardy/data/dataset.h"
#include "hardy/qnn/qmodel.h"

namespace hardy::qnn {

enum class CalibrationMethod {
  kMinMax,      ///< range = [min, max] seen over the calibration images
  kPercentile,  ///< range = [p-th lowest, p-th highest] of the values seen (clips outliers)
};

struct CalibrationOptions {
  int64_t images = 1000;  ///< first N images of the calibration set
  CalibrationMethod method = CalibrationMethod::kMinMax;
  double percentile = 99.99;  ///< kPercentile only, in (50, 100]
};

/// Quantizes graph with activation ranges measured on `calibration` (training images). The
/// input is fixed at scale 1/255, zero point 0, so the int8 model consumes raw pixels exactly.
/// Deterministic for any pool size. Throws ConfigError for invalid options.
QModel quantize(const Graph& graph, const data::Dataset& calibration,
                const CalibrationOptions& options, ThreadPool& pool);

}  // namespace hardy::qnn
