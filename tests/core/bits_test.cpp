// Bit operations: each result equals an independently computed expected value (XOR / OR / AND
// masks on the unsigned representation, hand-written bytes); flip twice is identity; stuck-at is
// idempotent.
#include "hardy/core/bits.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace hardy {
namespace {

// The stored bits of v as an unsigned word, without going through bits.h.
template <class T>
uint64_t raw(T v) {
  static_assert(sizeof(T) <= 8);
  uint64_t r = 0;
  std::memcpy(&r, &v, sizeof(T));  // little-endian: the low bytes of r
  return r;
}

TEST(Bits, FlipEqualsXorWithTheBitMaskForEveryInt8AndBit) {
  for (int v = -128; v <= 127; ++v) {
    const auto x = static_cast<int8_t>(v);
    for (int b = 0; b < 8; ++b) {
      const int8_t y = flip_bit(x, b);
      EXPECT_EQ(raw(y), (raw(x) ^ (uint64_t{1} << b)) & 0xffu) << v << " bit " << b;
      EXPECT_EQ(flip_bit(y, b), x);
      EXPECT_EQ(hamming_distance(x, y), 1);
      EXPECT_EQ(get_bit(y, b), !get_bit(x, b));
    }
  }
}

TEST(Bits, HandWrittenValues) {
  EXPECT_EQ(flip_bit(int8_t{0}, 7), int8_t{-128});
  EXPECT_EQ(flip_bit(int8_t{-1}, 0), int8_t{-2});
  EXPECT_EQ(flip_bit(int8_t{100}, 6), int8_t{36});  // 0b0110'0100 → 0b0010'0100
  EXPECT_EQ(flip_bit(int8_t{-128}, 7), int8_t{0});
  EXPECT_EQ(flip_bit(uint8_t{0x0f}, 4), uint8_t{0x1f});
  EXPECT_EQ(flip_bit(int32_t{1}, 31), INT32_MIN + 1);
  EXPECT_EQ(flip_bit(int32_t{0x12345678}, 12), int32_t{0x12344678});
  EXPECT_EQ(flip_bit(INT32_MIN, 31), 0);
  EXPECT_EQ(flip_bit(uint16_t{0x8000}, 15), uint16_t{0});
  EXPECT_EQ(flip_bit(uint64_t{0}, 63), uint64_t{1} << 63);
  EXPECT_EQ(set_bit(uint8_t{0x00}, 3, true), uint8_t{0x08});
  EXPECT_EQ(set_bit(uint8_t{0xff}, 3, false), uint8_t{0xf7});
  EXPECT_EQ(set_bit(uint8_t{0xa5}, 0, true), uint8_t{0xa5});   // already 1: unchanged
  EXPECT_EQ(set_bit(uint8_t{0xa5}, 1, false), uint8_t{0xa5});  // already 0: unchanged
  EXPECT_EQ(set_bit(uint8_t{0xa5}, 6, true), uint8_t{0xe5});
  EXPECT_EQ(set_bit(uint8_t{0xa5}, 7, false), uint8_t{0x25});
  EXPECT_EQ(set_bit(int8_t{5}, 7, true), int8_t{-123});  // 0x85
  EXPECT_EQ(set_bit(int8_t{-1}, 7, false), int8_t{127});
  EXPECT_EQ(set_bit(int32_t{0}, 31, true), INT32_MIN);
  EXPECT_EQ(set_bit(int32_t{-1}, 31, false), INT32_MAX);
  EXPECT_TRUE(get_bit(int8_t{-128}, 7));
  EXPECT_FALSE(get_bit(int8_t{127}, 7));
  EXPECT_TRUE(get_bit(int32_t{0x00010000}, 16));
  EXPECT_EQ(hamming_distance(uint8_t{0x00}, uint8_t{0xff}), 8);
  EXPECT_EQ(hamming_distance(int8_t{-1}, int8_t{0}), 8);
  EXPECT_EQ(hamming_distance(int32_t{-1}, int32_t{0}), 32);
  EXPECT_EQ(hamming_distance(uint8_t{0xa5}, uint8_t{0x5a}), 8);
  EXPECT_EQ(hamming_distance(uint8_t{0xa5}, uint8_t{0xa4}), 1);
  EXPECT_EQ(bit_width_of<int8_t>(), 8);
  EXPECT_EQ(bit_width_of<int32_t>(), 32);
}

TEST(Bits, StuckAtEqualsOrAndMasksForEveryByteAndBit) {
  for (int v = 0; v < 256; ++v) {
    const auto x = static_cast<uint8_t>(v);
    for (int b = 0; b < 8; ++b) {
      const auto mask = static_cast<uint8_t>(1u << b);
      EXPECT_EQ(set_bit(x, b, true), static_cast<uint8_t>(x | mask)) << v << " bit " << b;
      EXPECT_EQ(set_bit(x, b, false), static_cast<uint8_t>(x & ~mask)) << v << " bit " << b;
      EXPECT_EQ(get_bit(x, b), (v >> b & 1) == 1);
      EXPECT_EQ(set_bit(set_bit(x, b, true), b, true), set_bit(x, b, true));
      // Stuck at the bit's own value leaves the word unchanged (a masked stuck-at fault).
      EXPECT_EQ(set_bit(x, b, get_bit(x, b)), x);
      EXPECT_EQ(hamming_distance(x, static_cast<uint8_t>(v ^ 0xff)), 8);
    }
  }
}

TEST(Bits, Int32FlipAndStuckAtAtEveryBit) {
  for (int32_t x : {0, 1, -1, 123456789, -987654321, INT32_MIN, INT32_MAX}) {
    for (int b = 0; b < 32; ++b) {
      const auto ux = static_cast<uint32_t>(x);
      const uint32_t mask = uint32_t{1} << b;
      EXPECT_EQ(static_cast<uint32_t>(flip_bit(x, b)), ux ^ mask) << x << " bit " << b;
      EXPECT_EQ(static_cast<uint32_t>(set_bit(x, b, true)), ux | mask) << x << " bit " << b;
      EXPECT_EQ(static_cast<uint32_t>(set_bit(x, b, false)), ux & ~mask) << x << " bit " << b;
    }
  }
}

}  // namespace
}  // namespace hardy
