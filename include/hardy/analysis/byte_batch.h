// Exact outcomes of many faulty bytes of one neuron at once. When every node of a neuron's
// downstream cone is a Conv, Dense, pooling, clamp, Flatten, Add, Concat, Minimum or Maximum node,
// its bytes are followed together, one lane per byte, with the reference kernels' integer
// arithmetic: a Conv/Dense output's lanes get golden accumulator + Σ w·Δx, a pool's the window
// with each lane's bytes, an Add's each lane's two bytes, a Concat's its input's byte mapped
// (one table per input), a Minimum's / Maximum's every input's byte, and at the logits each lane's
// top-1 is compared with golden. One batch replaces up to kMaxLanes simulations and shares their
// per-element bookkeeping (docs/nvf.md).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "hardy/core/isa.h"
#include "hardy/fault/mac_geometry.h"
#include "hardy/fault/pool_tables.h"
#include "hardy/fault/propagator.h"
#include "hardy/qnn/int8_executor.h"
#include "hardy/qnn/reference_kernels.h"

namespace hardy::analysis {

/// Not thread-safe: one per thread, like the FaultPropagator whose golden values it reads.
class ByteBatch {
 public:
  static constexpr int kMaxLanes = 64;
  /// Bytes one call decides: a lane is kept for the golden byte.
  static constexpr int kMaxBytes = kMaxLanes - 1;

  /// `isa` picks the Dense loops (Isa::kAvx512Vnni: vpdpbusd; below: portable loops); the CPU
  /// must support it.
  explicit ByteBatch(const qnn::Int8Executor& exec, Isa isa = detect_isa());

  /// Whether this class follows the cone of value `value` (every node of it one of the operators
  /// above, the model output at its end and read by no node).
  bool follows(int value) const { return !cones_[static_cast<size_t>(value)].empty(); }

  /// Starts an image: golden values are read from `sim` (its image set; it must outlive the
  /// calls until the next set_image).
  void set_image(const fault::FaultPropagator& sim);

  /// Bit i set when element `element` of `value` (follows(value)) holding bytes[i] instead of its
  /// golden byte changes the top-1 class (ties to the lowest index). At most kMaxBytes bytes.
  uint64_t critical(int value, int64_t element, std::span<const uint8_t> bytes);

  /// The last call's cost: about how many 16-lane vector operations it ran (counted, so the
  /// same on every run).
  int64_t last_work() const { return work_; }

 private:
  // The changed elements of one value, each with one byte per lane (element-major).
  struct Lanes {
    std::vector<int32_t> elements;
    std::vector<uint8_t> bytes;  // elements.size() × kMaxLanes
    std::vector<int32_t> slot;   // per element of the value: its index in `elements`, or −1
    uint8_t* add(int32_t element);
    void reset();
  };
  // A Conv/Dense node: its geometry, requantization and, for the current image, golden
  // accumulators and slack (position-major).
  struct Mac {
    explicit Mac(fault::MacGeometry g) : geo(std::move(g)) {}
    fault::MacGeometry geo;
    bool plain = false;                 // every multiplier a plain scaling (vector requantization)
    std::vector<int32_t> mult, rshift;  // per output channel
    // [groups · reduction + 1][out_pitch]: row g · reduction + i holds group g's weights of
    // reduction index i, the last row zero; empty for a Conv's groups of fewer than
    // kGatheredGroup channels
    std::vector<int8_t> weights_t;
    int64_t out_pitch = 0;
    std::vector<int32_t> acc, slack_lo, slack_hi;
    bool ready = false;
  };

  // Groups of at least this many channels sum their changed inputs per output position.
  static constexpr int64_t kGatheredGroup = 8;
  void add_mac(int node);
  Mac& ready_mac(int node);
  // Δacc of the node's outputs per lane into blocks_ (one block of channels × kMaxLanes per
  // listed position), then the outputs that change in some lane requantized into `out`.
  void run_mac(int node, const Lanes& in, Lanes& out);
  void run_pool(int node, const Lanes& in, Lanes& out);
  void run_global_pool(int node, const Lanes& in, Lanes& out);
  void run_clamp(int node, const Lanes& in, Lanes& out);
  // Concat, Minimum, Maximum: their inputs' changes are ins_ (nullptr: golden).
  void run_concat(int node, Lanes& out);
  void run_extremum(int node, Lanes& out);
  void add_concat(int node);
  // An Add: either input may be unchanged (nullptr).
  void run_add(int node, const Lanes* a, const Lanes* b, Lanes& out);
  int32_t* position_block(int64_t position, int64_t channels);
  // A Conv with weights_t: its (changed input, tap) pairs grouped by output position and group,
  // listed_[b] = position · groups + group, block b's pairs in rows_/inputs_[starts_[b],
  // starts_[b + 1]).
  void group_by_position(const Mac& m, const Lanes& in);
  // The outputs of group g at position p (both 0 for a Dense) from the changed inputs
  // rows_/inputs_[first, first + count): each lane's Δacc, and the outputs that change in some
  // lane requantized into `out`.
  void settle_position(const qnn::QNode& n, const Mac& m, int64_t p, int64_t g, int64_t first,
                       int64_t count, Lanes& out);
  // Output `channel` (position-major index pm) requantized in every lane from Δacc d.
  void requantize_lanes(const qnn::QNode& n, const Mac& m, int64_t pm, int64_t channel,
                        const int32_t* d, uint8_t* y) const;

  const qnn::QModel& model_;
  const qnn::ExecutionPlan& plan_;
  Isa isa_;
  const fault::FaultPropagator* sim_ = nullptr;
  std::vector<std::vector<int>> cones_;   // per value: its cone (the plan's), or empty
  std::vector<int> last_reader_;          // per value: the last running node reading it, or −1
  std::vector<Lanes> changes_;            // per storage value
  std::vector<const Lanes*> current_;     // per storage value, in the running call: its changes
  std::vector<int> live_;                 // values with changes still to be read
  std::vector<std::optional<Mac>> macs_;  // per node (Conv/Dense on some cone)
  std::vector<fault::PoolTables> pools_;  // per node (pooling nodes on some cone)
  std::vector<std::optional<qnn::AddTerms>> adds_;  // per node (Add nodes on some cone)
  // A Concat node: input k's byte q becomes bytes[256·k + q] at output element offset[k] + e.
  struct Concat {
    std::vector<uint8_t> bytes;
    std::vector<int64_t> offset;
  };
  std::vector<Concat> concats_;        // per node (Concat nodes on some cone)
  std::vector<const Lanes*> ins_;      // per input of the node being run
  std::vector<int32_t> blocks_;        // Conv Δacc per listed position: [channel][lane], 0
                                       // between calls
  std::vector<int32_t> dense_deltas_;  // Dense Δacc: [output][lane]
  std::vector<int32_t> sums_;          // global pool: per listed channel, its lanes' sums
  std::vector<int32_t> block_of_;      // per position of the node being run: its block
  std::vector<int32_t> moved_;         // channels of a block that change in some lane
  std::vector<uint64_t> mark_;         // per output element or position: epoch when listed
  std::vector<int32_t> listed_;        // positions (or outputs) listed by the node being run
  std::vector<const uint8_t*> rows_;   // changed inputs' lane rows (a Conv's by position)
  std::vector<int32_t> inputs_;        // their rows of weights_t
  struct Tap {
    int32_t block, input, row;  // listed position, lane row in the input's Lanes, weights_t row
  };
  std::vector<Tap> taps_;
  std::vector<int64_t> starts_, fill_;  // per listed position: its first tap in rows_/inputs_
  uint64_t epoch_ = 0;                  // 64 bits: never wraps
  int lanes_ = 0;  // lanes in use: the bytes and at least one golden lane, a multiple of 16
  int64_t work_ = 0;
};

}  // namespace hardy::analysis
