// Bit operations on stored integer words, the unit every fault model acts on.
#pragma once

#include <bit>
#include <concepts>
#include <cstdint>
#include <type_traits>

namespace hardy {

/// Number of bits in the stored representation of T.
template <std::integral T>
constexpr int bit_width_of() {
  return static_cast<int>(sizeof(T) * 8);
}

/// v with bit `bit` (0 = LSB) inverted. Precondition: 0 ≤ bit < bit_width_of<T>().
template <std::integral T>
constexpr T flip_bit(T v, int bit) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(static_cast<U>(v) ^ static_cast<U>(U{1} << bit)));
}

/// v with bit `bit` forced to `value` (stuck-at).
template <std::integral T>
constexpr T set_bit(T v, int bit, bool value) {
  using U = std::make_unsigned_t<T>;
  const U mask = static_cast<U>(U{1} << bit);
  const U u = static_cast<U>(v);
  return static_cast<T>(value ? static_cast<U>(u | mask) : static_cast<U>(u & ~mask));
}

/// Bit `bit` of v.
template <std::integral T>
constexpr bool get_bit(T v, int bit) {
  using U = std::make_unsigned_t<T>;
  return ((static_cast<U>(v) >> bit) & U{1}) != 0;
}

/// Number of bits that differ between a and b.
template <std::integral T>
constexpr int hamming_distance(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return std::popcount(static_cast<U>(static_cast<U>(a) ^ static_cast<U>(b)));
}

}  // namespace hardy
