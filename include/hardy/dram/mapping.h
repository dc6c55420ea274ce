// Where weights live in DRAM: baseline (linear addresses from 0) or SparkXD-style (only regions
// whose BER is tolerable, ordered for row-buffer hits, then bank-, then subarray-level
// parallelism after DRMap), and the access trace of one inference that reads them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "hardy/core/memory_segment.h"
#include "hardy/dram/address_mapping.h"
#include "hardy/dram/weak_regions.h"

namespace hardy::dram {

enum class MappingPolicy {
  kBaseline,  ///< segments one after another from address 0, whatever the regions' BER
  kSparkXd,   ///< only regions with BER ≤ tolerable, in DRMap order
};

/// "baseline" / "sparkxd"; parse throws ConfigError naming the accepted names.
std::string mapping_policy_name(MappingPolicy p);
MappingPolicy parse_mapping_policy(const std::string& name);

struct MappingOptions {
  MappingPolicy policy = MappingPolicy::kBaseline;
  double tolerable_ber = 0;  ///< kSparkXd: regions with BER above this are not used
};

/// One burst-sized piece of a segment: bytes [offset, offset + bytes) of segment `segment`
/// live in the burst at `where` (a segment starts at a burst boundary; its last piece may be
/// partial).
struct PlacedBurst {
  int32_t segment = 0;
  int32_t bytes = 0;
  int64_t offset = 0;
  DramAddress where;
};

struct SegmentSummary {
  std::string name;
  int64_t bytes = 0, bursts = 0;
  int64_t regions = 0;        ///< distinct (bank, subarray) regions holding it
  double max_region_ber = 0;  ///< highest BER among them at the mapping's chip BER
  double mean_ber = 0;        ///< BER averaged over its bursts
  uint64_t first_address = 0;
};

struct Placement {
  MappingOptions options;
  double chip_ber = 0;
  std::vector<double> region_bers;  ///< of every region, at chip_ber
  std::vector<PlacedBurst> bursts;  ///< segment order, byte order: the order inference reads
  std::vector<SegmentSummary> segments;
  int64_t usable_regions = 0;  ///< regions the policy may use (all for baseline)

  /// One read per burst, in placement order, addresses by `mapping`.
  std::vector<Access> access_trace(const AddressMapping& mapping) const;
  /// Policy, chip BER, usable regions, per-segment summaries and the BER of every region used.
  nlohmann::json to_json(const WeakRegionMap& regions) const;
};

/// Places `segments` (sizes only are read) in a memory whose regions have the BERs
/// `regions.region_bers(chip_ber)`. Baseline: burst k of the concatenation (each segment
/// rounded up to whole bursts) at address k · burst_bytes under `mapping`. SparkXD: the usable
/// regions' bursts in the order column (row-buffer hits), then bank (and rank, channel: bank-level
/// parallelism), then subarray (subarray-level parallelism), then row within the subarray.
/// Throws ConfigError when the segments need more bursts than the usable capacity, stating
/// both and the tolerable BER.
Placement map_segments(std::span<const MemorySegment> segments, const AddressMapping& mapping,
                       const WeakRegionMap& regions, double chip_ber,
                       const MappingOptions& options);

}  // namespace hardy::dram
