// Random single-node QModels for kernel tests.
#include "random_model.h"

#include <algorithm>
#include <cmath>

namespace hardy::qnn::testing {
namespace {

int32_t uniform_int(RngStream& rng, int32_t lo, int32_t hi) {
  return lo + static_cast<int32_t>(rng.uniform_below(static_cast<uint64_t>(hi - lo + 1)));
}

void fill_weights(QNode& q, int64_t oc, RngStream& rng) {
  for (auto& w : q.weight.data) w = static_cast<int8_t>(uniform_int(rng, -128, 127));
  for (int64_t c = 0; c < oc; ++c) {
    q.bias.push_back(uniform_int(rng, -20000, 20000));
    q.multiplier.push_back(
        quantize_multiplier(std::ldexp(1.0 + rng.uniform(), uniform_int(rng, -12, 1))));
    q.weight_scale.push_back(1.0f);
  }
  q.out_min = static_cast<uint8_t>(uniform_int(rng, 0, 40));
  q.out_max = static_cast<uint8_t>(uniform_int(rng, 200, 255));
}

QuantParams random_params(RngStream& rng) { return {0.05f, uniform_int(rng, 0, 255)}; }

}  // namespace

std::vector<uint8_t> random_bytes(int64_t n, RngStream& rng) {
  std::vector<uint8_t> v(static_cast<size_t>(n));
  for (auto& b : v) b = static_cast<uint8_t>(rng.next_u64());
  return v;
}

// x → node(op) → y, with random quantization of x and y and the node's weights of `weight_shape`.
QModel single_layer_model(OpKind op, Shape in, Shape out, Shape weight_shape, RngStream& rng) {
  QModel m;
  const int64_t channels = weight_shape[0];
  m.values.push_back({"x", std::move(in), random_params(rng)});
  m.values.push_back({"y", std::move(out), random_params(rng)});
  m.input = 0;
  m.output = 1;
  QNode q;
  q.op = op;
  q.inputs = {0};
  q.output = 1;
  q.weight = Tensor<int8_t>(std::move(weight_shape));
  fill_weights(q, channels, rng);
  m.nodes.push_back(std::move(q));
  return m;
}

QModel random_conv_model(const ConvShape& s, RngStream& rng) {
  const int oh = window_output(s.h, s.pad_top, s.pad_bottom, s.kernel_h, s.stride_h);
  const int ow = window_output(s.w, s.pad_left, s.pad_right, s.kernel_w, s.stride_w);
  QModel m = single_layer_model(OpKind::kConv, Shape{s.c_in, s.h, s.w}, Shape{s.c_out, oh, ow},
                                Shape{s.c_out, s.c_in / s.groups, s.kernel_h, s.kernel_w}, rng);
  m.nodes[0].window = {s.kernel_h, s.kernel_w,   s.stride_h,  s.stride_w, s.pad_top,
                       s.pad_left, s.pad_bottom, s.pad_right, s.groups,   false};
  return m;
}

QModel random_dense_model(int k, int outs, RngStream& rng) {
  return single_layer_model(OpKind::kDense, Shape{k}, Shape{outs}, Shape{outs, k}, rng);
}

QModel random_add_model(int c, int h, int w, RngStream& rng) {
  QModel m;
  const auto random_scale = [&] {
    return static_cast<float>(std::ldexp(1.0 + rng.uniform(), uniform_int(rng, -8, 0)));
  };
  m.values.push_back({"a", Shape{c, h, w}, {random_scale(), uniform_int(rng, 0, 255)}});
  m.values.push_back({"b", Shape{c, h, w}, {random_scale(), uniform_int(rng, 0, 255)}});
  m.values.push_back({"y", Shape{c, h, w}, {random_scale(), uniform_int(rng, 0, 255)}});
  m.input = 0;
  m.output = 2;
  QNode n;
  n.op = OpKind::kAdd;
  n.inputs = {0, 1};
  n.output = 2;
  const double sa = m.values[0].quant.scale, sb = m.values[1].quant.scale;
  const double twice_max = 2.0 * std::max(sa, sb);
  n.add_input_multiplier = {quantize_multiplier(sa / twice_max),
                            quantize_multiplier(sb / twice_max)};
  n.add_output_multiplier = quantize_multiplier(
      twice_max / (static_cast<double>(1 << QNode::kAddLeftShift) * m.values[2].quant.scale));
  n.out_min = static_cast<uint8_t>(uniform_int(rng, 0, 40));
  n.out_max = static_cast<uint8_t>(uniform_int(rng, 200, 255));
  m.nodes.push_back(std::move(n));
  return m;
}

QModel random_pool_model(OpKind op, int c, int h, int w, const WindowParams& window,
                         RngStream& rng) {
  QModel m;
  const QuantParams q = random_params(rng);
  const int oh =
      window_output(h, window.pad_top, window.pad_bottom, window.kernel_h, window.stride_h);
  const int ow =
      window_output(w, window.pad_left, window.pad_right, window.kernel_w, window.stride_w);
  m.values.push_back({"x", Shape{c, h, w}, q});
  m.values.push_back({"y", Shape{c, oh, ow}, q});
  m.input = 0;
  m.output = 1;
  QNode n;
  n.op = op;
  n.inputs = {0};
  n.output = 1;
  n.window = window;
  m.nodes.push_back(std::move(n));
  return m;
}

}  // namespace hardy::qnn::testing
