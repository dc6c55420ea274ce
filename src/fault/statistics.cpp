// Sample sizes and intervals.
#include "hardy/fault/statistics.h"

#include <algorithm>
#include <cmath>

#include "hardy/core/error.h"

namespace hardy::fault {

double normal_quantile(double confidence) {
  if (!(confidence > 0 && confidence < 1)) {
    throw ConfigError("confidence must be in (0, 1), got " + std::to_string(confidence));
  }
  // Bisection on the normal CDF Φ(x) = erfc(−x/√2)/2: exact to double precision, no tables.
  const double target = 0.5 + confidence / 2;
  double lo = 0, hi = 40;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < target ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

int64_t leveugle_sample_size(double population, double margin, double t, double p) {
  if (!(margin > 0 && margin < 1)) {
    throw ConfigError("margin must be in (0, 1), got " + std::to_string(margin));
  }
  if (!(p > 0 && p < 1)) throw ConfigError("expected proportion must be in (0, 1)");
  const double infinite = t * t * p * (1 - p) / (margin * margin);
  if (population <= 0) return static_cast<int64_t>(std::ceil(infinite - 1e-9));
  const double n = population / (1 + margin * margin * (population - 1) / (t * t * p * (1 - p)));
  return static_cast<int64_t>(std::ceil(n - 1e-9));
}

Interval wilson_interval(int64_t k, int64_t n, double z) {
  if (n <= 0) return {0, 1};
  const double nn = static_cast<double>(n), ph = static_cast<double>(k) / nn, z2 = z * z;
  const double centre = (ph + z2 / (2 * nn)) / (1 + z2 / nn);
  const double half = z / (1 + z2 / nn) * std::sqrt(ph * (1 - ph) / nn + z2 / (4 * nn * nn));
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

Interval mean_interval(std::span<const double> values, double z) {
  const auto n = static_cast<double>(values.size());
  if (values.empty()) return {0, 1};
  double mean = 0;
  for (double v : values) mean += v;
  mean /= n;
  if (values.size() < 2) return {mean, mean};
  double ss = 0;
  for (double v : values) ss += (v - mean) * (v - mean);
  const double half = z * std::sqrt(ss / (n - 1) / n);
  return {std::max(0.0, mean - half), std::min(1.0, mean + half)};
}

}  // namespace hardy::fault
