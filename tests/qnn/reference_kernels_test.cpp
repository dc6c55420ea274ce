// The reference kernels on hand-computed cases (they define the semantics, so check them by hand).
#include "hardy/qnn/reference_kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>

namespace hardy::qnn {
namespace {

QValue value(Shape s, float scale, int32_t zp) { return {"v", std::move(s), {scale, zp}}; }

TEST(ReferenceKernels, ConvPaddingContributesNothingAndRequantizes) {
  // 1×2×2 input, zero point 10; one 3×3 filter of ones with padding 1; multiplier 1/2.
  const QValue in = value(Shape{1, 2, 2}, 1.0f, 10), out = value(Shape{1, 2, 2}, 1.0f, 3);
  QNode n;
  n.op = OpKind::kConv;
  n.window = {3, 3, 1, 1, 1, 1, 1, 1, 1, false};
  n.weight = Tensor<int8_t>(Shape{1, 1, 3, 3}, 1);
  n.bias = {4};
  n.multiplier = {quantize_multiplier(0.5)};
  const uint8_t x[4] = {11, 12, 13, 14};  // real 1, 2, 3, 4
  uint8_t y[4];
  const QValue* ins[] = {&in};
  const uint8_t* xs[] = {x};
  NodeIo io{ins, xs, &out, y};
  run_node_reference(n, io);
  // Every 3×3 window covers all four pixels: (1+2+3+4 + 4) / 2 = 7, + zero point 3.
  for (uint8_t v : y) EXPECT_EQ(v, 10);
}

TEST(ReferenceKernels, DenseClampsToFusedRange) {
  const QValue in = value(Shape{2}, 1.0f, 0), out = value(Shape{2}, 1.0f, 0);
  QNode n;
  n.op = OpKind::kDense;
  n.weight = Tensor<int8_t>(Shape{2, 2});
  n.weight.data = {100, 100, -100, -100};
  n.bias = {0, 0};
  n.multiplier = {quantize_multiplier(1.0), quantize_multiplier(1.0)};
  n.out_min = 5;
  n.out_max = 250;
  const uint8_t x[2] = {2, 3};
  uint8_t y[2];
  const QValue* ins[] = {&in};
  const uint8_t* xs[] = {x};
  run_node_reference(n, {ins, xs, &out, y});
  EXPECT_EQ(y[0], 250);  // 500 saturates at the clamp
  EXPECT_EQ(y[1], 5);    // −500 clamps at the fused ReLU bound
}

TEST(ReferenceKernels, AveragePoolRoundsHalfUpAndMaxPoolIgnoresPadding) {
  const QValue in = value(Shape{1, 2, 2}, 1.0f, 200), out = value(Shape{1, 1, 1}, 1.0f, 200);
  QNode n;
  n.window = {2, 2, 2, 2, 0, 0, 0, 0, 1, false};
  const uint8_t x[4] = {1, 2, 2, 1};  // sum 6 / 4 = 1.5 → 2
  uint8_t y[1];
  const QValue* ins[] = {&in};
  const uint8_t* xs[] = {x};
  NodeIo io{ins, xs, &out, y};
  n.op = OpKind::kAveragePool;
  run_node_reference(n, io);
  EXPECT_EQ(y[0], 2);
  // Max with padding 1 over a 2×2 window at the corner: padding (below every value) never wins.
  n.window = {2, 2, 2, 2, 1, 1, 1, 1, 1, false};
  const QValue out2 = value(Shape{1, 2, 2}, 1.0f, 200);
  uint8_t y2[4];
  n.op = OpKind::kMaxPool;
  run_node_reference(n, {ins, xs, &out2, y2});
  EXPECT_EQ(y2[0], 1);
  EXPECT_EQ(y2[3], 1);
}

TEST(ReferenceKernels, AddRescalesBothInputs) {
  // a: scale 0.5, zp 0; b: scale 0.25, zp 8; out: scale 1, zp 0. a=10 (5.0), b=16 (2.0) → 7.
  const QValue a = value(Shape{1}, 0.5f, 0), b = value(Shape{1}, 0.25f, 8),
               out = value(Shape{1}, 1.0f, 0);
  QNode n;
  n.op = OpKind::kAdd;
  const double twice_max = 1.0;
  n.add_input_multiplier = {quantize_multiplier(0.5 / twice_max),
                            quantize_multiplier(0.25 / twice_max)};
  n.add_output_multiplier = quantize_multiplier(twice_max / ((1 << QNode::kAddLeftShift) * 1.0));
  const uint8_t xa[1] = {10}, xb[1] = {16};
  uint8_t y[1];
  const QValue* ins[] = {&a, &b};
  const uint8_t* xs[] = {xa, xb};
  run_node_reference(n, {ins, xs, &out, y});
  EXPECT_EQ(y[0], 7);
}

TEST(ReferenceKernels, AddTermsEqualTheElementRuleForEveryBytePair) {
  // Scales from equal to 40x apart, zero points at both ends and inside, with and without a
  // fused clamp: every one of the 65,536 input pairs gives element_reference's byte.
  struct Case {
    float sa, sb, so;
    int32_t za, zb, zo;
    uint8_t lo, hi;
  };
  for (const Case& c :
       {Case{0.5f, 0.25f, 1.0f, 0, 8, 0, 0, 255}, Case{0.02f, 0.8f, 0.3f, 128, 0, 100, 100, 255},
        Case{1.3f, 0.033f, 0.07f, 255, 17, 3, 0, 200}}) {
    const QValue a = value(Shape{1}, c.sa, c.za), b = value(Shape{1}, c.sb, c.zb),
                 out = value(Shape{1}, c.so, c.zo);
    QNode n;
    n.op = OpKind::kAdd;
    const double twice_max = 2.0 * std::max(c.sa, c.sb);
    n.add_input_multiplier = {quantize_multiplier(c.sa / twice_max),
                              quantize_multiplier(c.sb / twice_max)};
    n.add_output_multiplier =
        quantize_multiplier(twice_max / ((1 << QNode::kAddLeftShift) * double{c.so}));
    n.out_min = c.lo;
    n.out_max = c.hi;
    const AddTerms terms(n, a, b, out);
    int64_t differ = 0, distinct_outputs = 0;
    std::array<bool, 256> seen{};
    for (int qa = 0; qa < 256; ++qa) {
      for (int qb = 0; qb < 256; ++qb) {
        const uint8_t xa[1] = {static_cast<uint8_t>(qa)}, xb[1] = {static_cast<uint8_t>(qb)};
        const QValue* ins[] = {&a, &b};
        const uint8_t* xs[] = {xa, xb};
        const uint8_t want = element_reference(n, {ins, xs, &out, nullptr}, 0);
        differ += terms(xa[0], xb[0]) != want;
        distinct_outputs += !seen[want];
        seen[want] = true;
      }
    }
    EXPECT_EQ(differ, 0);
    EXPECT_GT(distinct_outputs, 20);  // the cases exercise the rule, not one clamped byte
  }
}

TEST(ReferenceKernels, ConcatCopiesEqualScalesAndRescalesOthers) {
  // a (2 elements) shares the output's scale 0.5 / zp 10: copied. b (1 element) has scale 1,
  // zp 0: b = 7 (7.0) → 7.0 / 0.5 + 10 = 24. c: scale 0.2, zp 3: 8 → 1.0 → 12; 0 → −0.6 → 8.8 → 9.
  const QValue a = value(Shape{2}, 0.5f, 10), b = value(Shape{1}, 1.0f, 0),
               c = value(Shape{2}, 0.2f, 3), out = value(Shape{5}, 0.5f, 10);
  QNode n;
  n.op = OpKind::kConcat;
  for (const QValue* v : {&a, &b, &c}) {
    n.concat_multiplier.push_back(
        quantize_multiplier(v->quant.scale / ((1 << QNode::kAddLeftShift) * 0.5)));
  }
  const uint8_t xa[2] = {0, 255}, xb[1] = {7}, xc[2] = {8, 0};
  uint8_t y[5];
  const QValue* ins[] = {&a, &b, &c};
  const uint8_t* xs[] = {xa, xb, xc};
  const NodeIo io{ins, xs, &out, y};
  run_node_reference(n, io);
  EXPECT_EQ(std::vector<uint8_t>(y, y + 5), (std::vector<uint8_t>{0, 255, 24, 12, 9}));
  EXPECT_EQ(concat_offset(io, 2), 3);
  EXPECT_EQ(concat_source(io, 4), (std::pair<size_t, int64_t>{2, 1}));
}

}  // namespace
}  // namespace hardy::qnn
