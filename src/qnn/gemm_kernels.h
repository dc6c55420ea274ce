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

/// y[oc][p] = out(Σ_k w[oc][k] · col[k][p]) for p < p_count, where col is packed as
/// [k_padded/4][p_padded][4] bytes and w as [oc][k_padded] int8.
struct GemmArgs {
  const uint8_t* col;
  int64_t k_padded, p_count, p_padded;
  const int8_t* weights;
  OutputStage out;
  bool vector_requant;  ///< every multiplier has shift ≤ 0
  uint8_t* y;
};

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

/// Element-wise TFLite Add of two uint8 tensors (see add_reference); all multipliers shift ≤ 0.
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

/// Column blocking of the GEMM: p_padded is a multiple of this.
constexpr int64_t kGemmColumnBlock = 32;

void gemm_portable(const GemmArgs& a);
void dense_portable(const DenseArgs& a);
#if defined(__x86_64__)
void gemm_avx512_vnni(const GemmArgs& a);
void dense_avx512_vnni(const DenseArgs& a);
/// dense_avx512_vnni for `images` inputs at a.x + i·x_stride (each k_padded bytes, zero padded)
/// with outputs y[i]; a.y is unused. Each weight vector is loaded once per 4 images.
void dense_batch_avx512_vnni(const DenseArgs& a, int64_t images, int64_t x_stride,
                             uint8_t* const* y);
void add_avx512(const AddArgs& a);
#endif

}  // namespace hardy::qnn::detail
