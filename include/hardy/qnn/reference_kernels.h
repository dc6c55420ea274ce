// Scalar reference int8 kernels: they define the int8 semantics of every operator; optimized
// kernels must equal them bit for bit (docs/numerics.md).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

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

/// Add: input k's byte q rescaled to the common base, (q − zp) << kAddLeftShift times
/// add_input_multiplier[k]; the output is requantize(term₀ + term₁) (see element_reference).
inline int32_t add_term(const QNode& node, size_t k, uint8_t q, int32_t zero_point) {
  return multiply_by_quantized_multiplier((int32_t{q} - zero_point) * (1 << QNode::kAddLeftShift),
                                          node.add_input_multiplier[k]);
}

/// An Add node's element rule with each input's term tabulated per byte: one requantization per
/// element instead of three, bit for bit element_reference's result (fault propagation).
class AddTerms {
 public:
  AddTerms(const QNode& node, const QValue& a, const QValue& b, const QValue& out);
  uint8_t operator()(uint8_t a, uint8_t b) const { return output(term(0, a) + term(1, b)); }
  /// Input k's term of byte q; the output byte is output(term(0, a) + term(1, b)).
  int32_t term(size_t k, uint8_t q) const { return terms_[k][q]; }
  uint8_t output(int32_t sum) const { return requantize(sum, multiplier_, zero_point_, lo_, hi_); }
  QuantizedMultiplier multiplier() const { return multiplier_; }
  int32_t zero_point() const { return zero_point_; }
  uint8_t lo() const { return lo_; }
  uint8_t hi() const { return hi_; }

 private:
  std::array<std::array<int32_t, 256>, 2> terms_{};
  QuantizedMultiplier multiplier_{};
  int32_t zero_point_ = 0;
  uint8_t lo_ = 0, hi_ = 255;
};

/// AddTerms of every Add node of `model`, indexed by node (empty for the other nodes).
std::vector<std::optional<AddTerms>> add_terms_by_node(const QModel& model);

/// Bitwise majority of three bytes: each bit is the value at least two of them hold (TMR voter).
inline uint8_t majority_of_three(uint8_t a, uint8_t b, uint8_t c) {
  return static_cast<uint8_t>((a & b) | (a & c) | (b & c));
}

/// split-half's check on one half of a neuron with zero point zp: bit 7 of (half − ⌊zp/2⌋) mod
/// 256. A fault-free half is about zp + (q − zp)/2 for the neuron's byte q, i.e. ⌊zp/2⌋ + [0, 127]
/// unless the layer saturates, so the bit is clear; with zp = 0 it is the half's own MSB.
inline bool half_check_tripped(uint8_t half, int32_t zp) {
  return (static_cast<uint8_t>(half - zp / 2) & 0x80) != 0;
}

/// The unclamped result of a Correction over two copies a, b of one neuron (zero point zp):
/// kMinimum: min(a, b); kHalfSum: a + b − zp, or 2·other − zp when exactly one half trips
/// half_check_tripped.
inline int32_t correct_pair(CorrectionRule rule, uint8_t a, uint8_t b, int32_t zp) {
  if (rule == CorrectionRule::kMinimum) return std::min(a, b);
  const bool bad_a = half_check_tripped(a, zp), bad_b = half_check_tripped(b, zp);
  if (bad_a != bad_b) return 2 * int32_t{bad_a ? b : a} - zp;
  return int32_t{a} + int32_t{b} - zp;
}

/// Output element `index` (row-major in the output shape) of any node, by the rule that defines
/// its operator:
/// - Conv, Dense: requantize_output(accumulator_reference), TFLite requantization + fused clamp;
/// - MaxPool: max of the valid window elements (padding never wins); AveragePool: (Σ q +
///   count/2) / count over the window, rounding half up on raw values (padding counted only with
///   count_include_pad, as the zero point); GlobalAveragePool: (Σ q + HW/2) / HW per channel;
///   all on raw values (the output shares the input's scale and zero point);
/// - Add (TFLite): both inputs rescaled to 2·max(s_a, s_b) with 20 bits of headroom, summed,
///   rescaled to the output, clamped;
/// - Relu, Clip, Flatten: clamp(q, out_min, out_max); Minimum / Maximum: the clamped minimum /
///   maximum of all inputs (which share the output's scale and zero point);
/// - Concat: the input element at that position (inputs are consecutive blocks of the output),
///   (q − zp_k) << 20 rescaled by concat_multiplier[k], plus the output zero point, clamped;
/// - Correction: the same position in output channel c's copies (input channel c and
///   correction_copies[2c], [2c + 1]): one passes, two go through correct_pair, three through
///   majority_of_three; clamped.
/// Fault injection recomputes single elements with it; the kernels below are loops over it.
uint8_t element_reference(const QNode& node, const NodeIo& io, int64_t index);

/// Concat: the input holding output element `index`, and that element's index in it.
std::pair<size_t, int64_t> concat_source(const NodeIo& io, int64_t index);
/// Concat: the output byte of input k's byte q (the rule above; one byte in, one byte out).
uint8_t concat_byte(const QNode& node, const QValue& input, const QValue& output, size_t k,
                    uint8_t q);
/// Concat: index in the output of element 0 of input k (input k's element e is output
/// element concat_offset(io, k) + e).
int64_t concat_offset(const NodeIo& io, size_t k);

/// For an element-wise node (not Conv/Dense/pooling): the output element that element `element` of
/// input `k` feeds (GlobalAveragePool: its channel; Concat: its place in the joined output; every
/// Correction: the same position in the channel its input channel feeds; every other operator: the
/// same index).
int64_t element_output_index(const QNode& node, const NodeIo& io, size_t k, int64_t element);

/// element_reference of a MaxPool/AveragePool output at channel c, row oy, column ox.
uint8_t pool_window_reference(const QNode& node, const NodeIo& io, int64_t c, int64_t oy,
                              int64_t ox);

/// Every output element of the node (element_reference over the output).
void run_node_reference(const QNode& node, const NodeIo& io);

}  // namespace hardy::qnn
