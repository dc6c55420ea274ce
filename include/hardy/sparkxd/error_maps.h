// Accuracy of a model over several seeded DRAM error maps: the measurement the voltage sweep, the
// tolerance analysis and the end-to-end check of the SparkXD pipeline share.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "hardy/core/thread_pool.h"
#include "hardy/dram/error_model.h"
#include "hardy/dram/mapping.h"
#include "hardy/dram/weak_regions.h"
#include "hardy/sparkxd/weight_segments.h"

namespace hardy::sparkxd {

/// Accuracies over error maps and their statistics.
struct MapAccuracy {
  std::vector<double> accuracies;  ///< one per error map, in [0, 1]
  std::vector<int64_t> flips;      ///< bits each map flipped
  double mean = 0, sd = 0;
  /// mean ± t(0.975, n−1)·sd/√n over the maps (n ≥ 2; the mean itself for n = 1), clipped to
  /// [0, 1]
  double ci_low = 0, ci_high = 0;

  double flips_mean() const;
  /// Fills mean, sd and the interval from `accuracies`.
  void summarise();
  nlohmann::json to_json() const;
  /// Reads what to_json wrote; throws FormatError naming `source` otherwise.
  static MapAccuracy from_json(const nlohmann::json& j, const std::string& source);
};

/// Two-sided 95% Student t quantile t(0.975, df) (table for df 1…30, 1.96 beyond).
double t_quantile_975(int df);

/// The key of error map i: RngStream(seed, stream, i).next_u64().
uint64_t error_map_seed(uint64_t seed, std::string_view stream, int64_t i);

/// For i = 0…maps−1: restores the clean weights, injects error map i (key error_map_seed(seed,
/// stream, i)) at the placement's region BERs with `errors`, and measures the accuracy. A map that
/// flips no bit leaves the model as it was, so its accuracy is `clean_accuracy` (which must be
/// model.accuracy() of the clean weights) without a run. Restores the clean weights at the end.
/// The placement must be of model.segments(). Deterministic for any pool size; `on_map(i, acc)`
/// after each map.
MapAccuracy measure_error_maps(WeightedModel& model, const dram::WeakRegionMap& regions,
                               const dram::Placement& placement,
                               const dram::ErrorModelOptions& errors, int maps, uint64_t seed,
                               std::string_view stream, double clean_accuracy, ThreadPool& pool,
                               const std::function<void(int, double)>& on_map = {});

}  // namespace hardy::sparkxd
