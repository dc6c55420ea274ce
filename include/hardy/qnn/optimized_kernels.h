// Optimized int8 kernels: Conv as im2col + packed GEMM, Dense as packed dot products, both with
// the zero-point correction folded into the bias. Bit-identical to reference_kernels.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "hardy/core/isa.h"
#include "hardy/qnn/qmodel.h"
#include "hardy/qnn/reference_kernels.h"

namespace hardy::qnn {

/// The GEMM inner loops built for a CPU capability (hardy::Isa, core/isa.h): Isa::kAvx512Vnni
/// (vpdpbusd: 64 u8×s8 MACs per instruction, vectorized requantization) when `isa` reaches it,
/// else Isa::kGeneric, the portable loops over the same packed layout (any CPU).
Isa gemm_isa(Isa isa);

/// A QModel's weights re-laid out for the optimized kernels, with each Conv/Dense bias corrected
/// for the input zero point (bias − zp_x · Σ_k w). The model must outlive it and stay at the same
/// address.
///
/// Patching contract: after a Conv/Dense node's weights or bias change in the model, the packed
/// copy follows only through update_weight() (one weight) or repack() (anything else in the
/// node); until then run_node() uses the old values. Patching must not run concurrently with
/// run_node(); between patches, any number of threads may call run_node() (each with its own
/// scratch).
class PackedModel {
 public:
  /// Packs for the loops gemm_isa(isa) selects. Throws ConfigError if the CPU lacks `isa`.
  explicit PackedModel(const QModel& model, Isa isa = detect_isa());
  PackedModel(const PackedModel&) = delete;
  PackedModel& operator=(const PackedModel&) = delete;

  /// Re-derives node `index`'s packed weights, corrected bias and multipliers from the model.
  void repack(size_t index);
  /// Follows a change of weight `weight_index` (row-major in node.weight) of node `index` from
  /// `previous` to the value the model now holds: one packed byte and one corrected bias.
  void update_weight(size_t index, int64_t weight_index, int8_t previous);

  /// Images run_node_batch takes at once.
  static constexpr int64_t kMaxBatch = 8;

  /// Bytes of per-thread scratch run_node and run_node_batch need (im2col panel, padded dense
  /// inputs of kMaxBatch images).
  size_t scratch_bytes() const { return scratch_bytes_; }
  /// Runs node `index` of the model; scratch holds scratch_bytes() bytes.
  void run_node(size_t index, const NodeIo& io, uint8_t* scratch) const;
  /// Runs node `index` for up to kMaxBatch images (operands ios[i] for image i), bit-identical to
  /// run_node on each: a Dense node on the VNNI loops loads each weight vector once per 8 images;
  /// every other node runs image by image.
  void run_node_batch(size_t index, std::span<const NodeIo> ios, uint8_t* scratch) const;
  /// Whether run_node_batch does more for node `index` than run_node image by image.
  bool batches(size_t index) const;
  /// The loops in use: Isa::kAvx512Vnni or Isa::kGeneric (gemm_isa).
  Isa isa() const { return isa_; }

  /// How a Conv feeds its GEMM. kIm2col: an im2col panel [k_padded/4][p_padded][4]. The direct
  /// layouts read the zero-point-padded input in place (a strided conv's split into stride
  /// phases), one k-group of 4 weights being an offset into it, and compute the padded width's
  /// extra columns only to drop them:
  /// kChannels4 interleaves 4 input channels per 32-bit lane (a k-group is channels 4c..4c+3 at
  /// one (ky, kx)); kColumns4 puts 4 horizontally adjacent pixels in a lane (a k-group is
  /// columns 4j..4j+3 of kernel row ky of one channel; stride 1 only). Weights outside the
  /// kernel are 0.
  enum class ConvPacking { kIm2col, kChannels4, kColumns4 };

  struct Layer {
    int64_t k = 0;          ///< reduction length (weights per output channel)
    int64_t k_padded = 0;   ///< multiple of 4 (Conv: 4 × k-groups of the packing)
    int64_t oc_padded = 0;  ///< Dense: output channels rounded up to 16
    int64_t p_padded = 0;   ///< Conv, kIm2col: output positions rounded up to the column block
    ConvPacking packing = ConvPacking::kIm2col;  ///< Conv
    std::vector<int64_t> k_offsets;  ///< Conv: byte offset of each k-group in the GEMM's input
    int64_t row_pitch = 0;           ///< Conv, direct: padded input width
    int64_t p_end = 0;               ///< Conv: positions computed
    /// Conv scratch layout: kIm2col [panel k_padded·p_padded][padded input group][zero row of
    /// OW][wide rows]; direct [interleaved input (strided: its stride phases)][padded input
    /// group][wide rows], the wide rows being the GEMM's output before the padded width's extra
    /// columns are dropped.
    size_t padded_offset = 0, zeros_offset = 0, wide_offset = 0;
    std::vector<int8_t> weights;  ///< Conv: [OC][k_padded]; Dense: [k_padded/4][oc_padded][4]
    std::vector<int32_t> bias_corrected;  ///< bias − zp_x · Σ_k w (Dense: oc_padded entries)
    std::vector<int32_t> lane_multiplier, lane_exponent;  ///< Dense: per output, oc_padded
    bool vector_requant = true;                           ///< every multiplier has shift ≤ 0
  };

 private:
  static int64_t packed_index(const QNode& node, const Layer& layer, int64_t channel, int64_t k);
  void plan_conv(const QNode& node, Layer& layer) const;
  size_t layer_scratch_bytes(size_t index) const;

  const QModel& model_;
  Isa isa_;
  std::vector<Layer> layers_;  ///< one per node (empty for non-Conv/Dense)
  size_t scratch_bytes_ = 0;
};

}  // namespace hardy::qnn
