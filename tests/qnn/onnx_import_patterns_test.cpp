// ONNX import of what torch.onnx.export writes around the layers: each pattern imports to the same
// function (fp32, against a hand-built equivalent or a hand computation), folds where exact, and
// everything hardy does not take is one UnsupportedError naming the operator and the node.
#include <gtest/gtest.h>

#include <cmath>

#include "hardy/core/error.h"
#include "hardy/qnn/float_executor.h"
#include "hardy/qnn/onnx_import.h"
#include "onnx_builder.h"

namespace hardy::qnn {
namespace {

using testing::OnnxBuilder;

std::vector<float> ramp(int64_t n, float start, float step) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = start + step * static_cast<float>(i);
  return v;
}

void expect_near(const std::vector<float>& a, const std::vector<float>& b, float tolerance) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], tolerance) << "element " << i;
}

const std::vector<float> kWeights3x3 = {0.5f, -1, 0.25f, 1, 2, -0.5f, 0, 1, -1,
                                        1,    0,  -1,    2, 1, 0.5f,  1, 1, 0.25f};

// input (1,5,5) → [Pad 1] → Conv 2×(1×3×3) with `conv_pad` → y
std::string padded_conv(bool explicit_pad, int conv_pad) {
  OnnxBuilder b({1, 5, 5});
  b.initializer("w", {2, 1, 3, 3}, kWeights3x3);
  b.initializer("b", {2}, {0.5f, -0.25f});
  std::string x = "input";
  if (explicit_pad) {
    b.int64_initializer("pads", {8}, {0, 0, 1, 1, 0, 0, 1, 1});
    b.node("Pad", {"input", "pads"}, {"p"});
    x = "p";
  }
  OnnxBuilder::ints_attr(b.node("Conv", {x, "w", "b"}, {"y"}), "pads",
                         {conv_pad, conv_pad, conv_pad, conv_pad});
  return b.serialize("y");
}

TEST(OnnxImportPatterns, PadFoldsIntoTheNextConv) {
  const Graph folded = import_onnx_bytes(padded_conv(true, 0), "pad.onnx");
  const Graph plain = import_onnx_bytes(padded_conv(false, 1), "plain.onnx");
  ASSERT_EQ(folded.nodes.size(), 1u);
  EXPECT_EQ(folded.nodes[0].window.pad_top, 1);
  EXPECT_EQ(folded.nodes[0].window.pad_right, 1);
  const auto x = ramp(25, -1.0f, 0.1f);
  EXPECT_EQ(run_float(folded, x), run_float(plain, x));
  // Pad + padded Conv: the paddings add up.
  const Graph twice = import_onnx_bytes(padded_conv(true, 1), "pad2.onnx");
  ASSERT_EQ(twice.nodes.size(), 1u);
  EXPECT_EQ(twice.nodes[0].window.pad_left, 2);
}

TEST(OnnxImportPatterns, PadBeforeAMaxPoolOfSignedValuesStaysAnOp) {
  OnnxBuilder b({1, 2, 2});
  b.int64_initializer("pads", {8}, {0, 0, 0, 0, 0, 0, 1, 1});
  b.node("Pad", {"input", "pads"}, {"p"});
  auto& pool = b.node("MaxPool", {"p"}, {"y"});
  OnnxBuilder::ints_attr(pool, "kernel_shape", {2, 2});
  const Graph g = import_onnx_bytes(b.serialize("y"), "padpool.onnx");
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].origin, NodeOrigin::kPad);
  // All inputs negative: the padded zeros win where a window reaches them (as in PyTorch).
  EXPECT_EQ(run_float(g, std::vector<float>{-4, -3, -2, -1}), (std::vector<float>{-1, 0, 0, 0}));
}

TEST(OnnxImportPatterns, PadBeforeAMaxPoolAfterReluFolds) {
  OnnxBuilder b({1, 2, 2});
  b.int64_initializer("pads", {8}, {0, 0, 0, 0, 0, 0, 1, 1});
  b.node("Relu", {"input"}, {"r"});
  b.node("Pad", {"r", "pads"}, {"p"});
  OnnxBuilder::ints_attr(b.node("MaxPool", {"p"}, {"y"}), "kernel_shape", {2, 2});
  const Graph g = import_onnx_bytes(b.serialize("y"), "relupadpool.onnx");
  ASSERT_EQ(g.nodes.size(), 2u);  // Relu, MaxPool with padding
  EXPECT_EQ(g.nodes[1].window.pad_bottom, 1);
  EXPECT_EQ(run_float(g, std::vector<float>{-4, 3, -2, 1}), (std::vector<float>{3, 3, 1, 1}));
}

// input (1,5,5) → (x − 0.25) / 0.5 → Conv(pads) → y
std::string normalized_conv(int conv_pad) {
  OnnxBuilder b({1, 5, 5});
  b.initializer("w", {2, 1, 3, 3}, kWeights3x3);
  b.initializer("b", {2}, {0.5f, -0.25f});
  b.initializer("mean", {}, {0.25f});
  b.initializer("std", {1, 1, 1, 1}, {0.5f});
  b.node("Sub", {"input", "mean"}, {"s"});
  b.node("Div", {"s", "std"}, {"d"});
  OnnxBuilder::ints_attr(b.node("Conv", {"d", "w", "b"}, {"y"}), "pads",
                         {conv_pad, conv_pad, conv_pad, conv_pad});
  return b.serialize("y");
}

TEST(OnnxImportPatterns, InputNormalisationFoldsIntoAnUnpaddedConvAndStaysBeforeAPaddedOne) {
  const auto x = ramp(25, 0.0f, 0.04f);
  std::vector<float> normalized;
  for (float v : x) normalized.push_back((v - 0.25f) / 0.5f);
  for (int pad : {0, 1}) {
    const Graph g = import_onnx_bytes(normalized_conv(pad), "norm.onnx");
    const Graph plain = import_onnx_bytes(padded_conv(false, pad), "plain.onnx");
    ASSERT_EQ(g.nodes.size(), pad ? 2u : 1u) << "pad " << pad;
    if (pad) {
      EXPECT_EQ(g.nodes[0].origin, NodeOrigin::kAffine);
    }
    expect_near(run_float(g, x), run_float(plain, normalized), 1e-5f);
  }
}

TEST(OnnxImportPatterns, ConstantMulAfterAConvFoldsIntoItsWeights) {
  OnnxBuilder b({1, 5, 5});
  b.initializer("w", {2, 1, 3, 3}, kWeights3x3);
  b.initializer("b", {2}, {0.5f, -0.25f});
  b.initializer("k", {1, 2, 1, 1}, {2.0f, -3.0f});
  b.node("Conv", {"input", "w", "b"}, {"c"});
  b.node("Mul", {"c", "k"}, {"y"});
  const Graph g = import_onnx_bytes(b.serialize("y"), "mul.onnx");
  const Graph plain = import_onnx_bytes(padded_conv(false, 0), "plain.onnx");
  ASSERT_EQ(g.nodes.size(), 1u);
  const auto x = ramp(25, -1.0f, 0.1f);
  const auto expected = run_float(plain, x), got = run_float(g, x);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], expected[i] * (i < 9 ? 2.0f : -3.0f), 1e-5f);
  }
}

TEST(OnnxImportPatterns, ShapeSubGraphReshapeFoldsToAFlatten) {
  // x.view(x.size(0), -1) with a dynamic batch: Shape → Gather → Unsqueeze → Concat → Reshape.
  OnnxBuilder b({2, 2, 2});
  b.int64_initializer("zero", {}, {0});
  b.int64_initializer("axes", {1}, {0});
  b.int64_initializer("minus_one", {1}, {-1});
  b.initializer("fw", {8, 3}, ramp(24, -1.0f, 0.1f));
  b.node("Shape", {"input"}, {"shape"});
  OnnxBuilder::int_attr(b.node("Gather", {"shape", "zero"}, {"n"}), "axis", 0);
  b.node("Unsqueeze", {"n", "axes"}, {"n1"});
  OnnxBuilder::int_attr(b.node("Concat", {"n1", "minus_one"}, {"target"}), "axis", 0);
  b.node("Reshape", {"input", "target"}, {"flat"});
  b.node("MatMul", {"flat", "fw"}, {"y"});
  const Graph g = import_onnx_bytes(b.serialize("y"), "view.onnx");
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].op, OpKind::kFlatten);
  EXPECT_EQ(g.nodes[1].op, OpKind::kDense);
  const auto y = run_float(g, std::vector<float>(8, 1.0f));
  ASSERT_EQ(y.size(), 3u);
  float sum0 = 0;
  for (int i = 0; i < 8; ++i) sum0 += -1.0f + 0.1f * static_cast<float>(3 * i);
  EXPECT_NEAR(y[0], sum0, 1e-5f);
}

TEST(OnnxImportPatterns, ReshapeAcrossTheBatchIsUnsupported) {
  OnnxBuilder b({2, 2, 2});
  b.int64_initializer("target", {2}, {2, -1});
  b.node("Reshape", {"input", "target"}, {"y"});
  try {
    import_onnx_bytes(b.serialize("y"), "batch.onnx");
    FAIL();
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("node 'Reshape_1' (Reshape)"), std::string::npos)
        << e.what();
  }
}

TEST(OnnxImportPatterns, ConcatJoinsChannels) {
  OnnxBuilder b({1, 3, 3});
  b.initializer("w1", {1, 1, 1, 1}, {2.0f});
  b.initializer("w2", {2, 1, 1, 1}, {-1.0f, 3.0f});
  b.node("Conv", {"input", "w1"}, {"a"});
  b.node("Conv", {"input", "w2"}, {"c"});
  OnnxBuilder::int_attr(b.node("Concat", {"a", "c"}, {"y"}), "axis", 1);
  const Graph g = import_onnx_bytes(b.serialize("y"), "cat.onnx");
  ASSERT_EQ(g.nodes.back().op, OpKind::kConcat);
  EXPECT_EQ(g.values[static_cast<size_t>(g.output)].shape, (Shape{3, 3, 3}));
  const auto x = ramp(9, 0.0f, 1.0f);
  const auto y = run_float(g, x);
  for (size_t i = 0; i < 9; ++i) {
    EXPECT_EQ(y[i], 2.0f * x[i]);
    EXPECT_EQ(y[9 + i], -x[i]);
    EXPECT_EQ(y[18 + i], 3.0f * x[i]);
  }
}

TEST(OnnxImportPatterns, CeilModePoolsKeepThePartialWindow) {
  for (const char* op : {"MaxPool", "AveragePool"}) {
    OnnxBuilder b({1, 3, 3});
    auto& pool = b.node(op, {"input"}, {"y"});
    OnnxBuilder::ints_attr(pool, "kernel_shape", {2, 2});
    OnnxBuilder::ints_attr(pool, "strides", {2, 2});
    OnnxBuilder::int_attr(pool, "ceil_mode", 1);
    const Graph g = import_onnx_bytes(b.serialize("y"), "ceil.onnx");
    EXPECT_EQ(g.values[static_cast<size_t>(g.output)].shape, (Shape{1, 2, 2}));
    const auto y = run_float(g, ramp(9, 1.0f, 1.0f));  // 1 2 3 / 4 5 6 / 7 8 9
    const bool is_max = std::string(op) == "MaxPool";
    EXPECT_EQ(y, is_max ? (std::vector<float>{5, 6, 8, 9}) : (std::vector<float>{3, 4.5f, 7.5f, 9}))
        << op;
  }
}

TEST(OnnxImportPatterns, DilatedConvEqualsItsSpreadKernel) {
  OnnxBuilder b({1, 6, 6});
  b.initializer("w", {1, 1, 2, 2}, {1, 2, 3, 4});
  OnnxBuilder::ints_attr(b.node("Conv", {"input", "w"}, {"y"}), "dilations", {2, 2});
  const Graph g = import_onnx_bytes(b.serialize("y"), "d.onnx");
  OnnxBuilder spread({1, 6, 6});
  spread.initializer("w", {1, 1, 3, 3}, {1, 0, 2, 0, 0, 0, 3, 0, 4});
  spread.node("Conv", {"input", "w"}, {"y"});
  const Graph plain = import_onnx_bytes(spread.serialize("y"), "s.onnx");
  const auto x = ramp(36, -2.0f, 0.25f);
  EXPECT_EQ(run_float(g, x), run_float(plain, x));
  EXPECT_EQ(g.values[static_cast<size_t>(g.output)].shape, (Shape{1, 4, 4}));
}

TEST(OnnxImportPatterns, SoftmaxAtTheOutputIsRecordedAndDropped) {
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    OnnxBuilder b({4});
    b.initializer("w", {4, 3}, ramp(12, -1.0f, 0.2f));
    b.node("MatMul", {"input", "w"}, {"logits"});
    b.node(op, {"logits"}, {"y"});
    const Graph g = import_onnx_bytes(b.serialize("y"), "soft.onnx");
    ASSERT_EQ(g.nodes.size(), 1u);
    EXPECT_EQ(g.output_activation, std::string(op) == "Softmax" ? OutputActivation::kSoftmax
                                                                : OutputActivation::kLogSoftmax);
    auto y = run_float(g, std::vector<float>{1, 0, 0, 0});  // logits -1, -0.8, -0.6
    apply_output_activation(g.output_activation, y);
    const double sum = std::exp(-1.0) + std::exp(-0.8) + std::exp(-0.6);
    const double p2 = std::exp(-0.6) / sum;
    EXPECT_NEAR(y[2], std::string(op) == "Softmax" ? p2 : std::log(p2), 1e-6);
  }
}

TEST(OnnxImportPatterns, SoftmaxInsideTheNetworkIsUnsupportedAndNamed) {
  OnnxBuilder b({4});
  b.node("Softmax", {"input"}, {"s"});
  b.node("Relu", {"s"}, {"y"});
  try {
    import_onnx_bytes(b.serialize("y"), "soft.onnx");
    FAIL();
  } catch (const UnsupportedError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("soft.onnx: node 'Softmax_1' (Softmax)"), std::string::npos) << msg;
  }
}

TEST(OnnxImportPatterns, OpsetsAbove17AreUnsupported) {
  OnnxBuilder b({4});
  b.set_opset(18);
  b.node("Relu", {"input"}, {"y"});
  EXPECT_THROW(import_onnx_bytes(b.serialize("y"), "o18.onnx"), Error);
  OnnxBuilder ok({4});
  ok.set_opset(11);
  ok.node("Relu", {"input"}, {"y"});
  EXPECT_NO_THROW(import_onnx_bytes(ok.serialize("y"), "o11.onnx"));
}

TEST(OnnxImportPatterns, SqueezeAndUnsqueezeAreReshapes) {
  OnnxBuilder b({3, 1, 1});
  b.int64_initializer("axes", {2}, {2, 3});
  b.int64_initializer("one", {1}, {1});
  b.node("Squeeze", {"input", "axes"}, {"s"});
  b.node("Unsqueeze", {"s", "one"}, {"u"});
  b.node("Relu", {"u"}, {"y"});
  const Graph g = import_onnx_bytes(b.serialize("y"), "sq.onnx");
  EXPECT_EQ(g.values[static_cast<size_t>(g.output)].shape, (Shape{1, 3}));
  EXPECT_EQ(run_float(g, std::vector<float>{-1, 2, -3}), (std::vector<float>{0, 2, 0}));
}

}  // namespace
}  // namespace hardy::qnn

namespace hardy::qnn {
namespace {

// input (4,2,2) → Slice channels [1, 3) and [0, 2) → Min / Max of the two → y (2,2,2).
std::string min_max_of_slices(const char* op, int64_t axis) {
  testing::OnnxBuilder b({4, 2, 2});
  b.int64_initializer("s1", {1}, {1});
  b.int64_initializer("e1", {1}, {3});
  b.int64_initializer("s0", {1}, {0});
  b.int64_initializer("e0", {1}, {2});
  b.int64_initializer("ax", {1}, {axis});
  b.node("Slice", {"input", "s1", "e1", "ax"}, {"a"});
  b.node("Slice", {"input", "s0", "e0", "ax"}, {"b"});
  b.node(op, {"a", "b"}, {"y"});
  return b.serialize("y");
}

TEST(OnnxImportPatterns, MinMaxOfChannelSlices) {
  std::vector<float> x(16);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 7) % 11) - 5.0f;
  for (const char* op : {"Min", "Max"}) {
    const Graph g = import_onnx_bytes(min_max_of_slices(op, 1), "minmax.onnx");
    const std::vector<float> y = run_float(g, x);
    ASSERT_EQ(y.size(), 8u);
    for (size_t i = 0; i < 8; ++i) {
      const float a = x[4 + i], b = x[i];
      EXPECT_EQ(y[i], std::string(op) == "Min" ? std::min(a, b) : std::max(a, b)) << op << i;
    }
  }
  // Only channel ranges: a Slice of the rows is one UnsupportedError naming the node.
  try {
    import_onnx_bytes(min_max_of_slices("Min", 2), "rows.onnx");
    FAIL();
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("Slice"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hardy::qnn
