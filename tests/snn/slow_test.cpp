// Longer runs: a network trained on more images reaches a useful accuracy, with identical
// results for 1 and 2 threads over a whole test split.
#include <gtest/gtest.h>

#include <filesystem>

#include "hardy/snn/training.h"

namespace hardy::snn {
namespace {

TEST(SnnSlow, N100LearnsFashionMnistAndThreadsAgree) {
  if (!std::filesystem::exists(data::dataset_directory("fashion-mnist"))) GTEST_SKIP();
  const data::Dataset train = data::load_dataset("fashion-mnist", data::Split::kTrain).head(5000);
  const data::Dataset test = data::load_dataset("fashion-mnist", data::Split::kTest);
  Network net = Network::fresh(SnnParams{}, 784, 100, 11);
  TrainOptions t;
  t.seed = 11;
  train_network(net, train, t);
  InferenceOptions o;
  o.threads = 2;
  label_network(net, train, o);
  o.threads = 1;
  const InferenceResult one = run_inference(net, test, o);
  o.threads = 2;
  const InferenceResult two = run_inference(net, test, o);
  EXPECT_EQ(one.predictions, two.predictions);
  EXPECT_EQ(one.class_sums, two.class_sums);
  EXPECT_GT(one.accuracy, 0.55);
}

}  // namespace
}  // namespace hardy::snn
