// AVX-512 VNNI inner loops: vpdpbusd (u8 × s8, 4-way dot products into int32, non-saturating) and
// a vectorized requantization that mirrors reference_kernels.h instruction for instruction.
// Compiled for the VNNI target function by function; called only when detect_isa() says so.
#if defined(__x86_64__)

#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "gemm_kernels.h"
#include "hardy/qnn/reference_kernels.h"

#define HARDY_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

namespace hardy::qnn::detail {
namespace {

// 16 lanes of SaturatingRoundingDoublingHighMul(x, M) (mult = M in every lane) as
// floor((x·M + 2^30) / 2^31) on 64-bit products: equal to gemmlowp's nudge-and-truncate form; the
// saturating case needs M = INT32_MIN, which a quantized multiplier never is.
HARDY_VNNI inline __m512i high_product16(__m512i x, __m512i mult) {
  const __m512i nudge = _mm512_set1_epi64(int64_t{1} << 30);
  __m512i even = _mm512_mul_epi32(x, mult);
  __m512i odd = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), mult);
  // Bits 31..62 of each rounded product: shifted down into the even lanes' low dwords, and
  // doubled into the odd lanes' high dwords.
  even = _mm512_srli_epi64(_mm512_add_epi64(even, nudge), 31);
  odd = _mm512_add_epi64(odd, nudge);
  return _mm512_mask_blend_epi32(0xAAAA, even, _mm512_add_epi64(odd, odd));
}

// 16 lanes of RoundingDivideByPOT(x, e), e ≥ 0, as ((y >> (e − 1)) + 1) >> 1 with
// y = x − [x < 0]: that is floor((x + 2^(e−1) − [x < 0]) / 2^e), gemmlowp's
// remainder-and-threshold rule (round half away from zero) in fewer steps. y cannot overflow for
// x a high product (M < 2^31 keeps it above INT32_MIN).
HARDY_VNNI inline __m512i rounding_divide16(__m512i x, int exponent) {
  if (exponent > 0) {
    const __m512i y = _mm512_add_epi32(x, _mm512_srai_epi32(x, 31));
    const __m512i halved = _mm512_sra_epi32(y, _mm_cvtsi32_si128(exponent - 1));
    x = _mm512_srai_epi32(_mm512_add_epi32(halved, _mm512_set1_epi32(1)), 1);
  }
  return x;
}

// 16 lanes of multiply_by_quantized_multiplier(x, m) for a multiplier with shift ≤ 0.
HARDY_VNNI inline __m512i multiply16(__m512i x, QuantizedMultiplier m) {
  return rounding_divide16(high_product16(x, _mm512_set1_epi32(m.multiplier)), -m.shift);
}

// An Add input's rescaling, multiply16(d · 2^L, m) for |d| ≤ 255 and 9 ≤ L ≤ 22, in 32-bit
// products: with s = 31 − L and M = Mh·2^s + Ml (0 ≤ Ml < 2^s), high_product16's
// floor((d·2^L·M + 2^30) / 2^31) is floor((d·M + 2^(s−1)) / 2^s) = d·Mh + ((d·Ml + 2^(s−1)) >> s),
// where |d·Mh| < 2^(8+L) and |d·Ml| + 2^(s−1) < 2^(39−L) stay below 2^31.
class InputRescale16 {
 public:
  HARDY_VNNI InputRescale16(QuantizedMultiplier m, int left_shift)
      : high_(_mm512_set1_epi32(m.multiplier >> (31 - left_shift))),
        low_(_mm512_set1_epi32(m.multiplier & ((1 << (31 - left_shift)) - 1))),
        round_(_mm512_set1_epi32(1 << (30 - left_shift))),
        s_(_mm_cvtsi32_si128(31 - left_shift)),
        exponent_(-m.shift) {}
  /// multiply16(d << left_shift, m) for lanes d = q − zero point.
  HARDY_VNNI __m512i operator()(__m512i d) const {
    const __m512i low = _mm512_add_epi32(_mm512_mullo_epi32(d, low_), round_);
    return rounding_divide16(
        _mm512_add_epi32(_mm512_mullo_epi32(d, high_), _mm512_sra_epi32(low, s_)), exponent_);
  }

 private:
  __m512i high_, low_, round_;
  __m128i s_;
  int exponent_;
};

// acc + Σ u8 × s8 over each lane's 4 bytes (_mm512_dpbusd_epi32), written so that the accumulator
// stays in its register: with the intrinsic, GCC 12 copies every accumulator twice per step.
HARDY_VNNI inline __m512i dpbusd(__m512i acc, __m512i u8, __m512i s8) {
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u8), "v"(s8));
  return acc;
}

// 16 lanes of requantize(acc, m, zp, lo, hi) for a multiplier with shift ≤ 0.
HARDY_VNNI inline __m512i requantize16(__m512i acc, QuantizedMultiplier m, __m512i zp, __m512i lo,
                                       __m512i hi) {
  const __m512i x = _mm512_add_epi32(multiply16(acc, m), zp);
  return _mm512_min_epi32(_mm512_max_epi32(x, lo), hi);
}

HARDY_VNNI inline void store16(uint8_t* dst, __m128i bytes, int64_t valid) {
  if (valid >= 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), bytes);
  } else {
    _mm_mask_storeu_epi8(dst, static_cast<__mmask16>((1u << valid) - 1), bytes);
  }
}

// Copies `channels` rows of the wide buffer (positions of the padded width) from output channel
// oc0 on into y, dropping the columns p % row_pitch ≥ row_width. Rows are copied in order with
// whole 32-byte vectors, each spilling into the rows or channels after it (written later); rows
// whose vectors would pass the GEMM's last output are stored with a mask.
HARDY_VNNI void drop_padded_columns(const GemmArgs& a, int64_t oc0, int channels) {
  const int64_t wide_pitch = gemm_wide_pitch(a.p_end);
  const int64_t rows = (a.p_end - a.row_width) / a.row_pitch + 1;
  const int64_t row_pitch = a.row_pitch, row_width = a.row_width;
  const int64_t y_channel_stride = a.y_channel_stride;
  uint8_t* const y = a.y;
  // Rows starting at or before this offset are followed by ≥ 32·⌈row_width / 32⌉ bytes of the
  // GEMM's output.
  const int64_t unmasked_end = a.out.channels * y_channel_stride - (row_width + 31) / 32 * 32;
  for (int j = 0; j < channels; ++j) {
    const uint8_t* src = a.wide + j * wide_pitch;
    int64_t at = (oc0 + j) * y_channel_stride;
    for (int64_t r = 0; r < rows; ++r, src += row_pitch, at += row_width) {
      uint8_t* dst = y + at;
      if (at <= unmasked_end) {
        for (int64_t x = 0; x < row_width; x += 32) {
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + x),
                              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + x)));
        }
        continue;
      }
      for (int64_t x = 0; x < row_width; x += 32) {
        const int64_t n = std::min<int64_t>(32, row_width - x);
        const auto mask = static_cast<__mmask32>(n == 32 ? ~0u : (1u << n) - 1);
        _mm256_mask_storeu_epi8(dst + x, mask, _mm256_maskz_loadu_epi8(mask, src + x));
      }
    }
  }
}

// gemm_tile's stores when some multiplier has shift > 0: the scalar requantize per lane.
template <int kOcBlock, int kHalves>
HARDY_VNNI __attribute__((noinline)) void store_tile_scalar(
    const GemmArgs& a, int64_t oc0, int64_t p0, const __m512i (&acc)[kOcBlock][kHalves]) {
  const bool contiguous = a.row_pitch == a.row_width;
  for (int j = 0; j < kOcBlock; ++j) {
    const int64_t oc = oc0 + j;
    uint8_t* y = contiguous ? a.y + oc * a.y_channel_stride : a.wide + j * gemm_wide_pitch(a.p_end);
    for (int h = 0; h < kHalves; ++h) {
      const int64_t first = p0 + 16 * h, valid = a.p_end - first;
      alignas(64) int32_t lanes[16];
      alignas(16) uint8_t out[16];
      _mm512_store_si512(lanes, acc[j][h]);
      for (int i = 0; i < 16; ++i) {
        out[i] = requantize(lanes[i], a.out.multiplier[oc], a.out.zero_point, a.out.lo, a.out.hi);
      }
      store16(y + first, _mm_load_si128(reinterpret_cast<const __m128i*>(out)),
              contiguous ? valid : 16);
    }
  }
}

// kOcBlock output channels × 16·kHalves positions from p0: kOcBlock·kHalves accumulators.
template <int kOcBlock, int kHalves>
HARDY_VNNI void gemm_tile(const GemmArgs& a, int64_t oc0, int64_t p0) {
  const int64_t k_padded = 4 * a.k_groups;
  __m512i acc[kOcBlock][kHalves];
  for (int j = 0; j < kOcBlock; ++j) {
    for (int h = 0; h < kHalves; ++h) acc[j][h] = _mm512_set1_epi32(a.out.bias[oc0 + j]);
  }
  const uint8_t* col = a.col + p0 * 4;
  const int8_t* w = a.weights + oc0 * k_padded;
  for (int64_t g = 0; g < a.k_groups; ++g) {
    const uint8_t* c_g = col + a.k_offsets[g];
    __m512i c[kHalves];
    for (int h = 0; h < kHalves; ++h) c[h] = _mm512_loadu_si512(c_g + 64 * h);
    for (int j = 0; j < kOcBlock; ++j) {
      int32_t w4;
      std::memcpy(&w4, w + j * k_padded + 4 * g, 4);
      const __m512i wv = _mm512_set1_epi32(w4);
      for (int h = 0; h < kHalves; ++h) acc[j][h] = dpbusd(acc[j][h], c[h], wv);
    }
  }
  if (!a.vector_requant) {
    store_tile_scalar<kOcBlock, kHalves>(a, oc0, p0, acc);
    return;
  }
  // Rows with dropped columns go to the wide buffer whole (gemm_block drops the columns). The
  // arguments are read before the first store (a byte store may alias them).
  const bool contiguous = a.row_pitch == a.row_width;
  const int64_t stride = contiguous ? a.y_channel_stride : gemm_wide_pitch(a.p_end);
  uint8_t* const y = (contiguous ? a.y + oc0 * a.y_channel_stride : a.wide) + p0;
  const int64_t last_valid = contiguous ? a.p_end - p0 - 16 * (kHalves - 1) : 16;
  QuantizedMultiplier m[kOcBlock];
  for (int j = 0; j < kOcBlock; ++j) m[j] = a.out.multiplier[oc0 + j];
  const __m512i zp = _mm512_set1_epi32(a.out.zero_point);
  const __m512i lo = _mm512_set1_epi32(a.out.lo), hi = _mm512_set1_epi32(a.out.hi);
  // (y >> (e − 1)) + 1 + 2·zp, halved, is RDBPOT's result plus the zero point.
  const __m512i round_zp = _mm512_set1_epi32(1 + 2 * a.out.zero_point);
  const bool clamp_hi = a.out.hi < 255;  // else the unsigned saturation to a byte clamps
#pragma GCC unroll 8
  for (int j = 0; j < kOcBlock; ++j) {
    // requantize16 with the zero point folded into RDBPOT's last step, both halves together.
    const __m512i mult = _mm512_set1_epi32(m[j].multiplier);
    __m512i x[kHalves];
    for (int h = 0; h < kHalves; ++h) x[h] = high_product16(acc[j][h], mult);
    if (m[j].shift < 0) {
      const __m128i count = _mm_cvtsi32_si128(-m[j].shift - 1);
      for (int h = 0; h < kHalves; ++h) {
        const __m512i t = _mm512_add_epi32(x[h], _mm512_srai_epi32(x[h], 31));
        x[h] = _mm512_srai_epi32(_mm512_add_epi32(_mm512_sra_epi32(t, count), round_zp), 1);
      }
    } else {
      for (int h = 0; h < kHalves; ++h) x[h] = _mm512_add_epi32(x[h], zp);
    }
    for (int h = 0; h < kHalves; ++h) {
      x[h] = _mm512_max_epi32(x[h], lo);
      if (clamp_hi) x[h] = _mm512_min_epi32(x[h], hi);
      store16(y + j * stride + 16 * h, _mm512_cvtusepi32_epi8(x[h]),
              h + 1 < kHalves ? 16 : last_valid);
    }
  }
}

// kOcBlock output channels over every position: 32 per tile, a last tile of 16 when at most 16
// positions remain.
template <int kOcBlock>
HARDY_VNNI void gemm_block(const GemmArgs& a, int64_t oc0) {
  int64_t p0 = 0;
  for (; p0 + 16 < a.p_end; p0 += 32) gemm_tile<kOcBlock, 2>(a, oc0, p0);
  if (p0 < a.p_end) gemm_tile<kOcBlock, 1>(a, oc0, p0);
  if (a.row_pitch != a.row_width) drop_padded_columns(a, oc0, kOcBlock);
}

// multiply16 with a multiplier and exponent per lane (per output channel).
HARDY_VNNI inline __m512i multiply16_lanes(__m512i x, __m512i mult, __m512i exponent) {
  const __m512i nudge = _mm512_set1_epi64(int64_t{1} << 30);
  __m512i even = _mm512_mul_epi32(x, mult);
  __m512i odd = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(mult, 32));
  even = _mm512_srai_epi64(_mm512_add_epi64(even, nudge), 31);
  odd = _mm512_srai_epi64(_mm512_add_epi64(odd, nudge), 31);
  x = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, exponent), one);
  const __m512i remainder = _mm512_and_si512(x, mask);
  __m512i threshold = _mm512_srli_epi32(mask, 1);
  const __mmask16 negative = _mm512_cmplt_epi32_mask(x, _mm512_setzero_si512());
  threshold = _mm512_mask_add_epi32(threshold, negative, threshold, one);
  const __mmask16 round_up = _mm512_cmpgt_epi32_mask(remainder, threshold);
  x = _mm512_srav_epi32(x, exponent);
  return _mm512_mask_add_epi32(x, round_up, x, one);
}

// kVectors × 16 outputs starting at vector v0 for kImages images (inputs x + i·x_stride, outputs
// y[i]): each weight vector is loaded once for all images, 4 input bytes are broadcast per image,
// one vpdpbusd per vector and image.
template <int kVectors, int kImages>
HARDY_VNNI void dense_block(const DenseArgs& a, int64_t v0, const uint8_t* x, int64_t x_stride,
                            uint8_t* const* y) {
  __m512i acc[kVectors][kImages];
  for (int j = 0; j < kVectors; ++j) {
    const __m512i bias = _mm512_loadu_si512(a.out.bias + (v0 + j) * kDenseLanes);
    for (int i = 0; i < kImages; ++i) acc[j][i] = bias;
  }
  const int8_t* w = a.weights + v0 * kDenseLanes * 4;
  for (int64_t k4 = 0; k4 < a.k_padded / 4; ++k4, w += a.oc_padded * 4) {
    __m512i xb[kImages];
    for (int i = 0; i < kImages; ++i) {
      int32_t x4;
      std::memcpy(&x4, x + i * x_stride + 4 * k4, 4);
      xb[i] = _mm512_set1_epi32(x4);
    }
    for (int j = 0; j < kVectors; ++j) {
      const __m512i wv = _mm512_loadu_si512(w + j * 64);
      for (int i = 0; i < kImages; ++i) acc[j][i] = dpbusd(acc[j][i], xb[i], wv);
    }
  }
  const __m512i zp = _mm512_set1_epi32(a.out.zero_point);
  const __m512i lo = _mm512_set1_epi32(a.out.lo), hi = _mm512_set1_epi32(a.out.hi);
  for (int j = 0; j < kVectors; ++j) {
    const int64_t first = (v0 + j) * kDenseLanes, valid = a.out.channels - first;
    if (valid <= 0) break;
    for (int i = 0; i < kImages; ++i) {
      if (a.vector_requant) {
        const __m512i v = multiply16_lanes(acc[j][i], _mm512_loadu_si512(a.lane_multiplier + first),
                                           _mm512_loadu_si512(a.lane_exponent + first));
        store16(y[i] + first,
                _mm512_cvtusepi32_epi8(
                    _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(v, zp), lo), hi)),
                valid);
      } else {
        alignas(64) int32_t lanes[16];
        _mm512_store_si512(lanes, acc[j][i]);
        for (int64_t l = 0; l < 16 && l < valid; ++l) {
          y[i][first + l] = requantize(lanes[l], a.out.multiplier[first + l], a.out.zero_point,
                                       a.out.lo, a.out.hi);
        }
      }
    }
  }
}

// Every output vector for kImages images: 4 vectors per block when one image, 2 when several
// (2 × 4 accumulators), then the remaining vector.
template <int kImages>
HARDY_VNNI void dense_images(const DenseArgs& a, const uint8_t* x, int64_t x_stride,
                             uint8_t* const* y) {
  constexpr int kBlock = kImages == 1 ? 4 : 2;
  int64_t v = 0;
  const int64_t vectors = a.oc_padded / kDenseLanes;
  for (; v + kBlock <= vectors; v += kBlock) dense_block<kBlock, kImages>(a, v, x, x_stride, y);
  for (; v < vectors; ++v) dense_block<1, kImages>(a, v, x, x_stride, y);
}

}  // namespace

HARDY_VNNI void gemm_avx512_vnni(const GemmArgs& a) {
  int64_t oc = 0;
  static_assert(kGemmOcBlock == 8);
  for (; oc + 8 <= a.out.channels; oc += 8) gemm_block<8>(a, oc);
  switch (a.out.channels - oc) {
    case 7:
      gemm_block<7>(a, oc);
      break;
    case 6:
      gemm_block<6>(a, oc);
      break;
    case 5:
      gemm_block<5>(a, oc);
      break;
    case 4:
      gemm_block<4>(a, oc);
      break;
    case 3:
      gemm_block<3>(a, oc);
      break;
    case 2:
      gemm_block<2>(a, oc);
      break;
    case 1:
      gemm_block<1>(a, oc);
      break;
    default:
      break;
  }
}

HARDY_VNNI void dense_avx512_vnni(const DenseArgs& a) {
  uint8_t* const y[1] = {a.y};
  dense_images<1>(a, a.x, 0, y);
}

HARDY_VNNI void dense_batch_avx512_vnni(const DenseArgs& a, int64_t images, int64_t x_stride,
                                        uint8_t* const* y) {
  int64_t i = 0;
  for (; i + 8 <= images; i += 8) dense_images<8>(a, a.x + i * x_stride, x_stride, y + i);
  for (; i + 4 <= images; i += 4) dense_images<4>(a, a.x + i * x_stride, x_stride, y + i);
  for (; i + 2 <= images; i += 2) dense_images<2>(a, a.x + i * x_stride, x_stride, y + i);
  for (; i < images; ++i) dense_images<1>(a, a.x + i * x_stride, x_stride, y + i);
}

namespace {

// Requantizes 16 sums (vector `v` of the outputs) and stores them at y.
HARDY_VNNI void store_requantized(const DenseQuadsArgs& a, int64_t v, __m512i acc, uint8_t* y) {
  const int64_t first = v * kDenseLanes, valid = a.out.channels - first;
  if (valid <= 0) return;
  if (a.vector_requant) {
    const __m512i x = multiply16_lanes(acc, _mm512_loadu_si512(a.lane_multiplier + first),
                                       _mm512_loadu_si512(a.lane_exponent + first));
    const __m512i zp = _mm512_set1_epi32(a.out.zero_point);
    const __m512i lo = _mm512_set1_epi32(a.out.lo), hi = _mm512_set1_epi32(a.out.hi);
    store16(
        y + first,
        _mm512_cvtusepi32_epi8(_mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(x, zp), lo), hi)),
        valid);
    return;
  }
  alignas(64) int32_t lanes[16];
  _mm512_store_si512(lanes, acc);
  for (int64_t l = 0; l < 16 && l < valid; ++l)
    y[first + l] =
        requantize(lanes[l], a.out.multiplier[first + l], a.out.zero_point, a.out.lo, a.out.hi);
}

// kVectors × 16 outputs from vector v0 on: both ends accumulated over the listed groups.
template <int kVectors>
HARDY_VNNI void dense_quads_block(const DenseQuadsArgs& a, int64_t v0) {
  __m512i lo[kVectors], hi[kVectors];
  for (int j = 0; j < kVectors; ++j)
    lo[j] = hi[j] = _mm512_loadu_si512(a.golden + (v0 + j) * kDenseLanes);
  const int64_t negative = a.k4 / 4;
  for (int64_t i = 0; i < a.n_quads; ++i) {
    const int64_t q = a.quads[i];
    int32_t l4, h4;
    std::memcpy(&l4, a.lo4 + 4 * q, 4);
    std::memcpy(&h4, a.hi4 + 4 * q, 4);
    const __m512i xl = _mm512_set1_epi32(l4), xh = _mm512_set1_epi32(h4);
    const int8_t* wp = a.weights + (q * a.oc_padded + v0 * kDenseLanes) * 4;
    const int8_t* wn = a.weights + ((negative + q) * a.oc_padded + v0 * kDenseLanes) * 4;
    const int32_t* partial = a.partial + q * a.oc_padded + v0 * kDenseLanes;
    for (int j = 0; j < kVectors; ++j) {
      const __m512i p = _mm512_loadu_si512(wp + j * 64), n = _mm512_loadu_si512(wn + j * 64);
      const __m512i g = _mm512_loadu_si512(partial + j * kDenseLanes);
      lo[j] = dpbusd(dpbusd(_mm512_sub_epi32(lo[j], g), xl, p), xh, n);
      hi[j] = dpbusd(dpbusd(_mm512_sub_epi32(hi[j], g), xh, p), xl, n);
    }
  }
  for (int j = 0; j < kVectors; ++j) {
    store_requantized(a, v0 + j, lo[j], a.lo);
    store_requantized(a, v0 + j, hi[j], a.hi);
  }
}

}  // namespace

HARDY_VNNI void dense_quads_avx512_vnni(const DenseQuadsArgs& a) {
  const int64_t vectors = a.oc_padded / kDenseLanes;
  int64_t v = 0;
  for (; v + 8 <= vectors; v += 8) dense_quads_block<8>(a, v);
  for (; v + 4 <= vectors; v += 4) dense_quads_block<4>(a, v);
  for (; v < vectors; ++v) dense_quads_block<1>(a, v);
}

HARDY_VNNI void add_avx512(const AddArgs& a) {
  const __m512i za = _mm512_set1_epi32(a.zero_point_a), zb = _mm512_set1_epi32(a.zero_point_b);
  const __m512i zy = _mm512_set1_epi32(a.zero_point_y);
  const __m512i lo = _mm512_set1_epi32(a.lo), hi = _mm512_set1_epi32(a.hi);
  const InputRescale16 rescale_a(a.multiplier_a, a.left_shift),
      rescale_b(a.multiplier_b, a.left_shift);
  for (int64_t i = 0; i < a.count; i += 16) {
    const int64_t valid = a.count - i;
    const __mmask16 load_mask = valid >= 16 ? 0xffff : static_cast<__mmask16>((1u << valid) - 1);
    const __m512i qa = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(load_mask, a.x + i));
    const __m512i qb = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(load_mask, a.y + i));
    const __m512i sa = rescale_a(_mm512_sub_epi32(qa, za));
    const __m512i sb = rescale_b(_mm512_sub_epi32(qb, zb));
    store16(a.out + i,
            _mm512_cvtusepi32_epi8(
                requantize16(_mm512_add_epi32(sa, sb), a.multiplier_out, zy, lo, hi)),
            valid);
  }
}

}  // namespace hardy::qnn::detail

#endif
