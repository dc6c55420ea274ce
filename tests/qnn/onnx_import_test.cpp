// ONNX import: folding and fusion on hand-built models; every malformed input is a clear error.
#include "hardy/qnn/onnx_import.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <limits>

#include "hardy/core/error.h"
#include "hardy/core/rng.h"
#include "hardy/qnn/float_executor.h"
#include "onnx_builder.h"

namespace hardy::qnn {
namespace {

using testing::OnnxBuilder;

// input (1,3,3) → Conv 2×(1×2×2) → BatchNorm → Relu → Flatten → Gemm(8→2, transB) → logits
std::string conv_bn_model(bool with_bn = true) {
  OnnxBuilder b({1, 3, 3});
  b.initializer("w", {2, 1, 2, 2}, {1, 0, 0, 1, -1, 2, 0.5f, 0});
  b.initializer("cb", {2}, {0.5f, -1});
  b.initializer("gamma", {2}, {2, 0.5f});
  b.initializer("beta", {2}, {1, 0});
  b.initializer("mean", {2}, {0.5f, -2});
  b.initializer("var", {2}, {3, 0.25f});
  b.initializer("fw", {2, 8}, {1, 2, 3, 4, 5, 6, 7, 8, -1, 0, 1, 0, -1, 0, 1, 0});
  b.initializer("fb", {2}, {0.25f, 0});
  b.node("Conv", {"input", "w", "cb"}, {"c"});
  if (with_bn) {
    auto& bn = b.node("BatchNormalization", {"c", "gamma", "beta", "mean", "var"}, {"bn"});
    OnnxBuilder::float_attr(bn, "epsilon", 1e-5f);
  }
  b.node("Relu", {with_bn ? "bn" : "c"}, {"r"});
  b.node("Flatten", {"r"}, {"f"});
  OnnxBuilder::int_attr(b.node("Gemm", {"f", "fw", "fb"}, {"logits"}), "transB", 1);
  return b.serialize("logits");
}

TEST(OnnxImport, FoldsBatchNormAndFusesRelu) {
  const Graph g = import_onnx_bytes(conv_bn_model(), "m.onnx");
  ASSERT_EQ(g.nodes.size(), 3u);  // Conv(+BN+Relu), Flatten, Dense
  EXPECT_EQ(g.nodes[0].op, OpKind::kConv);
  EXPECT_EQ(g.nodes[0].activation, Activation::kRelu);
  EXPECT_EQ(g.nodes[2].op, OpKind::kDense);
  // Hand computation for an input of all ones: conv channel 0 = 1+1 + 0.5 = 2.5;
  // BN: (2.5 − 0.5)·2/√(3+1e-5) + 1. Channel 1 = −1+2+0.5 − 1 = 0.5; (0.5+2)·0.5/√0.25001 + 0.
  const std::vector<float> x(9, 1.0f);
  const auto all = run_float_all(g, x);
  const auto& conv = all[static_cast<size_t>(g.nodes[0].output)];
  const float c0 = (2.5f - 0.5f) * 2.0f / std::sqrt(3.0f + 1e-5f) + 1.0f;
  const float c1 = (0.5f + 2.0f) * 0.5f / std::sqrt(0.25f + 1e-5f);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(conv[static_cast<size_t>(i)], c0, 1e-5);
    EXPECT_NEAR(conv[static_cast<size_t>(4 + i)], c1, 1e-5);
  }
  const auto logits = run_float(g, x);
  EXPECT_NEAR(logits[0], (1 + 2 + 3 + 4) * c0 + (5 + 6 + 7 + 8) * c1 + 0.25f, 1e-4);
  EXPECT_NEAR(logits[1], (-1 + 1) * c0 + (-1 + 1) * c1, 1e-5);
}

TEST(OnnxImport, UnsupportedOperatorNamesTheOperator) {
  OnnxBuilder b({4});
  b.node("Erf", {"input"}, {"y"});
  try {
    import_onnx_bytes(b.serialize("y"), "erf.onnx");
    FAIL();
  } catch (const UnsupportedError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("erf.onnx"), std::string::npos);
    EXPECT_NE(msg.find("'Erf' (node 'Erf_1')"), std::string::npos) << msg;
  }
}

TEST(OnnxImport, TruncatedAndCorruptBytesAreFormatErrors) {
  const std::string good = conv_bn_model();
  EXPECT_THROW(import_onnx_bytes(good.substr(0, good.size() / 2), "t.onnx"), FormatError);
  EXPECT_THROW(import_onnx_bytes("", "t.onnx"), FormatError);
  std::string corrupt = good;
  for (size_t i = 0; i < corrupt.size(); i += 7) corrupt[i] = static_cast<char>(0xff);
  EXPECT_THROW(import_onnx_bytes(corrupt, "t.onnx"), Error);
}

// Protobuf reads a message field by field, so a prefix parses only when it ends on a boundary
// between top-level fields of the ModelProto, which serializes ir_version (1), graph (7),
// opset_import (8) in field order; a cut inside the graph or the opset entry (length-delimited)
// fails to parse. The boundary prefixes lack the graph or the opset import, which the ONNX
// checker requires. So no strict prefix is a model: each one must be a hardy::Error.
TEST(OnnxImport, EveryTruncationIsAnError) {
  const std::string good = conv_bn_model();
  const Graph full = import_onnx_bytes(good, "t.onnx");
  ASSERT_EQ(full.nodes.size(), 3u);
  int accepted = 0, format_errors = 0;
  for (size_t n = 0; n < good.size(); ++n) {
    try {
      const Graph g = import_onnx_bytes(good.substr(0, n), "t.onnx");
      ++accepted;
      ADD_FAILURE() << "prefix of " << n << " of " << good.size() << " bytes accepted with "
                    << g.nodes.size() << " nodes";
    } catch (const FormatError& e) {
      ++format_errors;
      EXPECT_NE(std::string(e.what()).find("t.onnx"), std::string::npos) << e.what();
    } catch (const Error&) {
    }
  }
  EXPECT_EQ(accepted, 0);
  EXPECT_EQ(format_errors, static_cast<int>(good.size()));  // all of them are FormatErrors
}

// The other side of the rule above: when optional fields follow the opset import (here
// metadata_props, field 14), the one prefix that ends just before them is a complete model, and
// it must import as the same network. Every other strict prefix is an error.
TEST(OnnxImport, ATruncationIsAcceptedOnlyWhereTheModelIsComplete) {
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(conv_bn_model()));
  const size_t complete = model.ByteSizeLong();
  auto* meta = model.add_metadata_props();
  meta->set_key("note");
  meta->set_value("trailing optional field");
  const std::string bytes = model.SerializeAsString();
  ASSERT_GT(bytes.size(), complete);
  const Graph full = import_onnx_bytes(bytes, "t.onnx");
  const std::vector<float> x = {0.1f, 0.9f, 0.4f, 0.0f, 1.0f, 0.3f, 0.7f, 0.2f, 0.5f};
  std::vector<size_t> accepted;
  for (size_t n = 0; n < bytes.size(); ++n) {
    try {
      const Graph g = import_onnx_bytes(bytes.substr(0, n), "t.onnx");
      accepted.push_back(n);
      ASSERT_EQ(g.nodes.size(), full.nodes.size()) << n;
      for (size_t i = 0; i < g.nodes.size(); ++i) {
        EXPECT_EQ(g.nodes[i].op, full.nodes[i].op) << n;
        EXPECT_EQ(g.nodes[i].weight.data, full.nodes[i].weight.data) << n;
        EXPECT_EQ(g.nodes[i].bias, full.nodes[i].bias) << n;
      }
      EXPECT_EQ(run_float(g, x), run_float(full, x)) << n;
    } catch (const Error&) {
    }
  }
  EXPECT_EQ(accepted, std::vector<size_t>{complete});
}

TEST(OnnxImport, RandomByteCorruptionsAreImportedOrRejected) {
  const std::string good = conv_bn_model();
  int rejected = 0;
  for (uint64_t t = 0; t < 3000; ++t) {
    RngStream rng(11, stream_tag("onnx_fuzz"), t);
    std::string bytes = good;
    const int edits = 1 + static_cast<int>(rng.uniform_below(3));
    for (int e = 0; e < edits; ++e) {
      bytes[rng.uniform_below(bytes.size())] = static_cast<char>(rng.next_u64());
    }
    try {
      const Graph g = import_onnx_bytes(bytes, "fuzz.onnx");
      // Whatever was accepted must be runnable.
      (void)run_float(
          g,
          std::vector<float>(
              static_cast<size_t>(g.values[static_cast<size_t>(g.input)].shape.elements()), 0.5f));
    } catch (const Error&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 100);
}

TEST(OnnxImport, MissingFileIsFileError) {
  EXPECT_THROW(import_onnx("/nonexistent/model.onnx"), FileError);
}

TEST(OnnxImport, ShapeMismatchIsFormatError) {
  OnnxBuilder b({2, 3, 3});  // two channels, weights expect one
  b.initializer("w", {1, 1, 2, 2}, {1, 1, 1, 1});
  b.node("Conv", {"input", "w"}, {"y"});
  try {
    import_onnx_bytes(b.serialize("y"), "s.onnx");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("node 'Conv_1' (Conv): expected weights"),
              std::string::npos)
        << e.what();
  }
}

TEST(OnnxImport, NonFiniteWeightsAreRejected) {
  OnnxBuilder b({4});
  b.initializer("w", {2, 4}, {1, 2, 3, std::numeric_limits<float>::quiet_NaN(), 1, 1, 1, 1});
  OnnxBuilder::int_attr(b.node("Gemm", {"input", "w"}, {"y"}), "transB", 1);
  EXPECT_THROW(import_onnx_bytes(b.serialize("y"), "nan.onnx"), FormatError);
}

TEST(OnnxImport, PoolingDilationIsUnsupported) {
  OnnxBuilder b({1, 5, 5});
  auto& pool = b.node("MaxPool", {"input"}, {"y"});
  OnnxBuilder::ints_attr(pool, "kernel_shape", {2, 2});
  OnnxBuilder::ints_attr(pool, "dilations", {2, 2});
  EXPECT_THROW(import_onnx_bytes(b.serialize("y"), "d.onnx"), UnsupportedError);
}

}  // namespace
}  // namespace hardy::qnn
