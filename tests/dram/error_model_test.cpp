// Error models 0–3 on mapped segments: rates within binomial intervals, correlation as defined,
// direction of data-dependent flips, weak-region averages, thread-count independence.
#include "hardy/dram/error_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include "hardy/core/error.h"
#include "hardy/core/rng.h"
#include "test_util.h"

namespace hardy::dram {
namespace {

using testing::data_file;

constexpr double kZ99 = 2.5758;  // two-sided 99% normal quantile

Organisation ddr3l_org() { return load_memspec(data_file(testing::kDdr3l)).org; }

// A buffer of `bytes` pseudo-random bytes, one segment placed by `order` with uniform regions.
struct MappedBuffer {
  Organisation org = ddr3l_org();
  std::vector<uint8_t> data;
  std::vector<MemorySegment> segments;
  AddressMapping mapping;
  WeakRegionMap regions;
  Placement placement;

  MappedBuffer(int64_t bytes, double ber, const std::string& order = "row,bank,column",
               SpatialVariation spread = {0, 0}, uint64_t region_seed = 1)
      : data(static_cast<size_t>(bytes)), mapping(org, order), regions(org, spread, region_seed) {
    RngStream r(9, stream_tag("test.data"), 0);
    for (auto& b : data) b = static_cast<uint8_t>(r.next_u64());
    segments.push_back({"w", data, 8});
    placement = map_segments(segments, mapping, regions, ber, {});
  }
  InjectionResult inject(const ErrorModelOptions& o, uint64_t seed, int threads = 1) {
    ThreadPool pool(threads);
    return ErrorInjector(regions, o, seed).inject(segments, placement, pool);
  }
};

// |k − np| within the two-sided 99% normal interval of Binomial(n, p).
void expect_binomial_99(int64_t k, double n, double p) {
  const double mean = n * p;
  ASSERT_GE(mean, 1000.0) << "size the bit count to the BER";
  EXPECT_LE(std::abs(static_cast<double>(k) - mean), kZ99 * std::sqrt(mean * (1 - p)))
      << "flips " << k << " expected " << mean;
}

TEST(WeakRegions, RegionBersAverageToTheChipBer) {
  const Organisation org = ddr3l_org();
  const WeakRegionMap map(org, {1.0, 1.0}, 3);
  EXPECT_EQ(map.regions(), 8 * 64);
  for (double p : {1e-9, 1e-5, 1e-3, 0.05, 0.3}) {
    const auto bers = map.region_bers(p);
    const double mean =
        std::accumulate(bers.begin(), bers.end(), 0.0) / static_cast<double>(bers.size());
    EXPECT_NEAR(mean, p, p * 1e-9) << p;
    EXPECT_LE(*std::max_element(bers.begin(), bers.end()), 0.5);
    // Spread: the weakest region is far above the median.
    std::vector<double> sorted = bers;
    std::sort(sorted.begin(), sorted.end());
    if (p < 1e-3) {
      EXPECT_GT(sorted.back(), 5 * sorted[sorted.size() / 2]);
    }
  }
  const WeakRegionMap flat(org, {0, 0}, 3);
  for (double b : flat.region_bers(1e-4)) EXPECT_NEAR(b, 1e-4, 1e-16);
  // Same seed, same chip; another seed, another chip.
  EXPECT_EQ(WeakRegionMap(org, {1, 1}, 3).weight(17), map.weight(17));
  EXPECT_NE(WeakRegionMap(org, {1, 1}, 4).weight(17), map.weight(17));
  EXPECT_THROW(WeakRegionMap(org, {-1, 0}, 1), ConfigError);
}

TEST(ErrorModels, UniformRateWithinBinomialInterval) {
  const double p = 1e-3;
  MappedBuffer s(256 << 10, p);  // 2.1 M bits: 2,097 expected flips
  const std::vector<uint8_t> before = s.data;
  const InjectionResult r = s.inject({ErrorModel::kUniform}, 5);
  EXPECT_EQ(r.bits, 8 * (256 << 10));
  expect_binomial_99(r.flips, static_cast<double>(r.bits), p);
  int64_t differing = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    differing += std::popcount(static_cast<unsigned>(before[i] ^ s.data[i]));
  }
  EXPECT_EQ(differing, r.flips);
}

TEST(ErrorModels, UniformWithWeakRegionsMatchesTheRegionBers) {
  // 4 MB over all 8 banks and 1 subarray row block: regions differ by orders of magnitude.
  const double p = 1e-4;
  MappedBuffer s(4 << 20, p, "row,bank,column", {1.0, 1.0}, 11);
  const InjectionResult r = s.inject({ErrorModel::kUniform}, 5);
  ASSERT_GE(r.expected_flips, 1000.0);
  // A sum of Bernoulli trials with small p: variance ≈ its mean.
  EXPECT_LE(std::abs(static_cast<double>(r.flips) - r.expected_flips),
            kZ99 * std::sqrt(r.expected_flips));
  // The regions used are only some of the chip's: their mean BER need not be p, but the
  // expectation is Σ over bursts of region BER · bits.
  double expected = 0;
  for (const auto& b : s.placement.bursts) {
    expected += b.bytes * 8 * s.placement.region_bers[s.regions.region_of(b.where)];
  }
  EXPECT_NEAR(r.expected_flips, expected, expected * 1e-9);
}

TEST(ErrorModels, DataDependentFlipsOnlyTheConfiguredDirection) {
  const double p = 2e-3;
  for (double share : {1.0, 0.0, 0.3}) {
    MappedBuffer s(256 << 10, p);
    // First half all ones, second half all zeros.
    std::fill(s.data.begin(), s.data.begin() + s.data.size() / 2, 0xFF);
    std::fill(s.data.begin() + s.data.size() / 2, s.data.end(), 0x00);
    ErrorModelOptions o{ErrorModel::kDataDependent};
    o.one_to_zero_share = share;
    const InjectionResult r = s.inject(o, 8);
    const double half_bits = static_cast<double>(r.bits) / 2;
    if (share == 1.0) {
      EXPECT_EQ(r.zero_to_one, 0);
    }
    if (share == 0.0) {
      EXPECT_EQ(r.one_to_zero, 0);
    }
    if (share > 0) {
      expect_binomial_99(r.one_to_zero, half_bits, 2 * p * share);
    }
    if (share < 1) {
      expect_binomial_99(r.zero_to_one, half_bits, 2 * p * (1 - share));
    }
    EXPECT_NEAR(r.expected_flips, half_bits * 2 * p, 1e-6);
  }
}

// Mean flips over many seeded maps, and its standard error.
std::pair<double, double> mean_over_maps(MappedBuffer& s, const ErrorModelOptions& o, int maps) {
  std::vector<double> flips;
  const std::vector<uint8_t> clean = s.data;
  for (int m = 0; m < maps; ++m) {
    s.data = clean;
    flips.push_back(static_cast<double>(s.inject(o, 1000 + m).flips));
  }
  s.data = clean;
  const double mean = std::accumulate(flips.begin(), flips.end(), 0.0) / maps;
  double var = 0;
  for (double f : flips) var += (f - mean) * (f - mean);
  return {mean, std::sqrt(var / (maps - 1) / maps)};
}

TEST(ErrorModels, BitlineModelAveragesToTheBerAndClustersOnWeakBitlines) {
  const double p = 1e-3;
  // "bank,row,column": 256 KB = 32 consecutive rows of bank 0, subarray 0, so every bitline
  // is exposed 32 times.
  MappedBuffer s(256 << 10, p, "bank,row,column");
  ErrorModelOptions o{ErrorModel::kBitline};
  o.weak_line_fraction = 0.05;
  const auto [mean, se] = mean_over_maps(s, o, 30);
  const double expected = p * 8 * (256 << 10);
  EXPECT_GE(mean * 30, 1000.0);
  EXPECT_LE(std::abs(mean - expected), 4 * se) << mean << " vs " << expected;

  // One map: every flip on a weak bitline; flips share bitlines far more than uniform ones do.
  auto repeats = [&](ErrorModel m) {
    MappedBuffer t(256 << 10, p, "bank,row,column");
    const std::vector<uint8_t> clean = t.data;
    ErrorModelOptions om{m};
    om.weak_line_fraction = 0.05;
    const ErrorInjector inj(t.regions, om, 77);
    ThreadPool pool(1);
    const InjectionResult r = inj.inject(t.segments, t.placement, pool);
    std::map<int64_t, int> per_line;
    for (const auto& b : t.placement.bursts) {
      for (int bit = 0; bit < b.bytes * 8; ++bit) {
        const int64_t i = b.offset * 8 + bit;
        if (((clean[i / 8] ^ t.data[i / 8]) >> (i % 8)) & 1) {
          if (m == ErrorModel::kBitline) {
            EXPECT_TRUE(inj.weak_bitline(b.where, bit, p));
          }
          ++per_line[inj.bitline_id(b.where, bit)];
        }
      }
    }
    int64_t repeated = 0;
    for (auto [line, n] : per_line) repeated += n - 1;
    return static_cast<double>(repeated) / static_cast<double>(r.flips);
  };
  const double clustered = repeats(ErrorModel::kBitline), uniform = repeats(ErrorModel::kUniform);
  // Poisson means per bitline: 32 · 0.02 = 0.64 on weak ones, so (λ − (1 − e^−λ)) / λ ≈ 0.26 of
  // the flips repeat a bitline; uniform: 32 · 0.001 = 0.032, ≈ 0.016.
  EXPECT_GT(clustered, 0.15);
  EXPECT_LT(uniform, 0.05);
}

TEST(ErrorModels, WordlineModelAveragesToTheBerAndFlipsOnlyWeakRows) {
  const double p = 1e-4;
  MappedBuffer s(1 << 20, p, "bank,row,column");  // 128 rows of 8 KB
  ErrorModelOptions o{ErrorModel::kWordline};
  o.weak_line_fraction = 0.1;
  const auto [mean, se] = mean_over_maps(s, o, 200);
  const double expected = p * 8 * (1 << 20);
  EXPECT_LE(std::abs(mean - expected), 4 * se) << mean << " vs " << expected;

  const std::vector<uint8_t> clean = s.data;
  const ErrorInjector inj(s.regions, o, 5);
  ThreadPool pool(1);
  const InjectionResult r = inj.inject(s.segments, s.placement, pool);
  std::map<int64_t, int64_t> flips_per_row;
  int64_t weak_rows = 0;
  std::set<int64_t> rows;
  for (const auto& b : s.placement.bursts) {
    if (rows.insert(b.where.row).second && inj.weak_wordline(b.where, p)) ++weak_rows;
    for (int i = 0; i < b.bytes; ++i) {
      const int diff =
          std::popcount(static_cast<unsigned>(clean[b.offset + i] ^ s.data[b.offset + i]));
      if (diff) {
        EXPECT_TRUE(inj.weak_wordline(b.where, p));
        flips_per_row[b.where.row] += diff;
      }
    }
  }
  ASSERT_GT(weak_rows, 0);
  EXPECT_EQ(static_cast<int64_t>(flips_per_row.size()), weak_rows);  // every weak row is hit
  // A weak row carries p/ρ · 65,536 bits ≈ 66 flips; uniform errors would give 6.6 per row.
  EXPECT_GT(static_cast<double>(r.flips) / static_cast<double>(weak_rows), 30.0);
}

TEST(ErrorModels, SameSeedSameMapForAnyThreadCount) {
  for (ErrorModel m : {ErrorModel::kUniform, ErrorModel::kBitline, ErrorModel::kWordline,
                       ErrorModel::kDataDependent}) {
    // 1 MB: 128 rows, so some rows and bitlines are weak at ρ = 0.25.
    MappedBuffer a(1 << 20, 2e-3, "row,bank,column", {1, 1}, 2);
    MappedBuffer b(1 << 20, 2e-3, "row,bank,column", {1, 1}, 2);
    ErrorModelOptions o{m};
    o.weak_line_fraction = 0.25;
    const InjectionResult ra = a.inject(o, 42, 1);
    const InjectionResult rb = b.inject(o, 42, 2);
    EXPECT_EQ(a.data, b.data) << error_model_name(m);
    EXPECT_EQ(ra.flips, rb.flips);
    EXPECT_EQ(ra.expected_flips, rb.expected_flips);
    EXPECT_GT(ra.flips, 0);
    MappedBuffer c(1 << 20, 2e-3, "row,bank,column", {1, 1}, 2);
    c.inject(o, 43, 2);
    EXPECT_NE(a.data, c.data) << error_model_name(m);
  }
}

TEST(ErrorModels, ZeroBerFlipsNothingAndOptionsAreValidated) {
  MappedBuffer s(64 << 10, 0.0);
  const std::vector<uint8_t> before = s.data;
  for (ErrorModel m : {ErrorModel::kUniform, ErrorModel::kBitline, ErrorModel::kWordline,
                       ErrorModel::kDataDependent}) {
    EXPECT_EQ(s.inject({m}, 1).flips, 0);
  }
  EXPECT_EQ(s.data, before);
  ErrorModelOptions bad{ErrorModel::kBitline};
  bad.weak_line_fraction = 0;
  EXPECT_THROW(ErrorInjector(s.regions, bad, 1), ConfigError);
  EXPECT_THROW(error_model_from_index(4), ConfigError);
}

}  // namespace
}  // namespace hardy::dram
