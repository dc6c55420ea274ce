// Baseline and SparkXD/DRMap placement of weight segments.
#include "hardy/dram/mapping.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "hardy/core/error.h"

namespace hardy::dram {
namespace {

std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// Calls emit(address) for the usable regions' bursts in DRMap order until emit returns false.
template <class Emit>
void drmap_order(const Organisation& org, const WeakRegionMap& regions,
                 const std::vector<bool>& usable, Emit&& emit) {
  const int64_t rows = org.rows_per_subarray();
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t s = 0; s < org.subarrays; ++s) {
      for (int ch = 0; ch < org.channels; ++ch) {
        for (int rk = 0; rk < org.ranks; ++rk) {
          for (int b = 0; b < org.banks; ++b) {
            DramAddress a;
            a.channel = ch;
            a.rank = rk;
            a.bank = b;
            a.row = s * rows + r;
            if (!usable[static_cast<size_t>(regions.region_of(a))]) continue;
            for (int64_t c = 0; c < org.bursts_per_row(); ++c) {
              a.column = c;
              if (!emit(a)) return;
            }
          }
        }
      }
    }
  }
}

}  // namespace

std::string mapping_policy_name(MappingPolicy p) {
  return p == MappingPolicy::kSparkXd ? "sparkxd" : "baseline";
}

MappingPolicy parse_mapping_policy(const std::string& name) {
  if (name == "baseline") return MappingPolicy::kBaseline;
  if (name == "sparkxd") return MappingPolicy::kSparkXd;
  throw ConfigError("mapping policy '" + name + "': expected baseline or sparkxd");
}

std::vector<Access> Placement::access_trace(const AddressMapping& mapping) const {
  std::vector<Access> out;
  out.reserve(bursts.size());
  for (const PlacedBurst& b : bursts) out.push_back({mapping.encode(b.where), false, 0});
  return out;
}

nlohmann::json Placement::to_json(const WeakRegionMap& regions) const {
  const Organisation& org = regions.organisation();
  nlohmann::json segs = nlohmann::json::array();
  std::map<int64_t, int64_t> bursts_in_region;
  for (const PlacedBurst& b : bursts) ++bursts_in_region[regions.region_of(b.where)];
  for (const SegmentSummary& s : segments) {
    segs.push_back({{"name", s.name},
                    {"bytes", s.bytes},
                    {"bursts", s.bursts},
                    {"regions", s.regions},
                    {"max_region_ber", s.max_region_ber},
                    {"mean_ber", s.mean_ber},
                    {"first_address", s.first_address}});
  }
  nlohmann::json used = nlohmann::json::array();
  for (const auto& [r, n] : bursts_in_region) {
    const int64_t subarray = r % org.subarrays;
    int64_t rest = r / org.subarrays;
    const int64_t bank = rest % org.banks;
    rest /= org.banks;
    const int64_t rank = rest % org.ranks;
    const int64_t channel = rest / org.ranks;
    used.push_back({{"channel", channel},
                    {"rank", rank},
                    {"bank", bank},
                    {"subarray", subarray},
                    {"ber", region_bers[static_cast<size_t>(r)]},
                    {"bursts", n}});
  }
  return {{"policy", mapping_policy_name(options.policy)},
          {"tolerable_ber", options.tolerable_ber},
          {"chip_ber", chip_ber},
          {"regions", regions.regions()},
          {"usable_regions", usable_regions},
          {"segments", segs},
          {"regions_used", used}};
}

Placement map_segments(std::span<const MemorySegment> segments, const AddressMapping& mapping,
                       const WeakRegionMap& regions, double chip_ber,
                       const MappingOptions& options) {
  const Organisation& org = regions.organisation();
  const int64_t burst_bytes = org.burst_bytes();
  Placement p;
  p.options = options;
  p.chip_ber = chip_ber;
  p.region_bers = regions.region_bers(chip_ber);
  int64_t needed = 0;
  for (const MemorySegment& s : segments)
    needed += (s.size_bytes() + burst_bytes - 1) / burst_bytes;

  std::vector<bool> usable(p.region_bers.size(), true);
  if (options.policy == MappingPolicy::kSparkXd) {
    for (size_t r = 0; r < usable.size(); ++r)
      usable[r] = p.region_bers[r] <= options.tolerable_ber;
  }
  p.usable_regions = std::count(usable.begin(), usable.end(), true);
  const int64_t bursts_per_region = org.rows_per_subarray() * org.bursts_per_row();
  const int64_t capacity = p.usable_regions * bursts_per_region;
  if (needed > capacity) {
    std::string msg = "the weights need ";
    msg += std::to_string(needed * burst_bytes);
    msg += " bytes but the memory holds ";
    msg += std::to_string(capacity * burst_bytes);
    msg += " bytes";
    if (options.policy == MappingPolicy::kSparkXd) {
      msg += " in the " + std::to_string(p.usable_regions) + " of " +
             std::to_string(regions.regions()) +
             " regions with BER <= " + number(options.tolerable_ber) + " (chip BER " +
             number(chip_ber) + ")";
    }
    throw ConfigError(msg);
  }

  std::vector<DramAddress> where;
  where.reserve(static_cast<size_t>(needed));
  if (options.policy == MappingPolicy::kBaseline) {
    for (int64_t k = 0; k < needed; ++k) {
      where.push_back(mapping.decode(static_cast<uint64_t>(k * burst_bytes)));
    }
  } else {
    drmap_order(org, regions, usable, [&](const DramAddress& a) {
      where.push_back(a);
      return static_cast<int64_t>(where.size()) < needed;
    });
  }
  size_t next = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    const MemorySegment& s = segments[i];
    SegmentSummary sum;
    sum.name = s.name;
    sum.bytes = s.size_bytes();
    std::set<int64_t> used;
    double ber_sum = 0;
    for (int64_t off = 0; off < s.size_bytes(); off += burst_bytes) {
      PlacedBurst b;
      b.segment = static_cast<int32_t>(i);
      b.offset = off;
      b.bytes = static_cast<int32_t>(std::min(burst_bytes, s.size_bytes() - off));
      b.where = where[next++];
      const int64_t r = regions.region_of(b.where);
      used.insert(r);
      const double ber = p.region_bers[static_cast<size_t>(r)];
      sum.max_region_ber = std::max(sum.max_region_ber, ber);
      ber_sum += ber;
      if (off == 0) sum.first_address = mapping.encode(b.where);
      p.bursts.push_back(b);
      ++sum.bursts;
    }
    sum.regions = static_cast<int64_t>(used.size());
    sum.mean_ber = sum.bursts ? ber_sum / static_cast<double>(sum.bursts) : 0;
    p.segments.push_back(sum);
  }
  return p;
}

}  // namespace hardy::dram
