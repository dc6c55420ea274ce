// Weight formats: fixed point round-trips every code, fp32 is the identity on valid weights, a
// corrupted stored bit changes exactly that bit, and decoding after corruption follows the
// documented clamping rule.
#include "hardy/snn/weight_store.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "hardy/core/bits.h"
#include "hardy/core/error.h"
#include "hardy/core/rng.h"

namespace hardy::snn {
namespace {

std::vector<float> random_weights(int n, uint64_t seed) {
  RngStream r(seed, stream_tag("weights"), 0);
  std::vector<float> w(static_cast<size_t>(n));
  for (float& x : w) x = static_cast<float>(r.uniform());
  w[0] = 0.0f;
  w[1] = 1.0f;
  return w;
}

TEST(WeightFormat, ParsesNamesAndRejectsOthers) {
  EXPECT_EQ(WeightFormat::parse("fp32"), WeightFormat::fp32());
  for (int k = 4; k <= 16; ++k) {
    const WeightFormat f = WeightFormat::parse(std::string("q").append(std::to_string(k)));
    EXPECT_EQ(f.bits, k);
    EXPECT_EQ(f.name(), std::string("q").append(std::to_string(k)));
  }
  for (const char* bad : {"q3", "q17", "q8x", "int8", "", "q", "fp16", "q-4"}) {
    EXPECT_THROW(WeightFormat::parse(bad), ConfigError) << bad;
  }
}

TEST(WeightFormat, FixedPointRoundTripsEveryCode) {
  for (float w_max : {1.0f, 0.75f}) {
    for (int k = 4; k <= 16; ++k) {
      const uint32_t max_code = (1u << k) - 1;
      for (uint32_t c = 0; c <= max_code; ++c) {
        const float w = dequantize_weight(c, w_max, k);
        ASSERT_EQ(quantize_weight(w, w_max, k), c) << "k=" << k << " c=" << c;
      }
      EXPECT_EQ(dequantize_weight(max_code, w_max, k), w_max);
      EXPECT_EQ(dequantize_weight(0, w_max, k), 0.0f);
    }
  }
}

TEST(WeightFormat, QuantizationErrorIsAtMostHalfAStep) {
  const auto w = random_weights(5000, 1);
  for (int k = 4; k <= 16; ++k) {
    const double step = 1.0 / ((1 << k) - 1);
    for (float x : w) {
      const float q = dequantize_weight(quantize_weight(x, 1.0f, k), 1.0f, k);
      ASSERT_LE(std::abs(static_cast<double>(q) - x), step / 2 + 1e-7) << k << " " << x;
    }
  }
  // Saturation and NaN.
  EXPECT_EQ(quantize_weight(2.0f, 1.0f, 8), 255u);
  EXPECT_EQ(quantize_weight(-0.5f, 1.0f, 8), 0u);
  EXPECT_EQ(quantize_weight(std::numeric_limits<float>::quiet_NaN(), 1.0f, 8), 0u);
  EXPECT_EQ(quantize_weight(std::numeric_limits<float>::infinity(), 1.0f, 8), 255u);
}

TEST(WeightStore, Fp32IsTheIdentityOnValidWeights) {
  const auto w = random_weights(1000, 2);
  const WeightStore s(WeightFormat::fp32(), 1.0f, w);
  EXPECT_EQ(s.bytes().size(), 4000u);
  std::vector<float> out(w.size());
  s.decode_all(out);
  for (size_t i = 0; i < w.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint32_t>(out[i]), std::bit_cast<uint32_t>(w[i]));
    EXPECT_EQ(s.word(static_cast<int64_t>(i)), std::bit_cast<uint32_t>(w[i]));
  }
}

TEST(WeightStore, PackedSizesAndDecodeMatchQuantize) {
  const auto w = random_weights(1001, 3);
  for (int k = 4; k <= 16; ++k) {
    const WeightStore s(WeightFormat::fixed(k), 1.0f, w);
    EXPECT_EQ(s.bytes().size(), static_cast<size_t>((1001 * k + 7) / 8)) << k;
    EXPECT_EQ(s.bit_count(), 1001 * k);
    std::vector<float> out(w.size());
    s.decode_all(out);
    for (size_t i = 0; i < w.size(); ++i) {
      ASSERT_EQ(s.word(static_cast<int64_t>(i)), quantize_weight(w[i], 1.0f, k));
      ASSERT_EQ(out[i], dequantize_weight(quantize_weight(w[i], 1.0f, k), 1.0f, k));
    }
  }
}

TEST(WeightStore, CorruptingABitChangesExactlyThatBit) {
  const auto w = random_weights(300, 4);
  for (int k : {4, 5, 7, 8, 11, 16, 32}) {
    const WeightFormat f = k == 32 ? WeightFormat::fp32() : WeightFormat::fixed(k);
    const WeightStore golden(f, 1.0f, w);
    for (int64_t i : {int64_t{0}, int64_t{1}, int64_t{137}, int64_t{299}}) {
      for (int b = 0; b < k; ++b) {
        WeightStore s = golden;
        s.flip_bit(i, b);
        for (int64_t q = 0; q < s.size(); ++q) {
          const uint32_t expect = q == i ? (golden.word(q) ^ (1u << b)) : golden.word(q);
          ASSERT_EQ(s.word(q), expect) << "k=" << k << " i=" << i << " bit=" << b;
        }
        // Exactly one stored bit differs.
        int diff = 0;
        for (size_t byte = 0; byte < s.bytes().size(); ++byte) {
          diff += hamming_distance(s.bytes()[byte], golden.bytes()[byte]);
        }
        ASSERT_EQ(diff, 1);
        s.flip_bit(i, b);  // flip twice = identity
        ASSERT_TRUE(std::equal(s.bytes().begin(), s.bytes().end(), golden.bytes().begin()));
      }
    }
  }
}

TEST(WeightStore, StoredBitIndexIsWeightTimesBitsPlusBit) {
  const auto w = random_weights(40, 5);
  WeightStore a(WeightFormat::fixed(5), 1.0f, w), b = a;
  a.flip_stored_bit(17 * 5 + 3);
  b.flip_bit(17, 3);
  EXPECT_TRUE(std::equal(a.bytes().begin(), a.bytes().end(), b.bytes().begin()));
}

TEST(WeightStore, Fp32ClampingRuleAfterCorruption) {
  const std::vector<float> w = {0.5f, 0.25f, 0.0f, 1.0f};
  WeightStore s(WeightFormat::fp32(), 1.0f, w);
  s.flip_bit(0, 31);  // sign: −0.5 → 0
  EXPECT_EQ(s.decode(0), 0.0f);
  s.flip_bit(1, 30);  // exponent MSB: 0.25 → 2^126·… → w_max
  EXPECT_EQ(s.decode(1), 1.0f);
  s.set_word(2, 0x7fc00000u);  // NaN → 0
  EXPECT_EQ(s.decode(2), 0.0f);
  s.set_word(3, 0x7f800000u);  // +inf → w_max
  EXPECT_EQ(s.decode(3), 1.0f);
  s.set_word(3, 0xff800000u);  // −inf → 0
  EXPECT_EQ(s.decode(3), 0.0f);
  std::vector<float> out(4);
  s.decode_all(out);
  EXPECT_EQ(out, (std::vector<float>{0.0f, 1.0f, 0.0f, 0.0f}));
}

TEST(WeightStore, FixedPointEveryPatternDecodesInRange) {
  const std::vector<float> w(3, 0.3f);
  for (int k = 4; k <= 16; ++k) {
    WeightStore s(WeightFormat::fixed(k), 0.8f, w);
    for (uint32_t c : {0u, 1u, (1u << k) - 1, (1u << (k - 1)), (1u << (k - 1)) - 1}) {
      s.set_word(1, c);
      const float x = s.decode(1);
      EXPECT_GE(x, 0.0f);
      EXPECT_LE(x, 0.8f);
    }
  }
}

}  // namespace
}  // namespace hardy::snn
