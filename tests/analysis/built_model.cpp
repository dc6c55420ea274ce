// Test helper: small quantized models built node by node (built_model.h).
#include "built_model.h"

#include <cmath>
#include <utility>

#include "hardy/core/fixed_point.h"
#include "hardy/qnn/graph.h"

namespace hardy::analysis::testing {

using qnn::OpKind;

int ModelBuilder::input(Shape s) {
  model_.input = value(std::move(s), 0);
  return model_.input;
}

int ModelBuilder::conv(int in, int oc, int k, int stride, int pad_a, int pad_b, int groups,
                       uint8_t lo, uint8_t hi) {
  const Shape is = model_.value(in).shape;
  const int oh = qnn::window_output(static_cast<int>(is[1]), pad_a, pad_b, k, stride);
  const int ow = qnn::window_output(static_cast<int>(is[2]), pad_a, pad_b, k, stride);
  qnn::QNode& n = node(qnn::OpKind::kConv, {in}, Shape{oc, oh, ow}, between(60, 190));
  n.window = {k, k, stride, stride, pad_a, pad_a, pad_b, pad_b, groups, false};
  n.weight = Tensor<int8_t>(Shape{oc, is[0] / groups, k, k});
  weights(n, oc, is[0] / groups * k * k, lo, hi);
  return n.output;
}

int ModelBuilder::dense(int in, int outputs, uint8_t lo, uint8_t hi) {
  const int64_t k = model_.value(in).shape.elements();
  qnn::QNode& n = node(qnn::OpKind::kDense, {in}, Shape{outputs}, between(60, 190));
  n.weight = Tensor<int8_t>(Shape{outputs, k});
  weights(n, outputs, k, lo, hi);
  return n.output;
}

int ModelBuilder::pool(qnn::OpKind op, int in, int k, int stride, int pad_a, int pad_b,
                       bool include_pad) {
  const Shape is = model_.value(in).shape;
  const int oh = qnn::window_output(static_cast<int>(is[1]), pad_a, pad_b, k, stride);
  const int ow = qnn::window_output(static_cast<int>(is[2]), pad_a, pad_b, k, stride);
  qnn::QNode& n = node(op, {in}, Shape{is[0], oh, ow}, model_.value(in).quant.zero_point);
  n.window = {k, k, stride, stride, pad_a, pad_a, pad_b, pad_b, 1, include_pad};
  return n.output;
}

int ModelBuilder::global_pool(int in) {
  return node(qnn::OpKind::kGlobalAveragePool, {in}, Shape{model_.value(in).shape[0], 1, 1},
              model_.value(in).quant.zero_point)
      .output;
}

int ModelBuilder::clamp(qnn::OpKind op, int in, uint8_t lo, uint8_t hi) {
  Shape s = model_.value(in).shape;
  if (op == qnn::OpKind::kFlatten) s = Shape{s.elements()};
  qnn::QNode& n = node(op, {in}, s, model_.value(in).quant.zero_point);
  n.out_min = lo;
  n.out_max = hi;
  return n.output;
}

int ModelBuilder::add(int a, int b) {
  qnn::QNode& n = node(qnn::OpKind::kAdd, {a, b}, model_.value(a).shape, between(60, 190));
  // Every value's scale is 0.05: inputs rescaled by 1/2 to the common base, the sum by
  // 2 / 2^20 (TFLite's rule), times up to ±50% so that sums saturate now and then.
  n.add_input_multiplier = {quantize_multiplier(0.5), quantize_multiplier(0.5)};
  n.add_output_multiplier = quantize_multiplier(2.0 / (1 << 20) * (0.5 + rng_.uniform()));
  return n.output;
}

int ModelBuilder::concat(std::vector<int> inputs) {
  Shape s = model_.value(inputs[0]).shape;
  s.dims[0] = 0;
  for (int v : inputs) s.dims[0] += model_.value(v).shape[0];
  qnn::QNode& n = node(qnn::OpKind::kConcat, inputs, s, between(60, 190));
  for (size_t k = 0; k < inputs.size(); ++k) {
    n.concat_multiplier.push_back(
        quantize_multiplier(1.0 / (1 << qnn::QNode::kAddLeftShift) * (0.5 + rng_.uniform())));
  }
  return n.output;
}

int ModelBuilder::extremum(qnn::OpKind op, std::vector<int> inputs, uint8_t lo, uint8_t hi) {
  const qnn::QValue& first = model_.value(inputs[0]);
  const Shape shape = first.shape;
  const int32_t zp = first.quant.zero_point;
  qnn::QNode& n = node(op, std::move(inputs), shape, zp);
  n.out_min = lo;
  n.out_max = hi;
  return n.output;
}

qnn::QModel ModelBuilder::finish(int output) {
  model_.output = output;
  model_.validate();
  return model_;
}

int32_t ModelBuilder::between(int32_t lo, int32_t hi) {
  return lo + static_cast<int32_t>(rng_.uniform_below(static_cast<uint64_t>(hi - lo + 1)));
}

int ModelBuilder::value(Shape s, int32_t zero_point) {
  qnn::QValue& v = model_.values.emplace_back();
  v.name = std::to_string(model_.values.size() - 1);
  v.shape = std::move(s);
  v.quant = {0.05f, zero_point};
  return static_cast<int>(model_.values.size()) - 1;
}

qnn::QNode& ModelBuilder::node(qnn::OpKind op, std::vector<int> inputs, Shape out,
                               int32_t zero_point) {
  qnn::QNode& n = model_.nodes.emplace_back();
  n.op = op;
  n.name = std::to_string(model_.nodes.size());
  n.inputs = std::move(inputs);
  n.output = value(std::move(out), zero_point);
  return n;
}

// Random weights and biases; multipliers that keep outputs in range, about one channel in ten
// with a multiplier of 1 or more (a left shift).
void ModelBuilder::weights(qnn::QNode& n, int64_t channels, int64_t reduction, uint8_t lo,
                           uint8_t hi) {
  for (auto& w : n.weight.data) w = static_cast<int8_t>(between(-127, 127));
  for (int64_t c = 0; c < channels; ++c) {
    n.bias.push_back(between(-3000, 3000));
    double m =
        40.0 / (5461.0 * std::sqrt(static_cast<double>(reduction))) * (0.5 + 1.5 * rng_.uniform());
    if (rng_.uniform() < 0.1) m = 1.0 + 2.0 * rng_.uniform();
    n.multiplier.push_back(quantize_multiplier(m));
    n.weight_scale.push_back(1.0f);
  }
  n.out_min = lo;
  n.out_max = hi;
}

// Random images for a built model.
data::Dataset random_images(const qnn::QModel& model, int64_t count) {
  data::Dataset d;
  RngStream rng(99, 2, 0);
  const auto& s = model.value(model.input).shape;
  d.rows = static_cast<int>(s[0] * s[1]);  // an image is the input's bytes, channel-major
  d.cols = static_cast<int>(s[2]);
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t k = 0; k < s.elements(); ++k)
      d.pixels.push_back(static_cast<uint8_t>(rng.next_u64()));
    d.labels.push_back(0);
  }
  return d;
}

qnn::QModel every_operator_model(uint64_t seed) {
  ModelBuilder b(seed);
  const int x = b.input(Shape{3, 12, 12});
  const int a = b.conv(x, 8, 3, 1, 1, 1, 1);
  const int r = b.clamp(OpKind::kRelu, a, 70, 255);
  const int m = b.pool(OpKind::kMaxPool, r, 3, 2, 1, 1, false);  // overlapping, padded
  const int e = b.conv(m, 8, 3, 1, 1, 1, 4);                     // grouped, several inputs
  const int sum = b.add(e, m);                                   // residual
  const int p = b.pool(OpKind::kAveragePool, sum, 3, 1, 1, 1, true);
  const int low = b.extremum(OpKind::kMinimum, {p, m, b.conv(p, 8, 1, 1, 0, 0, 1)}, 0, 250);
  const int high = b.extremum(OpKind::kMaximum, {e, p}, 5, 255);
  const int joined = b.concat({low, high, low});
  const int g = b.conv(joined, 16, 2, 2, 0, 1, 1, 10, 240);
  const int h = b.conv(g, 16, 3, 1, 1, 1, 2);  // groups of 8: summed per position and group
  const int f = b.clamp(OpKind::kFlatten, b.global_pool(h), 3, 250);
  return b.finish(b.dense(b.clamp(OpKind::kClip, b.dense(f, 70), 20, 230), seed == 1 ? 10 : 3));
}

qnn::QModel small_pools_model(uint64_t seed) {
  ModelBuilder b(seed);
  const int x = b.input(Shape{1, 14, 14});
  const int a = b.pool(OpKind::kMaxPool, b.conv(x, 4, 1, 1, 0, 0, 1), 2, 1, 0, 0, false);  // 13
  const int c = b.conv(b.conv(a, 12, 5, 2, 0, 0, 1), 6, 3, 1, 1, 1, 1);                    // 5
  const int p = b.pool(OpKind::kMaxPool, c, 3, 1, 0, 0, false);                            // 3
  return b.finish(b.dense(b.clamp(OpKind::kFlatten, p, 0, 255), 2));
}

}  // namespace hardy::analysis::testing
