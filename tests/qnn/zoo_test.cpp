// The shipped zoo: fp32 matches PyTorch's logits, int8 stays within one accuracy point of fp32,
// results do not depend on the thread count.
#include "zoo.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "hardy/core/hash.h"
#include "hardy/qnn/evaluation.h"
#include "hardy/qnn/float_executor.h"
#include "hardy/qnn/int8_executor.h"

namespace hardy::qnn {
namespace {

class Zoo : public ::testing::TestWithParam<const char*> {};

TEST_P(Zoo, Fp32LogitsMatchPyTorchGolden) {
  const auto& z = testing::zoo_model(GetParam());
  std::ifstream in(testing::zoo_directory() + "/golden/" + GetParam() + ".json");
  ASSERT_TRUE(in.good());
  const auto golden = nlohmann::json::parse(in);
  ASSERT_EQ(golden["dataset"].get<std::string>(), z.dataset);
  const auto& indices = golden["indices"];
  ASSERT_EQ(indices.size(), 16u);
  for (size_t r = 0; r < indices.size(); ++r) {
    const auto i = indices[r].get<int64_t>();
    EXPECT_EQ(golden["labels"][r].get<int>(), z.test.labels[static_cast<size_t>(i)]);
    const auto logits = run_float(z.graph, image_to_float(z.test.image(i)));
    const auto expected = golden["logits"][r].get<std::vector<double>>();
    ASSERT_EQ(logits.size(), expected.size());
    // Relative to the row's largest logit (a logit near 0 has no meaningful relative error).
    double scale = 0;
    for (double e : expected) scale = std::max(scale, std::abs(e));
    for (size_t k = 0; k < expected.size(); ++k) {
      EXPECT_LE(std::abs(logits[k] - expected[k]) / scale, 1e-4)
          << GetParam() << " image " << i << " logit " << k << ": " << logits[k] << " vs "
          << expected[k];
    }
  }
}

TEST_P(Zoo, Int8AccuracyWithinOnePointOfFp32OnTheFullTestSet) {
  const auto& z = testing::zoo_model(GetParam());
  ThreadPool pool(2);
  const Int8Executor int8(z.model, KernelSet::kOptimized);
  const EvalResult r = evaluate(z.graph, int8, z.test, z.test.size(), pool);
  RecordProperty("fp32_accuracy", std::to_string(r.fp32_accuracy));
  RecordProperty("int8_accuracy", std::to_string(r.int8_accuracy));
  EXPECT_GE(r.int8_accuracy, r.fp32_accuracy - 0.01) << GetParam();
  EXPECT_GE(r.agreement, 0.97) << GetParam();
  if (std::string(GetParam()) == "lenet5_fmnist") {
    EXPECT_GE(r.fp32_accuracy, 0.89);
  }
}

TEST_P(Zoo, OutputsIdenticalForOneAndTwoThreads) {
  const auto& z = testing::zoo_model(GetParam());
  const Int8Executor int8(z.model, KernelSet::kOptimized);
  ThreadPool one(1), two(2);
  const int64_t n = std::min<int64_t>(z.test.size(), 2000);
  EXPECT_EQ(int8.run_dataset(z.test, n, one), int8.run_dataset(z.test, n, two));
}

// Pins the int8 numerics every campaign depends on: FNV-1a 64 of every value (each value's bytes
// in value order; Flatten copies once) of the first 1,000 test images, against
// models/golden/int8_values.json. HARDY_UPDATE_GOLDEN=1 rewrites the file (after a deliberate
// change of the numerics, stated in the commit).
TEST_P(Zoo, Int8ValuesOfTheFirstThousandImagesMatchTheCommittedHash) {
  const auto& z = testing::zoo_model(GetParam());
  const Int8Executor int8(z.model, KernelSet::kOptimized);
  auto ws = int8.make_workspace();
  Fnv1a64 hash;
  for (int64_t i = 0; i < 1000; ++i) {
    int8.run(z.test.image(i), ws);
    for (int v = 0; v < static_cast<int>(z.model.values.size()); ++v) {
      if (int8.plan().storage(v) == v) hash.update(int8.value(ws, v));
    }
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash.digest()));
  const std::string path = testing::zoo_directory() + "/golden/int8_values.json";
  nlohmann::json golden = nlohmann::json::object();
  if (std::ifstream in(path); in.good()) golden = nlohmann::json::parse(in);
  const char* update = std::getenv("HARDY_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    if (std::ifstream in(path); in.good()) golden = nlohmann::json::parse(in);
    golden[GetParam()] = hex;
    std::ofstream(path) << golden.dump(2) << "\n";
    return;
  }
  ASSERT_TRUE(golden.contains(GetParam())) << path << " has no entry for " << GetParam();
  EXPECT_EQ(golden[GetParam()].get<std::string>(), hex) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Models, Zoo, ::testing::ValuesIn(testing::kZooModels));

}  // namespace
}  // namespace hardy::qnn
