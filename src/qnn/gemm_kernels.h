// Internal: the inner loops of the optimized kernels, one implementation per Isa.
#pragma once

#include <cstdint>

#include "hardy/core/fixed_point.h"

namespace hardy::qnn::detail {

/// What turns output channel c's int32 sum into a stored byte: requantize(Σ + bias[c],
/// multiplier[c], zero_point, lo, hi), for c < channels.
struct OutputStage {
  const int32_t* bias;
  const QuantizedMultiplier* multiplier;
  int64_t channels;
  int32_t zero_point;
  uint8_t lo, hi;
};

/// The conv GEMM over "positions" p ∈ [0, p_end), each a 4-byte dword per k-group:
///   y[oc · y_channel_stride + out(p)] = out(Σ_g Σ_j w[oc][4g + j] · col[k_offsets[g] + 4p + j])
/// for every p with p % row_pitch < row_width, where out(p) = (p / row_pitch) · row_width +
/// p % row_pitch; positions with p % row_pitch ≥ row_width are computed and dropped. An im2col
/// panel [k_groups][p_padded][4] is one row (row_pitch = row_width = p_end = P, k_offsets[g] =
/// 4·g·p_padded); a direct convolution reads a padded input whose rows are row_pitch wide, each
/// k-group an offset into it. col must be readable 4·(p_end + 16) bytes past every k_offsets[g]
/// (the tiles read whole vectors of 16 positions); w is [oc][4·k_groups] int8.
struct GemmArgs {
  const uint8_t* col;
  const int64_t* k_offsets;
  int64_t k_groups;
  int64_t p_end, row_pitch, row_width;
  const int8_t* weights;
  OutputStage out;
  bool vector_requant;  ///< every multiplier has shift ≤ 0
  uint8_t* y;
  int64_t y_channel_stride;
  /// When row_pitch ≠ row_width: gemm_wide_bytes(p_end) bytes of scratch where the VNNI loops
  /// store kGemmOcBlock channels' rows at the padded width before dropping the extra columns.
  uint8_t* wide;
};

/// Output channels per GEMM block (the VNNI tiles').
constexpr int64_t kGemmOcBlock = 8;
/// Bytes between two channels' rows in GemmArgs::wide.
constexpr int64_t gemm_wide_pitch(int64_t p_end) { return (p_end + 31) / 32 * 32; }
/// Bytes of GemmArgs::wide (32 past the last row: rows are read in whole 32-byte vectors).
constexpr int64_t gemm_wide_bytes(int64_t p_end) {
  return kGemmOcBlock * gemm_wide_pitch(p_end) + 32;
}

/// y[o] = out(Σ_k w[o][k] · x[k]) for o < out.channels, with x padded with zeros to k_padded and
/// w packed as [k_padded/4][oc_padded][4] int8 (zero padded), so that one vpdpbusd accumulates
/// 16 outputs. bias, lane_multiplier and lane_exponent (−shift) hold oc_padded entries.
struct DenseArgs {
  const uint8_t* x;
  int64_t k_padded, oc_padded;
  const int8_t* weights;
  OutputStage out;
  const int32_t* lane_multiplier;
  const int32_t* lane_exponent;
  bool vector_requant;  ///< every multiplier has shift ≤ 0
  uint8_t* y;
};

/// Output-channel blocking of the dense layout: oc_padded is a multiple of this.
constexpr int64_t kDenseLanes = 16;

/// Interval bounds of a Dense node over a box that differs from golden inputs only in some groups
/// of 4 inputs (qnn::IntervalDense): for o < out.channels,
///   lo[o] = out(golden[o] + Σ_{q ∈ quads} (w⁺_q · x_lo_q + w⁻_q · x_hi_q − partial[q][o])),
///   hi[o] = out(golden[o] + Σ_{q ∈ quads} (w⁺_q · x_hi_q + w⁻_q · x_lo_q − partial[q][o])),
/// where golden is the full golden sum (bias included), partial[q] the golden inputs' dot product
/// with group q of the weights, w⁺_q group q of the packed weights (DenseArgs layout, k4/4 groups
/// of w⁺, then k4/4 of w⁻) and x_lo_q / x_hi_q the 4 bytes at lo4 / hi4 + 4·q (whole groups).
struct DenseQuadsArgs {
  const uint8_t* lo4;
  const uint8_t* hi4;
  const int32_t* quads;
  int64_t n_quads;
  int64_t k4, oc_padded;
  const int8_t* weights;
  const int32_t* golden;   // oc_padded
  const int32_t* partial;  // [k4/4][oc_padded]
  OutputStage out;
  const int32_t* lane_multiplier;
  const int32_t* lane_exponent;
  bool vector_requant;
  uint8_t* lo;
  uint8_t* hi;
};

/// Element-wise TFLite Add of two uint8 tensors (see add_reference); all multipliers shift ≤ 0,
/// 9 ≤ left_shift ≤ 22 (the input rescaling runs on 32-bit products).
struct AddArgs {
  const uint8_t* x;
  const uint8_t* y;
  int64_t count;
  int32_t zero_point_a, zero_point_b, zero_point_y;
  int left_shift;
  QuantizedMultiplier multiplier_a, multiplier_b, multiplier_out;
  uint8_t lo, hi;
  uint8_t* out;
};

/// Column blocking of the im2col GEMM: p_padded is a multiple of this.
constexpr int64_t kGemmColumnBlock = 32;
/// Positions a GEMM tile may read past p_end (see GemmArgs).
constexpr int64_t kGemmReadPastEnd = 16;

void gemm_portable(const GemmArgs& a);
void dense_portable(const DenseArgs& a);
void dense_quads_portable(const DenseQuadsArgs& a);
#if defined(__x86_64__)
void gemm_avx512_vnni(const GemmArgs& a);
void dense_avx512_vnni(const DenseArgs& a);
/// dense_avx512_vnni for `images` inputs at a.x + i·x_stride (each k_padded bytes, zero padded)
/// with outputs y[i]; a.y is unused. Each weight vector is loaded once per 8 images (4, then 2
/// for the rest of a batch, then one by one).
void dense_batch_avx512_vnni(const DenseArgs& a, int64_t images, int64_t x_stride,
                             uint8_t* const* y);
void add_avx512(const AddArgs& a);
void dense_quads_avx512_vnni(const DenseQuadsArgs& a);
#endif

}  // namespace hardy::qnn::detail
