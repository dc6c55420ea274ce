// Division of 32-bit unsigned numbers by a divisor fixed in advance, without a divide instruction:
// n / d = ⌊c · n / 2⁶⁴⌋ with c = ⌈2⁶⁴ / d⌉, exact for every n, d < 2³² (Lemire, Kaser and Kurz,
// "Faster remainder by direct computation", 2019). Index arithmetic in inner loops (an input
// element's channel, row and column; a stride) divides by the same few numbers millions of times.
#pragma once

#include <cstdint>

#include "hardy/core/error.h"

namespace hardy {

class Divisor {
 public:
  Divisor() = default;
  explicit Divisor(uint32_t d) : d_(d), c_(reciprocal(d)) {}

  uint32_t divisor() const { return d_; }
  uint32_t quotient(uint32_t n) const {
    if (d_ == 1) return n;  // c would be 2⁶⁴
    // The high 64 bits of c · n from c's two halves (no overflow: each partial sum is < 2⁶⁴).
    const uint64_t high = (c_ >> 32) * n, low = (c_ & 0xFFFFFFFFu) * n;
    return static_cast<uint32_t>((high + (low >> 32)) >> 32);
  }

 private:
  // ⌈2⁶⁴ / d⌉ (checked before dividing: a zero divisor is a caller's bug).
  static uint64_t reciprocal(uint32_t d) {
    HARDY_CHECK(d >= 1);
    return d == 1 ? 0 : UINT64_MAX / d + 1;
  }

  uint32_t d_ = 1;
  uint64_t c_ = 0;
};

}  // namespace hardy
