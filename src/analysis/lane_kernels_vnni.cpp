// dense_lane_deltas with AVX-512 VNNI: four inputs at a time, each lane's four bytes (u8) against
// each output's four weights (s8) in one vpdpbusd. Called only when detect_isa() reaches
// Isa::kAvx512Vnni; exact integer sums, equal to the portable loops.
#if defined(__x86_64__)

#include <immintrin.h>

#include <vector>

#include "lane_kernels.h"

#define HARDY_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

namespace hardy::analysis::detail {
namespace {

// Four rows of 64 bytes r0..r3 → 64 dwords z, dword 16·l + i = the bytes
// (r0, r1, r2, r3)[16·l + i]: unpacking interleaves within 128-bit chunks, a 4×4 transpose of the
// chunks restores the order.
HARDY_VNNI inline void interleave4(__m512i r0, __m512i r1, __m512i r2, __m512i r3, int32_t* z) {
  const __m512i lo01 = _mm512_unpacklo_epi8(r0, r1), hi01 = _mm512_unpackhi_epi8(r0, r1);
  const __m512i lo23 = _mm512_unpacklo_epi8(r2, r3), hi23 = _mm512_unpackhi_epi8(r2, r3);
  const __m512i a = _mm512_unpacklo_epi16(lo01, lo23), b = _mm512_unpackhi_epi16(lo01, lo23);
  const __m512i c = _mm512_unpacklo_epi16(hi01, hi23), d = _mm512_unpackhi_epi16(hi01, hi23);
  const __m512i t0 = _mm512_shuffle_i32x4(a, b, 0x44), t1 = _mm512_shuffle_i32x4(a, b, 0xEE);
  const __m512i t2 = _mm512_shuffle_i32x4(c, d, 0x44), t3 = _mm512_shuffle_i32x4(c, d, 0xEE);
  _mm512_storeu_si512(z, _mm512_shuffle_i32x4(t0, t2, 0x88));
  _mm512_storeu_si512(z + 16, _mm512_shuffle_i32x4(t0, t2, 0xDD));
  _mm512_storeu_si512(z + 32, _mm512_shuffle_i32x4(t1, t3, 0x88));
  _mm512_storeu_si512(z + 48, _mm512_shuffle_i32x4(t1, t3, 0xDD));
}

// Every output's lane deltas from its sums over the quads: output o's weights of quad q are dword q
// · out_pitch + o of wd, the lanes' bytes dwords 64·q + 16·b .. + 15 of xq for lane block b.
// Each block sums its quads in Chains independent accumulators (Blocks · Chains = 4), so that
// vpdpbusd's latency is hidden with few lanes too; integer sums, so the order does not matter.
template <int Blocks>
HARDY_VNNI int output_deltas(const DenseLaneDeltas& a, const int32_t* xq, const int32_t* wd,
                             int64_t quads) {
  constexpr int Chains = 4 / Blocks;
  int moved = 0;
  for (int64_t o = 0; o < a.outputs; ++o) {
    __m512i acc[Blocks], part[Blocks][Chains];
    for (int b = 0; b < Blocks; ++b) {
      for (int c = 0; c < Chains; ++c) part[b][c] = _mm512_setzero_si512();
    }
    int64_t q = 0;
    for (; q + Chains <= quads; q += Chains) {
      for (int c = 0; c < Chains; ++c) {
        const __m512i w = _mm512_set1_epi32(wd[(q + c) * a.out_pitch + o]);
        for (int b = 0; b < Blocks; ++b) {
          part[b][c] =
              _mm512_dpbusd_epi32(part[b][c], _mm512_loadu_si512(xq + (q + c) * 64 + b * 16), w);
        }
      }
    }
    for (; q < quads; ++q) {
      const __m512i w = _mm512_set1_epi32(wd[q * a.out_pitch + o]);
      for (int b = 0; b < Blocks; ++b)
        part[b][0] = _mm512_dpbusd_epi32(part[b][0], _mm512_loadu_si512(xq + q * 64 + b * 16), w);
    }
    for (int b = 0; b < Blocks; ++b) {
      acc[b] = part[b][0];
      for (int c = 1; c < Chains; ++c) acc[b] = _mm512_add_epi32(acc[b], part[b][c]);
    }
    // Lane lanes − 1 (the last of the last block) holds the golden bytes' sum.
    const __m512i golden = _mm512_permutexvar_epi32(_mm512_set1_epi32(15), acc[Blocks - 1]);
    int32_t* s = a.deltas + o * kLaneStride;
    const __m512i lo = _mm512_set1_epi32(a.slack_lo[o]), hi = _mm512_set1_epi32(a.slack_hi[o]);
    __mmask16 outside = 0;
    for (int b = 0; b < Blocks; ++b) {
      const __m512i d = _mm512_sub_epi32(acc[b], golden);
      outside = static_cast<__mmask16>(outside | _mm512_cmplt_epi32_mask(d, lo) |
                                       _mm512_cmpgt_epi32_mask(d, hi));
      _mm512_storeu_si512(s + b * 16, d);
    }
    if (outside != 0) a.moved[moved++] = static_cast<int32_t>(o);
  }
  return moved;
}

}  // namespace

HARDY_VNNI int dense_lane_deltas_vnni(const DenseLaneDeltas& a) {
  static const uint8_t zero_row[kLaneStride] = {};
  const int64_t quads = (a.count + 3) / 4;
  const int blocks = a.lanes / 16;
  // Per quad: the lanes' four bytes as dwords (natural lane order), and the outputs' four
  // weights as dwords (natural output order).
  thread_local std::vector<int32_t> xq, wq;
  xq.resize(static_cast<size_t>(quads * 64));
  const int64_t chunks = a.out_pitch / 64;
  wq.resize(static_cast<size_t>(quads * a.out_pitch));
  for (int64_t q = 0; q < quads; ++q) {
    const uint8_t* rows[4];
    const int8_t* w[4];
    for (int j = 0; j < 4; ++j) {
      const int64_t i = q * 4 + j;
      rows[j] = i < a.count ? a.rows[i] : zero_row;
      w[j] = a.weights_t + (i < a.count ? a.inputs[i] : a.in) * a.out_pitch;
    }
    interleave4(_mm512_loadu_si512(rows[0]), _mm512_loadu_si512(rows[1]),
                _mm512_loadu_si512(rows[2]), _mm512_loadu_si512(rows[3]), xq.data() + q * 64);
    for (int64_t ch = 0; ch < chunks; ++ch) {
      interleave4(_mm512_loadu_si512(w[0] + ch * 64), _mm512_loadu_si512(w[1] + ch * 64),
                  _mm512_loadu_si512(w[2] + ch * 64), _mm512_loadu_si512(w[3] + ch * 64),
                  wq.data() + q * a.out_pitch + ch * 64);
    }
  }
  const int32_t* wd = wq.data();
  switch (blocks) {
    case 1:
      return output_deltas<1>(a, xq.data(), wd, quads);
    case 2:
      return output_deltas<2>(a, xq.data(), wd, quads);
    case 3:
      return output_deltas<3>(a, xq.data(), wd, quads);
    default:
      return output_deltas<4>(a, xq.data(), wd, quads);
  }
}

}  // namespace hardy::analysis::detail

#endif
