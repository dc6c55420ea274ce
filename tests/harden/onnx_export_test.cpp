// The hardened float graph and its ONNX export: fault-free it computes exactly the original
// graph's logits on every zoo model and scheme; the export passes the ONNX checker (hardy's import
// runs it; /usr/bin/python3 with python3-onnx runs the full check with shape inference), imports
// back to the same fp32 outputs, and ONNX Runtime (tests/node_modules/onnxruntime-node) runs it
// within 1e-4 of hardy's fp32.
#include "hardy/qnn/onnx_export.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "hardy/harden/channel_ranking.h"
#include "hardy/harden/passes.h"
#include "hardy/qnn/float_executor.h"
#include "hardy/qnn/onnx_import.h"
#include "test_temp_dir.h"
#include "zoo.h"

namespace hardy::harden {
namespace {

using qnn::testing::zoo_model;

std::vector<float> logits(const qnn::Graph& g, const data::Dataset& test, int64_t image) {
  return qnn::run_float(g, qnn::image_to_float(test.image(image)));
}

class ExportEveryZooModel : public ::testing::TestWithParam<const char*> {};

TEST_P(ExportEveryZooModel, HardenedGraphEqualsOriginalAndSurvivesTheRoundTrip) {
  const auto& z = zoo_model(GetParam());
  ASSERT_EQ(z.graph.nodes.size(), z.model.nodes.size());
  const Selection sel =
      select_channels(z.model, random_channel_scores(z.model, 11), Budget::parse("30%", false));
  const int64_t images = z.name.starts_with("resnet") ? 2 : 5;
  for (Scheme scheme : {Scheme::kSplit, Scheme::kSplitHalf, Scheme::kTmr}) {
    for (Placement placement : {Placement::kAfterLayer, Placement::kAfterPool}) {
      const qnn::Graph h = harden_graph(z.graph, sel, scheme, placement);
      const std::string what = std::string(scheme_name(scheme)) +
                               (placement == Placement::kAfterPool ? " after pool" : "");
      EXPECT_GT(h.nodes.size(), z.graph.nodes.size());
      // After the pool, the pool that reads a protected layer alone runs on the copies.
      int64_t pools_on_copies = 0;
      for (const qnn::Node& n : h.nodes) {
        pools_on_copies += (n.op == qnn::OpKind::kMaxPool || n.op == qnn::OpKind::kAveragePool) &&
                           h.values[static_cast<size_t>(n.inputs[0])].name.ends_with(".copies");
      }
      const bool has_pools = z.name.starts_with("lenet5") || z.name.starts_with("vgg");
      EXPECT_EQ(pools_on_copies > 0, corrects_after_pool(scheme, placement) && has_pools)
          << what;
      const qnn::Graph back = qnn::import_onnx_bytes(qnn::export_onnx_bytes(h), "hardened.onnx");
      for (int64_t i = 0; i < images; ++i) {
        const std::vector<float> want = logits(z.graph, z.test, i);
        EXPECT_EQ(logits(h, z.test, i), want) << what << " image " << i;
        EXPECT_EQ(logits(back, z.test, i), want) << what << " image " << i;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Zoo, ExportEveryZooModel,
                         ::testing::Values("lenet5_fmnist", "mlp_fmnist", "vgg_fmnist",
                                           "resnet_fmnist"));

TEST(HardenedGraph, MedianOfThreeIsTheMajorityWhenTwoAgree) {
  // One Dense neuron triplicated; the copies' weights changed afterwards as faults would.
  qnn::Graph g;
  g.values = {{"x", Shape{2}}, {"y", Shape{1}}};
  g.input = 0;
  g.output = 1;
  qnn::Node d;
  d.op = qnn::OpKind::kDense;
  d.name = "fc";
  d.inputs = {0};
  d.output = 1;
  d.weight = Tensor<float>(Shape{1, 2});
  d.weight.data = {1.0f, 2.0f};
  d.bias = {0.5f};
  g.nodes = {d};
  Selection sel;
  sel.channels = {{0}};
  qnn::Graph h = harden_graph(g, sel, Scheme::kTmr);
  const std::vector<float> x = {3.0f, 4.0f};
  ASSERT_EQ(qnn::run_float(h, x), std::vector<float>{11.5f});
  for (int64_t row : {0, 1, 2}) {  // corrupt one copy at a time: still 11.5
    qnn::Graph f = h;
    f.nodes[0].weight[row * 2] = 100.0f;
    EXPECT_EQ(qnn::run_float(f, x), std::vector<float>{11.5f}) << row;
  }
  qnn::Graph s = harden_graph(g, sel, Scheme::kSplit);
  s.nodes[0].weight[2] = 100.0f;  // the copy raised: the LCU keeps the minimum
  EXPECT_EQ(qnn::run_float(s, x), std::vector<float>{11.5f});
}

// Writes the hardened LeNet-5 (split, 30% of MACs), `n` input images and hardy's fp32 logits.
struct Exported {
  std::string onnx, inputs, logits;
  int64_t n = 0, classes = 0;
};

Exported write_hardened_lenet(Scheme scheme) {
  const auto& z = zoo_model("lenet5_fmnist");
  const Selection sel =
      select_channels(z.model, magnitude_channel_scores(z.model), Budget::parse("30%", false));
  const qnn::Graph h = harden_graph(z.graph, sel, scheme);
  Exported e;
  e.onnx = hardy::testing::test_temp_path(std::string(scheme_name(scheme)) + ".onnx");
  e.inputs = hardy::testing::test_temp_path("inputs.f32");
  e.logits = hardy::testing::test_temp_path("logits.f32");
  qnn::export_onnx(h, e.onnx);
  e.n = 16;
  std::ofstream in(e.inputs, std::ios::binary), out(e.logits, std::ios::binary);
  for (int64_t i = 0; i < e.n; ++i) {
    const std::vector<float> x = qnn::image_to_float(z.test.image(i));
    const std::vector<float> y = qnn::run_float(h, x);
    e.classes = static_cast<int64_t>(y.size());
    in.write(reinterpret_cast<const char*>(x.data()), static_cast<std::streamsize>(x.size() * 4));
    out.write(reinterpret_cast<const char*>(y.data()), static_cast<std::streamsize>(y.size() * 4));
  }
  return e;
}

TEST(HardenedOnnx, PassesThePythonFullChecker) {
  if (std::system("/usr/bin/python3 -c 'import onnx' 2>/dev/null") != 0) {
    GTEST_SKIP() << "no python3-onnx";
  }
  for (Scheme scheme : {Scheme::kSplit, Scheme::kSplitHalf, Scheme::kTmr}) {
    const Exported e = write_hardened_lenet(scheme);
    const std::string cmd =
        "/usr/bin/python3 -c 'import onnx, sys; m = onnx.load(sys.argv[1]); "
        "onnx.checker.check_model(m, full_check=True)' " +
        e.onnx;
    EXPECT_EQ(std::system(cmd.c_str()), 0) << scheme_name(scheme);
  }
}

TEST(HardenedOnnx, OnnxRuntimeMatchesHardyFp32) {
  const std::string ort = std::string(HARDY_SOURCE_DIR) + "/tests/node_modules/onnxruntime-node";
  if (!std::filesystem::exists(ort)) {
    GTEST_SKIP() << "no " << ort << " (scripts/setup.sh installs it)";
  }
  for (Scheme scheme : {Scheme::kSplit, Scheme::kSplitHalf, Scheme::kTmr}) {
    const Exported e = write_hardened_lenet(scheme);
    const std::string cmd = "node " + std::string(HARDY_TEST_DIR) + "/ort_compare.js " + e.onnx +
                            " " + e.inputs + " " + e.logits + " " + std::to_string(e.n) + " 1e-4";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << scheme_name(scheme);
  }
}

}  // namespace
}  // namespace hardy::harden
