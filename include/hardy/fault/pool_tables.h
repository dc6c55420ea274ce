// The geometry of a pooling node, precomputed for following changes element by element (fault
// propagation, interval bounds): which outputs an input element reaches, and each output's window.
#pragma once

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

}  // namespace hardy::fault
