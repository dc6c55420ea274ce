// Outcomes already propagated on the current golden image, keyed by a state that determines the
// rest of the inference: one element of one value holding one byte while every other changed value
// is dead (no reader left). Every fault that reaches the same state ends the same way, so its
// outcome (and, with capture on, its output bytes) is looked up instead of propagated again: the
// faults of a pooling window's inputs and of the pooled neuron itself mostly share a handful of
// such states (DESIGN §3, "batch faults that share a golden image").
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "hardy/fault/outcome.h"

namespace hardy::fault {

class OutcomeMemo {
 public:
  /// Packs a state into a key (value < 2^23, element < 2^32).
  static uint64_t key(int value, int64_t element, uint8_t byte) {
    return (static_cast<uint64_t>(value) + 1) << 40 | static_cast<uint64_t>(element) << 8 | byte;
  }

  /// `capacity_log2`: the table holds 2^capacity_log2 slots and fills at most half of them per
  /// image (later states are simply not remembered).
  explicit OutcomeMemo(int capacity_log2 = 16) : slots_(size_t{1} << capacity_log2) {}

  /// Forgets everything (a new golden image).
  void clear() {
    ++stamp_;
    used_ = 0;
    outputs_.clear();
  }

  /// 16 bytes, four to a cache line.
  struct Entry {
    uint64_t key = 0;
    uint32_t stamp = 0;
    int32_t packed = 0;  ///< outcome in bits 0–1, output index + 1 above (0: no bytes stored)
    Outcome outcome() const { return static_cast<Outcome>(packed & 3); }
    /// Index for output(), −1 if no bytes were stored.
    int32_t output() const { return (packed >> 2) - 1; }
  };
  /// The remembered entry of the state, or nullptr.
  const Entry* find(uint64_t key) const {
    for (size_t i = home(key);; i = (i + 1) & (slots_.size() - 1)) {
      const Entry& e = slots_[i];
      if (e.stamp != stamp_) return nullptr;
      if (e.key == key) return &e;
    }
  }
  /// Remembers a state's outcome (and its output bytes if not empty); a known key is kept.
  void insert(uint64_t key, Outcome outcome, std::span<const uint8_t> output_bytes) {
    if (2 * (used_ + 1) > slots_.size()) return;
    size_t i = home(key);
    for (; slots_[i].stamp == stamp_; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i].key == key) return;
    }
    int32_t stored = 0;
    if (!output_bytes.empty()) {
      outputs_.emplace_back(output_bytes.begin(), output_bytes.end());
      stored = static_cast<int32_t>(outputs_.size());
    }
    slots_[i] = Entry{key, stamp_, stored << 2 | static_cast<int32_t>(outcome)};
    ++used_;
  }
  std::span<const uint8_t> output(int32_t index) const {
    return outputs_[static_cast<size_t>(index)];
  }

 private:
  // The states of one element (its bytes) share a cache line where they can: the element picks
  // the line, the byte's low bits the slot in it.
  size_t home(uint64_t key) const {
    const uint64_t element = key >> 8;
    const auto line = static_cast<size_t>((element * 0x9E3779B97F4A7C15ull) >> 32);
    return (line << 2 | (key & 3)) & (slots_.size() - 1);
  }

  std::vector<Entry> slots_;
  uint32_t stamp_ = 1;
  size_t used_ = 0;
  std::vector<std::vector<uint8_t>> outputs_;
};

}  // namespace hardy::fault
