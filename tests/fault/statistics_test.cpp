// Sample sizes and intervals against published and hand-computed values.
#include "hardy/fault/statistics.h"

#include <gtest/gtest.h>

#include "hardy/core/error.h"

namespace hardy::fault {
namespace {

TEST(Statistics, LeveugleSampleSizesAsPublished) {
  // REFERENCES.md: N → ∞ gives 385 (±5%, 95%), 9,604 (±1%, 95%), 16,590 (±1%, 99%, t = 2.576).
  EXPECT_EQ(leveugle_sample_size(0, 0.05, 1.96), 385);
  EXPECT_EQ(leveugle_sample_size(0, 0.01, 1.96), 9604);
  EXPECT_EQ(leveugle_sample_size(0, 0.01, 2.576), 16590);
  EXPECT_EQ(leveugle_sample_size(0, 0.05, 2.576), 664);
  // A finite population needs fewer: N = 64,752 (LeNet-5's neuron bits), ±1%, 95%:
  // 64752 / (1 + 1e-4·64751 / 0.9604) = 8363.6 → 8364.
  EXPECT_EQ(leveugle_sample_size(64752, 0.01, 1.96), 8364);
  EXPECT_LE(leveugle_sample_size(100, 0.01, 1.96), 100);
  EXPECT_THROW(leveugle_sample_size(100, 0.0, 1.96), ConfigError);
  EXPECT_THROW(leveugle_sample_size(100, -0.1, 1.96), ConfigError);
}

TEST(Statistics, NormalQuantile) {
  EXPECT_NEAR(normal_quantile(0.95), 1.959964, 1e-6);
  EXPECT_NEAR(normal_quantile(0.99), 2.575829, 1e-6);
  EXPECT_THROW(normal_quantile(1.0), ConfigError);
}

TEST(Statistics, WilsonInterval) {
  // Hand-computed: k = 5, n = 10, z = 1.96 → [0.2366, 0.7634]; k = 0, n = 10 → [0, 0.2775].
  const Interval a = wilson_interval(5, 10, 1.96);
  EXPECT_NEAR(a.low, 0.2366, 1e-4);
  EXPECT_NEAR(a.high, 0.7634, 1e-4);
  const Interval b = wilson_interval(0, 10, 1.96);
  EXPECT_DOUBLE_EQ(b.low, 0.0);
  EXPECT_NEAR(b.high, 0.2775, 1e-4);
}

TEST(Statistics, MeanInterval) {
  const std::vector<double> v = {0.1, 0.2, 0.3, 0.4};
  // mean 0.25, s = 0.1291, s/√4 = 0.06455, ×1.96 = 0.12652
  const Interval i = mean_interval(v, 1.96);
  EXPECT_NEAR(i.low, 0.25 - 0.12652, 1e-5);
  EXPECT_NEAR(i.high, 0.25 + 0.12652, 1e-5);
}

}  // namespace
}  // namespace hardy::fault
