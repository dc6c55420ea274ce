// Baseline and SparkXD/DRMap placement: addresses, region BER limits, order, capacity errors,
// and the access trace of one inference.
#include "hardy/dram/mapping.h"

#include <gtest/gtest.h>

#include <set>

#include "hardy/core/error.h"
#include "hardy/dram/simulator.h"
#include "test_util.h"

namespace hardy::dram {
namespace {

using testing::data_file;

struct Memory {
  MemSpec spec = load_memspec(data_file(testing::kDdr3l));
  AddressMapping mapping = AddressMapping::default_for(spec.org);
  WeakRegionMap regions{spec.org, {1.0, 1.0}, 5};
};

std::vector<MemorySegment> segments_of(std::vector<std::vector<uint8_t>>& buffers) {
  std::vector<MemorySegment> s;
  for (size_t i = 0; i < buffers.size(); ++i) {
    std::string name = "s";
    name += std::to_string(i);
    s.push_back({name, buffers[i], 8});
  }
  return s;
}

TEST(Mapping, BaselineIsLinearFromZeroWithBurstAlignedSegments) {
  Memory m;
  std::vector<std::vector<uint8_t>> buf = {std::vector<uint8_t>(1000), std::vector<uint8_t>(200)};
  const auto segs = segments_of(buf);
  const Placement p = map_segments(segs, m.mapping, m.regions, 1e-5, {});
  ASSERT_EQ(p.bursts.size(), 16u + 4u);  // ceil(1000/64) + ceil(200/64)
  for (size_t k = 0; k < p.bursts.size(); ++k) {
    EXPECT_EQ(m.mapping.encode(p.bursts[k].where), k * 64);
  }
  EXPECT_EQ(p.bursts[15].bytes, 1000 - 15 * 64);
  EXPECT_EQ(p.bursts[16].segment, 1);
  EXPECT_EQ(p.bursts[16].offset, 0);
  EXPECT_EQ(p.segments[1].first_address, 16u * 64);
  EXPECT_EQ(p.usable_regions, m.regions.regions());
}

TEST(Mapping, SparkxdUsesOnlyRegionsAtOrBelowTheTolerableBer) {
  Memory m;
  std::vector<std::vector<uint8_t>> buf = {std::vector<uint8_t>(3 << 20)};
  const auto segs = segments_of(buf);
  const double chip_ber = 1e-5, tolerable = 5e-6;
  const Placement base = map_segments(segs, m.mapping, m.regions, chip_ber, {});
  const Placement spark =
      map_segments(segs, m.mapping, m.regions, chip_ber, {MappingPolicy::kSparkXd, tolerable});
  EXPECT_LT(spark.usable_regions, m.regions.regions());
  EXPECT_GT(spark.usable_regions, 0);
  for (const PlacedBurst& b : spark.bursts) {
    EXPECT_LE(spark.region_bers[m.regions.region_of(b.where)], tolerable);
  }
  EXPECT_LE(spark.segments[0].max_region_ber, tolerable);
  EXPECT_GT(base.segments[0].max_region_ber, tolerable);  // baseline lands in weak regions
  EXPECT_LT(spark.segments[0].mean_ber, base.segments[0].mean_ber);
}

TEST(Mapping, SparkxdOrderFillsRowsThenBanksThenSubarrays) {
  Memory m;
  m.regions = WeakRegionMap(m.spec.org, {0, 0}, 1);  // every region usable
  const Organisation& org = m.spec.org;
  const int64_t row_bursts = org.bursts_per_row();  // 128
  std::vector<std::vector<uint8_t>> buf = {
      std::vector<uint8_t>(static_cast<size_t>(org.row_bytes() * org.banks * 2))};
  const auto segs = segments_of(buf);
  const Placement p =
      map_segments(segs, m.mapping, m.regions, 1e-9, {MappingPolicy::kSparkXd, 1e-6});
  for (int64_t k = 0; k < static_cast<int64_t>(p.bursts.size()); ++k) {
    const DramAddress& a = p.bursts[static_cast<size_t>(k)].where;
    EXPECT_EQ(a.column, k % row_bursts);
    EXPECT_EQ(a.bank, (k / row_bursts) % org.banks);
    // After all banks: the same row offset in the next subarray.
    EXPECT_EQ(a.row, (k / (row_bursts * org.banks)) * org.rows_per_subarray());
  }
  // The trace of one inference: one read per burst; a miss per bank, then a conflict per bank
  // in the next subarray, every other access a row hit.
  const auto trace = p.access_trace(m.mapping);
  ASSERT_EQ(trace.size(), p.bursts.size());
  SimulatorOptions no_refresh;  // a REF would close the banks in the middle
  no_refresh.refresh = RefreshMode::kOff;
  const SimulationResult r = simulate(m.spec, m.mapping, trace, no_refresh);
  EXPECT_EQ(r.stats.misses, org.banks);
  EXPECT_EQ(r.stats.conflicts, org.banks);
  EXPECT_EQ(r.stats.hits, static_cast<int64_t>(trace.size()) - 2 * org.banks);
}

TEST(Mapping, CapacityIsCheckedWithAClearError) {
  Memory m;
  std::vector<std::vector<uint8_t>> buf = {std::vector<uint8_t>(64 << 20)};
  const auto segs = segments_of(buf);
  try {
    // At a chip BER of 1e-3 almost no region is below 1e-5: 64 MB cannot fit.
    map_segments(segs, m.mapping, m.regions, 1e-3, {MappingPolicy::kSparkXd, 1e-5});
    ADD_FAILURE() << "expected a capacity error";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("67108864 bytes"), std::string::npos) << msg;
    EXPECT_NE(msg.find("BER <= 1e-05"), std::string::npos) << msg;
  }
  // Nothing at all is usable.
  EXPECT_THROW(map_segments(segs, m.mapping, m.regions, 1e-3, {MappingPolicy::kSparkXd, 0}),
               ConfigError);
  EXPECT_EQ(parse_mapping_policy("sparkxd"), MappingPolicy::kSparkXd);
  EXPECT_THROW(parse_mapping_policy("drmap"), ConfigError);
}

TEST(Mapping, JsonListsSegmentsAndRegions) {
  Memory m;
  std::vector<std::vector<uint8_t>> buf = {std::vector<uint8_t>(100000)};
  const auto segs = segments_of(buf);
  const Placement p =
      map_segments(segs, m.mapping, m.regions, 1e-6, {MappingPolicy::kSparkXd, 1e-6});
  const auto j = p.to_json(m.regions);
  EXPECT_EQ(j["policy"], "sparkxd");
  EXPECT_EQ(j["segments"][0]["bytes"], 100000);
  int64_t bursts = 0;
  for (const auto& r : j["regions_used"]) {
    EXPECT_LE(r["ber"].get<double>(), 1e-6);
    bursts += r["bursts"].get<int64_t>();
  }
  EXPECT_EQ(bursts, static_cast<int64_t>(p.bursts.size()));
}

}  // namespace
}  // namespace hardy::dram
