// Resilience of a (hardened) int8 model measured by a statistical fault-injection campaign with
// the unchanged engine (DESIGN §5): the critical-SDC rate per injected fault with its 95% interval,
// and the expected critical failures per inference at a fixed per-bit fault rate, which charges a
// scheme for the bits its copies add.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>

#include "hardy/core/thread_pool.h"
#include "hardy/data/dataset.h"
#include "hardy/fault/campaign.h"
#include "hardy/qnn/qmodel.h"

namespace hardy::harden {

struct ResilienceOptions {
  fault::CampaignOptions campaign;  ///< mode, target, kind, images, offset, margin, seed, ...
  /// Inject into the Correction nodes' outputs too (they are fault-free by default).
  bool correction_faultable = false;
  /// Probability that one stored bit of the target is flipped in one inference.
  double bit_fault_rate = 1e-7;
};

struct Resilience {
  fault::OutcomeCounts counts;
  double critical_sdc_rate = 0;
  double ci95_low = 0, ci95_high = 0;  ///< Wilson interval of the rate (independent draws)
  int64_t site_bits = 0;               ///< bits of the target in one inference
  /// critical_sdc_rate × site_bits × bit_fault_rate (and its interval): the expected critical
  /// failures per inference when every bit fails independently at that rate (first order).
  double critical_per_inference = 0, critical_per_inference_low = 0,
         critical_per_inference_high = 0;
  double seconds = 0;

  nlohmann::json to_json() const;
  /// The inverse of to_json (a checkpointed result). FormatError naming `source` on a missing or
  /// mistyped field.
  static Resilience from_json(const nlohmann::json& j, const std::string& source);
};

/// Runs the campaign `options.campaign` on `model` with the hardened site filter (the filter of
/// options.campaign must be empty). `observer` (may be empty) receives (done, total) faults.
Resilience measure_resilience(const qnn::QModel& model, const data::Dataset& test,
                              const ResilienceOptions& options, ThreadPool& pool,
                              const std::function<void(int64_t, int64_t)>& observer = {});

/// A hardened model against the original without faults, on test images [offset, offset + n).
struct FaultFreeComparison {
  int64_t images = 0;
  int64_t identical = 0;  ///< images whose output bytes are identical
  int64_t same_top1 = 0;  ///< images with the same top-1 class
  int64_t correct = 0;    ///< images the hardened model classifies correctly
  int64_t correct_original = 0;

  nlohmann::json to_json() const;
};

/// Runs both models on the images (any thread count gives the same counts). Throws ConfigError
/// when the test set has fewer than offset + n images.
FaultFreeComparison compare_fault_free(const qnn::QModel& original, const qnn::QModel& hardened,
                                       const data::Dataset& test, int64_t offset, int64_t n,
                                       ThreadPool& pool);

}  // namespace hardy::harden
