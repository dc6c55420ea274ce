// The outcome of one faulty inference, and counts of outcomes (DESIGN §3).
#pragma once

#include <cstdint>
#include <span>

namespace hardy::fault {

enum class Outcome : uint8_t {
  kMasked,       ///< output bytes identical to golden
  kSdcBenign,    ///< output changed, top-1 unchanged
  kSdcCritical,  ///< top-1 changed (ties go to the lowest index, as qnn::argmax)
};

/// Integer counts, so sums are exact and independent of order (shards, threads, resume).
struct OutcomeCounts {
  int64_t masked = 0, sdc_benign = 0, sdc_critical = 0;

  void add(Outcome o) {
    if (o == Outcome::kMasked) {
      ++masked;
    } else if (o == Outcome::kSdcBenign) {
      ++sdc_benign;
    } else {
      ++sdc_critical;
    }
  }
  OutcomeCounts& operator+=(const OutcomeCounts& o) {
    masked += o.masked;
    sdc_benign += o.sdc_benign;
    sdc_critical += o.sdc_critical;
    return *this;
  }
  bool operator==(const OutcomeCounts&) const = default;
  int64_t total() const { return masked + sdc_benign + sdc_critical; }
  double critical_rate() const {
    return total() ? static_cast<double>(sdc_critical) / static_cast<double>(total()) : 0.0;
  }
};

/// Compares a faulty output with the golden one whose top-1 is golden_top1.
Outcome classify(std::span<const uint8_t> golden, std::span<const uint8_t> faulty, int golden_top1);

}  // namespace hardy::fault
