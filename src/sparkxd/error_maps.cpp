// Error maps injected one after another into the clean weights, and their accuracy statistics.
#include "hardy/sparkxd/error_maps.h"

#include <algorithm>
#include <cmath>

#include "hardy/core/error.h"
#include "hardy/core/rng.h"

namespace hardy::sparkxd {

double t_quantile_975(int df) {
  static const double kT[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                              2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                              2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                              2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
  return df >= 1 && df <= 30 ? kT[df - 1] : 1.96;
}

double MapAccuracy::flips_mean() const {
  double sum = 0;
  for (int64_t f : flips) sum += static_cast<double>(f);
  return flips.empty() ? 0.0 : sum / static_cast<double>(flips.size());
}

void MapAccuracy::summarise() {
  const double n = static_cast<double>(accuracies.size());
  if (accuracies.empty()) return;
  double sum = 0;
  for (double a : accuracies) sum += a;
  mean = sum / n;
  double ss = 0;
  for (double a : accuracies) ss += (a - mean) * (a - mean);
  sd = n > 1 ? std::sqrt(ss / (n - 1)) : 0;
  const double half = n > 1 ? t_quantile_975(static_cast<int>(n) - 1) * sd / std::sqrt(n) : 0;
  ci_low = std::max(0.0, mean - half);
  ci_high = std::min(1.0, mean + half);
}

nlohmann::json MapAccuracy::to_json() const {
  return {{"accuracies", accuracies},
          {"flips", flips},
          {"accuracy_mean", mean},
          {"accuracy_sd", sd},
          {"accuracy_ci95", {ci_low, ci_high}}};
}

MapAccuracy MapAccuracy::from_json(const nlohmann::json& j, const std::string& source) {
  MapAccuracy m;
  try {
    m.accuracies = j.at("accuracies").get<std::vector<double>>();
    m.flips = j.at("flips").get<std::vector<int64_t>>();
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(source, "error-map accuracies", "accuracies and flips", e.what());
  }
  if (m.accuracies.size() != m.flips.size() || m.accuracies.empty()) {
    throw FormatError(
        source, "error-map accuracies", "as many flips as accuracies (≥ 1)",
        std::to_string(m.accuracies.size()) + " and " + std::to_string(m.flips.size()));
  }
  m.summarise();
  return m;
}

uint64_t error_map_seed(uint64_t seed, std::string_view stream, int64_t i) {
  return RngStream(seed, stream_tag(stream), static_cast<uint64_t>(i)).next_u64();
}

MapAccuracy measure_error_maps(WeightedModel& model, const dram::WeakRegionMap& regions,
                               const dram::Placement& placement,
                               const dram::ErrorModelOptions& errors, int maps, uint64_t seed,
                               std::string_view stream, double clean_accuracy, ThreadPool& pool,
                               const std::function<void(int, double)>& on_map) {
  if (maps < 1 || maps > 10000) {
    throw ConfigError("error maps: " + std::to_string(maps) + " is outside 1..10000");
  }
  MapAccuracy out;
  for (int i = 0; i < maps; ++i) {
    model.restore();
    const dram::ErrorInjector injector(regions, errors, error_map_seed(seed, stream, i));
    const dram::InjectionResult inj = injector.inject(model.segments(), placement, pool);
    out.flips.push_back(inj.flips);
    out.accuracies.push_back(inj.flips == 0 ? clean_accuracy : model.accuracy(pool));
    if (on_map) on_map(i, out.accuracies.back());
  }
  model.restore();
  out.summarise();
  return out;
}

}  // namespace hardy::sparkxd
