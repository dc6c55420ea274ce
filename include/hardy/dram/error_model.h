// Voltage-induced bit errors in the stored bytes of weights, at the DRAM locations a mapping
// gave them. Four models after EDEN (Koppula et al., MICRO 2019; its code is not public, so
// these definitions are hardy's, docs/dram.md "Error models").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "hardy/core/memory_segment.h"
#include "hardy/core/thread_pool.h"
#include "hardy/dram/mapping.h"
#include "hardy/dram/weak_regions.h"

namespace hardy::dram {

/// p is the BER of the region a bit lives in (WeakRegionMap::region_bers).
enum class ErrorModel {
  /// 0: every bit flips independently with probability p.
  kUniform = 0,
  /// 1: bitline-correlated. In each subarray a fraction ρ of the bitlines (column bit positions)
  /// is weak, drawn per bitline; bits on weak bitlines flip with p / ρ, others never.
  kBitline = 1,
  /// 2: wordline-correlated. A fraction ρ of the rows is weak, drawn per row; bits in weak rows
  /// flip with p / ρ, others never.
  kWordline = 2,
  /// 3: data-dependent. A stored 1 flips to 0 with 2·p·s and a stored 0 to 1 with 2·p·(1 − s),
  /// s = one_to_zero_share; on data with as many ones as zeros the rate is p.
  kDataDependent = 3,
};

std::string error_model_name(ErrorModel m);
/// 0…3; ConfigError otherwise.
ErrorModel error_model_from_index(int index);

struct ErrorModelOptions {
  ErrorModel model = ErrorModel::kUniform;
  /// ρ for models 1 and 2, in (0, 1]. Where p / ρ would exceed 0.5 the region uses ρ = 2p
  /// instead (the weak lines are then a superset), so the mean stays p.
  double weak_line_fraction = 0.05;
  /// s for model 3, in [0, 1]: the share of errors that are 1→0 (charged cells losing charge).
  double one_to_zero_share = 1.0;
  nlohmann::json to_json() const;
};

struct InjectionResult {
  int64_t bits = 0;  ///< stored bits exposed
  int64_t flips = 0, zero_to_one = 0, one_to_zero = 0;
  double expected_flips = 0;  ///< Σ over bits of their flip probability (models 0–2: Σ p)
  InjectionResult& operator+=(const InjectionResult& o);
  nlohmann::json to_json() const;
};

/// One error map: which stored bits fail is a function of (seed, model, physical location) and,
/// for model 3, of the stored bit. Every burst has its own stream RngStream(seed,
/// "dram.errors.<model>", global burst index), so the map is the same for any thread count and
/// any order. Weak wordlines are drawn from ("dram.weak_wordline", row id); the weak flags of the
/// bitlines under a column burst from ("dram.weak_bitline", region · bursts_per_row + column),
/// draw i for bit i, the same in every row of the subarray.
class ErrorInjector {
 public:
  /// Throws ConfigError for ρ outside (0, 1] or s outside [0, 1].
  ErrorInjector(const WeakRegionMap& regions, const ErrorModelOptions& options, uint64_t seed);

  /// Whether bitline `bit` (0 ≤ bit < burst_bytes·8, bit i = bit i%8 of byte i/8) of the burst at
  /// `a` is weak at a region BER `ber` (model 1).
  bool weak_bitline(const DramAddress& a, int bit, double ber) const;
  /// Whether the row holding `a` is weak at a region BER `ber` (model 2).
  bool weak_wordline(const DramAddress& a, double ber) const;
  /// Global bitline id of bit `bit` of the burst at `a` (same for every row of a subarray).
  int64_t bitline_id(const DramAddress& a, int bit) const;

  /// Flips the stored bits of `segments` that fail, at the placement's region BERs. `segments`
  /// must be the ones the placement was made for. Uses `pool` (results do not depend on it).
  InjectionResult inject(std::span<MemorySegment> segments, const Placement& placement,
                         ThreadPool& pool) const;

 private:
  InjectionResult inject_burst(MemorySegment& segment, const PlacedBurst& b, double ber) const;
  void weak_bitlines(const DramAddress& a, double ber, std::vector<char>& out) const;
  double line_fraction(double ber) const;

  const WeakRegionMap& regions_;
  ErrorModelOptions options_;
  uint64_t seed_;
};

}  // namespace hardy::dram
