// Scalar reference int8 kernels: they define the int8 semantics of every operator; optimized
// kernels must equal them bit for bit (docs/numerics.md).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>

#include "hardy/qnn/qmodel.h"

namespace hardy::qnn {

/// Operands of one node for one image: its inputs (any number, in the node's order) and its
/// output, with their quantization. in[k] describes x[k].
struct NodeIo {
  std::span<const QValue* const> in;
  std::span<const uint8_t* const> x;
  const QValue* out = nullptr;
  uint8_t* y = nullptr;
};

/// acc · M + zp, clamped to [lo, hi] (TFLite requantization with a fused activation clamp).
inline uint8_t requantize(int32_t acc, QuantizedMultiplier m, int32_t zero_point, uint8_t lo,
                          uint8_t hi) {
  const int64_t v = int64_t{multiply_by_quantized_multiplier(acc, m)} + zero_point;
  return static_cast<uint8_t>(std::clamp<int64_t>(v, lo, hi));
}

/// The int32 accumulator of output element `index` (row-major in the output shape) of a Conv or
/// Dense node: bias + Σ (x − zp_x) · w over the window (padding contributes nothing), with the
/// node's current weights. This is the value an accumulator fault corrupts before requantization.
int32_t accumulator_reference(const QNode& node, const NodeIo& io, int64_t index);
/// The stored byte of output element `index` of a Conv or Dense node (output value `out`) whose
/// accumulator is `acc`.
inline uint8_t requantize_output(const QNode& node, const QValue& out, int64_t index, int32_t acc) {
  const int64_t per_channel = out.shape.elements() / node.weight.shape[0];
  return requantize(acc, node.multiplier[static_cast<size_t>(index / per_channel)],
                    out.quant.zero_point, node.out_min, node.out_max);
}

/// Σ (x − zp_x) · w over the window (padding contributes nothing), + bias, requantized.
void conv_reference(const QNode& node, const NodeIo& io);
/// Σ (x − zp_x) · w + bias, requantized.
void dense_reference(const QNode& node, const NodeIo& io);
/// Max of the valid window elements (same scale and zero point as the input).
void max_pool_reference(const QNode& node, const NodeIo& io);
/// (Σ q + count/2) / count over the window: rounding half up on raw values.
void average_pool_reference(const QNode& node, const NodeIo& io);
/// (Σ q + HW/2) / HW per channel.
void global_average_pool_reference(const QNode& node, const NodeIo& io);
/// TFLite Add: both inputs rescaled to 2·max(s_a, s_b) with 20 bits of headroom, summed,
/// rescaled to the output, clamped.
void add_reference(const QNode& node, const NodeIo& io);
/// clamp(q, out_min, out_max) (Relu, Clip) or a copy (Flatten).
void clamp_reference(const QNode& node, const NodeIo& io);
/// Element-wise minimum of all inputs (which share the output's scale and zero point), clamped.
void minimum_reference(const QNode& node, const NodeIo& io);

/// Dispatches on node.op to the kernels above.
void run_node_reference(const QNode& node, const NodeIo& io);

}  // namespace hardy::qnn
