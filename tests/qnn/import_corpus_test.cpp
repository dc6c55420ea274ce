// The import corpus (models/import, written by models/export_cases.py): models exported by
// torch.onnx.export as users export them import to networks whose fp32 outputs equal PyTorch's,
// whose fp32 accuracy on the full test set equals PyTorch's, whose int8 accuracy stays within one
// point, and whose optimized kernels equal the reference kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hardy/qnn/evaluation.h"
#include "hardy/qnn/float_executor.h"
#include "hardy/qnn/int8_executor.h"
#include "zoo.h"

namespace hardy::qnn {
namespace {

const char* const kCases[] = {"pad_residual", "inception_concat", "normalized_cnn", "view_head",
                              "normalized_mlp"};

nlohmann::json golden(const std::string& name) {
  std::ifstream in(testing::zoo_directory() + "/import/golden/" + name + ".json");
  EXPECT_TRUE(in.good()) << name;
  return nlohmann::json::parse(in);
}

const testing::ZooModel& corpus_model(const std::string& name) {
  return testing::zoo_model("import/" + name);
}

class Corpus : public ::testing::TestWithParam<const char*> {};

TEST_P(Corpus, Fp32OutputsMatchPyTorch) {
  const auto& z = corpus_model(GetParam());
  const auto g = golden(GetParam());
  const auto& indices = g["indices"];
  ASSERT_EQ(indices.size(), 16u);
  for (size_t r = 0; r < indices.size(); ++r) {
    const auto i = indices[r].get<int64_t>();
    EXPECT_EQ(g["labels"][r].get<int>(), z.test.labels[static_cast<size_t>(i)]);
    auto out = run_float(z.graph, image_to_float(z.test.image(i)));
    apply_output_activation(z.graph.output_activation, out);  // dropped at import, top-1 kept
    const auto expected = g["outputs"][r].get<std::vector<double>>();
    ASSERT_EQ(out.size(), expected.size());
    double scale = 0;
    for (double e : expected) scale = std::max(scale, std::abs(e));
    for (size_t k = 0; k < expected.size(); ++k) {
      EXPECT_LE(std::abs(out[k] - expected[k]) / scale, 1e-4)
          << GetParam() << " image " << i << " output " << k << ": " << out[k] << " vs "
          << expected[k];
    }
  }
}

TEST_P(Corpus, Fp32AccuracyEqualsPyTorchAndInt8IsWithinOnePoint) {
  const auto& z = corpus_model(GetParam());
  const auto g = golden(GetParam());
  ASSERT_EQ(g["test_images"].get<int64_t>(), z.test.size());
  ThreadPool pool(2);
  const Int8Executor int8(z.model, KernelSet::kOptimized);
  const EvalResult r = evaluate(z.graph, int8, z.test, z.test.size(), pool);
  const auto correct = [&](double accuracy) {
    return std::llround(accuracy * static_cast<double>(z.test.size()));
  };
  EXPECT_EQ(correct(r.fp32_accuracy), correct(g["accuracy"].get<double>())) << GetParam();
  EXPECT_GE(r.int8_accuracy, r.fp32_accuracy - 0.01) << GetParam();
  RecordProperty("fp32_accuracy", std::to_string(r.fp32_accuracy));
  RecordProperty("int8_accuracy", std::to_string(r.int8_accuracy));
}

TEST_P(Corpus, OptimizedKernelsEqualReferenceOnEveryValue) {
  const auto& z = corpus_model(GetParam());
  const Int8Executor reference(z.model, KernelSet::kReference);
  const Int8Executor optimized(z.model, KernelSet::kOptimized);
  auto ws_r = reference.make_workspace();
  auto ws_o = optimized.make_workspace();
  for (int64_t i = 0; i < 20; ++i) {
    reference.run(z.test.image(i), ws_r);
    optimized.run(z.test.image(i), ws_o);
    for (size_t v = 0; v < z.model.values.size(); ++v) {
      const auto a = reference.value(ws_r, static_cast<int>(v));
      const auto b = optimized.value(ws_o, static_cast<int>(v));
      ASSERT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end()))
          << GetParam() << " image " << i << " value " << z.model.values[v].name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Import, Corpus, ::testing::ValuesIn(kCases));

}  // namespace
}  // namespace hardy::qnn
