// measure_resilience: a campaign on the hardened model, its rate, interval and per-inference rate.
#include "hardy/harden/resilience.h"

#include <chrono>

#include "hardy/core/error.h"
#include "hardy/fault/statistics.h"
#include "hardy/harden/hardened_sites.h"

namespace hardy::harden {

nlohmann::json Resilience::to_json() const {
  return {
      {"faults", counts.total()},
      {"masked", counts.masked},
      {"sdc_benign", counts.sdc_benign},
      {"sdc_critical", counts.sdc_critical},
      {"critical_sdc_rate", critical_sdc_rate},
      {"ci95", {ci95_low, ci95_high}},
      {"site_bits", site_bits},
      {"critical_per_inference", critical_per_inference},
      {"critical_per_inference_ci95", {critical_per_inference_low, critical_per_inference_high}},
      {"seconds", seconds}};
}

Resilience measure_resilience(const qnn::QModel& model, const data::Dataset& test,
                              const ResilienceOptions& options, ThreadPool& pool,
                              const std::function<void(int64_t, int64_t)>& observer) {
  HARDY_CHECK(options.campaign.filter.layers.empty());
  if (!(options.bit_fault_rate >= 0 && options.bit_fault_rate <= 1)) {
    throw ConfigError("bit fault rate " + std::to_string(options.bit_fault_rate) +
                      " is outside [0, 1]");
  }
  fault::CampaignOptions o = options.campaign;
  o.filter.layers = hardened_site_filter(model, o.target, options.correction_faultable).layers;
  o.validate();
  const auto start = std::chrono::steady_clock::now();
  const fault::Campaign campaign(model, test, o, pool);
  fault::CampaignCounts counts = campaign.empty_counts();
  campaign.run(counts, pool, [&](const fault::CampaignCounts&, int64_t done, int64_t total) {
    if (observer) observer(done, total);
  });
  Resilience r;
  r.counts = counts.total;
  r.critical_sdc_rate = counts.total.critical_rate();
  const fault::Interval ci = fault::wilson_interval(counts.total.sdc_critical, counts.total.total(),
                                                    fault::normal_quantile(o.confidence));
  r.ci95_low = ci.low;
  r.ci95_high = ci.high;
  r.site_bits = campaign.sites().bits();
  const double exposure = static_cast<double>(r.site_bits) * options.bit_fault_rate;
  r.critical_per_inference = r.critical_sdc_rate * exposure;
  r.critical_per_inference_low = ci.low * exposure;
  r.critical_per_inference_high = ci.high * exposure;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace hardy::harden
