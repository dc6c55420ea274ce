// Stored form of the input→excitatory weights: fp32 words or packed k-bit fixed point, the bits a
// memory holds, so fault models flip exactly those bits; decoding states the clamping rule.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace hardy::snn {

/// fp32: IEEE-754 binary32, 4 bytes little-endian per weight.
/// q<k> (k = 4…16): unsigned fixed point, code c ∈ [0, 2^k − 1] meaning w = c · w_max / (2^k − 1)
/// (0 and w_max exact), packed densely: weight i occupies bits [i·k, (i+1)·k) of the byte
/// array, least significant bit first.
struct WeightFormat {
  enum class Kind { kFp32, kFixed };
  Kind kind = Kind::kFp32;
  int bits = 32;  ///< bits per stored weight: 32 for fp32, k for q<k>

  static WeightFormat fp32() { return {}; }
  /// Precondition: 4 ≤ k ≤ 16.
  static WeightFormat fixed(int k);
  /// "fp32" or "q4".."q16"; throws ConfigError naming the accepted forms otherwise.
  static WeightFormat parse(const std::string& name);
  std::string name() const;
  bool operator==(const WeightFormat&) const = default;
};

/// The code a weight is stored as in q<k>: round-half-up of w/w_max·(2^k − 1), saturated to
/// [0, 2^k − 1] (NaN → 0). Exposed for tests.
uint32_t quantize_weight(float w, float w_max, int bits);
/// The value of code c in q<k> (only the low k bits of c are used).
float dequantize_weight(uint32_t code, float w_max, int bits);

/// Weights as stored bits. Decoding rule after corruption (explicit, DESIGN §6):
/// - q<k>: every bit pattern is a valid code, so a decoded weight is always in [0, w_max];
///   no clamp is needed.
/// - fp32: NaN decodes to 0; anything below 0 (including −0, −inf) decodes to 0; anything above
///   w_max (including +inf) decodes to w_max. Fault-free weights are in [0, w_max] (STDP clips
///   to that range and trained networks are stored clipped), so decoding is the identity on
///   them.
/// Not thread-safe for writes; concurrent decode() of an unchanging store is safe.
class WeightStore {
 public:
  WeightStore() = default;
  /// Encodes `weights` (any count) in `format` for weights in [0, w_max]. w_max > 0.
  WeightStore(WeightFormat format, float w_max, std::span<const float> weights);

  const WeightFormat& format() const { return format_; }
  float w_max() const { return w_max_; }
  int64_t size() const { return count_; }
  /// Total stored bits (size · format.bits) and the bytes holding them.
  int64_t bit_count() const { return count_ * format_.bits; }
  std::span<uint8_t> bytes() { return bytes_; }
  std::span<const uint8_t> bytes() const { return bytes_; }

  /// The raw stored word of weight i (fp32: the IEEE bits; q<k>: the k-bit code).
  uint32_t word(int64_t i) const;
  /// Replaces the raw word of weight i (bits above format.bits must be 0).
  void set_word(int64_t i, uint32_t word);
  /// Inverts bit `bit` (0 = LSB, < format.bits) of weight i's word.
  void flip_bit(int64_t i, int bit);
  /// Inverts stored bit `global_bit` (< bit_count()) of the packed array, as a memory fault would.
  void flip_stored_bit(int64_t global_bit);

  /// Decoded weight i, with the clamping rule above.
  float decode(int64_t i) const;
  /// Decodes every weight into out (out.size() == size()).
  void decode_all(std::span<float> out) const;

 private:
  WeightFormat format_;
  float w_max_ = 1.0f;
  int64_t count_ = 0;
  std::vector<uint8_t> bytes_;
};

}  // namespace hardy::snn
