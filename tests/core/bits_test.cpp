// Bit operations: flip twice is identity, stuck-at is idempotent, each flip changes one bit.
#include "hardy/core/bits.h"

#include <gtest/gtest.h>

namespace hardy {
namespace {

TEST(Bits, FlipTwiceIsIdentityAndChangesExactlyOneBit) {
  for (int v = -128; v <= 127; ++v) {
    const auto x = static_cast<int8_t>(v);
    for (int b = 0; b < 8; ++b) {
      const int8_t y = flip_bit(x, b);
      EXPECT_EQ(hamming_distance(x, y), 1);
      EXPECT_EQ(flip_bit(y, b), x);
      EXPECT_NE(get_bit(x, b), get_bit(y, b));
    }
  }
}

TEST(Bits, SignBitOfInt8AndInt32) {
  EXPECT_EQ(flip_bit(int8_t{0}, 7), int8_t{-128});
  EXPECT_EQ(flip_bit(int32_t{1}, 31), INT32_MIN + 1);
  EXPECT_EQ(flip_bit(uint8_t{0x0f}, 4), uint8_t{0x1f});
}

TEST(Bits, StuckAtForcesTheBit) {
  for (int v = 0; v < 256; ++v) {
    const auto x = static_cast<uint8_t>(v);
    for (int b = 0; b < 8; ++b) {
      EXPECT_TRUE(get_bit(set_bit(x, b, true), b));
      EXPECT_FALSE(get_bit(set_bit(x, b, false), b));
      EXPECT_EQ(set_bit(set_bit(x, b, true), b, true), set_bit(x, b, true));
      EXPECT_LE(hamming_distance(x, set_bit(x, b, get_bit(x, b) ? false : true)), 1);
    }
  }
}

}  // namespace
}  // namespace hardy
