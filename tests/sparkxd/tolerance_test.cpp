// Tolerance analysis: identical for any thread count, errors cost accuracy, resumed points are
// kept, BER_max follows its definition, the BER grid parses as documented.
#include "hardy/sparkxd/tolerance.h"

#include <gtest/gtest.h>

#include "hardy/core/error.h"
#include "hardy/snn/training.h"
#include "test_data.h"

namespace hardy::sparkxd {
namespace {

using testing::ddr3l;
using testing::fashion_test;
using testing::fashion_train;
using testing::have_fashion;

const snn::Network& labelled_net() {
  static const snn::Network net = [] {
    snn::Network n = snn::Network::fresh(snn::SnnParams{}, 784, 30, 5);
    snn::TrainOptions o;
    o.images = 400;
    o.seed = 5;
    snn::train_network(n, fashion_train(), o);
    snn::InferenceOptions io;
    io.images = 400;
    io.keep_counts = true;
    snn::label_network(n, fashion_train(), io);
    return n;
  }();
  return net;
}

ToleranceOptions options() {
  ToleranceOptions t;
  t.bers = {1e-6, 1e-4, 1e-2, 0.1};
  t.maps = 3;
  return t;
}

TEST(SparkxdTolerance, IsIdenticalForAnyThreadCount) {
  if (!have_fashion()) GTEST_SKIP() << "Fashion-MNIST not installed";
  for (const auto format : {snn::WeightFormat::fp32(), snn::WeightFormat::fixed(8)}) {
    snn::InferenceOptions io;
    SnnModel model(labelled_net(), format, fashion_test(), io);
    ThreadPool one(1);
    const ToleranceCurve ref = tolerance_analysis(model, ddr3l().org, options(), one);
    ASSERT_EQ(ref.points.size(), 4u);
    // Errors cost accuracy: at BER 0.1 the network is far below its error-free accuracy.
    EXPECT_LT(ref.points.back().accuracy.mean, ref.clean_accuracy - 0.1) << format.name();
    EXPECT_GT(ref.points.back().accuracy.flips_mean(), 1000);
    for (int threads : {2, 3}) {
      ThreadPool pool(threads);
      const ToleranceCurve c = tolerance_analysis(model, ddr3l().org, options(), pool);
      EXPECT_EQ(c.to_json(), ref.to_json()) << format.name() << " threads " << threads;
    }
  }
}

TEST(SparkxdTolerance, KeepsPointsAlreadyMeasured) {
  if (!have_fashion()) GTEST_SKIP() << "Fashion-MNIST not installed";
  snn::InferenceOptions io;
  SnnModel model(labelled_net(), snn::WeightFormat::fixed(8), fashion_test(), io);
  ThreadPool pool(2);
  const ToleranceCurve full = tolerance_analysis(model, ddr3l().org, options(), pool);
  ToleranceCurve partial = full;
  partial.points.resize(2);
  partial.points[0].accuracy.accuracies = {0.5, 0.5, 0.5};  // marks a kept point
  partial.points[0].accuracy.summarise();
  int measured = 0;
  const ToleranceCurve resumed = tolerance_analysis(model, ddr3l().org, options(), pool, &partial,
                                                    [&](const ToleranceCurve&) { ++measured; });
  EXPECT_EQ(measured, 2);
  EXPECT_EQ(resumed.points[0].accuracy.mean, 0.5);
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(resumed.points[i].to_json(), full.points[i].to_json()) << i;
  }
  EXPECT_EQ(ToleranceCurve::from_json(full.to_json(), "x").to_json(), full.to_json());
}

ToleranceCurve synthetic(double clean, std::vector<std::pair<double, double>> points) {
  ToleranceCurve c;
  c.clean_accuracy = clean;
  for (auto [ber, acc] : points) {
    TolerancePoint p;
    p.ber = ber;
    p.accuracy.accuracies = {acc, acc, acc};
    p.accuracy.flips = {1, 1, 1};
    p.accuracy.summarise();
    c.points.push_back(p);
  }
  return c;
}

TEST(SparkxdTolerance, BerMaxIsTheHighestBerWithEveryLowerOneWithinTheMargin) {
  const auto c =
      synthetic(0.80, {{1e-6, 0.80}, {1e-5, 0.795}, {1e-4, 0.79}, {1e-3, 0.75}, {1e-2, 0.795}});
  EXPECT_EQ(max_tolerable_ber(c, 0.80), 1e-4);  // 0.79 is exactly 1 point down: within
  EXPECT_EQ(max_tolerable_ber(c, 0.80, 0.002), 1e-6);
  // Against a higher reference (the network trained without FAT) fewer BERs pass.
  EXPECT_EQ(max_tolerable_ber(c, 0.803), 1e-5);
  // An error-free accuracy already more than the margin below the reference: none.
  EXPECT_EQ(max_tolerable_ber(c, 0.82), 0.0);
  EXPECT_EQ(max_tolerable_ber(synthetic(0.8, {{1e-6, 0.7}}), 0.8), 0.0);
}

TEST(SparkxdTolerance, ParsesLogSpacedGridsAndLists) {
  const auto g = parse_bers("1e-8:1e-2:2");
  ASSERT_EQ(g.size(), 13u);
  EXPECT_EQ(g.front(), 1e-8);
  EXPECT_EQ(g[1], 3.162e-8);
  EXPECT_EQ(g.back(), 1e-2);
  EXPECT_EQ(parse_bers("1e-6,1e-4"), (std::vector<double>{1e-6, 1e-4}));
  for (const char* bad : {"", "1e-4,1e-6", "0:1e-2:2", "1e-2:1e-4:2", "1e-8:1e-2:0", "x", "0.6",
                          "1e-8:1e-2:1.5", "1e-4,1e-4"}) {
    EXPECT_THROW(parse_bers(bad), ConfigError) << bad;
  }
  EXPECT_NE(tolerance_stream(1e-4), tolerance_stream(3.162e-4));
}

}  // namespace
}  // namespace hardy::sparkxd
