// Fault-aware training: BER 0 through the corruption path is plain training bit for bit; a small
// BER changes the result; the same seed gives the same corrupted weights; a resumed FAT run ends
// like an uninterrupted one; the curriculum steps as documented.
#include "hardy/sparkxd/fault_aware_training.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "../test_temp_dir.h"
#include "hardy/core/error.h"
#include "test_data.h"

namespace hardy::sparkxd {
namespace {

using testing::ddr3l;
using testing::fashion_train;
using testing::have_fashion;

snn::Network fresh(uint64_t seed = 3) {
  return snn::Network::fresh(snn::SnnParams{}, 784, 20, seed);
}

snn::TrainOptions train_options(uint64_t seed = 3) {
  snn::TrainOptions o;
  o.images = 300;
  o.seed = seed;
  return o;
}

FatOptions fat_options(std::vector<double> bers, snn::WeightFormat format) {
  FatOptions f;
  f.bers = std::move(bers);
  f.interval = 50;
  f.format = format;
  return f;
}

TEST(SparkxdFat, AtBerZeroItGoesThroughTheCorruptionPathAndEqualsPlainTraining) {
  if (!have_fashion()) GTEST_SKIP() << "Fashion-MNIST not installed";
  snn::Network plain = fresh();
  snn::train_network(plain, fashion_train(), train_options());
  for (const auto format : {snn::WeightFormat::fp32(), snn::WeightFormat::fixed(8)}) {
    snn::Network fat = fresh();
    const FatStats st = train_fault_aware(fat, fashion_train(), train_options(),
                                          fat_options({0.0, 0.0}, format), ddr3l().org);
    EXPECT_EQ(st.maps, 6) << format.name();  // samples 0, 50, 100 of each 150-sample step
    EXPECT_EQ(st.flips, 0);
    EXPECT_EQ(fat.weights, plain.weights) << format.name();
    EXPECT_EQ(fat.theta_mv, plain.theta_mv) << format.name();
  }
}

TEST(SparkxdFat, AtASmallBerItDiffersFromPlainTraining) {
  if (!have_fashion()) GTEST_SKIP() << "Fashion-MNIST not installed";
  snn::Network plain = fresh();
  snn::train_network(plain, fashion_train(), train_options());
  for (const auto format : {snn::WeightFormat::fp32(), snn::WeightFormat::fixed(8)}) {
    snn::Network fat = fresh();
    const FatStats st = train_fault_aware(fat, fashion_train(), train_options(),
                                          fat_options({1e-5, 1e-4}, format), ddr3l().org);
    EXPECT_GT(st.flips, 0) << format.name();
    EXPECT_NE(fat.weights, plain.weights) << format.name();
    for (float w : fat.weights) ASSERT_TRUE(w >= 0.0f && w <= 1.0f);
  }
}

TEST(SparkxdFat, TheSameSeedGivesTheSameCorruptedWeights) {
  std::vector<float> clean(784 * 30);
  for (size_t i = 0; i < clean.size(); ++i) clean[i] = static_cast<float>(i % 97) / 96.0f;
  for (const auto format : {snn::WeightFormat::fp32(), snn::WeightFormat::fixed(8)}) {
    WeightCorruptor c(ddr3l().org, format, 1.0f, dram::ErrorModelOptions{});
    std::vector<float> a = clean, b = clean, other = clean;
    const auto ra = c.corrupt(a, 1e-3, 42);
    const auto rb = c.corrupt(b, 1e-3, 42);
    c.corrupt(other, 1e-3, 43);
    EXPECT_GT(ra.flips, 0);
    EXPECT_EQ(ra.flips, rb.flips);
    EXPECT_EQ(a, b) << format.name();
    EXPECT_NE(a, other) << format.name();
    EXPECT_NE(a, clean) << format.name();
    int64_t changed = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_TRUE(a[i] >= 0.0f && a[i] <= 1.0f) << a[i];  // the decoding rule
      changed += a[i] != clean[i];
    }
    // Every changed weight holds at least one flipped bit, and no more weights change than bits
    // flip (a flipped q8 bit that lands in padding or leaves the code equal changes nothing).
    EXPECT_LE(changed, ra.flips);
    EXPECT_GT(changed, 0);
  }
  // Two FAT runs with the same seed: the same network.
  if (!have_fashion()) return;
  snn::Network x = fresh(), y = fresh();
  const FatOptions f = fat_options({1e-4}, snn::WeightFormat::fp32());
  train_fault_aware(x, fashion_train(), train_options(), f, ddr3l().org);
  train_fault_aware(y, fashion_train(), train_options(), f, ddr3l().org);
  EXPECT_EQ(x.weights, y.weights);
}

TEST(SparkxdFat, AResumedRunEqualsAnUninterruptedOne) {
  if (!have_fashion()) GTEST_SKIP() << "Fashion-MNIST not installed";
  namespace fs = std::filesystem;
  const std::string ckpt = hardy::testing::test_temp_path("fat.ckpt");
  const std::string killed = ckpt + ".at700";
  snn::TrainOptions o;
  o.images = 600;
  o.epochs = 2;  // 1,200 samples; checkpoints after samples 500 and 1,000
  o.seed = 4;
  o.checkpoint = ckpt;
  o.checkpoint_seconds = 0.0;
  const FatOptions f = fat_options({1e-5, 1e-4, 1e-3}, snn::WeightFormat::fixed(8));
  snn::Network a = fresh(4);
  const FatStats sa = train_fault_aware(
      a, fashion_train(), o, f, ddr3l().org, [&](int64_t done, const std::string&) {
        if (done == 700) {
          fs::copy_file(ckpt, killed, fs::copy_options::overwrite_existing);
        }
      });
  ASSERT_TRUE(fs::exists(killed));
  EXPECT_GT(sa.flips, 0);
  fs::copy_file(killed, ckpt, fs::copy_options::overwrite_existing);
  snn::Network b = fresh(4);
  o.resume = true;
  int64_t first_done = -1;
  train_fault_aware(b, fashion_train(), o, f, ddr3l().org, [&](int64_t done, const std::string&) {
    if (first_done < 0) first_done = done;
  });
  EXPECT_EQ(first_done, 501);
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_EQ(a.theta_mv, b.theta_mv);
  // A checkpoint of a FAT run with another curriculum is refused.
  fs::copy_file(killed, ckpt, fs::copy_options::overwrite_existing);
  snn::Network c = fresh(4);
  EXPECT_THROW(
      train_fault_aware(c, fashion_train(), o,
                        fat_options({1e-5, 1e-4, 2e-3}, snn::WeightFormat::fixed(8)), ddr3l().org),
      ConfigError);
}

TEST(SparkxdFat, TheCurriculumRaisesTheBerInEqualStepsAndRedrawsAtTheInterval) {
  FatOptions f;
  f.bers = {1e-5, 1e-4, 1e-3};
  f.interval = 40;
  // 100 samples: steps [0, 33), [33, 66), [66, 100).
  EXPECT_EQ(curriculum_ber(f, 0, 100), 1e-5);
  EXPECT_EQ(curriculum_ber(f, 32, 100), 1e-5);
  EXPECT_EQ(curriculum_ber(f, 33, 100), 1e-4);
  EXPECT_EQ(curriculum_ber(f, 65, 100), 1e-4);
  EXPECT_EQ(curriculum_ber(f, 66, 100), 1e-3);
  EXPECT_EQ(curriculum_ber(f, 99, 100), 1e-3);
  std::vector<int64_t> redraws;
  for (int64_t s = 0; s < 100; ++s) {
    if (redraws_at(f, s, 100)) redraws.push_back(s);
  }
  EXPECT_EQ(redraws, (std::vector<int64_t>{0, 33, 66}));
  f.interval = 20;
  redraws.clear();
  for (int64_t s = 0; s < 100; ++s) {
    if (redraws_at(f, s, 100)) redraws.push_back(s);
  }
  EXPECT_EQ(redraws, (std::vector<int64_t>{0, 20, 33, 53, 66, 86}));
  f.bers = {1e-3, 1e-4};
  EXPECT_THROW(f.validate(), ConfigError);
  f.bers = {};
  EXPECT_THROW(f.validate(), ConfigError);
  f.bers = {0.6};
  EXPECT_THROW(f.validate(), ConfigError);
  f.bers = {1e-3};
  f.interval = 0;
  EXPECT_THROW(f.validate(), ConfigError);
}

}  // namespace
}  // namespace hardy::sparkxd
