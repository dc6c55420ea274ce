// Weight storage formats: encoding, packed bit access and the decoding (clamping) rule.
#include "hardy/snn/weight_store.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "hardy/core/error.h"

namespace hardy::snn {

WeightFormat WeightFormat::fixed(int k) {
  HARDY_CHECK(k >= 4 && k <= 16);
  return {Kind::kFixed, k};
}

WeightFormat WeightFormat::parse(const std::string& name) {
  if (name == "fp32") return fp32();
  if (name.size() >= 2 && name.size() <= 3 && name[0] == 'q') {
    int k = 0;
    for (size_t i = 1; i < name.size(); ++i) {
      if (name[i] < '0' || name[i] > '9') k = -1000;
      k = k * 10 + (name[i] - '0');
    }
    if (k >= 4 && k <= 16) return fixed(k);
  }
  throw ConfigError("weight format '" + name + "': expected fp32 or q4..q16");
}

std::string WeightFormat::name() const {
  return kind == Kind::kFp32 ? std::string("fp32") : std::string("q").append(std::to_string(bits));
}

uint32_t quantize_weight(float w, float w_max, int bits) {
  const uint32_t max_code = (uint32_t{1} << bits) - 1;
  if (!(w > 0.0f)) return 0;  // also NaN
  const double x = static_cast<double>(w) / static_cast<double>(w_max) * max_code;
  if (x >= max_code) return max_code;
  return static_cast<uint32_t>(std::floor(x + 0.5));
}

float dequantize_weight(uint32_t code, float w_max, int bits) {
  const uint32_t max_code = (uint32_t{1} << bits) - 1;
  code &= max_code;
  // Computed in double and rounded once, so code max_code gives exactly w_max.
  return static_cast<float>(static_cast<double>(code) * static_cast<double>(w_max) / max_code);
}

WeightStore::WeightStore(WeightFormat format, float w_max, std::span<const float> weights)
    : format_(format), w_max_(w_max), count_(static_cast<int64_t>(weights.size())) {
  HARDY_CHECK(w_max > 0.0f);
  bytes_.assign(static_cast<size_t>((bit_count() + 7) / 8), 0);
  for (int64_t i = 0; i < count_; ++i) {
    const float w = weights[static_cast<size_t>(i)];
    set_word(i, format_.kind == WeightFormat::Kind::kFp32
                    ? std::bit_cast<uint32_t>(w)
                    : quantize_weight(w, w_max_, format_.bits));
  }
}

uint32_t WeightStore::word(int64_t i) const {
  HARDY_CHECK(i >= 0 && i < count_);
  const int64_t first = i * format_.bits;
  uint32_t w = 0;
  for (int b = 0; b < format_.bits; ++b) {
    const int64_t g = first + b;
    const uint32_t bit = (bytes_[static_cast<size_t>(g >> 3)] >> (g & 7)) & 1u;
    w |= bit << b;
  }
  return w;
}

void WeightStore::set_word(int64_t i, uint32_t word) {
  HARDY_CHECK(i >= 0 && i < count_);
  HARDY_CHECK(format_.bits == 32 || (word >> format_.bits) == 0);
  const int64_t first = i * format_.bits;
  for (int b = 0; b < format_.bits; ++b) {
    const int64_t g = first + b;
    uint8_t& byte = bytes_[static_cast<size_t>(g >> 3)];
    const auto mask = static_cast<uint8_t>(1u << (g & 7));
    byte =
        ((word >> b) & 1u) ? static_cast<uint8_t>(byte | mask) : static_cast<uint8_t>(byte & ~mask);
  }
}

void WeightStore::flip_bit(int64_t i, int bit) {
  HARDY_CHECK(i >= 0 && i < count_ && bit >= 0 && bit < format_.bits);
  flip_stored_bit(i * format_.bits + bit);
}

void WeightStore::flip_stored_bit(int64_t global_bit) {
  HARDY_CHECK(global_bit >= 0 && global_bit < bit_count());
  bytes_[static_cast<size_t>(global_bit >> 3)] ^= static_cast<uint8_t>(1u << (global_bit & 7));
}

float WeightStore::decode(int64_t i) const {
  const uint32_t w = word(i);
  if (format_.kind == WeightFormat::Kind::kFixed) return dequantize_weight(w, w_max_, format_.bits);
  const float f = std::bit_cast<float>(w);
  if (std::isnan(f) || f <= 0.0f) return 0.0f;
  return f > w_max_ ? w_max_ : f;
}

void WeightStore::decode_all(std::span<float> out) const {
  HARDY_CHECK(static_cast<int64_t>(out.size()) == count_);
  if (format_.kind == WeightFormat::Kind::kFp32) {
    for (int64_t i = 0; i < count_; ++i) {
      uint32_t w = 0;
      std::memcpy(&w, bytes_.data() + 4 * i, 4);  // little-endian host (checked in network_file)
      const float f = std::bit_cast<float>(w);
      out[static_cast<size_t>(i)] = (std::isnan(f) || f <= 0.0f) ? 0.0f : (f > w_max_ ? w_max_ : f);
    }
    return;
  }
  for (int64_t i = 0; i < count_; ++i) out[static_cast<size_t>(i)] = decode(i);
}

}  // namespace hardy::snn
