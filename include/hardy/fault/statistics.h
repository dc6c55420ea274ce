// Statistics of fault-injection campaigns: sample sizes (Leveugle et al., DATE 2009) and 95%
// intervals (Wilson for independent draws, a normal interval of the mean over images otherwise).
#pragma once

#include <cstdint>
#include <span>

namespace hardy::fault {

/// Two-sided normal quantile for a confidence in (0, 1), e.g. 0.95 → 1.95996.
double normal_quantile(double confidence);

/// Leveugle et al.: n = N / (1 + e²(N − 1) / (t² p (1 − p))), rounded up, for a population of N
/// faults, margin e, quantile t and expected proportion p (0.5 is the worst case).
/// N = 0 means an infinite population. Throws ConfigError for e ≤ 0 or p outside (0, 1).
int64_t leveugle_sample_size(double population, double margin, double t, double p = 0.5);

struct Interval {
  double low = 0, high = 0;
};

/// Wilson score interval for k successes in n independent trials (z = normal quantile).
Interval wilson_interval(int64_t k, int64_t n, double z);

/// mean ± z·s/√n of the values (sample standard deviation), clipped to [0, 1]; the interval of
/// a rate measured on images when the faults within one image are not independent draws.
Interval mean_interval(std::span<const double> values, double z);

}  // namespace hardy::fault
