// Post-training quantization on a real model: deterministic, ranges as documented.
#include "hardy/qnn/quantize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "hardy/core/error.h"
#include "zoo.h"

namespace hardy::qnn {
namespace {

const testing::ZooModel& lenet() { return testing::zoo_model("lenet5_fmnist"); }

data::Dataset calibration_set() {
  return data::load_dataset("fashion-mnist", data::Split::kTrain).head(300);
}

QModel quantize_with(int threads, CalibrationMethod method) {
  ThreadPool pool(threads);
  CalibrationOptions o;
  o.images = 300;
  o.method = method;
  o.percentile = 99.9;
  return quantize(lenet().graph, calibration_set(), o, pool);
}

TEST(Quantize, IdenticalForOneAndTwoThreads) {
  for (auto method : {CalibrationMethod::kMinMax, CalibrationMethod::kPercentile}) {
    const QModel a = quantize_with(1, method), b = quantize_with(2, method);
    ASSERT_EQ(a.values.size(), b.values.size());
    for (size_t v = 0; v < a.values.size(); ++v) {
      EXPECT_EQ(a.values[v].quant.scale, b.values[v].quant.scale);
      EXPECT_EQ(a.values[v].quant.zero_point, b.values[v].quant.zero_point);
    }
    for (size_t n = 0; n < a.nodes.size(); ++n) {
      EXPECT_EQ(a.nodes[n].weight.data, b.nodes[n].weight.data);
      EXPECT_EQ(a.nodes[n].bias, b.nodes[n].bias);
    }
  }
}

TEST(Quantize, PercentileRangesLieInsideMinMaxRanges) {
  const QModel minmax = quantize_with(2, CalibrationMethod::kMinMax);
  const QModel pct = quantize_with(2, CalibrationMethod::kPercentile);
  int narrower = 0;
  for (size_t v = 0; v < minmax.values.size(); ++v) {
    EXPECT_LE(pct.values[v].quant.scale, minmax.values[v].quant.scale * 1.0001f);
    narrower += pct.values[v].quant.scale < minmax.values[v].quant.scale * 0.99f;
  }
  EXPECT_GT(narrower, 0);
}

TEST(Quantize, InputIsRawPixelsAndWeightsAreSymmetricPerChannel) {
  const QModel m = quantize_with(2, CalibrationMethod::kMinMax);
  EXPECT_EQ(m.value(m.input).quant.zero_point, 0);
  EXPECT_FLOAT_EQ(m.value(m.input).quant.scale, 1.0f / 255.0f);
  for (const QNode& n : m.nodes) {
    if (n.op != OpKind::kConv && n.op != OpKind::kDense) continue;
    const int64_t k = n.reduction_size();
    for (int64_t c = 0; c < n.weight.shape[0]; ++c) {
      int max_abs = 0;
      for (int64_t i = 0; i < k; ++i)
        max_abs = std::max(max_abs, std::abs(int{n.weight[c * k + i]}));
      EXPECT_EQ(max_abs, 127) << n.name << " channel " << c;
    }
  }
}

TEST(Quantize, RejectsInvalidOptions) {
  ThreadPool pool(1);
  CalibrationOptions o;
  o.images = 0;
  EXPECT_THROW(quantize(lenet().graph, calibration_set(), o, pool), ConfigError);
  o.images = 10;
  o.method = CalibrationMethod::kPercentile;
  o.percentile = 30;
  EXPECT_THROW(quantize(lenet().graph, calibration_set(), o, pool), ConfigError);
}

}  // namespace
}  // namespace hardy::qnn
