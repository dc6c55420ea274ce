// Spatial variation of voltage-induced errors: a seeded weight per region (bank × subarray)
// whose spread is a parameter; region BERs average to the chip's BER.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "hardy/dram/address_mapping.h"
#include "hardy/dram/memspec.h"

namespace hardy::dram {

/// Log-normal spread of region error rates. Chang et al.'s spatial_locality figures (per DIMM
/// and voltage: the probability that a row has an error, by bank and row) show both whole banks
/// far weaker than others and stripes of weak rows within a bank; hardy models this as
/// w(bank, subarray) = exp(σ_bank·Z_bank + σ_subarray·Z_subarray), Z standard normal from keyed
/// streams, normalised to mean 1. σ = 0 for both gives every region the chip's BER. The defaults
/// (1.0 each: the weakest of 8 banks typically 5–10× the median) are a judgement from those
/// figures, not a fit.
struct SpatialVariation {
  double bank_sigma = 1.0;
  double subarray_sigma = 1.0;
  nlohmann::json to_json() const {
    return {{"bank_sigma", bank_sigma}, {"subarray_sigma", subarray_sigma}};
  }
};

/// The weak-region map of one chip (one seed). Regions are (channel, rank, bank, subarray);
/// weights do not depend on the voltage: the same regions stay weak as V drops.
class WeakRegionMap {
 public:
  /// Weights from RngStream(seed, "dram.weak_bank", bank id) and ("dram.weak_subarray", region
  /// index). Throws ConfigError unless both sigmas are in [0, 5].
  WeakRegionMap(const Organisation& org, const SpatialVariation& spread, uint64_t seed);

  int64_t regions() const { return static_cast<int64_t>(weights_.size()); }
  /// Index of the region holding `a`: ((channel·ranks + rank)·banks + bank)·subarrays + subarray.
  int64_t region_of(const DramAddress& a) const;
  /// Relative weakness of region r (mean over regions 1).
  double weight(int64_t r) const { return weights_[static_cast<size_t>(r)]; }

  /// Per-region BERs for a chip BER p: min(c · p · w_r, 0.5) with c ≥ 1 chosen (bisection) so
  /// that their mean is p; all 0.5 when p ≥ 0.5. Precondition 0 ≤ p ≤ 1.
  std::vector<double> region_bers(double chip_ber) const;

  const Organisation& organisation() const { return org_; }
  const SpatialVariation& spread() const { return spread_; }

 private:
  Organisation org_;
  SpatialVariation spread_;
  std::vector<double> weights_;
};

}  // namespace hardy::dram
