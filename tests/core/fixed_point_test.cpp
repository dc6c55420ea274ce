// Requantization primitives against straightforward 64-bit references, over every boundary value.
#include "hardy/core/fixed_point.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace hardy {
namespace {

// Round-half-up of a·b / 2^31, computed with an arithmetic shift (floor) instead of gemmlowp's
// truncating division with a sign-dependent nudge.
int32_t reference_high_mul(int32_t a, int32_t b) {
  const int64_t r = (static_cast<int64_t>(a) * b + (int64_t{1} << 30)) >> 31;
  return r > INT32_MAX ? INT32_MAX : static_cast<int32_t>(r);
}

// Round-half-away-from-zero of x / 2^e, on magnitudes.
int32_t reference_divide_by_pot(int32_t x, int e) {
  if (e == 0) return x;
  const int64_t mag = x < 0 ? -int64_t{x} : int64_t{x};
  const int64_t q = (mag + (int64_t{1} << (e - 1))) >> e;
  return static_cast<int32_t>(x < 0 ? -q : q);
}

// Every power of two bracketed as (1<<i)-2 … (1<<i)+1, both signs, and the int32 extremes.
std::vector<int32_t> boundary_values() {
  std::vector<int32_t> v = {0, INT32_MIN, INT32_MIN + 1, INT32_MAX, INT32_MAX - 1};
  for (int i = 0; i <= 31; ++i) {
    for (int64_t d = -2; d <= 1; ++d) {
      const int64_t x = (int64_t{1} << i) + d;
      if (x <= INT32_MAX) v.push_back(static_cast<int32_t>(x));
      if (-x >= INT32_MIN) v.push_back(static_cast<int32_t>(-x));
    }
  }
  return v;
}

TEST(FixedPoint, HighMulMatchesReferenceOnAllBoundaryPairs) {
  const auto values = boundary_values();
  for (int32_t a : values) {
    for (int32_t b : values) {
      ASSERT_EQ(saturating_rounding_doubling_high_mul(a, b), reference_high_mul(a, b))
          << a << " * " << b;
    }
  }
}

TEST(FixedPoint, DivideByPotMatchesReferenceOnAllBoundaryValues) {
  for (int32_t x : boundary_values()) {
    for (int e = 0; e <= 31; ++e) {
      ASSERT_EQ(rounding_divide_by_pot(x, e), reference_divide_by_pot(x, e)) << x << " >> " << e;
    }
  }
}

TEST(FixedPoint, DivideByPotRoundsHalfAwayFromZero) {
  EXPECT_EQ(rounding_divide_by_pot(3, 1), 2);
  EXPECT_EQ(rounding_divide_by_pot(-3, 1), -2);
  EXPECT_EQ(rounding_divide_by_pot(5, 2), 1);
  EXPECT_EQ(rounding_divide_by_pot(-6, 2), -2);
}

TEST(FixedPoint, HighMulSaturatesOnlyAtMinTimesMin) {
  EXPECT_EQ(saturating_rounding_doubling_high_mul(INT32_MIN, INT32_MIN), INT32_MAX);
  EXPECT_EQ(saturating_rounding_doubling_high_mul(INT32_MIN, INT32_MAX), -INT32_MAX);
}

TEST(FixedPoint, QuantizeMultiplierRepresentsTheRealValue) {
  for (double m : {1e-9, 3.1e-5, 0.0078125, 0.1, 0.5, 0.999999999, 1.0, 1.7, 123.456}) {
    const QuantizedMultiplier q = quantize_multiplier(m);
    EXPECT_GE(q.multiplier, 1 << 30) << m;
    const double back = q.multiplier * std::ldexp(1.0, q.shift - 31);
    EXPECT_NEAR(back / m, 1.0, 1e-9) << m;
  }
  EXPECT_EQ(quantize_multiplier(0.0).multiplier, 0);
}

TEST(FixedPoint, MultiplyByPowerOfTwoIsTheNearestInteger) {
  // m = 2^-k: the high multiply halves (ties towards +inf), the shift divides by 2^(k-1) (ties
  // away from zero). Rounding twice errs by less than one unit: 1·¼ → ½ → 1.
  for (int k = 1; k < 20; ++k) {
    const QuantizedMultiplier q = quantize_multiplier(std::ldexp(1.0, -k));
    for (int32_t x : boundary_values()) {
      const double exact = std::ldexp(static_cast<double>(x), -k);
      ASSERT_LT(std::abs(multiply_by_quantized_multiplier(x, q) - exact), 1.0) << x << " k=" << k;
    }
  }
  // gemmlowp's double rounding: -1.5 → -1 after the high multiply (tie towards +inf).
  EXPECT_EQ(multiply_by_quantized_multiplier(-3, quantize_multiplier(0.5)), -1);
  EXPECT_EQ(multiply_by_quantized_multiplier(3, quantize_multiplier(0.5)), 2);
  EXPECT_EQ(multiply_by_quantized_multiplier(1, quantize_multiplier(0.25)), 1);
}

TEST(FixedPoint, MultiplyIsWithinOneOfTheRealProduct) {
  for (double m : {0.0123, 0.37, 0.99, 1.5, 3.75}) {
    const QuantizedMultiplier q = quantize_multiplier(m);
    for (int32_t x : boundary_values()) {
      const double real = x * m;
      // TFLite leaves a left shift past int32 undefined; hardy saturates it (not compared here).
      if (q.shift > 0 && std::abs(static_cast<double>(x)) * std::ldexp(1.0, q.shift) > INT32_MAX) {
        continue;
      }
      ASSERT_LE(std::abs(multiply_by_quantized_multiplier(x, q) - real), 1.0) << x << " m=" << m;
    }
  }
}

// The bound the NVF margin bounds rely on (analysis/interval_bounds.cpp): tighter than 1 for
// right shifts, and reached (the test can fail if it were claimed any tighter).
TEST(FixedPoint, MultiplyRoundingBoundHoldsAndIsNearlyReached) {
  for (double m : {0.0000123, 0.00071, 0.0123, 0.37, 0.99}) {
    const QuantizedMultiplier q = quantize_multiplier(m);
    ASSERT_LE(q.shift, 0);
    const double real = real_multiplier(q), bound = multiply_rounding_bound(q);
    double worst = 0;
    for (int32_t x = -300000; x <= 300000; ++x) {
      const double error = std::abs(multiply_by_quantized_multiplier(x, q) - x * real);
      ASSERT_LE(error, bound) << x << " m=" << m;
      worst = std::max(worst, error);
    }
    for (int32_t x : boundary_values()) {
      ASSERT_LE(std::abs(multiply_by_quantized_multiplier(x, q) - x * real), bound) << x;
    }
    EXPECT_GT(worst, bound - 1e-4) << "m=" << m;  // the bound is tight
  }
}

}  // namespace
}  // namespace hardy
