// Interval bounds of a Dense node over a box of inputs, on the packed int8 loops: when every input
// k may hold any byte of [lo[k], hi[k]], the node's output o can only hold bytes between
//   out_lo[o] = requantize(bias + Σ_k w⁺·(lo − zp) + w⁻·(hi − zp))  and
//   out_hi[o] = requantize(bias + Σ_k w⁺·(hi − zp) + w⁻·(lo − zp)),
// w⁺ = max(w, 0), w⁻ = min(w, 0): each end is one matrix-vector product of the sign-split weights
// [w⁺ | w⁻] (one int8 matrix of twice the reduction) with the bytes [lo; hi] or [hi; lo], so the
// VNNI dot products bound all outputs at once (64 MACs per instruction) instead of input by input.
// Exact ends of the box, hence as tight as interval arithmetic can be; sound because
// requantization is monotone non-decreasing when every multiplier is ≥ 0 (applies()).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "hardy/core/isa.h"
#include "hardy/qnn/qmodel.h"

namespace hardy::qnn {

/// Not thread-safe (one scratch buffer): one per thread. The model must outlive it.
class IntervalDense {
 public:
  /// Whether node `node` can be bounded this way: a Dense node whose multipliers are all ≥ 0,
  /// whose reduction is short enough that no int32 sum can overflow and whose sign-split weights
  /// take at most 16 MiB (a layer of up to 8 MiB of weights; the copy is per thread).
  static bool applies(const QModel& model, int node);

  /// Packs node `node` (applies() must hold) for the loops gemm_isa(isa) selects.
  IntervalDense(const QModel& model, int node, Isa isa = detect_isa());

  /// out_lo/out_hi[o] for every output o < outputs(), from lo/hi[k] for every input k < inputs().
  void bounds(const uint8_t* lo, const uint8_t* hi, uint8_t* out_lo, uint8_t* out_hi);

  /// The golden input bytes (per image) that bounds_changed starts from.
  void set_golden(const uint8_t* golden);
  /// bounds() of a box equal to set_golden's bytes except at the inputs listed in `changed` (each
  /// once, any order). When the packed weights outgrow the L1 cache and the changed inputs fall in
  /// under half the groups of 4 inputs, only their groups are read, each adding its sign-split
  /// dot products and taking away its golden one; else the whole box, as bounds().
  void bounds_changed(const uint8_t* lo, const uint8_t* hi, std::span<const int32_t> changed,
                      uint8_t* out_lo, uint8_t* out_hi);

  int64_t inputs() const { return k_; }
  int64_t outputs() const { return oc_; }

 private:
  const QNode& node_;
  Isa isa_;
  int64_t k_ = 0, k4_ = 0, oc_ = 0, oc_padded_ = 0;
  int32_t zero_point_ = 0;
  std::vector<int8_t> weights_;  // [2·k4/4][oc_padded][4]: w⁺ at k, w⁻ at k4 + k
  std::vector<int32_t> bias_, lane_multiplier_, lane_exponent_;
  bool vector_requant_ = true;
  std::vector<uint8_t> boxes_;  // [lo; hi; lo], k4 each: [lo; hi] and [hi; lo] side by side
  // Per image: the golden sums (bias included) and each group of 4 inputs' golden dot products,
  // [k4/4][oc_padded].
  std::vector<int32_t> golden_, partial_;
  std::vector<int32_t> quads_;       // the groups bounds_changed reads
  std::vector<uint64_t> quad_mark_;  // per group: the call that listed it
  uint64_t call_ = 0;
};

}  // namespace hardy::qnn
