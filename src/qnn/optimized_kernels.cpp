// PackedModel: weight packing, im2col into the [K/4][P][4] panel, dispatch to the Isa's loops.
#include "hardy/qnn/optimized_kernels.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "gemm_kernels.h"
#include "hardy/core/error.h"

namespace hardy::qnn {
namespace {

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

constexpr int64_t kSimdSlack = 16;  // readable bytes past the end of a padded input or zero row

bool has_padding(const WindowParams& w) {
  return w.pad_top || w.pad_left || w.pad_bottom || w.pad_right;
}

struct PaddedPlanes {
  const uint8_t* data;
  int64_t h, w;
};

// The input planes of one conv group copied into `buffer`, surrounded by the conv's padding filled
// with the input zero point (real 0, whose (x − zp) term vanishes after the bias correction).
// The buffer has kSimdSlack bytes past the planes, so 16-byte loads may run past a row's end.
PaddedPlanes pad_group(const QNode& node, const NodeIo& io, int64_t group, uint8_t* buffer) {
  const WindowParams& w = node.window;
  const Shape& is = io.in[0]->shape;
  const int64_t icg = is[0] / w.groups, h = is[1], wd = is[2];
  const uint8_t* src = io.x[0] + group * icg * h * wd;
  if (!has_padding(w)) {
    std::memcpy(buffer, src, static_cast<size_t>(icg * h * wd));
    return {buffer, h, wd};
  }
  const int64_t hp = h + w.pad_top + w.pad_bottom, wp = wd + w.pad_left + w.pad_right;
  std::memset(buffer, io.in[0]->quant.zero_point, static_cast<size_t>(icg * hp * wp));
  for (int64_t c = 0; c < icg; ++c) {
    for (int64_t y = 0; y < h; ++y) {
      std::memcpy(buffer + (c * hp + y + w.pad_top) * wp + w.pad_left, src + (c * h + y) * wd,
                  static_cast<size_t>(wd));
    }
  }
  return {buffer, hp, wp};
}

#if defined(__SSE2__)
// Columns i..i+15 of four rows, interleaved into dst[4i .. 4i + 64).
inline void interleave4_block(const uint8_t* const rows[4], int64_t i, uint8_t* dst) {
  const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[0] + i));
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[1] + i));
  const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[2] + i));
  const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[3] + i));
  const __m128i ab_lo = _mm_unpacklo_epi8(a, b), ab_hi = _mm_unpackhi_epi8(a, b);
  const __m128i cd_lo = _mm_unpacklo_epi8(c, d), cd_hi = _mm_unpackhi_epi8(c, d);
  auto* out = reinterpret_cast<__m128i*>(dst + 4 * i);
  _mm_storeu_si128(out + 0, _mm_unpacklo_epi16(ab_lo, cd_lo));
  _mm_storeu_si128(out + 1, _mm_unpackhi_epi16(ab_lo, cd_lo));
  _mm_storeu_si128(out + 2, _mm_unpacklo_epi16(ab_hi, cd_hi));
  _mm_storeu_si128(out + 3, _mm_unpackhi_epi16(ab_hi, cd_hi));
}

// Columns i..i+7 of four rows, interleaved into dst[4i .. 4i + 32).
inline void interleave4_block8(const uint8_t* const rows[4], int64_t i, uint8_t* dst) {
  const __m128i a = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(rows[0] + i));
  const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(rows[1] + i));
  const __m128i c = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(rows[2] + i));
  const __m128i d = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(rows[3] + i));
  const __m128i ab = _mm_unpacklo_epi8(a, b), cd = _mm_unpacklo_epi8(c, d);
  auto* out = reinterpret_cast<__m128i*>(dst + 4 * i);
  _mm_storeu_si128(out + 0, _mm_unpacklo_epi16(ab, cd));
  _mm_storeu_si128(out + 1, _mm_unpackhi_epi16(ab, cd));
}
#endif

// dst[4·i + j] = row_j[i] for i < n: four input rows interleaved byte by byte. With `overrun`,
// whole 16-column blocks are written (up to 60 bytes past dst[4n], which the caller rewrites or
// ignores) and rows are read up to 15 bytes past their end (kSimdSlack); without it, a row of
// 8 or more ends with a block moved back to end at column n (rewriting a few columns).
void interleave4(const uint8_t* const rows[4], int64_t n, uint8_t* dst, bool overrun) {
  int64_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= n || (overrun && i < n); i += 16) interleave4_block(rows, i, dst);
  if (i < n && n >= 16) {
    interleave4_block(rows, n - 16, dst);
    return;
  }
  if (i < n && n >= 8) {  // 8 to 15 columns: two blocks of 8, the second moved back
    interleave4_block8(rows, 0, dst);
    interleave4_block8(rows, n - 8, dst);
    return;
  }
#else
  (void)overrun;
#endif
  for (; i < n; ++i) {
    for (int j = 0; j < 4; ++j) dst[4 * i + j] = rows[j][i];
  }
}

// Fills the [k_padded/4][p_padded][4] panel of one conv group: element (k, p) is the (padded)
// input pixel that weight k meets at output position p. Rows k ≥ K and columns p ≥ P are zero.
void im2col_packed(const QNode& node, const NodeIo& io, const PaddedPlanes& in,
                   const PackedModel::Layer& L, const uint8_t* zeros, uint8_t* col) {
  const WindowParams& w = node.window;
  const Shape& os = io.out->shape;
  const int64_t oh = os[1], ow = os[2], p_count = oh * ow;
  for (int64_t k4 = 0; k4 < L.k_padded / 4; ++k4) {
    const uint8_t* base[4];
    for (int j = 0; j < 4; ++j) {
      const int64_t k = 4 * k4 + j;
      if (k >= L.k) {
        base[j] = nullptr;
        continue;
      }
      const int64_t ic = k / (w.kernel_h * w.kernel_w);
      const int64_t ky = k / w.kernel_w % w.kernel_h, kx = k % w.kernel_w;
      base[j] = in.data + (ic * in.h + ky) * in.w + kx;
    }
    uint8_t* dst = col + k4 * L.p_padded * 4;
    for (int64_t oy = 0; oy < oh; ++oy) {
      const uint8_t* rows[4];
      for (int j = 0; j < 4; ++j) rows[j] = base[j] ? base[j] + oy * w.stride_h * in.w : zeros;
      uint8_t* out = dst + oy * ow * 4;
      if (w.stride_w == 1) {
        // Every row but the last is followed by the next, which overwrites the overrun.
        interleave4(rows, ow, out, oy + 1 < oh);
      } else {
        for (int64_t ox = 0; ox < ow; ++ox) {
          for (int j = 0; j < 4; ++j) out[4 * ox + j] = base[j] ? rows[j][ox * w.stride_w] : 0;
        }
      }
    }
    std::memset(dst + p_count * 4, 0, static_cast<size_t>((L.p_padded - p_count) * 4));
  }
}

// `count` dwords of the zero point in all four lanes (a few: no call to memset).
inline void fill_zero_point(uint8_t* dst, int64_t count, uint8_t zp) {
  for (int64_t i = 0; i < 4 * count; ++i) dst[i] = zp;
}

// kChannels4 at stride 1 straight from the input, without the padded copy: padding rows and
// columns hold the zero point in all four lanes (lanes of channels past the group meet weights
// that are 0). Rows narrower than 8 are better served by the padded copy's whole-plane
// interleave.
void direct_channels_from_input(const QNode& node, const NodeIo& io, int64_t group, uint8_t* dst) {
  const WindowParams& w = node.window;
  const Shape& is = io.in[0]->shape;
  const int64_t icg = is[0] / w.groups, h = is[1], wd = is[2];
  const int64_t hp = h + w.pad_top + w.pad_bottom, wp = wd + w.pad_left + w.pad_right;
  const uint8_t* src = io.x[0] + group * icg * h * wd;
  const auto zp = static_cast<uint8_t>(io.in[0]->quant.zero_point);
  for (int64_t c4 = 0; 4 * c4 < icg; ++c4) {
    const uint8_t* rows[4];
    for (int64_t y = 0; y < hp; ++y) {
      uint8_t* row = dst + (c4 * hp + y) * wp * 4;
      const int64_t sy = y - w.pad_top;
      if (sy < 0 || sy >= h) {
        std::memset(row, zp, static_cast<size_t>(wp * 4));
        continue;
      }
      for (int j = 0; j < 4; ++j) {
        const int64_t c = 4 * c4 + j < icg ? 4 * c4 + j : 0;
        rows[j] = src + (c * h + sy) * wd;
      }
      fill_zero_point(row, w.pad_left, zp);
      interleave4(rows, wd, row + w.pad_left * 4, false);
      fill_zero_point(row + (w.pad_left + wd) * 4, w.pad_right, zp);
    }
  }
}

#if defined(__SSE2__)
// Bytes s + parity, s + parity + 2, …, s + parity + 14 of four rows interleaved into the 8 dwords
// at dst: 16 bytes read from each row at s.
inline void interleave4_stride2_block(const uint8_t* const rows[4], int64_t s, int parity,
                                      uint8_t* dst) {
  const __m128i low_bytes = _mm_set1_epi16(0x00ff);
  __m128i v[4];
  for (int j = 0; j < 4; ++j) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[j] + s));
    const __m128i picked = parity ? _mm_srli_epi16(x, 8) : _mm_and_si128(x, low_bytes);
    v[j] = _mm_packus_epi16(picked, picked);
  }
  const __m128i ab = _mm_unpacklo_epi8(v[0], v[1]), cd = _mm_unpacklo_epi8(v[2], v[3]);
  auto* out = reinterpret_cast<__m128i*>(dst);
  _mm_storeu_si128(out + 0, _mm_unpacklo_epi16(ab, cd));
  _mm_storeu_si128(out + 1, _mm_unpackhi_epi16(ab, cd));
}
#endif

// dword x of dst (x < count) = byte first + x·step of the four rows, or the zero point in all
// four lanes where that is outside [0, width): one row of a stride phase, its padding included.
// Reads only inside the rows.
void interleave4_strided(const uint8_t* const rows[4], int64_t width, int64_t first, int64_t step,
                         int64_t count, uint8_t zp, uint8_t* dst) {
  // Inside: x ∈ [x0, x1).
  const int64_t x0 = std::min(count, first < 0 ? (-first + step - 1) / step : 0);
  const int64_t x1 =
      std::max(x0, std::min(count, width - first <= 0 ? 0 : (width - 1 - first) / step + 1));
  fill_zero_point(dst, x0, zp);
  fill_zero_point(dst + 4 * x1, count - x1, zp);
  int64_t x = x0;
#if defined(__SSE2__)
  if (step == 2 && width >= 16 && x1 - x0 >= 8) {
    for (; x + 8 <= x1 && first + 2 * x + 16 <= width; x += 8) {
      interleave4_stride2_block(rows, first + 2 * x, 0, dst + 4 * x);
    }
    if (x < x1) {  // the last 8 inside (rewriting a few), from at most the row's last 16 bytes
      const int64_t s = std::min(first + 2 * (x1 - 8), width - 16);
      const int parity = static_cast<int>((first - s) & 1);
      interleave4_stride2_block(rows, s, parity, dst + 4 * ((s + parity - first) / 2));
      return;
    }
  }
#endif
  for (; x < x1; ++x) {
    for (int j = 0; j < 4; ++j) dst[4 * x + j] = rows[j][first + x * step];
  }
}

// kChannels4 for a strided conv, straight from the input: each channel's padded plane split into
// its stride_h × stride_w phases, phase (py, px) holding padded pixels (y·stride_h + py,
// x·stride_w + px) as an hq × wq plane (the zero point past the padded plane: only dropped
// positions read those). Output position (oy, ox) then meets kernel tap (ky, kx) at row
// oy + ky / stride_h, column ox + kx / stride_w of phase (ky % stride_h, kx % stride_w): the
// stride-1 layout again, one phase plane per tap parity. Lane j of a dword is channel 4·c4 + j
// (channels past the group read channel 0: their weights are 0).
void direct_channels_strided(const QNode& node, const NodeIo& io, int64_t group, uint8_t* dst) {
  const WindowParams& w = node.window;
  const Shape& is = io.in[0]->shape;
  const int64_t icg = is[0] / w.groups, h = is[1], wd = is[2];
  const int64_t hp = h + w.pad_top + w.pad_bottom, wp = wd + w.pad_left + w.pad_right;
  const int64_t hq = (hp + w.stride_h - 1) / w.stride_h, wq = (wp + w.stride_w - 1) / w.stride_w;
  const int64_t phase = hq * wq, plane = w.stride_h * w.stride_w * phase;
  const uint8_t* src = io.x[0] + group * icg * h * wd;
  const auto zp = static_cast<uint8_t>(io.in[0]->quant.zero_point);
  // Only the phases some tap reads (a 1×1 kernel reads phase (0, 0)); the others stay unread.
  const int64_t phases_h = std::min(w.stride_h, w.kernel_h),
                phases_w = std::min(w.stride_w, w.kernel_w);
  for (int64_t c4 = 0; 4 * c4 < icg; ++c4) {
    for (int64_t py = 0; py < phases_h; ++py) {
      for (int64_t px = 0; px < phases_w; ++px) {
        uint8_t* out = dst + (c4 * plane + (py * w.stride_w + px) * phase) * 4;
        for (int64_t y = 0; y < hq; ++y, out += 4 * wq) {
          const int64_t sy = y * w.stride_h + py - w.pad_top;
          if (sy < 0 || sy >= h) {
            std::memset(out, zp, static_cast<size_t>(4 * wq));
            continue;
          }
          const uint8_t* rows[4];
          for (int j = 0; j < 4; ++j) {
            const int64_t c = 4 * c4 + j < icg ? 4 * c4 + j : 0;
            rows[j] = src + (c * h + sy) * wd;
          }
          interleave4_strided(rows, wd, px - w.pad_left, w.stride_w, wq, zp, out);
        }
      }
    }
  }
}

// Fills the direct layout of one conv group from its padded planes: kChannels4 lane j of dword
// (c4, q) is channel 4·c4 + j's byte q (channels past the group's read channel 0: their weights
// are 0); kColumns4 lane j of dword (c, q) is channel c's byte q + j (bytes past the plane meet
// weights that are 0 or positions that are dropped).
void direct_packed(const PaddedPlanes& in, int64_t channels, PackedModel::ConvPacking packing,
                   uint8_t* dst) {
  const int64_t plane = in.h * in.w;
  const uint8_t* rows[4];
  if (packing == PackedModel::ConvPacking::kChannels4) {
    for (int64_t c4 = 0; 4 * c4 < channels; ++c4) {
      for (int j = 0; j < 4; ++j) {
        const int64_t c = 4 * c4 + j;
        rows[j] = in.data + (c < channels ? c : 0) * plane;
      }
      interleave4(rows, plane, dst + c4 * plane * 4, false);
    }
    return;
  }
  for (int64_t c = 0; c < channels; ++c) {
    for (int j = 0; j < 4; ++j) rows[j] = in.data + c * plane + j;
    interleave4(rows, plane, dst + c * plane * 4, false);
  }
}

#if defined(__SSE2__)
// The 2×2 stride-2 window results of the 8 outputs whose inputs are the 16 bytes of a (row 0) and
// b (row 1), in the low 8 bytes: even and odd input columns are split into 16-bit lanes, so max
// and (a + b + c + d + 2) >> 2 are computed exactly.
inline __m128i pool2x2_stride2_8(__m128i a, __m128i b, bool is_max) {
  const __m128i low_bytes = _mm_set1_epi16(0x00ff);
  __m128i result;
  if (is_max) {
    const __m128i m = _mm_max_epu8(a, b);
    result = _mm_max_epi16(_mm_and_si128(m, low_bytes), _mm_srli_epi16(m, 8));
  } else {
    const __m128i sum =
        _mm_add_epi16(_mm_add_epi16(_mm_and_si128(a, low_bytes), _mm_srli_epi16(a, 8)),
                      _mm_add_epi16(_mm_and_si128(b, low_bytes), _mm_srli_epi16(b, 8)));
    result = _mm_srli_epi16(_mm_add_epi16(sum, _mm_set1_epi16(2)), 2);
  }
  return _mm_packus_epi16(result, result);
}
#endif

// 2×2 windows with stride 2 on one output row: 8 outputs per step (4 when the row has fewer
// than 8), the last step moved back to end at the row's end (recomputing a few outputs), so the
// loads never pass the two input rows' 2·ow bytes. Returns how many outputs it wrote.
int64_t pool2x2_stride2_row(const uint8_t* r0, const uint8_t* r1, int64_t ow, bool is_max,
                            uint8_t* out) {
#if defined(__SSE2__)
  if (ow >= 8) {
    for (int64_t ox = 0;; ox += 8) {
      ox = std::min(ox, ow - 8);
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r0 + 2 * ox));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r1 + 2 * ox));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(out + ox), pool2x2_stride2_8(a, b, is_max));
      if (ox + 8 >= ow) return ow;
    }
  }
  if (ow >= 4) {
    for (int64_t ox = 0;; ox += 4) {
      ox = std::min(ox, ow - 4);
      const __m128i a = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(r0 + 2 * ox));
      const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(r1 + 2 * ox));
      const int32_t four = _mm_cvtsi128_si32(pool2x2_stride2_8(a, b, is_max));
      std::memcpy(out + ox, &four, 4);
      if (ox + 4 >= ow) return ow;
    }
  }
#else
  (void)r0, (void)r1, (void)ow, (void)is_max, (void)out;
#endif
  return 0;
}

// MaxPool / AveragePool without padding: the reference arithmetic without bounds checks.
void pool_unpadded(const QNode& node, const NodeIo& io) {
  const WindowParams& w = node.window;
  const Shape &is = io.in[0]->shape, &os = io.out->shape;
  const int64_t h = is[1], wd = is[2], oh = os[1], ow = os[2];
  const int32_t count = w.kernel_h * w.kernel_w;
  const bool is_max = node.op == OpKind::kMaxPool;
  if (w.kernel_h == 2 && w.kernel_w == 2) {  // the common case: (Σ + 2) / 4 is (Σ + 2) >> 2
    for (int64_t c = 0; c < is[0]; ++c) {
      const uint8_t* plane = io.x[0] + c * h * wd;
      uint8_t* out = io.y + c * oh * ow;
      for (int64_t oy = 0; oy < oh; ++oy) {
        const uint8_t* r0 = plane + oy * w.stride_h * wd;
        const uint8_t* r1 = r0 + wd;
        const int64_t done =
            w.stride_w == 2 ? pool2x2_stride2_row(r0, r1, ow, is_max, out + oy * ow) : 0;
        for (int64_t ox = done; ox < ow; ++ox) {
          const int64_t x = ox * w.stride_w;
          out[oy * ow + ox] = static_cast<uint8_t>(
              is_max ? std::max(std::max(r0[x], r0[x + 1]), std::max(r1[x], r1[x + 1]))
                     : (r0[x] + r0[x + 1] + r1[x] + r1[x + 1] + 2) >> 2);
        }
      }
    }
    return;
  }
  for (int64_t c = 0; c < is[0]; ++c) {
    const uint8_t* plane = io.x[0] + c * h * wd;
    uint8_t* out = io.y + c * oh * ow;
    for (int64_t oy = 0; oy < oh; ++oy) {
      for (int64_t ox = 0; ox < ow; ++ox) {
        const uint8_t* win = plane + oy * w.stride_h * wd + ox * w.stride_w;
        int32_t best = 0, sum = 0;
        for (int64_t ky = 0; ky < w.kernel_h; ++ky) {
          for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
            const int32_t v = win[ky * wd + kx];
            best = std::max(best, v);
            sum += v;
          }
        }
        out[oy * ow + ox] = static_cast<uint8_t>(is_max ? best : (sum + count / 2) / count);
      }
    }
  }
}

// Output channels [first, first + count) of a Conv/Dense node.
detail::OutputStage output_stage(const QNode& node, const PackedModel::Layer& L, const NodeIo& io,
                                 int64_t first, int64_t count) {
  return {L.bias_corrected.data() + first,
          node.multiplier.data() + first,
          count,
          io.out->quant.zero_point,
          node.out_min,
          node.out_max};
}

}  // namespace

Isa gemm_isa(Isa isa) { return isa >= Isa::kAvx512Vnni ? Isa::kAvx512Vnni : Isa::kGeneric; }

PackedModel::PackedModel(const QModel& model, Isa isa) : model_(model), isa_(gemm_isa(isa)) {
  if (!cpu_supports(isa)) throw ConfigError(std::string("this CPU lacks ") + isa_name(isa));
  layers_.resize(model.nodes.size());
  for (size_t i = 0; i < model.nodes.size(); ++i) {
    repack(i);
    scratch_bytes_ = std::max(scratch_bytes_, layer_scratch_bytes(i));
  }
}

int64_t PackedModel::packed_index(const QNode& node, const Layer& L, int64_t c, int64_t k) {
  if (node.op == OpKind::kDense) {
    // [k_padded/4][oc_padded][4]: 16 consecutive output channels' 4-byte groups form one vector.
    return ((k / 4) * L.oc_padded + c) * 4 + k % 4;
  }
  // Conv: row-major [OC][k_padded], k = (ic, ky, kx) placed in its k-group's lane.
  const WindowParams& w = node.window;
  const int64_t ic = k / (w.kernel_h * w.kernel_w), ky = k / w.kernel_w % w.kernel_h,
                kx = k % w.kernel_w;
  switch (L.packing) {
    case ConvPacking::kChannels4:
      return c * L.k_padded + 4 * (((ic / 4) * w.kernel_h + ky) * w.kernel_w + kx) + ic % 4;
    case ConvPacking::kColumns4: {
      const int64_t kw4 = (w.kernel_w + 3) / 4;
      return c * L.k_padded + 4 * ((ic * w.kernel_h + ky) * kw4 + kx / 4) + kx % 4;
    }
    case ConvPacking::kIm2col:
      break;
  }
  return c * L.k_padded + k;
}

void PackedModel::plan_conv(const QNode& node, Layer& L) const {
  const Shape &is = model_.value(node.inputs[0]).shape, &os = model_.value(node.output).shape;
  const WindowParams& w = node.window;
  const int64_t icg = is[0] / w.groups;
  const int64_t hp = is[1] + w.pad_top + w.pad_bottom, wp = is[2] + w.pad_left + w.pad_right;
  const int64_t padded_bytes = icg * hp * wp;
  const int64_t p_count = os[1] * os[2];
  L.k_offsets.clear();
  // Lanes used: icg of round_up(icg, 4) interleaving channels, kw of round_up(kw, 4) columns.
  const bool channels = icg * round_up(w.kernel_w, 4) >= w.kernel_w * round_up(icg, 4);
  const bool strided = w.stride_h != 1 || w.stride_w != 1;
  if (strided && !channels) {
    L.packing = ConvPacking::kIm2col;
    L.k_padded = round_up(L.k, 4);
    L.p_padded = round_up(p_count, detail::kGemmColumnBlock);
    for (int64_t g = 0; g < L.k_padded / 4; ++g) L.k_offsets.push_back(g * L.p_padded * 4);
    L.padded_offset = static_cast<size_t>(L.k_padded * L.p_padded);
    L.zeros_offset = L.padded_offset + static_cast<size_t>(padded_bytes + kSimdSlack);
    L.p_end = p_count;
    L.wide_offset = static_cast<size_t>(
        round_up(static_cast<int64_t>(L.zeros_offset) + os[2] + kSimdSlack, 64));
    return;
  }
  L.packing = channels ? ConvPacking::kChannels4 : ConvPacking::kColumns4;
  // A strided conv reads the planes split into phases (direct_channels_strided): hq × wq each.
  const int64_t hq = (hp + w.stride_h - 1) / w.stride_h, wq = (wp + w.stride_w - 1) / w.stride_w;
  const int64_t phase = hq * wq, plane = w.stride_h * w.stride_w * phase;
  if (channels) {
    for (int64_t c4 = 0; 4 * c4 < icg; ++c4) {
      for (int64_t ky = 0; ky < w.kernel_h; ++ky) {
        for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
          const int64_t parity = (ky % w.stride_h) * w.stride_w + kx % w.stride_w;
          L.k_offsets.push_back(
              (c4 * plane + parity * phase + ky / w.stride_h * wq + kx / w.stride_w) * 4);
        }
      }
    }
  } else {
    for (int64_t c = 0; c < icg; ++c) {
      for (int64_t ky = 0; ky < w.kernel_h; ++ky) {
        for (int64_t kx4 = 0; 4 * kx4 < w.kernel_w; ++kx4) {
          L.k_offsets.push_back((c * plane + ky * wp + 4 * kx4) * 4);
        }
      }
    }
  }
  L.k_padded = 4 * static_cast<int64_t>(L.k_offsets.size());
  L.row_pitch = wq;
  L.p_end = (os[1] - 1) * wq + os[2];
  const int64_t units = channels ? (icg + 3) / 4 : icg;
  const int64_t last_read = *std::max_element(L.k_offsets.begin(), L.k_offsets.end()) +
                            4 * (L.p_end + detail::kGemmReadPastEnd);
  L.padded_offset = static_cast<size_t>(round_up(std::max(units * plane * 4, last_read), 64));
  L.zeros_offset = L.padded_offset + static_cast<size_t>(padded_bytes + kSimdSlack);
  L.wide_offset =
      static_cast<size_t>(round_up(static_cast<int64_t>(L.zeros_offset) + os[2] + kSimdSlack, 64));
}

void PackedModel::repack(size_t i) {
  const QNode& node = model_.nodes[i];
  if (node.op != OpKind::kConv && node.op != OpKind::kDense) return;
  Layer& L = layers_[i];
  const int64_t oc = node.weight.shape[0];
  L.k = node.reduction_size();
  const bool conv = node.op == OpKind::kConv;
  if (conv) {
    plan_conv(node, L);
  } else {
    L.k_padded = round_up(L.k, 4);
  }
  L.oc_padded = conv ? oc : round_up(oc, detail::kDenseLanes);
  L.weights.assign(static_cast<size_t>(L.oc_padded * L.k_padded), 0);
  L.bias_corrected.assign(static_cast<size_t>(L.oc_padded), 0);
  const int32_t zx = model_.value(node.inputs[0]).quant.zero_point;
  for (int64_t c = 0; c < oc; ++c) {
    int32_t sum = 0;
    for (int64_t k = 0; k < L.k; ++k) {
      const int8_t w = node.weight[c * L.k + k];
      L.weights[static_cast<size_t>(packed_index(node, L, c, k))] = w;
      sum += w;
    }
    L.bias_corrected[static_cast<size_t>(c)] = node.bias[static_cast<size_t>(c)] - zx * sum;
  }
  if (!conv) {
    L.lane_multiplier.assign(static_cast<size_t>(L.oc_padded), 0);
    L.lane_exponent.assign(static_cast<size_t>(L.oc_padded), 0);
    for (int64_t c = 0; c < oc; ++c) {
      L.lane_multiplier[static_cast<size_t>(c)] =
          node.multiplier[static_cast<size_t>(c)].multiplier;
      L.lane_exponent[static_cast<size_t>(c)] = -node.multiplier[static_cast<size_t>(c)].shift;
    }
  }
  L.vector_requant = true;
  for (const auto& m : node.multiplier) L.vector_requant = L.vector_requant && m.shift <= 0;
}

size_t PackedModel::layer_scratch_bytes(size_t i) const {
  const QNode& node = model_.nodes[i];
  const Layer& L = layers_[i];
  if (node.op == OpKind::kConv) {
    return L.wide_offset + static_cast<size_t>(detail::gemm_wide_bytes(L.p_end));
  }
  return node.op == OpKind::kDense ? static_cast<size_t>(L.k_padded * kMaxBatch) : 0;
}

void PackedModel::update_weight(size_t i, int64_t weight_index, int8_t previous) {
  const QNode& node = model_.nodes[i];
  HARDY_CHECK(node.op == OpKind::kConv || node.op == OpKind::kDense);
  Layer& L = layers_[i];
  const int64_t c = weight_index / L.k, k = weight_index % L.k;
  const int8_t now = node.weight[weight_index];
  L.weights[static_cast<size_t>(packed_index(node, L, c, k))] = now;
  const int32_t zx = model_.value(node.inputs[0]).quant.zero_point;
  L.bias_corrected[static_cast<size_t>(c)] -= zx * (int32_t{now} - int32_t{previous});
}

bool PackedModel::batches(size_t index) const {
#if defined(__x86_64__)
  return model_.nodes[index].op == OpKind::kDense && isa_ == Isa::kAvx512Vnni;
#else
  (void)index;
  return false;
#endif
}

void PackedModel::run_node_batch(size_t index, std::span<const NodeIo> ios,
                                 uint8_t* scratch) const {
  HARDY_CHECK(static_cast<int64_t>(ios.size()) <= kMaxBatch);
  const QNode& node = model_.nodes[index];
#if defined(__x86_64__)
  if (batches(index) && ios.size() > 1) {
    const Layer& L = layers_[index];
    uint8_t* outputs[kMaxBatch];
    for (size_t i = 0; i < ios.size(); ++i) {
      uint8_t* x = scratch + static_cast<int64_t>(i) * L.k_padded;
      std::memcpy(x, ios[i].x[0], static_cast<size_t>(L.k));
      std::memset(x + L.k, 0, static_cast<size_t>(L.k_padded - L.k));
      outputs[i] = ios[i].y;
    }
    const detail::DenseArgs a{scratch,
                              L.k_padded,
                              L.oc_padded,
                              L.weights.data(),
                              output_stage(node, L, ios[0], 0, node.weight.shape[0]),
                              L.lane_multiplier.data(),
                              L.lane_exponent.data(),
                              L.vector_requant,
                              nullptr};
    detail::dense_batch_avx512_vnni(a, static_cast<int64_t>(ios.size()), L.k_padded, outputs);
    return;
  }
#endif
  for (const NodeIo& io : ios) run_node(index, io, scratch);
}

void PackedModel::run_node(size_t index, const NodeIo& io, uint8_t* scratch) const {
  const QNode& node = model_.nodes[index];
  const Layer& L = layers_[index];
  const bool vnni = isa_ == Isa::kAvx512Vnni;
  if (node.op == OpKind::kConv) {
    const Shape& os = io.out->shape;
    const int64_t groups = node.window.groups, ocg = os[0] / groups, p = os[1] * os[2];
    const int64_t icg = io.in[0]->shape[0] / groups;
    const bool direct = L.packing != ConvPacking::kIm2col;
    uint8_t* padded_buffer = scratch + L.padded_offset;
    uint8_t* zeros = scratch + L.zeros_offset;  // stands in for the rows of weights k ≥ K
    if (!direct) std::memset(zeros, 0, static_cast<size_t>(os[2] + kSimdSlack));
    for (int64_t g = 0; g < groups; ++g) {
      const bool strided = node.window.stride_h != 1 || node.window.stride_w != 1;
      if (L.packing == ConvPacking::kChannels4 && strided) {
        direct_channels_strided(node, io, g, scratch);
      } else if (L.packing == ConvPacking::kChannels4 && io.in[0]->shape[2] >= 8) {
        direct_channels_from_input(node, io, g, scratch);
      } else if (direct) {
        direct_packed(pad_group(node, io, g, padded_buffer), icg, L.packing, scratch);
      } else {
        im2col_packed(node, io, pad_group(node, io, g, padded_buffer), L, zeros, scratch);
      }
      const detail::GemmArgs a{scratch,
                               L.k_offsets.data(),
                               L.k_padded / 4,
                               direct ? L.p_end : p,
                               direct ? L.row_pitch : p,
                               direct ? os[2] : p,
                               L.weights.data() + g * ocg * L.k_padded,
                               output_stage(node, L, io, g * ocg, ocg),
                               L.vector_requant,
                               io.y + g * ocg * p,
                               p,
                               scratch + L.wide_offset};
#if defined(__x86_64__)
      if (vnni) {
        detail::gemm_avx512_vnni(a);
        continue;
      }
#endif
      detail::gemm_portable(a);
    }
    return;
  }
  if (node.op == OpKind::kDense) {
    std::memcpy(scratch, io.x[0], static_cast<size_t>(L.k));
    std::memset(scratch + L.k, 0, static_cast<size_t>(L.k_padded - L.k));
    const detail::DenseArgs a{scratch,
                              L.k_padded,
                              L.oc_padded,
                              L.weights.data(),
                              output_stage(node, L, io, 0, node.weight.shape[0]),
                              L.lane_multiplier.data(),
                              L.lane_exponent.data(),
                              L.vector_requant,
                              io.y};
#if defined(__x86_64__)
    if (vnni) {
      detail::dense_avx512_vnni(a);
      return;
    }
#endif
    detail::dense_portable(a);
    return;
  }
  if (node.op == OpKind::kFlatten && node.out_min == 0 && node.out_max == 255) {  // a copy
    std::memcpy(io.y, io.x[0], static_cast<size_t>(io.out->shape.elements()));
    return;
  }
#if defined(__x86_64__)
  static_assert(QNode::kAddLeftShift >= 9 && QNode::kAddLeftShift <= 22, "add_avx512's range");
  if (node.op == OpKind::kAdd && vnni && node.add_input_multiplier[0].shift <= 0 &&
      node.add_input_multiplier[1].shift <= 0 && node.add_output_multiplier.shift <= 0) {
    detail::add_avx512({io.x[0], io.x[1], io.out->shape.elements(), io.in[0]->quant.zero_point,
                        io.in[1]->quant.zero_point, io.out->quant.zero_point, QNode::kAddLeftShift,
                        node.add_input_multiplier[0], node.add_input_multiplier[1],
                        node.add_output_multiplier, node.out_min, node.out_max, io.y});
    return;
  }
#endif
  if ((node.op == OpKind::kMaxPool || node.op == OpKind::kAveragePool) &&
      !has_padding(node.window)) {
    pool_unpadded(node, io);
    return;
  }
  run_node_reference(node, io);
}

}  // namespace hardy::qnn
