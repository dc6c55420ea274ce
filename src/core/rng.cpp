// Hand-written distributions on RngStream.
#include "hardy/core/rng.h"

#include <cmath>
#include <numbers>

namespace hardy {

uint64_t RngStream::uniform_below(uint64_t n) {
  __extension__ using U128 = unsigned __int128;
  U128 m = static_cast<U128>(next_u64()) * n;
  auto low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<U128>(next_u64()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

double RngStream::normal() {
  const double u1 = 1.0 - uniform();  // (0, 1]: log stays finite
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace hardy
