// Error maps of the four models, drawn per burst from keyed streams with geometric skipping.
#include "hardy/dram/error_model.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "hardy/core/error.h"
#include "hardy/core/rng.h"

namespace hardy::dram {
namespace {

// Calls f(i) for each i in [0, n) chosen by independent Bernoulli(q) trials, in increasing order:
// the gap to the next success is geometric, floor(log U / log(1 − q)).
template <class F>
void bernoulli_positions(RngStream& rng, int64_t n, double q, F&& f) {
  if (q <= 0 || n <= 0) return;
  if (q >= 1) {
    for (int64_t i = 0; i < n; ++i) f(i);
    return;
  }
  const double log_miss = std::log1p(-q);
  int64_t i = -1;
  while (true) {
    const double u = 1.0 - rng.uniform();  // (0, 1]
    const double gap = std::floor(std::log(u) / log_miss);
    if (gap >= static_cast<double>(n - 1 - i)) return;
    i += 1 + static_cast<int64_t>(gap);
    f(i);
  }
}

const char* model_tag(ErrorModel m) {
  switch (m) {
    case ErrorModel::kUniform:
      return "dram.errors.uniform";
    case ErrorModel::kBitline:
      return "dram.errors.bitline";
    case ErrorModel::kWordline:
      return "dram.errors.wordline";
    case ErrorModel::kDataDependent:
      return "dram.errors.data_dependent";
  }
  return "";
}

}  // namespace

std::string error_model_name(ErrorModel m) {
  switch (m) {
    case ErrorModel::kUniform:
      return "uniform";
    case ErrorModel::kBitline:
      return "bitline";
    case ErrorModel::kWordline:
      return "wordline";
    case ErrorModel::kDataDependent:
      return "data-dependent";
  }
  return "?";
}

ErrorModel error_model_from_index(int index) {
  if (index < 0 || index > 3) {
    throw ConfigError("error model " + std::to_string(index) +
                      ": expected 0 (uniform), 1 (bitline), 2 (wordline) or 3 (data-dependent)");
  }
  return static_cast<ErrorModel>(index);
}

nlohmann::json ErrorModelOptions::to_json() const {
  return {{"model", static_cast<int>(model)},
          {"name", error_model_name(model)},
          {"weak_line_fraction", weak_line_fraction},
          {"one_to_zero_share", one_to_zero_share}};
}

InjectionResult& InjectionResult::operator+=(const InjectionResult& o) {
  bits += o.bits;
  flips += o.flips;
  zero_to_one += o.zero_to_one;
  one_to_zero += o.one_to_zero;
  expected_flips += o.expected_flips;
  return *this;
}

nlohmann::json InjectionResult::to_json() const {
  return {{"bits", bits},
          {"flips", flips},
          {"zero_to_one", zero_to_one},
          {"one_to_zero", one_to_zero},
          {"expected_flips", expected_flips},
          {"measured_ber", bits ? static_cast<double>(flips) / static_cast<double>(bits) : 0.0}};
}

ErrorInjector::ErrorInjector(const WeakRegionMap& regions, const ErrorModelOptions& options,
                             uint64_t seed)
    : regions_(regions), options_(options), seed_(seed) {
  if (!(options.weak_line_fraction > 0 && options.weak_line_fraction <= 1)) {
    throw ConfigError("weak line fraction " + std::to_string(options.weak_line_fraction) +
                      " is outside (0, 1]");
  }
  if (!(options.one_to_zero_share >= 0 && options.one_to_zero_share <= 1)) {
    throw ConfigError("1-to-0 share " + std::to_string(options.one_to_zero_share) +
                      " is outside [0, 1]");
  }
}

double ErrorInjector::line_fraction(double ber) const {
  return std::min(1.0, std::max(options_.weak_line_fraction, 2.0 * ber));
}

int64_t ErrorInjector::bitline_id(const DramAddress& a, int bit) const {
  const Organisation& org = regions_.organisation();
  const int bytes_per_beat = org.width_bits / 8;
  const int byte = bit / 8;
  const int64_t beat = byte / bytes_per_beat;
  const int64_t dq = int64_t{byte % bytes_per_beat} * 8 + bit % 8;
  const int64_t column = a.column * org.burst_length + beat;
  const int64_t row_bits = org.columns * org.width_bits;
  return regions_.region_of(a) * row_bits + column * org.width_bits + dq;
}

// The bitlines under one column burst of a region are the same in every row of the subarray, so
// their weak flags come from one stream per (region, column burst): draw i is bit i's flag.
void ErrorInjector::weak_bitlines(const DramAddress& a, double ber, std::vector<char>& out) const {
  const Organisation& org = regions_.organisation();
  const auto bits = static_cast<size_t>(org.burst_bytes() * 8);
  const int64_t key = regions_.region_of(a) * org.bursts_per_row() + a.column;
  RngStream r(seed_, stream_tag("dram.weak_bitline"), static_cast<uint64_t>(key));
  const double rho = line_fraction(ber);
  out.resize(bits);
  for (size_t i = 0; i < bits; ++i) out[i] = r.uniform() < rho;
}

bool ErrorInjector::weak_bitline(const DramAddress& a, int bit, double ber) const {
  std::vector<char> flags;
  weak_bitlines(a, ber, flags);
  return flags[static_cast<size_t>(bit)] != 0;
}

bool ErrorInjector::weak_wordline(const DramAddress& a, double ber) const {
  const Organisation& org = regions_.organisation();
  const int64_t row_id =
      ((int64_t{a.channel} * org.ranks + a.rank) * org.banks + a.bank) * org.rows + a.row;
  RngStream r(seed_, stream_tag("dram.weak_wordline"), static_cast<uint64_t>(row_id));
  return r.uniform() < line_fraction(ber);
}

InjectionResult ErrorInjector::inject_burst(MemorySegment& segment, const PlacedBurst& b,
                                            double ber) const {
  const Organisation& org = regions_.organisation();
  const DramAddress& a = b.where;
  const int64_t burst_index =
      (((int64_t{a.channel} * org.ranks + a.rank) * org.banks + a.bank) * org.rows + a.row) *
          org.bursts_per_row() +
      a.column;
  RngStream rng(seed_, stream_tag(model_tag(options_.model)), static_cast<uint64_t>(burst_index));
  InjectionResult r;
  const int64_t n = int64_t{b.bytes} * 8;
  const int64_t base = b.offset * 8;
  r.bits = n;
  auto flip = [&](int64_t i) {
    const bool was_one = segment.bit(base + i);
    segment.flip_bit(base + i);
    ++r.flips;
    ++(was_one ? r.one_to_zero : r.zero_to_one);
  };
  switch (options_.model) {
    case ErrorModel::kUniform:
      r.expected_flips = static_cast<double>(n) * ber;
      bernoulli_positions(rng, n, ber, flip);
      break;
    case ErrorModel::kBitline: {
      std::vector<char> flags;
      weak_bitlines(a, ber, flags);
      std::vector<int> weak;
      for (int i = 0; i < n; ++i) {
        if (flags[static_cast<size_t>(i)]) weak.push_back(i);
      }
      const double q = ber / line_fraction(ber);
      r.expected_flips = static_cast<double>(weak.size()) * q;
      bernoulli_positions(rng, static_cast<int64_t>(weak.size()), q,
                          [&](int64_t k) { flip(weak[static_cast<size_t>(k)]); });
      break;
    }
    case ErrorModel::kWordline:
      if (weak_wordline(a, ber)) {
        const double q = ber / line_fraction(ber);
        r.expected_flips = static_cast<double>(n) * q;
        bernoulli_positions(rng, n, q, flip);
      }
      break;
    case ErrorModel::kDataDependent: {
      const double s = options_.one_to_zero_share;
      const double p10 = std::min(1.0, 2 * ber * s), p01 = std::min(1.0, 2 * ber * (1 - s));
      const double p_max = std::max(p10, p01);
      for (int64_t i = 0; i < n; ++i) r.expected_flips += segment.bit(base + i) ? p10 : p01;
      if (p_max <= 0) break;
      // Thinning: candidates at rate p_max, each kept with its own bit's probability / p_max.
      // The decision reads the bit as stored before this burst's flips (flips only go forward).
      bernoulli_positions(rng, n, p_max, [&](int64_t i) {
        const double p = segment.bit(base + i) ? p10 : p01;
        if (rng.uniform() < p / p_max) flip(i);
      });
      break;
    }
  }
  return r;
}

InjectionResult ErrorInjector::inject(std::span<MemorySegment> segments, const Placement& placement,
                                      ThreadPool& pool) const {
  const auto n = static_cast<int64_t>(placement.bursts.size());
  std::vector<InjectionResult> per_burst(static_cast<size_t>(n));
  for (const PlacedBurst& b : placement.bursts) {
    HARDY_CHECK(b.segment >= 0 && static_cast<size_t>(b.segment) < segments.size());
    HARDY_CHECK(b.offset + b.bytes <= segments[static_cast<size_t>(b.segment)].size_bytes());
  }
  pool.parallel_for(n, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      const PlacedBurst& b = placement.bursts[static_cast<size_t>(i)];
      const double ber = placement.region_bers[static_cast<size_t>(regions_.region_of(b.where))];
      per_burst[static_cast<size_t>(i)] =
          inject_burst(segments[static_cast<size_t>(b.segment)], b, ber);
    }
  });
  InjectionResult total;
  for (const InjectionResult& r : per_burst) total += r;  // in burst order: thread-independent
  return total;
}

}  // namespace hardy::dram
