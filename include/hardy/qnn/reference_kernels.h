// Scalar reference int8 kernels: they define the int8 semantics of every operator; optimized
// kernels must equal them bit for bit (docs/numerics.md).
#pragma once

#include <algorithm>
#include <cstdint>

#include "hardy/qnn/qmodel.h"

namespace hardy::qnn {

/// Operands of one node for one image: inputs (up to two) and output, with their quantization.
struct NodeIo {
  const QValue* in[2] = {nullptr, nullptr};
  const uint8_t* x[2] = {nullptr, nullptr};
  const QValue* out = nullptr;
  uint8_t* y = nullptr;
};

/// acc · M + zp, clamped to [lo, hi] (TFLite requantization with a fused activation clamp).
inline uint8_t requantize(int32_t acc, QuantizedMultiplier m, int32_t zero_point, uint8_t lo,
                          uint8_t hi) {
  const int64_t v = int64_t{multiply_by_quantized_multiplier(acc, m)} + zero_point;
  return static_cast<uint8_t>(std::clamp<int64_t>(v, lo, hi));
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

/// Dispatches on node.op to the kernels above.
void run_node_reference(const QNode& node, const NodeIo& io);

}  // namespace hardy::qnn
