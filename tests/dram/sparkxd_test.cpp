// The sparkxd adapters and sweep: segments cover exactly the stored weights, corrupted weights
// run as a freshly built model would, the sweep is deterministic and errors cost accuracy.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "hardy/core/error.h"
#include "hardy/qnn/onnx_import.h"
#include "hardy/qnn/quantize.h"
#include "hardy/sparkxd/dram_sweep.h"
#include "hardy/sparkxd/weight_segments.h"
#include "test_util.h"

namespace hardy::sparkxd {
namespace {

struct Lenet {
  data::Dataset test;
  qnn::QModel model;
};

// LeNet-5 on Fashion-MNIST, quantized on 200 training images; loaded once.
const Lenet& lenet() {
  static const Lenet kLenet = [] {
    Lenet l;
    const auto graph =
        qnn::import_onnx(std::string(HARDY_SOURCE_DIR) + "/models/lenet5_fmnist.onnx");
    const auto train = data::load_dataset("fashion-mnist", data::Split::kTrain).head(200);
    l.test = data::load_dataset("fashion-mnist", data::Split::kTest).head(500);
    ThreadPool pool(1);
    qnn::CalibrationOptions o;
    o.images = 200;
    l.model = qnn::quantize(graph, train, o, pool);
    return l;
  }();
  return kLenet;
}

TEST(SparkxdSegments, Int8SegmentsAreExactlyTheStoredWeights) {
  qnn::QModel m = lenet().model;
  const auto segs = int8_weight_segments(m);
  ASSERT_EQ(segs.size(), 5u);  // conv1, conv2, fc1, fc2, fc3
  int64_t bytes = 0;
  for (const auto& s : segs) bytes += s.size_bytes();
  EXPECT_EQ(bytes, 150 + 2400 + 48000 + 10080 + 840);
  // Flipping stored bit 7 of byte 0 of conv1 is flipping the sign bit of weight 0.
  const int8_t before = m.nodes[0].weight[0];
  MemorySegment s = segs[0];
  s.flip_bit(7);
  EXPECT_EQ(static_cast<uint8_t>(m.nodes[0].weight[0]), static_cast<uint8_t>(before) ^ 0x80);
}

TEST(SparkxdSegments, CorruptedWeightsRunAsAFreshlyBuiltModelAndRestore) {
  Int8Model model(lenet().model, lenet().test, 0, qnn::KernelSet::kOptimized);
  ThreadPool pool(2);
  const double clean = model.accuracy(pool);
  // Corrupt: every 97th byte's bit 6 in every segment.
  qnn::QModel corrupted = lenet().model;
  auto theirs = int8_weight_segments(corrupted);
  auto mine = model.segments();
  ASSERT_EQ(theirs.size(), mine.size());
  for (size_t k = 0; k < mine.size(); ++k) {
    for (int64_t i = 6; i < mine[k].bit_count(); i += 97 * 8) {
      mine[k].flip_bit(i);
      theirs[k].flip_bit(i);
    }
  }
  const double hit = model.accuracy(pool);
  Int8Model fresh(corrupted, lenet().test, 0, qnn::KernelSet::kReference);
  EXPECT_EQ(hit, fresh.accuracy(pool));
  EXPECT_NE(hit, clean);
  model.restore();
  EXPECT_EQ(model.accuracy(pool), clean);
}

TEST(SparkxdSegments, SnnStoreSegmentAndRestore) {
  snn::Network net = snn::Network::fresh(snn::SnnParams{}, 784, 8, 3);
  net.labels.assign(8, 0);
  for (int j = 0; j < 8; ++j) net.labels[static_cast<size_t>(j)] = static_cast<uint8_t>(j % 10);
  snn::InferenceOptions io;
  io.images = 3;
  SnnModel model(net, snn::WeightFormat::fixed(8), lenet().test, io);
  auto segs = model.segments();
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0].size_bytes(), 784 * 8);
  EXPECT_EQ(segs[0].bits_per_word, 8);
  const std::vector<uint8_t> clean(segs[0].bytes.begin(), segs[0].bytes.end());
  segs[0].flip_bit(3);
  EXPECT_NE(segs[0].bytes[0], clean[0]);
  model.restore();
  EXPECT_TRUE(std::equal(clean.begin(), clean.end(), segs[0].bytes.begin()));
  ThreadPool pool(1);
  const double a = model.accuracy(pool);
  EXPECT_GE(a, 0.0);
  EXPECT_LE(a, 1.0);
}

DramConfig ddr3l_config() {
  DramConfig c;
  c.nominal = dram::load_memspec(dram::testing::data_file(dram::testing::kDdr3l));
  return c;
}

TEST(SparkxdSweep, ZeroBerKeepsTheCleanAccuracyAndEnergyFollowsVSquared) {
  Int8Model model(lenet().model, lenet().test, 200, qnn::KernelSet::kOptimized);
  BerSource ber;  // fixed 0
  SweepOptions o;
  o.voltages = {1.35, 1.2, 1.05};
  o.seeds = 2;
  ThreadPool pool(1);
  const SweepResult r = dram_sweep(model, ddr3l_config(), ber, o, pool);
  ASSERT_EQ(r.points.size(), 3u);
  for (const auto& p : r.points) {
    EXPECT_TRUE(p.note.empty());
    for (double a : p.accuracies) EXPECT_EQ(a, r.clean_accuracy);
    for (int64_t f : p.flips) EXPECT_EQ(f, 0);
    const double k2 = (p.vdd_v / 1.35) * (p.vdd_v / 1.35);
    EXPECT_NEAR(p.energy.total_j(), r.reference_energy_j * k2, r.reference_energy_j * 1e-9);
  }
  EXPECT_NEAR(r.points[2].energy_saving, 1 - (1.05 / 1.35) * (1.05 / 1.35), 1e-9);
}

TEST(SparkxdSweep, SameResultForAnyThreadCountAndErrorsCostAccuracy) {
  BerSource ber;
  ber.fixed_ber = 5e-3;  // ~2,500 flips in 492 k bits
  SweepOptions o;
  o.voltages = {1.2};
  o.seeds = 3;
  std::vector<double> acc[2];
  for (int t : {1, 2}) {
    Int8Model model(lenet().model, lenet().test, 200, qnn::KernelSet::kOptimized);
    ThreadPool pool(t);
    const SweepResult r = dram_sweep(model, ddr3l_config(), ber, o, pool);
    acc[t - 1] = r.points[0].accuracies;
    EXPECT_LT(r.points[0].accuracy_mean, r.clean_accuracy - 0.02);
    EXPECT_LE(r.points[0].accuracy_ci_low, r.points[0].accuracy_mean);
    const double expected_flips = 5e-3 * 8 * 61470;
    for (int64_t f : r.points[0].flips) {
      EXPECT_NEAR(static_cast<double>(f), expected_flips, 5 * std::sqrt(expected_flips));
    }
  }
  EXPECT_EQ(acc[0], acc[1]);
}

TEST(SparkxdSweep, VoltagesWithoutDataOrRoomAreNotedNotFatal) {
  Int8Model model(lenet().model, lenet().test, 100, qnn::KernelSet::kOptimized);
  const auto study =
      dram::VoltageStudy::load(dram::testing::data_file("voltage_study_faulty_cachelines.csv"));
  BerSource ber;
  ber.curve = study.dimm("B10");  // measured down to 1.05 V
  DramConfig c = ddr3l_config();
  c.mapping = {dram::MappingPolicy::kSparkXd, 1e-12};  // below every region's BER: nothing fits
  SweepOptions o;
  o.voltages = {1.05, 1.025};
  o.seeds = 1;
  ThreadPool pool(1);
  const SweepResult r = dram_sweep(model, c, ber, o, pool);
  EXPECT_NE(r.points[0].note.find("the weights need"), std::string::npos) << r.points[0].note;
  EXPECT_NE(r.points[1].note.find("1.05 V only"), std::string::npos) << r.points[1].note;
}

TEST(SparkxdSweep, ParseVoltages) {
  const auto v = parse_voltages("1.35:1.025:0.025");
  ASSERT_EQ(v.size(), 14u);
  EXPECT_DOUBLE_EQ(v.front(), 1.35);
  EXPECT_DOUBLE_EQ(v.back(), 1.025);
  EXPECT_EQ(parse_voltages("1.1,1.2").size(), 2u);
  EXPECT_EQ(parse_voltages("1.0:1.2:0.1").size(), 3u);
  for (const char* bad : {"1.35:1.0", "1.35:1.0:0", "a,b", "", "7"}) {
    EXPECT_THROW(parse_voltages(bad), ConfigError) << bad;
  }
}

}  // namespace
}  // namespace hardy::sparkxd
