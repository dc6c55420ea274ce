// Sound bounds on a perturbation's effect (DESIGN §4): one neuron holds any byte of an interval
// [lo, hi]; every value of its downstream cone gets an interval that contains every byte it can
// take, propagated with the engine's exact integer rules (interval bound propagation). Conv/Dense
// take the interval of the sum w·Δx per output (weights split by sign), requantization and every
// other operator are monotone non-decreasing, so an output's interval is the rule applied to the
// inputs' bounds. When the logits' intervals keep the golden top-1 ahead of every other class (ties
// to the lowest index, as qnn::argmax), no byte of [lo, hi] is critical: proven, not simulated.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "hardy/fault/pool_tables.h"
#include "hardy/qnn/int8_executor.h"

namespace hardy::analysis {

/// Not thread-safe: one per thread. The executor must outlive it.
class IntervalBounds {
 public:
  explicit IntervalBounds(const qnn::Int8Executor& exec);

  /// Runs the golden inference of one image and computes its accumulators.
  void set_image(std::span<const uint8_t> image);
  int golden_top1() const { return golden_top1_; }
  uint8_t golden_byte(int value, int64_t element) const;

  /// Whether every byte in [lo, hi] at element `element` of value `value` provably keeps the
  /// golden top-1 (false: not proven; some byte may or may not be critical).
  bool keeps_top1(int value, int64_t element, uint8_t lo, uint8_t hi);

 private:
  struct MacBounds {
    std::vector<int32_t> golden_acc;  // output-major, per image
    std::vector<int64_t> dlo, dhi;    // bounds of Σ w·Δx per output; zero between queries
    std::vector<int32_t> touched;     // outputs with a listed bound
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

  uint64_t epoch_ = 0;
  std::vector<std::vector<int32_t>> changes_;  // per storage value: elements whose bounds widened
  std::vector<std::vector<uint64_t>> marked_;
  std::vector<int> dirty_values_;
  std::vector<int> last_reader_;
  std::vector<int> mac_index_;
  std::vector<MacBounds> macs_;
  std::vector<fault::PoolTables> pool_tables_;
};

}  // namespace hardy::analysis
