// Dataset-level properties: training depends only on the seed; inference and labelling give the
// same result for any thread count; a small network learns something; fixed-point eval works.
#include "hardy/snn/training.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "../test_temp_dir.h"
#include "hardy/core/error.h"
#include "hardy/snn/weight_store.h"

namespace hardy::snn {
namespace {

const data::Dataset& fashion_train() {
  static const data::Dataset d = data::load_dataset("fashion-mnist", data::Split::kTrain).head(600);
  return d;
}
const data::Dataset& fashion_test() {
  static const data::Dataset d = data::load_dataset("fashion-mnist", data::Split::kTest).head(200);
  return d;
}

bool have_data() { return std::filesystem::exists(data::dataset_directory("fashion-mnist")); }

Network trained(uint64_t seed, int neurons = 40, int64_t images = 300) {
  Network net = Network::fresh(SnnParams{}, 784, neurons, seed);
  TrainOptions o;
  o.images = images;
  o.seed = seed;
  train_network(net, fashion_train(), o);
  return net;
}

TEST(SnnTraining, DependsOnlyOnTheSeed) {
  if (!have_data()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const Network a = trained(1, 20, 100), b = trained(1, 20, 100), c = trained(2, 20, 100);
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_EQ(a.theta_mv, b.theta_mv);
  EXPECT_NE(a.weights, c.weights);
  EXPECT_EQ(a.trained_samples, 100);
  for (float w : a.weights) ASSERT_TRUE(w >= 0.0f && w <= 1.0f);
}

TEST(SnnTraining, AKilledRunResumedFromItsCheckpointEndsLikeAnUninterruptedOne) {
  if (!have_data()) GTEST_SKIP() << "Fashion-MNIST not installed";
  namespace fs = std::filesystem;
  const std::string ckpt = testing::test_temp_path("resume.ckpt");
  const std::string killed = ckpt + ".at700";
  fs::remove(ckpt);
  TrainOptions o;
  o.images = 600;
  o.epochs = 2;  // 1,200 samples; checkpoints after samples 500 and 1,000
  o.seed = 4;
  o.checkpoint = ckpt;
  o.checkpoint_seconds = 0.0;  // at every block end
  // The uninterrupted run; at sample 700 its checkpoint is what a run killed then would leave.
  Network a = Network::fresh(SnnParams{}, 784, 20, 4);
  const TrainStats sa = train_network(a, fashion_train(), o, [&](int64_t done, const std::string&) {
    if (done == 700) fs::copy_file(ckpt, killed, fs::copy_options::overwrite_existing);
  });
  EXPECT_FALSE(fs::exists(ckpt));  // removed when training finished
  ASSERT_TRUE(fs::exists(killed));
  fs::copy_file(killed, ckpt, fs::copy_options::overwrite_existing);
  Network b = Network::fresh(SnnParams{}, 784, 20, 4);
  o.resume = true;
  int64_t first_done = -1;
  const TrainStats sb = train_network(b, fashion_train(), o, [&](int64_t done, const std::string&) {
    if (first_done < 0) first_done = done;
  });
  EXPECT_EQ(first_done, 501);  // resumed after the checkpointed block, not from the start
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_EQ(a.theta_mv, b.theta_mv);
  EXPECT_EQ(a.trained_samples, b.trained_samples);
  EXPECT_EQ(sa.presentations, sb.presentations);
  EXPECT_EQ(sa.input_spikes, sb.input_spikes);
  EXPECT_EQ(sa.exc_spikes, sb.exc_spikes);
  EXPECT_EQ(sa.running_accuracy, sb.running_accuracy);
  // A checkpoint of another run (here: another seed) is refused, not silently used.
  fs::copy_file(killed, ckpt, fs::copy_options::overwrite_existing);
  o.seed = 5;
  Network c = Network::fresh(SnnParams{}, 784, 20, 5);
  EXPECT_THROW(train_network(c, fashion_train(), o), ConfigError);
  fs::remove(ckpt);
  fs::remove(killed);
}

TEST(SnnTraining, InferenceIsIdenticalForAnyThreadCount) {
  if (!have_data()) GTEST_SKIP() << "Fashion-MNIST not installed";
  Network net = trained(3);
  InferenceOptions o;
  o.images = 200;
  o.keep_counts = true;
  const InferenceResult l1 = label_network(net, fashion_train(), o);
  const auto labels = net.labels;
  for (int threads : {2, 3}) {
    o.threads = threads;
    Network again = net;
    const InferenceResult l = label_network(again, fashion_train(), o);
    EXPECT_EQ(again.labels, labels) << threads;
    EXPECT_EQ(l.counts, l1.counts) << threads;
  }
  o.images = 0;
  o.keep_counts = true;
  o.threads = 1;
  const InferenceResult r1 = run_inference(net, fashion_test(), o);
  for (int threads : {2, 3, 5}) {
    o.threads = threads;
    const InferenceResult r = run_inference(net, fashion_test(), o);
    EXPECT_EQ(r.counts, r1.counts) << threads;
    EXPECT_EQ(r.predictions, r1.predictions) << threads;
    EXPECT_EQ(r.correct, r1.correct) << threads;
    EXPECT_EQ(r.presentations, r1.presentations) << threads;
  }
  // An image's result does not depend on which other images are evaluated with it.
  o.threads = 1;
  o.images = 7;
  const InferenceResult head = run_inference(net, fashion_test(), o);
  EXPECT_TRUE(std::equal(head.counts.begin(), head.counts.end(), r1.counts.begin()));
}

TEST(SnnTraining, ASmallNetworkLearnsAndFixedPointStaysClose) {
  if (!have_data()) GTEST_SKIP() << "Fashion-MNIST not installed";
  Network net = trained(4, 50, 600);
  InferenceOptions o;
  o.threads = 2;
  label_network(net, fashion_train(), o);
  const InferenceResult fp = run_inference(net, fashion_test(), o);
  EXPECT_GT(fp.accuracy, 0.45);  // chance is 0.10
  const WeightStore q8(WeightFormat::fixed(8), 1.0f, net.weights);
  o.store = &q8;
  const InferenceResult r8 = run_inference(net, fashion_test(), o);
  EXPECT_NEAR(r8.accuracy, fp.accuracy, 0.08);
  // fp32 "store" decodes to the same weights: identical results.
  const WeightStore f32(WeightFormat::fp32(), 1.0f, net.weights);
  o.store = &f32;
  const InferenceResult rf = run_inference(net, fashion_test(), o);
  EXPECT_EQ(rf.predictions, fp.predictions);
}

// The message of the ConfigError f throws ("" if none).
std::string config_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// Bad options are ConfigErrors naming what is wrong by its meaning, never by a CLI flag.
TEST(SnnTraining, BadOptionsAreConfigErrors) {
  if (!have_data()) GTEST_SKIP() << "Fashion-MNIST not installed";
  Network net = Network::fresh(SnnParams{}, 784, 4, 1);
  TrainOptions t;
  t.images = 601;
  std::string msg = config_error([&] { train_network(net, fashion_train(), t); });
  EXPECT_EQ(msg.rfind("image count 601: dataset 'fashion-mnist' has only 600 images", 0), 0u)
      << msg;
  t.images = -1;
  msg = config_error([&] { train_network(net, fashion_train(), t); });
  EXPECT_EQ(msg, "image count must be >= 0 (0: all), got -1");
  t.images = 1;
  t.epochs = 0;
  msg = config_error([&] { train_network(net, fashion_train(), t); });
  EXPECT_EQ(msg, "epochs must be >= 1, got 0");
  InferenceOptions o;
  o.threads = 0;
  msg = config_error([&] { run_inference(net, fashion_test(), o); });
  EXPECT_EQ(msg, "threads must be >= 1, got 0");
  Network wrong = Network::fresh(SnnParams{}, 100, 4, 1);
  EXPECT_THROW(run_inference(wrong, fashion_test(), InferenceOptions{}), ConfigError);
}

}  // namespace
}  // namespace hardy::snn
