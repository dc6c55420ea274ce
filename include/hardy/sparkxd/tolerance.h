// Tolerance analysis (DESIGN §8): accuracy vs a uniform chip BER over several error maps, and the
// maximum tolerable BER of the SparkXD claim.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hardy/core/thread_pool.h"
#include "hardy/dram/error_model.h"
#include "hardy/dram/memspec.h"
#include "hardy/sparkxd/error_maps.h"
#include "hardy/sparkxd/weight_segments.h"

namespace hardy::sparkxd {

/// "1e-8:1e-2:2" (from:to:points per decade, log-spaced, both ends included) or "1e-6,1e-4".
/// Throws ConfigError naming the text unless there are 1…200 BERs in (0, 0.5], ascending.
std::vector<double> parse_bers(const std::string& text);

/// The stream of the error maps at `ber`: "sparkxd.tolerance.<ber as %.6g>", so adding a BER to
/// the grid leaves the other points' maps unchanged (map i: error_map_seed(seed, stream, i)).
std::string tolerance_stream(double ber);

struct ToleranceOptions {
  std::vector<double> bers;  ///< ascending
  int maps = 3;              ///< error maps per BER (≥ 3 for an interval worth the name)
  uint64_t seed = 1;
  dram::ErrorModelOptions errors;
  nlohmann::json to_json() const;
};

struct TolerancePoint {
  double ber = 0;
  MapAccuracy accuracy;
  nlohmann::json to_json() const;
};

struct ToleranceCurve {
  double clean_accuracy = 0;  ///< no errors, weights as stored
  std::vector<TolerancePoint> points;
  nlohmann::json to_json() const;
  /// Reads what to_json wrote (FormatError naming `source` otherwise).
  static ToleranceCurve from_json(const nlohmann::json& j, const std::string& source);
};

/// Accuracy of `model` with its stored weights in a memory of organisation `org`, placed by the
/// baseline mapping, every bit at the same BER (no spatial variation), for each BER of the grid
/// over options.maps error maps. Points already in `done` (same BER; e.g. from an interrupted
/// run) are kept, not measured again; `on_point` is called after each new point with the curve
/// so far. Results are identical for any pool size.
ToleranceCurve tolerance_analysis(WeightedModel& model, const dram::Organisation& org,
                                  const ToleranceOptions& options, ThreadPool& pool,
                                  const ToleranceCurve* done = nullptr,
                                  const std::function<void(const ToleranceCurve&)>& on_point = {});

/// BER_max: the highest BER of the curve such that at it and at every lower BER tested (and
/// without errors) the mean accuracy is at least `reference_accuracy` − `margin`. 0 when even
/// the error-free accuracy or the lowest BER falls short.
double max_tolerable_ber(const ToleranceCurve& curve, double reference_accuracy,
                         double margin = 0.01);

}  // namespace hardy::sparkxd
