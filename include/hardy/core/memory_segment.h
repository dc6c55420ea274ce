// A named view of stored bytes with a word size: how layers that hold weights (qnn, snn) show them
// to layers that store them (dram) without either depending on the other (DESIGN §1).
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace hardy {

/// Bit layout: stored bit i of the segment is bit (i mod 8) of byte i / 8, least significant bit
/// first (the order snn::WeightStore packs k-bit codes in and the order int8 / fp32 words lie in
/// little-endian memory). A word of `bits_per_word` bits occupies stored bits
/// [w·bits_per_word, (w+1)·bits_per_word). The segment does not own its bytes: whoever made the
/// view keeps them alive and decides what a changed bit means (the decode rule after
/// corruption is the owner's contract). Writes through the view are not synchronised.
struct MemorySegment {
  std::string name;
  std::span<uint8_t> bytes;
  int bits_per_word = 8;  ///< 1…64

  int64_t size_bytes() const { return static_cast<int64_t>(bytes.size()); }
  int64_t bit_count() const { return size_bytes() * 8; }
  /// Whole words held (a trailing partial word of packed k-bit formats is padding).
  int64_t words() const { return bits_per_word > 0 ? bit_count() / bits_per_word : 0; }

  /// Stored bit i (0 ≤ i < bit_count()).
  bool bit(int64_t i) const { return ((bytes[static_cast<size_t>(i >> 3)] >> (i & 7)) & 1) != 0; }
  /// Inverts stored bit i (0 ≤ i < bit_count()), as a memory fault would.
  void flip_bit(int64_t i) {
    bytes[static_cast<size_t>(i >> 3)] ^= static_cast<uint8_t>(1u << (i & 7));
  }
};

}  // namespace hardy
