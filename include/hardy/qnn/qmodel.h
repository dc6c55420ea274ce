// The int8 network: uint8 affine activations per tensor, int8 symmetric per-channel weights,
// int32 biases and accumulators, fixed-point requantization (DESIGN §2, docs/numerics.md).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "hardy/core/fixed_point.h"
#include "hardy/qnn/graph.h"

namespace hardy::qnn {

/// real = scale · (q − zero_point), q ∈ [0, 255].
struct QuantParams {
  float scale = 1.0f;
  int32_t zero_point = 0;

  float dequantize(uint8_t q) const { return scale * static_cast<float>(q - zero_point); }
  /// Nearest representable q (half away from zero), saturated to [0, 255].
  uint8_t quantize(float real) const;
};

struct QValue {
  std::string name;
  Shape shape;
  QuantParams quant;
};

/// How a Correction node combines the copies of one output channel (harden passes, DESIGN §5).
/// Copies are raw bytes on the output's scale and zero point.
enum class CorrectionRule {
  kMinimum,   ///< LCU of split: the smaller of two copies (the value itself when they agree)
  kMajority,  ///< TMR: the bitwise majority of three copies
  /// split-half: two halves on the output's scale, a + b − zp; when exactly one half has bit 7
  /// set (a fault-free half stays below 128 unless the layer saturates), twice the other − zp.
  kHalfSum,
};

struct QNode {
  OpKind op = OpKind::kRelu;
  std::string name;
  std::vector<int> inputs;
  int output = -1;
  WindowParams window;
  /// Output clamp in the quantized domain (fused Relu/Clip, standalone Relu/Clip, saturation).
  uint8_t out_min = 0, out_max = 255;

  // Conv / Dense: q_w = round(w / weight_scale[oc]) ∈ [−127, 127].
  Tensor<int8_t> weight;                        ///< same layout as the float weights
  std::vector<float> weight_scale;              ///< per output channel
  std::vector<int32_t> bias;                    ///< scale s_in · weight_scale[oc]
  std::vector<QuantizedMultiplier> multiplier;  ///< s_in · weight_scale[oc] / s_out

  // Add (TFLite): each input (q − zp) << kAddLeftShift is scaled to a common base, summed, and
  // scaled to the output.
  static constexpr int kAddLeftShift = 20;
  std::array<QuantizedMultiplier, 2> add_input_multiplier{};
  QuantizedMultiplier add_output_multiplier{};
  // Concat: input k's (q − zp_k) << kAddLeftShift times concat_multiplier[k] is the output's
  // q − zp_out (one per input; exact when the scales agree).
  std::vector<QuantizedMultiplier> concat_multiplier;

  // Correction: input channel j feeds output channel correction_owner[j] (the first C input
  // channels feed themselves); output channel c's extra copies are input channels
  // correction_copies[2c] and [2c + 1] (−1: none). One copy passes through; two are combined by
  // the rule (kMinimum or kHalfSum); three (kMajority) by the bitwise vote. Result clamped to
  // [out_min, out_max].
  CorrectionRule correction_rule = CorrectionRule::kMinimum;
  std::vector<int32_t> correction_owner;
  std::vector<int32_t> correction_copies;

  /// Weights per output channel (Conv: IC/groups · KH · KW; Dense: IN).
  int64_t reduction_size() const { return weight.shape.elements() / weight.shape[0]; }
};

/// The int8 network. Invariants (checked by validate(), relied on by every executor and by fault
/// injection): value and node indices are in range; nodes are in topological order (each input is
/// the model input or the output of an earlier node); every value but the input is written by
/// exactly one node and the input by none; every value is read by some node or is the output
/// (no dead values); each node has its operator's number of inputs, and Conv/Dense weights, bias
/// and multipliers agree with their input and output shapes.
struct QModel {
  std::string source;
  std::vector<QValue> values;
  std::vector<QNode> nodes;
  int input = -1, output = -1;

  const QValue& value(int i) const { return values[static_cast<size_t>(i)]; }
  const QNode& node(int i) const { return nodes[static_cast<size_t>(i)]; }
  int64_t input_elements() const { return value(input).shape.elements(); }
  int64_t output_elements() const { return value(output).shape.elements(); }

  /// Throws FormatError (naming `source`, the node and what is wrong) unless the invariants above
  /// hold.
  void validate() const;
  /// The node that writes each value (−1 for the input). Requires validate() to pass.
  std::vector<int> writers() const;
  /// The nodes that read each value, in topological order (a node reading a value twice is listed
  /// once).
  std::vector<std::vector<int>> readers() const;
};

/// FNV-1a 64 of everything that determines the model's int8 outputs: graph structure, shapes,
/// quantization, weights, biases, multipliers, clamps (not names or the source path).
uint64_t model_fingerprint(const QModel& model);

/// Index of the largest element; ties go to the lowest index.
int argmax(const uint8_t* v, int64_t n);
int argmax(const float* v, int64_t n);

}  // namespace hardy::qnn
