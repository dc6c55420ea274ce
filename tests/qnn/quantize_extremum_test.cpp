// A Min/Max of two computed branches: the int8 model compares bytes on one scale, so the quantizer
// rescales each input on another scale to the output's (a one-input Concat) and the result follows
// the float network; inputs that already share a scale are compared as they are.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "hardy/core/thread_pool.h"
#include "hardy/data/dataset.h"
#include "hardy/qnn/float_executor.h"
#include "hardy/qnn/int8_executor.h"
#include "hardy/qnn/onnx_import.h"
#include "hardy/qnn/quantize.h"
#include "onnx_builder.h"

namespace hardy::qnn {
namespace {

using testing::OnnxBuilder;

// input x (1,28,28) → a = 2x, c = −3x, d = 2 − 2x (1×1 Convs) → op(a, second) → y
std::string extremum_of_branches(const std::string& op, const std::string& second) {
  OnnxBuilder b({1, 28, 28});
  b.initializer("w_a", {1, 1, 1, 1}, {2.0f});
  b.initializer("w_c", {1, 1, 1, 1}, {-3.0f});
  b.initializer("w_d", {1, 1, 1, 1}, {-2.0f});
  b.initializer("b_d", {1}, {2.0f});
  b.node("Conv", {"input", "w_a"}, {"a"});
  b.node("Conv", {"input", "w_c"}, {"c"});
  b.node("Conv", {"input", "w_d", "b_d"}, {"d"});
  b.node(op, {"a", second}, {"y"});
  return b.serialize("y");
}

const data::Dataset& images() {
  static const data::Dataset d = data::load_dataset("fashion-mnist", data::Split::kTest).head(40);
  return d;
}

QModel quantized(const Graph& g) {
  ThreadPool pool(1);
  CalibrationOptions o;
  o.images = images().size();
  return quantize(g, images(), o, pool);
}

int count_op(const QModel& m, OpKind op) {
  int n = 0;
  for (const QNode& q : m.nodes) n += q.op == op;
  return n;
}

TEST(QuantizeExtremum, InputsOnAnotherScaleAreRescaledToTheOutput) {
  for (const std::string op : {"Min", "Max"}) {
    const Graph g = import_onnx_bytes(extremum_of_branches(op, "c"), "branches.onnx");
    const QModel m = quantized(g);
    // Max(2x, −3x) = 2x: y is calibrated on a's range, so only c is rescaled (and a for Min).
    ASSERT_EQ(count_op(m, OpKind::kConcat), 1) << op;
    const QNode& extremum = m.nodes.back();
    ASSERT_EQ(extremum.op, op == "Min" ? OpKind::kMinimum : OpKind::kMaximum);
    const QuantParams& yq = m.value(m.output).quant;
    for (int v : extremum.inputs) {
      EXPECT_EQ(m.value(v).quant.scale, yq.scale) << op;
      EXPECT_EQ(m.value(v).quant.zero_point, yq.zero_point) << op;
    }
    const Int8Executor reference(m, KernelSet::kReference), optimized(m, KernelSet::kOptimized);
    auto ws_r = reference.make_workspace(), ws_o = optimized.make_workspace();
    for (int64_t i = 0; i < images().size(); ++i) {
      reference.run(images().image(i), ws_r);
      optimized.run(images().image(i), ws_o);
      const std::span<const uint8_t> yr = reference.output(ws_r), yo = optimized.output(ws_o);
      ASSERT_TRUE(std::equal(yr.begin(), yr.end(), yo.begin())) << op << " image " << i;
      const std::vector<float> yf = run_float(g, image_to_float(images().image(i)));
      ASSERT_EQ(yf.size(), yr.size());
      // a and c are each within half a step of the reals, the rescaling adds at most one more.
      for (size_t e = 0; e < yf.size(); ++e) {
        ASSERT_LE(std::abs(yq.dequantize(yr[e]) - yf[e]), 1.5f * yq.scale)
            << op << " image " << i << " element " << e;
      }
    }
  }
}

TEST(QuantizeExtremum, InputsOnOneScaleAreComparedAsTheyAre) {
  // a and d both span [0, 2] over the images (pixels 0 and 255 occur); min(a, d) spans only
  // [0, 1], yet y keeps the inputs' scale: no rescaling, the bytes are compared as they are.
  const QModel m = quantized(import_onnx_bytes(extremum_of_branches("Min", "d"), "same.onnx"));
  EXPECT_EQ(count_op(m, OpKind::kConcat), 0);
  const QuantParams &a = m.value(m.nodes.back().inputs[0]).quant,
                    &d = m.value(m.nodes.back().inputs[1]).quant, &y = m.value(m.output).quant;
  ASSERT_EQ(a.scale, d.scale);
  EXPECT_FLOAT_EQ(a.scale, 2.0f / 255.0f);
  EXPECT_EQ(y.scale, a.scale);
  EXPECT_EQ(y.zero_point, a.zero_point);
}

}  // namespace
}  // namespace hardy::qnn
