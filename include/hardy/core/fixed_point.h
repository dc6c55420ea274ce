// Fixed-point requantization with TFLite/gemmlowp semantics (DESIGN §2, docs/numerics.md).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

namespace hardy {

/// A real multiplier m ≈ multiplier · 2^(shift − 31), multiplier in [2^30, 2^31) (or 0).
struct QuantizedMultiplier {
  int32_t multiplier = 0;
  int shift = 0;  ///< > 0: left shift before the high multiply; ≤ 0: rounding right shift after.
};

/// Mirrors gemmlowp SaturatingRoundingDoublingHighMul (ARM SQRDMULH): the high 32 bits of 2·a·b,
/// rounded half towards +∞; saturates the single overflowing case a = b = INT32_MIN.
constexpr int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min()) {
    return std::numeric_limits<int32_t>::max();
  }
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int64_t nudge = ab >= 0 ? (int64_t{1} << 30) : (1 - (int64_t{1} << 30));
  return static_cast<int32_t>((ab + nudge) / (int64_t{1} << 31));
}

/// Mirrors gemmlowp RoundingDivideByPOT (ARM SRSHL by −exponent): x / 2^exponent rounded half away
/// from zero. Precondition: 0 ≤ exponent ≤ 31.
constexpr int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((int64_t{1} << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/// TFLite MultiplyByQuantizedMultiplier: x · m in fixed point. A left shift that would overflow
/// int32 saturates (TFLite leaves it undefined).
constexpr int32_t multiply_by_quantized_multiplier(int32_t x, QuantizedMultiplier m) {
  const int left_shift = m.shift > 0 ? m.shift : 0;
  const int right_shift = m.shift > 0 ? 0 : -m.shift;
  int64_t shifted = static_cast<int64_t>(x) * (int64_t{1} << left_shift);
  if (shifted > std::numeric_limits<int32_t>::max()) shifted = std::numeric_limits<int32_t>::max();
  if (shifted < std::numeric_limits<int32_t>::min()) shifted = std::numeric_limits<int32_t>::min();
  return rounding_divide_by_pot(
      saturating_rounding_doubling_high_mul(static_cast<int32_t>(shifted), m.multiplier),
      right_shift);
}

/// The real multiplier a quantized one represents: multiplier · 2^(shift − 31).
inline double real_multiplier(QuantizedMultiplier m) {
  return std::ldexp(static_cast<double>(m.multiplier), m.shift - 31);
}

/// A non-negative multiplier without a left shift: x ↦ x · m is a monotone scaling with only
/// rounding (the case multiply_rounding_bound and the vectorized requantizations cover).
constexpr bool plain_scaling(QuantizedMultiplier m) { return m.multiplier >= 0 && m.shift <= 0; }

/// For m.shift ≤ 0: how far multiply_by_quantized_multiplier(x, m) can be from x ·
/// real_multiplier(m) for any x. The high product rounds by at most half its unit, which the right
/// shift scales to 2^shift / 2; a right shift (shift < 0) rounds by at most 1/2 more.
inline double multiply_rounding_bound(QuantizedMultiplier m) {
  return (m.shift < 0 ? 0.5 : 0.0) + 0.5 * std::ldexp(1.0, m.shift);
}

/// TFLite QuantizeMultiplier: the fixed-point form of a real multiplier m ≥ 0. Multipliers below
/// 2^-31 become 0; above 2^30 they saturate.
QuantizedMultiplier quantize_multiplier(double m);

}  // namespace hardy
