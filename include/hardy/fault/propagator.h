// The fast path of fault injection (DESIGN §3): one image's golden values cached, a fault's change
// propagated through its downstream cone only, as a delta through Conv/Dense (Δacc = w·Δx on the
// affected outputs), element by element through every other operator, and stopped as soon as no
// changed value has a reader left (masked). Exact: the faulty output bytes equal a full
// recompute's (reference_faulty_output, tests/fault/propagator_test.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "hardy/fault/changed_elements.h"
#include "hardy/fault/mac_geometry.h"
#include "hardy/fault/outcome.h"
#include "hardy/fault/outcome_memo.h"
#include "hardy/fault/pool_tables.h"
#include "hardy/qnn/int8_executor.h"
#include "hardy/qnn/reference_kernels.h"

namespace hardy::fault {

/// Not thread-safe: one per thread. The executor must outlive it and must not be patched while it
/// is in use (weight faults are applied as deltas, never to the executor).
class FaultPropagator {
 public:
  explicit FaultPropagator(const qnn::Int8Executor& exec);

  /// Runs the golden inference of one image and caches every value.
  void set_image(std::span<const uint8_t> image);
  int golden_top1() const { return golden_top1_; }
  std::span<const uint8_t> golden_output() const { return exec_.output(golden_); }
  /// Golden bytes of value `value`.
  std::span<const uint8_t> golden_value(int value) const { return exec_.value(golden_, value); }
  /// Golden byte of element `element` of value `value`.
  uint8_t golden_byte(int value, int64_t element) const {
    return golden_value(value)[static_cast<size_t>(element)];
  }
  /// Golden accumulator of output `element` of Conv/Dense node `node` (computed on demand; the
  /// whole layer at once once single look-ups have cost as much).
  int32_t golden_accumulator(int node, int64_t element);

  /// The outcome when element `element` of value `value` holds `faulty` instead of golden.
  Outcome inject_neuron(int value, int64_t element, uint8_t faulty);
  /// The outcome when weight `index` (row-major in node.weight) of node `node` is `faulty`.
  Outcome inject_weight(int node, int64_t index, int8_t faulty);
  /// The outcome when the accumulator of output `element` of node `node` is `faulty`.
  Outcome inject_accumulator(int node, int64_t element, int32_t faulty);

  /// With capture on, each inject copies the faulty output bytes (for tests and per-run logs).
  void capture_output(bool on) { capture_ = on; }
  const std::vector<uint8_t>& last_output() const { return last_output_; }

  /// Outcomes of states already propagated on this image are looked up (on by default; off, every
  /// fault is propagated to the end: the tests compare the two).
  void memoize(bool on) { memoize_ = on; }
  /// Elements the last injected fault changed on its way (0 when masked at once): its cost.
  int64_t last_work() const { return changed_.listed(); }
  /// Faults answered from the memo since construction.
  int64_t memo_hits() const { return memo_hits_; }

 private:
  // A Conv/Dense node's propagation state (position-major, like its MacGeometry).
  struct MacLayer {
    explicit MacLayer(MacGeometry g) : geo(std::move(g)) {}
    MacGeometry geo;
    std::vector<int32_t> delta;       // Δacc, position-major; all zero between faults
    std::vector<int32_t> golden_acc;  // position-major, valid when acc_ready
    bool acc_ready = false;
    int64_t acc_rent = 0;  // single look-ups paid for this image
    // With the golden accumulators: the deltas that keep each output's golden byte,
    // [slack_lo, slack_hi] (position-major; 0 is inside unless the channel has no ranges).
    std::vector<int32_t> slack_lo, slack_hi;
    std::vector<uint8_t> flags;        // per output of a span: delta outside the slack
    std::vector<int32_t> touched;      // positions with a nonzero delta somewhere
    std::vector<uint64_t> touched_at;  // per position: epoch when listed
  };

  // Changes of the running fault: a value's element now differs from golden in work_.
  void record_change(int value, int64_t element, uint8_t faulty);
  // Adds w · dx to the delta of every output that input element `element` feeds and lists their
  // positions as touched.
  void scatter_input(MacLayer& m, int64_t element, int32_t dx);
  void touch_position(MacLayer& m, int64_t position);
  // Requantizes the touched outputs (golden acc + delta) and records those that differ.
  // channels_per_position: how many outputs per touched position may have changed (for the
  // rent-or-buy of golden accumulators).
  void settle(MacLayer& m, int64_t channels_per_position);
  // Recomputes the outputs of a non-MAC node fed by changed input elements.
  void recompute_elementwise(int node);
  // The same for a pooling node (a max pool reads a window again only when its maximum fell).
  void recompute_pool(int node);
  // Runs the node's kernel over the whole working output and records what differs from golden
  // (when so many inputs changed that following them one by one would cost more).
  void recompute_dense(int node);
  // Runs the cone of `value` (whose changes are seeded) and classifies the result.
  Outcome propagate(int value);
  Outcome masked_outcome();
  // The key of the state "one changed element still read after node `after`, every other change
  // dead", or 0 when the state is not of that kind (or the output itself changed).
  uint64_t sole_live_change(int after) const;
  // With the state after node `after` in the memo: sets outcome (and the captured output),
  // restores the golden state and returns true. Otherwise lists the state to be remembered.
  bool recall(int after, Outcome& outcome);
  void restore();
  void ensure_golden_accumulators(MacLayer& m, int64_t wanted);
  int32_t golden_acc_pm(MacLayer& m, int64_t position, int64_t channel);

  const qnn::Int8Executor& exec_;
  const qnn::QModel& model_;
  const qnn::ExecutionPlan& plan_;
  qnn::Int8Executor::Workspace golden_, work_;
  std::vector<qnn::NodeIo> golden_io_, work_io_;  // per node
  int golden_top1_ = 0;
  int output_storage_ = 0;

  ChangedElements changed_;               // elements differing from golden in work_ during a fault
  std::vector<int> mac_index_;            // per node: index into macs_ or −1
  std::vector<int64_t> dense_threshold_;  // per node: changed inputs from which to run whole
  std::vector<PoolTables> pool_tables_;   // per pooling node
  std::vector<std::vector<uint64_t>> pooled_channels_;   // per global pool and output: epoch done
  std::vector<std::optional<qnn::AddTerms>> add_terms_;  // per Add node
  std::vector<MacLayer> macs_;
  std::vector<int32_t> scratch_;

  bool capture_ = false;
  std::vector<uint8_t> last_output_;

  bool memoize_ = true;
  OutcomeMemo memo_;
  std::vector<uint64_t> memo_keys_;  // states of the running fault, remembered when it ends
  int64_t memo_hits_ = 0;
};

/// The plain reference: the whole network recomputed with the executor's kernels, the fault
/// applied where it occurs. Returns the faulty output bytes.
struct ReferenceFault {
  enum class Where { kNeuron, kWeight, kAccumulator } where = Where::kNeuron;
  int value = -1;       ///< kNeuron
  int node = -1;        ///< kWeight, kAccumulator
  int64_t element = 0;  ///< element of the value / weight index / output element
  int32_t faulty = 0;   ///< the faulty byte, weight or accumulator
};
/// exec is patched for a weight fault and restored before returning.
std::vector<uint8_t> reference_faulty_output(qnn::Int8Executor& exec,
                                             std::span<const uint8_t> image,
                                             const ReferenceFault& fault);

}  // namespace hardy::fault
