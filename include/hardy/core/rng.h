// Keyed random streams: every (seed, tag, index) names its own independent SplitMix64 sequence, so
// results do not depend on thread count, shard split or order (DESIGN §3). Distributions are
// written out here so that they are identical on every standard library.
#pragma once

#include <cstdint>
#include <string_view>

#include "hardy/core/hash.h"

namespace hardy {

/// SplitMix64 finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mix.
constexpr uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// FNV-1a hash of a stream name, so tags can be spelled as strings: stream_tag("weight_bitflip").
constexpr uint64_t stream_tag(std::string_view name) { return fnv1a64(name); }

/// A SplitMix64 sequence keyed by (seed, tag, index). Not thread-safe; make one per task.
class RngStream {
 public:
  RngStream(uint64_t seed, uint64_t tag, uint64_t index)
      : state_(mix64(mix64(mix64(seed) ^ tag) + index * 0x9e3779b97f4a7c15ULL)) {}

  /// Next 64 uniformly distributed bits.
  uint64_t next_u64() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
  }
  /// Steps the stream back by n values: the next n calls of next_u64() return the last n values
  /// again (for callers that draw ahead in blocks and hand back what they did not use).
  void rewind(uint64_t n) { state_ -= n * 0x9e3779b97f4a7c15ULL; }
  /// Uniform double in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  /// Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject). Precondition: n > 0.
  uint64_t uniform_below(uint64_t n);
  /// True with probability p.
  bool bernoulli(double p) { return uniform() < p; }
  /// Standard normal variate (Box–Muller; one of the pair is discarded to stay stateless).
  double normal();

 private:
  uint64_t state_;
};

}  // namespace hardy
