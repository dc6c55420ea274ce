// The elements of a model's values that differ from golden while one fault (or one bound query)
// propagates: each listed once, by storage value, with the list of values that have any, and each
// value's last reader in the plan (a changed value is dead once its last reader has run).
#pragma once

#include <cstdint>
#include <vector>

#include "hardy/qnn/execution_plan.h"
#include "hardy/qnn/qmodel.h"

namespace hardy::fault {

class ChangedElements {
 public:
  ChangedElements(const qnn::QModel& model, const qnn::ExecutionPlan& plan);

  /// Starts a new fault: the next add() of any element lists it again. Returns the fault's epoch
  /// (for callers that mark their own per-fault state).
  uint64_t begin() {
    listed_ = 0;
    return ++epoch_;
  }
  uint64_t epoch() const { return epoch_; }

  /// Lists element `element` of storage value `value` (once per fault).
  void add(int value, int64_t element) {
    const auto v = static_cast<size_t>(value);
    if (changes_[v].empty()) dirty_.push_back(value);
    uint64_t& mark = marked_[v][static_cast<size_t>(element)];
    if (mark != epoch_) {
      mark = epoch_;
      changes_[v].push_back(static_cast<int32_t>(element));
      ++listed_;
    }
  }
  /// The listed elements of storage value `value`.
  const std::vector<int32_t>& of(int value) const { return changes_[static_cast<size_t>(value)]; }
  /// Storage values with listed elements, in the order they got their first.
  const std::vector<int>& values() const { return dirty_; }
  /// Elements listed since begin(), also after clear(): what the fault's propagation touched (a
  /// deterministic measure of its cost).
  int64_t listed() const { return listed_; }
  /// The last node reading storage value `value`, or −1 (the output).
  int last_reader(int value) const { return last_reader_[static_cast<size_t>(value)]; }

  /// Calls restore(value, element) for every listed element, then forgets them all.
  template <class F>
  void clear(F&& restore) {
    for (int v : dirty_) {
      for (int32_t e : changes_[static_cast<size_t>(v)]) restore(v, e);
      changes_[static_cast<size_t>(v)].clear();
    }
    dirty_.clear();
  }

 private:
  uint64_t epoch_ = 0;
  int64_t listed_ = 0;
  std::vector<std::vector<int32_t>> changes_;  // per storage value
  std::vector<std::vector<uint64_t>> marked_;  // per storage value and element: epoch listed
  std::vector<int> dirty_;
  std::vector<int> last_reader_;
};

}  // namespace hardy::fault
