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
#include "hardy/qnn/interval_dense.h"
#include "hardy/qnn/reference_kernels.h"

namespace hardy::analysis {

/// Not thread-safe: one per thread. The executor must outlive it.
class IntervalBounds {
 public:
  /// `margins`: where the logits come from Dense layers, also bound each margin between the
  /// golden class and another one directly (tighter than the logits' intervals; off only to
  /// compare).
  explicit IntervalBounds(const qnn::Int8Executor& exec, bool margins = true);

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
    std::vector<int32_t> flagged;             // the channels flagged at a position
    // Every multiplier non-negative without a left shift: a position's channels are requantized
    // lanes at a time (multipliers and right shifts per channel, bytes per channel).
    bool vector_requant = false;
    std::vector<int32_t> mult, rshift;
    std::vector<uint8_t> bytes_lo, bytes_hi;
    std::vector<int32_t> touched;  // positions with listed bounds
    std::vector<uint64_t> touched_at;
  };

  void widen(int value, int64_t element, uint8_t lo, uint8_t hi);
  void propagate_mac(int node);
  // A Dense node several of whose inputs changed: every output bounded at once from the changed
  // inputs' groups (qnn::IntervalDense), the outputs that left their golden byte listed.
  void propagate_dense(int node, qnn::IntervalDense& dense);
  // Widens the outputs at position p, channels [first, first + count), whose accumulator deltas
  // dlo/dhi[0 .. count) leave their golden byte's range, to the requantized ends.
  void widen_outside(const qnn::QNode& n, MacBounds& m, int64_t p, int64_t first, int64_t count,
                     const int32_t* dlo, const int32_t* dhi);
  void propagate_elementwise(int node);
  void restore();
  // With the logits' intervals undecided: whether bounding each margin u_c − u_j directly (the
  // last layer's weights combined per pair of classes, so their shared inputs cancel) keeps the
  // golden top-1 against every class the intervals alone did not.
  bool margins_keep_top1(const uint8_t* olo, const uint8_t* ohi, bool through_hidden);
  // The margins bounded one layer further back: through the hidden Dense layer before the logits,
  // linear (up to its rounding) where its units stay unclamped; raises margin_ where tighter.
  void hidden_margins(int64_t classes);
  // Per image: the margin coefficients and golden margins, and the hidden layer's linear part.
  void prepare_margins();
  // delta_lo_/delta_hi_[0 .. n): the bounds of value `value`'s elements less their golden bytes.
  void input_deltas(int value, int64_t n);

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
  std::vector<std::optional<qnn::IntervalDense>> dense_;  // per node, where it applies
  std::vector<fault::PoolTables> pool_tables_;
  std::vector<std::optional<qnn::AddTerms>> add_terms_;  // per Add node
  std::vector<std::vector<uint64_t>>
      pool_done_;                        // per (global) pool node and output: epoch bounded
  std::vector<int32_t> pooled_;          // a pool's outputs to bound in a pass
  int margin_node_ = -1;                 // the logits' Dense node, if its margins can be bounded
  std::vector<double> margin_scale_;     // per class: its real requantization multiplier
  std::vector<double> margin_rounding_;  // per class: how far its rounding can move it
  double margin_abs_bound_ = 0;          // bounds |Σ coefficient · delta| of any margin
  std::vector<uint8_t> beaten_;          // per class: kept below the top-1 by the intervals alone
  std::vector<double> margin_;           // per class: lower bound of the margin's change
  // Per image: per (class, logits input) the margin's coefficient, per class its golden value
  // less roundings and slack.
  std::vector<double> margin_coef_, margin_base_;
  int hidden_node_ = -1;                 // the Dense node before the logits', if plain too
  std::vector<double> hidden_scale_;     // per hidden unit: its real multiplier
  std::vector<double> hidden_rounding_;  // per hidden unit: how far its rounding can move it
  // Per image: hidden units unclamped at golden, their rounding offsets u − byte, per class the
  // linear units' constant part, and per (class, hidden input) the margin's coefficient through
  // the linear units.
  std::vector<uint8_t> hidden_linear_;
  std::vector<double> hidden_rho_, hidden_const_, through_hidden_;
  std::vector<int32_t> box_units_, exceptions_;
  std::vector<double> delta_lo_, delta_hi_;  // input_deltas
  std::vector<double> coef_rows_;            // hidden_margins: per class left, its coefficients
  std::vector<double> hidden_weights_;       // the hidden node's weights as doubles
};

}  // namespace hardy::analysis
