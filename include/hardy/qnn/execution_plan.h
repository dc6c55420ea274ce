// Where each value of a QModel lives in one per-image arena, which nodes run, and what lies
// downstream of every value: what fault injection needs to restore golden values with one copy and
// to recompute only what a fault can change (DESIGN §3).
#pragma once

#include <cstddef>
#include <vector>

#include "hardy/qnn/qmodel.h"

namespace hardy::qnn {

/// Built once per model; immutable afterwards, so one instance serves every thread.
///
/// A Flatten whose clamp is the full [0, 255] is a copy: its output shares its input's bytes
/// (same offset) and the node never runs, so a neuron and its flattened view are one site.
/// Every other value has its own 64-byte-aligned range of the arena.
class ExecutionPlan {
 public:
  /// Validates the model (QModel::validate) and lays out its values. The model must outlive the
  /// plan only for the duration of the constructor.
  explicit ExecutionPlan(const QModel& model);

  size_t arena_bytes() const { return arena_bytes_; }
  /// Byte offset of `value` in the arena.
  size_t offset(int value) const { return offset_[static_cast<size_t>(value)]; }
  /// The value whose bytes `value` shares: itself unless it is a Flatten copy (then its source).
  int storage(int value) const { return storage_[static_cast<size_t>(value)]; }
  /// False for a Flatten copy, which never runs.
  bool runs(int node) const { return runs_[static_cast<size_t>(node)] != 0; }
  /// The nodes that run, in topological order.
  const std::vector<int>& schedule() const { return schedule_; }
  /// The node that computes the bytes of `value` (−1 for the model input).
  int writer(int value) const { return writer_[static_cast<size_t>(storage(value))]; }
  /// The running nodes that read the bytes of `value`, in topological order.
  const std::vector<int>& readers(int value) const {
    return readers_[static_cast<size_t>(storage(value))];
  }
  /// Every running node whose result can depend on the bytes of `value`, in topological order
  /// (the value's writer excluded): the nodes to recompute after `value` changes.
  const std::vector<int>& cone(int value) const {
    return cone_[static_cast<size_t>(storage(value))];
  }
  /// The values that are neurons: outputs of running nodes, in node order (the input and Flatten
  /// copies excluded).
  const std::vector<int>& neuron_values() const { return neuron_values_; }

 private:
  size_t arena_bytes_ = 0;
  std::vector<size_t> offset_;
  std::vector<int> storage_, writer_, schedule_, neuron_values_;
  std::vector<uint8_t> runs_;
  std::vector<std::vector<int>> readers_, cone_;
};

}  // namespace hardy::qnn
