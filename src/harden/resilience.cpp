// measure_resilience: a campaign on the hardened model, its rate, interval and per-inference rate.
#include "hardy/harden/resilience.h"

#include <atomic>
#include <chrono>

#include "hardy/core/error.h"
#include "hardy/fault/statistics.h"
#include "hardy/harden/hardened_sites.h"
#include "hardy/qnn/int8_executor.h"

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

Resilience Resilience::from_json(const nlohmann::json& j, const std::string& source) {
  try {
    Resilience r;
    r.counts.masked = j.at("masked").get<int64_t>();
    r.counts.sdc_benign = j.at("sdc_benign").get<int64_t>();
    r.counts.sdc_critical = j.at("sdc_critical").get<int64_t>();
    r.critical_sdc_rate = j.at("critical_sdc_rate").get<double>();
    r.ci95_low = j.at("ci95").at(0).get<double>();
    r.ci95_high = j.at("ci95").at(1).get<double>();
    r.site_bits = j.at("site_bits").get<int64_t>();
    r.critical_per_inference = j.at("critical_per_inference").get<double>();
    r.critical_per_inference_low = j.at("critical_per_inference_ci95").at(0).get<double>();
    r.critical_per_inference_high = j.at("critical_per_inference_ci95").at(1).get<double>();
    r.seconds = j.at("seconds").get<double>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(source, "resilience", "the fields of Resilience::to_json", e.what());
  }
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

nlohmann::json FaultFreeComparison::to_json() const {
  const auto share = [&](int64_t k) {
    return images > 0 ? static_cast<double>(k) / static_cast<double>(images) : 0.0;
  };
  return {{"images", images},
          {"identical_outputs", identical},
          {"bit_identical", identical == images},
          {"top1_agreement", share(same_top1)},
          {"accuracy", share(correct)},
          {"accuracy_original", share(correct_original)}};
}

FaultFreeComparison compare_fault_free(const qnn::QModel& original, const qnn::QModel& hardened,
                                       const data::Dataset& test, int64_t offset, int64_t n,
                                       ThreadPool& pool) {
  if (offset < 0 || n < 0 || offset + n > test.size()) {
    throw ConfigError("images " + std::to_string(offset) + ".." + std::to_string(offset + n) +
                      " are outside the test set of " + std::to_string(test.size()));
  }
  const qnn::Int8Executor a(original, qnn::KernelSet::kOptimized);
  const qnn::Int8Executor b(hardened, qnn::KernelSet::kOptimized);
  std::atomic<int64_t> identical = 0, same = 0, correct = 0, correct_original = 0;
  pool.parallel_for(n, [&](int64_t begin, int64_t end, int) {
    auto wa = a.make_workspace();
    auto wb = b.make_workspace();
    for (int64_t i = begin; i < end; ++i) {
      a.run(test.image(offset + i), wa);
      b.run(test.image(offset + i), wb);
      const auto ya = a.output(wa), yb = b.output(wb);
      const auto n_out = static_cast<int64_t>(ya.size());
      const int ta = qnn::argmax(ya.data(), n_out), tb = qnn::argmax(yb.data(), n_out);
      identical += std::equal(ya.begin(), ya.end(), yb.begin(), yb.end());
      same += ta == tb;
      correct += tb == test.labels[static_cast<size_t>(offset + i)];
      correct_original += ta == test.labels[static_cast<size_t>(offset + i)];
    }
  });
  FaultFreeComparison c;
  c.images = n;
  c.identical = identical;
  c.same_top1 = same;
  c.correct = correct;
  c.correct_original = correct_original;
  return c;
}

}  // namespace hardy::harden
