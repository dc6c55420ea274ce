// MacGeometry: transposed weights, fan-out, golden accumulators and byte ranges of a Conv/Dense
// node; the vector kernels that follow changes through it.
#include "hardy/fault/mac_geometry.h"

#include <algorithm>
#include <array>
#include <climits>

#include "hardy/core/isa.h"
#include "hardy/qnn/reference_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace hardy::fault {

using qnn::OpKind;
using qnn::QNode;

HARDY_VECTOR_CLONES void add_scaled(int32_t* __restrict delta, const int32_t* __restrict w,
                                    int64_t n, int32_t dx) {
  for (int64_t c = 0; c < n; ++c) delta[c] += w[c] * dx;
}

HARDY_VECTOR_CLONES void add_scaled_interval(int32_t* __restrict lo, int32_t* __restrict hi,
                                             const int32_t* __restrict w, int64_t n, int32_t dl,
                                             int32_t dh) {
  for (int64_t c = 0; c < n; ++c) {
    const int32_t a = w[c] * dl, b = w[c] * dh;
    lo[c] += std::min(a, b);
    hi[c] += std::max(a, b);
  }
}

HARDY_VECTOR_CLONES bool flag_outside(const int32_t* __restrict delta, const int32_t* __restrict lo,
                                      const int32_t* __restrict hi, uint8_t* __restrict flags,
                                      int64_t n) {
  uint8_t any = 0;
  for (int64_t c = 0; c < n; ++c) {  // branch-free, so it vectorizes
    const auto f = static_cast<uint8_t>((delta[c] < lo[c]) | (delta[c] > hi[c]));
    flags[c] = f;
    any |= f;
  }
  return any != 0;
}

namespace {

// requantize_sums step by step, branch-free: saturate the sum to int32; the rounding doubling
// high product as floor((x·M + 2^30) / 2^31), equal to gemmlowp's nudge-and-truncate form; the
// rounding right shift (half away from zero); zero point; clamp.
void requantize_sums_portable(const int32_t* __restrict acc, const int32_t* __restrict delta,
                              const int32_t* __restrict mult, const int32_t* __restrict rshift,
                              int32_t zero_point, int32_t lo, int32_t hi, uint8_t* __restrict out,
                              int64_t n) {
  for (int64_t c = 0; c < n; ++c) {
    int64_t sum = int64_t{acc[c]} + delta[c];
    sum = sum < INT32_MIN ? INT32_MIN : sum;
    sum = sum > INT32_MAX ? INT32_MAX : sum;
    const auto high = static_cast<int32_t>((sum * mult[c] + (int64_t{1} << 30)) >> 31);
    const int32_t e = rshift[c];
    const auto mask = static_cast<int32_t>((uint32_t{1} << e) - 1);
    const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    const int32_t r = (high >> e) + ((high & mask) > threshold ? 1 : 0);
    const int32_t v = r + zero_point;
    out[c] = static_cast<uint8_t>(v < lo ? lo : v > hi ? hi : v);
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
#define HARDY_AVX512 __attribute__((target("avx512f")))

// The same 16 lanes at a time: the high product from two 32×32→64 multiplies (even and odd
// lanes) instead of 64-bit products per lane; a lane past n is masked off.
// 16 lanes of requantize_sums: sat32(a + d) requantized with multipliers m ≥ 0 and right shifts e.
HARDY_AVX512 inline __m512i requantize16(__m512i a, __m512i d, __m512i m, __m512i e, __m512i zp,
                                         __m512i vlo, __m512i vhi) {
  const __m512i nudge = _mm512_set1_epi64(int64_t{1} << 30);
  const __m512i one = _mm512_set1_epi32(1), zero = _mm512_setzero_si512();
  // Saturating a + d: an overflow leaves the sum's sign different from both operands'.
  __m512i x = _mm512_add_epi32(a, d);
  const __mmask16 overflow = _mm512_cmplt_epi32_mask(
      _mm512_and_si512(_mm512_xor_si512(a, x), _mm512_xor_si512(d, x)), zero);
  const __m512i saturated = _mm512_mask_blend_epi32(
      _mm512_cmplt_epi32_mask(a, zero), _mm512_set1_epi32(INT32_MAX), _mm512_set1_epi32(INT32_MIN));
  x = _mm512_mask_blend_epi32(overflow, x, saturated);
  __m512i even = _mm512_mul_epi32(x, m);
  __m512i odd = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(m, 32));
  even = _mm512_srai_epi64(_mm512_add_epi64(even, nudge), 31);
  odd = _mm512_srai_epi64(_mm512_add_epi64(odd, nudge), 31);
  const __m512i high = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  const __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, e), one);
  __m512i threshold = _mm512_srli_epi32(mask, 1);
  threshold = _mm512_mask_add_epi32(threshold, _mm512_cmplt_epi32_mask(high, zero), threshold, one);
  const __mmask16 round_up = _mm512_cmpgt_epi32_mask(_mm512_and_si512(high, mask), threshold);
  __m512i r = _mm512_srav_epi32(high, e);
  r = _mm512_add_epi32(_mm512_mask_add_epi32(r, round_up, r, one), zp);
  return _mm512_min_epi32(_mm512_max_epi32(r, vlo), vhi);
}

HARDY_AVX512 inline __mmask16 first_lanes(int64_t n) {
  return n >= 16 ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << n) - 1);
}

// The same 16 lanes at a time: the high product from two 32×32→64 multiplies (even and odd
// lanes) instead of 64-bit products per lane; a lane past n is masked off.
HARDY_AVX512 void requantize_sums_avx512(const int32_t* acc, const int32_t* delta,
                                         const int32_t* mult, const int32_t* rshift,
                                         int32_t zero_point, int32_t lo, int32_t hi, uint8_t* out,
                                         int64_t n) {
  const __m512i zp = _mm512_set1_epi32(zero_point);
  const __m512i vlo = _mm512_set1_epi32(lo), vhi = _mm512_set1_epi32(hi);
  for (int64_t c = 0; c < n; c += 16) {
    const __mmask16 valid = first_lanes(n - c);
    const __m512i r = requantize16(_mm512_maskz_loadu_epi32(valid, acc + c),
                                   _mm512_maskz_loadu_epi32(valid, delta + c),
                                   _mm512_maskz_loadu_epi32(valid, mult + c),
                                   _mm512_maskz_loadu_epi32(valid, rshift + c), zp, vlo, vhi);
    _mm512_mask_cvtepi32_storeu_epi8(out + c, valid, r);
  }
}

HARDY_AVX512 void requantize_lanes_avx512(int32_t acc, const int32_t* delta, int32_t mult,
                                          int32_t rshift, int32_t zero_point, int32_t lo,
                                          int32_t hi, uint8_t* out, int64_t n) {
  const __m512i zp = _mm512_set1_epi32(zero_point);
  const __m512i vlo = _mm512_set1_epi32(lo), vhi = _mm512_set1_epi32(hi);
  const __m512i va = _mm512_set1_epi32(acc), vm = _mm512_set1_epi32(mult);
  const __m512i ve = _mm512_set1_epi32(rshift);
  for (int64_t k = 0; k < n; k += 16) {
    const __mmask16 valid = first_lanes(n - k);
    const __m512i r =
        requantize16(va, _mm512_maskz_loadu_epi32(valid, delta + k), vm, ve, zp, vlo, vhi);
    _mm512_mask_cvtepi32_storeu_epi8(out + k, valid, r);
  }
}

HARDY_AVX512 int64_t bound_scaled_outputs_avx512(const ScaledOutputs& o, int32_t dl, int32_t dh,
                                                 uint8_t* out_lo, uint8_t* out_hi, int32_t* moved) {
  const __m512i zp = _mm512_set1_epi32(o.zero_point);
  const __m512i vlo = _mm512_set1_epi32(o.lo), vhi = _mm512_set1_epi32(o.hi);
  const __m512i vdl = _mm512_set1_epi32(dl), vdh = _mm512_set1_epi32(dh);
  const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  int64_t k = 0;
  for (int64_t c = 0; c < o.n; c += 16) {
    const __mmask16 valid = first_lanes(o.n - c);
    const __m512i w = _mm512_maskz_loadu_epi32(valid, o.w + c);
    const __m512i a = _mm512_mullo_epi32(w, vdl), b = _mm512_mullo_epi32(w, vdh);
    const __m512i dlo = _mm512_min_epi32(a, b), dhi = _mm512_max_epi32(a, b);
    const __m512i slo = _mm512_maskz_loadu_epi32(valid, o.slack_lo + c);
    const __m512i shi = _mm512_maskz_loadu_epi32(valid, o.slack_hi + c);
    const __mmask16 out =
        valid & (_mm512_cmplt_epi32_mask(dlo, slo) | _mm512_cmpgt_epi32_mask(dhi, shi));
    if (out == 0) continue;
    const __m512i acc = _mm512_maskz_loadu_epi32(valid, o.acc + c);
    const __m512i m = _mm512_maskz_loadu_epi32(valid, o.mult + c);
    const __m512i e = _mm512_maskz_loadu_epi32(valid, o.rshift + c);
    _mm512_mask_cvtepi32_storeu_epi8(out_lo + c, valid, requantize16(acc, dlo, m, e, zp, vlo, vhi));
    _mm512_mask_cvtepi32_storeu_epi8(out_hi + c, valid, requantize16(acc, dhi, m, e, zp, vlo, vhi));
    _mm512_mask_compressstoreu_epi32(
        moved + k, out, _mm512_add_epi32(lanes, _mm512_set1_epi32(static_cast<int32_t>(c))));
    k += __builtin_popcount(out);
  }
  return k;
}
#endif

}  // namespace

namespace {

int64_t bound_scaled_outputs_portable(const ScaledOutputs& o, int32_t dl, int32_t dh,
                                      uint8_t* out_lo, uint8_t* out_hi, int32_t* moved) {
  int64_t k = 0;
  for (int64_t c = 0; c < o.n; ++c) {
    const int32_t a = o.w[c] * dl, b = o.w[c] * dh;
    const int32_t dlo = std::min(a, b), dhi = std::max(a, b);
    if (dlo >= o.slack_lo[c] && dhi <= o.slack_hi[c]) continue;
    requantize_sums_portable(o.acc + c, &dlo, o.mult + c, o.rshift + c, o.zero_point, o.lo, o.hi,
                             out_lo + c, 1);
    requantize_sums_portable(o.acc + c, &dhi, o.mult + c, o.rshift + c, o.zero_point, o.lo, o.hi,
                             out_hi + c, 1);
    moved[k++] = static_cast<int32_t>(c);
  }
  return k;
}

}  // namespace

int64_t bound_scaled_outputs(const ScaledOutputs& outputs, int32_t dl, int32_t dh, uint8_t* out_lo,
                             uint8_t* out_hi, int32_t* moved, Isa isa) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (isa >= Isa::kAvx512)
    return bound_scaled_outputs_avx512(outputs, dl, dh, out_lo, out_hi, moved);
#endif
  return bound_scaled_outputs_portable(outputs, dl, dh, out_lo, out_hi, moved);
}

int64_t bound_scaled_outputs(const ScaledOutputs& outputs, int32_t dl, int32_t dh, uint8_t* out_lo,
                             uint8_t* out_hi, int32_t* moved) {
  static const Isa isa = detect_isa();
  return bound_scaled_outputs(outputs, dl, dh, out_lo, out_hi, moved, isa);
}

void requantize_sums(const int32_t* acc, const int32_t* delta, const int32_t* mult,
                     const int32_t* rshift, int32_t zero_point, int32_t lo, int32_t hi,
                     uint8_t* out, int64_t n, Isa isa) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (isa >= Isa::kAvx512) {
    requantize_sums_avx512(acc, delta, mult, rshift, zero_point, lo, hi, out, n);
    return;
  }
#endif
  requantize_sums_portable(acc, delta, mult, rshift, zero_point, lo, hi, out, n);
}

void requantize_sums(const int32_t* acc, const int32_t* delta, const int32_t* mult,
                     const int32_t* rshift, int32_t zero_point, int32_t lo, int32_t hi,
                     uint8_t* out, int64_t n) {
  static const Isa isa = detect_isa();
  requantize_sums(acc, delta, mult, rshift, zero_point, lo, hi, out, n, isa);
}

void requantize_lanes(int32_t acc, const int32_t* delta, int32_t mult, int32_t rshift,
                      int32_t zero_point, int32_t lo, int32_t hi, uint8_t* out, int64_t n,
                      Isa isa) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (isa >= Isa::kAvx512) {
    requantize_lanes_avx512(acc, delta, mult, rshift, zero_point, lo, hi, out, n);
    return;
  }
#endif
  for (int64_t k = 0; k < n; ++k) {
    requantize_sums_portable(&acc, delta + k, &mult, &rshift, zero_point, lo, hi, out + k, 1);
  }
}

void requantize_lanes(int32_t acc, const int32_t* delta, int32_t mult, int32_t rshift,
                      int32_t zero_point, int32_t lo, int32_t hi, uint8_t* out, int64_t n) {
  static const Isa isa = detect_isa();
  requantize_lanes(acc, delta, mult, rshift, zero_point, lo, hi, out, n, isa);
}

namespace {

// Per channel and byte b: the accumulators that requantize to b (empty: lo > hi).
void fill_ranges(const QNode& n, const qnn::QValue& out, std::vector<int32_t>& lo,
                 std::vector<int32_t>& hi) {
  const auto channels = static_cast<size_t>(n.weight.shape[0]);
  lo.assign(channels * 256, 1);
  hi.assign(channels * 256, 0);
  for (size_t c = 0; c < channels; ++c) {
    const QuantizedMultiplier m = n.multiplier[c];
    if (m.multiplier < 0) continue;  // not monotone: every output is requantized
    const auto byte = [&](int64_t acc) {
      return qnn::requantize(static_cast<int32_t>(acc), m, out.quant.zero_point, n.out_min,
                             n.out_max);
    };
    // t[b] = the smallest accumulator whose byte is ≥ b (2^31 if none), by bisection.
    std::array<int64_t, 257> t{};
    t[0] = INT32_MIN;
    t[256] = int64_t{INT32_MAX} + 1;
    for (int b = 1; b < 256; ++b) {
      int64_t a = INT32_MIN, z = int64_t{INT32_MAX} + 1;  // byte(a) < b ≤ byte(z), z past end
      if (byte(a) >= b) {
        t[static_cast<size_t>(b)] = a;
        continue;
      }
      while (z - a > 1) {
        const int64_t mid = a + (z - a) / 2;
        (byte(mid) >= b ? z : a) = mid;
      }
      t[static_cast<size_t>(b)] = z;
    }
    for (int b = 0; b < 256; ++b) {
      const int64_t l = t[static_cast<size_t>(b)], h = t[static_cast<size_t>(b) + 1] - 1;
      if (l > h || l > INT32_MAX) continue;
      lo[c * 256 + static_cast<size_t>(b)] = static_cast<int32_t>(l);
      hi[c * 256 + static_cast<size_t>(b)] = static_cast<int32_t>(std::min<int64_t>(h, INT32_MAX));
    }
  }
}

}  // namespace

MacGeometry::MacGeometry(const qnn::QModel& model, int node) : node_(node) {
  const QNode& n = model.node(node);
  dense_ = n.op == OpKind::kDense;
  channels_ = n.weight.shape[0];
  reduction_ = n.reduction_size();
  const Shape &is = model.value(n.inputs[0]).shape, &os = model.value(n.output).shape;
  positions_ = os.elements() / channels_;
  const int64_t groups = dense_ ? 1 : n.window.groups;
  ocg_ = channels_ / groups;
  if (!dense_) {
    icg_ = is[0] / groups;
    icg_div_ = Divisor(static_cast<uint32_t>(icg_));
    in_h_ = is[1];
    in_w_ = is[2];
    out_h_ = os[1];
    out_w_ = os[2];
    const qnn::WindowParams& w = n.window;
    kh_ = w.kernel_h;
    kw_ = w.kernel_w;
    stride_h_ = w.stride_h;
    stride_w_ = w.stride_w;
    pad_top_ = w.pad_top;
    pad_left_ = w.pad_left;
    in_hw_div_ = Divisor(static_cast<uint32_t>(in_h_ * in_w_));
    in_w_div_ = Divisor(static_cast<uint32_t>(in_w_));
    stride_h_div_ = Divisor(static_cast<uint32_t>(stride_h_));
    stride_w_div_ = Divisor(static_cast<uint32_t>(stride_w_));
  }
  weights_t_.assign(static_cast<size_t>(channels_ * reduction_), 0);
  for (int64_t c = 0; c < channels_; ++c) {
    const int64_t g = c / ocg_;
    for (int64_t k = 0; k < reduction_; ++k) {
      weights_t_[static_cast<size_t>((g * reduction_ + k) * ocg_ + c - g * ocg_)] =
          n.weight[c * reduction_ + k];
    }
  }
  fill_ranges(n, model.value(n.output), range_lo_, range_hi_);
}

void MacGeometry::accumulators(const QNode& n, const uint8_t* x, int32_t zx, int64_t inputs,
                               int32_t* acc) const {
  for (int64_t p = 0; p < positions_; ++p)
    std::copy(n.bias.begin(), n.bias.end(), acc + p * channels_);
  for (int64_t e = 0; e < inputs; ++e) {
    const int32_t dx = int32_t{x[e]} - zx;
    if (dx == 0) continue;
    for_each_tap(e, [&](int64_t p, const int32_t* w, int64_t first, int64_t count) {
      add_scaled(acc + p * channels_ + first, w, count, dx);
    });
  }
}

void MacGeometry::slack(const int32_t* acc, const uint8_t* golden, int32_t* lo, int32_t* hi) const {
  const auto clamp32 = [](int64_t v) {
    return static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX));
  };
  for (int64_t c = 0; c < channels_; ++c) {
    for (int64_t p = 0; p < positions_; ++p) {
      const auto pm = static_cast<size_t>(p * channels_ + c);
      const size_t r = static_cast<size_t>(c) * 256 + golden[c * positions_ + p];
      lo[pm] = clamp32(int64_t{range_lo_[r]} - acc[pm]);
      hi[pm] = clamp32(int64_t{range_hi_[r]} - acc[pm]);
    }
  }
}

}  // namespace hardy::fault
