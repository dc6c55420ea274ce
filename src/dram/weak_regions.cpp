// Seeded log-normal region weights and the water-filling that keeps the mean BER.
#include "hardy/dram/weak_regions.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "hardy/core/error.h"
#include "hardy/core/rng.h"

namespace hardy::dram {
namespace {

constexpr double kMaxRegionBer = 0.5;

double mean_clamped(const std::vector<double>& w, double scale) {
  double sum = 0;
  for (double x : w) sum += std::min(scale * x, kMaxRegionBer);
  return sum / static_cast<double>(w.size());
}

}  // namespace

WeakRegionMap::WeakRegionMap(const Organisation& org, const SpatialVariation& spread, uint64_t seed)
    : org_(org), spread_(spread) {
  for (double s : {spread.bank_sigma, spread.subarray_sigma}) {
    if (!(s >= 0 && s <= 5)) {
      throw ConfigError("spatial variation sigma " + std::to_string(s) + " is outside [0, 5]");
    }
  }
  const int64_t banks = int64_t{org.channels} * org.ranks * org.banks;
  weights_.resize(static_cast<size_t>(banks * org.subarrays));
  for (int64_t b = 0; b < banks; ++b) {
    const double zb =
        RngStream(seed, stream_tag("dram.weak_bank"), static_cast<uint64_t>(b)).normal();
    for (int64_t s = 0; s < org.subarrays; ++s) {
      const int64_t r = b * org.subarrays + s;
      const double zs =
          RngStream(seed, stream_tag("dram.weak_subarray"), static_cast<uint64_t>(r)).normal();
      weights_[static_cast<size_t>(r)] =
          std::exp(spread.bank_sigma * zb + spread.subarray_sigma * zs);
    }
  }
  const double mean =
      std::accumulate(weights_.begin(), weights_.end(), 0.0) / static_cast<double>(weights_.size());
  for (double& w : weights_) w /= mean;
}

int64_t WeakRegionMap::region_of(const DramAddress& a) const {
  return ((int64_t{a.channel} * org_.ranks + a.rank) * org_.banks + a.bank) * org_.subarrays +
         a.subarray(org_);
}

std::vector<double> WeakRegionMap::region_bers(double p) const {
  std::vector<double> out(weights_.size(), kMaxRegionBer);
  if (p >= kMaxRegionBer) return out;
  // mean(min(s·w, 0.5)) is continuous and non-decreasing in s; at s = p it is ≤ p (mean w = 1),
  // at s = 0.5 / min(w) it is 0.5 > p. Bisect for the s where it equals p.
  double lo = p, hi = kMaxRegionBer / *std::min_element(weights_.begin(), weights_.end());
  if (mean_clamped(weights_, lo) < p) {
    for (int i = 0; i < 200; ++i) {
      const double mid = 0.5 * (lo + hi);
      (mean_clamped(weights_, mid) < p ? lo : hi) = mid;
    }
    lo = hi;
  }
  for (size_t r = 0; r < out.size(); ++r) out[r] = std::min(lo * weights_[r], kMaxRegionBer);
  return out;
}

}  // namespace hardy::dram
