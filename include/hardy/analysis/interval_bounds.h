// Sound bounds on a perturbation's effect (DESIGN §4): one neuron holds any byte of an interval
// [lo, hi]; every value of its downstream cone gets an interval that contains every byte it can
// take, propagated with the engine's exact integer rules (interval bound propagation). Conv/Dense
// take the interval of the sum w·Δx per output (weights split by sign), requantization and every
// other operator are monotone non-decreasing, so an output's interval is the rule applied to the
// inputs' bounds. When the logits' intervals keep the golden top-1 ahead of every other class (ties
// to the lowest index, as qnn::argmax), no byte of [lo, hi] is critical: proven, not simulated.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "hardy/fault/changed_elements.h"
#include "hardy/fault/mac_geometry.h"
#include "hardy/fault/pool_tables.h"
#include "hardy/qnn/int8_executor.h"
#include "hardy/qnn/reference_kernels.h"

namespace hardy::analysis {

/// Not thread-safe: one per thread. The executor must outlive it.
class IntervalBounds {
 public:
  explicit IntervalBounds(const qnn::Int8Executor& exec);

  /// Runs the golden inference of one image and computes its accumulators.
  void set_image(std::span<const uint8_t> image);
  int golden_top1() const { return golden_top1_; }
  uint8_t golden_byte(int value, int64_t element) const;

  enum class Verdict {
    kUnknown,  ///< the bounds decide nothing: some bytes may be critical, some not
    kKept,     ///< every byte of the range keeps the golden top-1
    kChanged,  ///< every byte of the range changes the top-1 (all critical)
  };
  /// What element `element` of value `value` holding any byte of [lo, hi] does to the top-1.
  Verdict bound(int value, int64_t element, uint8_t lo, uint8_t hi);
  /// Elements whose interval the last bound() widened: its cost.
  int64_t last_work() const { return changed_.listed(); }

 private:
  // A Conv/Dense node's bounds of Σ w·Δx, position-major like its MacGeometry.
  struct MacBounds {
    explicit MacBounds(fault::MacGeometry g) : geo(std::move(g)) {}
    fault::MacGeometry geo;
    std::vector<int32_t> golden_acc;          // per image
    std::vector<int32_t> slack_lo, slack_hi;  // per image: deltas that keep the golden byte
    std::vector<int32_t> dlo, dhi;            // zero between queries
    std::vector<uint8_t> flags_lo, flags_hi;  // per channel of a position: outside the slack
    std::vector<int32_t> touched;             // positions with listed bounds
    std::vector<uint64_t> touched_at;
  };

  void widen(int value, int64_t element, uint8_t lo, uint8_t hi);
  void propagate_mac(int node);
  void propagate_elementwise(int node);
  void restore();

  const qnn::Int8Executor& exec_;
  const qnn::QModel& model_;
  const qnn::ExecutionPlan& plan_;
  qnn::Int8Executor::Workspace golden_, lo_, hi_;
  std::vector<qnn::NodeIo> lo_io_, hi_io_;
  int golden_top1_ = 0;
  int output_storage_ = 0;

  fault::ChangedElements changed_;  // elements whose bounds are not the golden byte
  std::vector<int> mac_index_;
  std::vector<MacBounds> macs_;
  std::vector<fault::PoolTables> pool_tables_;
  std::vector<std::optional<qnn::AddTerms>> add_terms_;  // per Add node
  std::vector<std::vector<uint64_t>> pool_done_;         // per pool node and output: epoch bounded
};

}  // namespace hardy::analysis
