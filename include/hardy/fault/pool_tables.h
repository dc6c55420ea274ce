// The geometry of a pooling node, precomputed for following changes element by element (fault
// propagation, interval bounds): which outputs an input element reaches, and each output's window.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

#include "hardy/core/shape.h"
#include "hardy/qnn/qmodel.h"

namespace hardy::fault {

/// A rectangle of a channel's map: first + row · map width + column, row < rows, column < cols.
struct PoolRect {
  int32_t first = 0;
  uint16_t rows = 0, cols = 0;
};

/// Per input element the outputs whose windows hold it (a rectangle of the output), per output its
/// window clipped to the input (a rectangle of the input).
struct PoolTables {
  std::vector<PoolRect> reach, window;
};

/// The tables of a MaxPool/AveragePool node with input shape `is` and output shape `os` (C, H, W).
PoolTables pool_tables(const qnn::QNode& n, const Shape& is, const Shape& os);

/// The node's output for one window of raw input bytes (`window` in a map `in_width` wide): the
/// maximum, or the mean rounded half up with padded cells counted as `pad_value` when the node
/// includes padding (the reference kernels' rules).
uint8_t pooled_window(const qnn::QNode& n, PoolRect window, const uint8_t* in, int64_t in_width,
                      int32_t pad_value);

/// The average pool's rounding (half up) of a window's sum over `count` cells.
inline uint8_t rounded_mean(int32_t sum, int32_t count) {
  // sum ≥ 0 (bytes, zero points): a power-of-two count is a shift, not a division.
  if ((count & (count - 1)) == 0)
    return static_cast<uint8_t>((sum + count / 2) >>
                                std::countr_zero(static_cast<uint32_t>(count)));
  return static_cast<uint8_t>((sum + count / 2) / count);
}

/// pooled_window as a function of one cell of a window, the other cells fixed: the rest of the
/// window is reduced once, each call is then O(1). Same rules as pooled_window.
class OneCellPool {
 public:
  /// `cell` is the varying cell's offset in `in` from window.first (row · in_width + column).
  OneCellPool(const qnn::QNode& n, PoolRect window, const uint8_t* in, int64_t in_width,
              int32_t pad_value, int64_t cell);
  uint8_t operator()(uint8_t v) const {
    return max_ ? static_cast<uint8_t>(std::max(rest_, static_cast<int32_t>(v)))
                : rounded_mean(rest_ + v, count_);
  }

 private:
  bool max_ = false;
  int32_t rest_ = 0;   // the other cells' maximum, or their sum with the padding
  int32_t count_ = 1;  // cells averaged
};

}  // namespace hardy::fault
