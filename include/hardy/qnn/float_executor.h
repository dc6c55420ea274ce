// Float32 reference execution of a Graph, one image at a time (the fp32 baseline and calibrator).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "hardy/qnn/graph.h"

namespace hardy::qnn {

/// Every value of the graph for one input (indexed like graph.values; unused values are empty).
/// input holds graph.values[graph.input].shape.elements() floats. Accumulates in float in the
/// order (input channel, kernel row, kernel column). Thread-safe (no shared state).
std::vector<std::vector<float>> run_float_all(const Graph& graph, std::span<const float> input);

/// The graph output for one input.
std::vector<float> run_float(const Graph& graph, std::span<const float> input);

/// Image bytes → model input: pixel / 255 (the zoo's input convention, models/README.md).
std::vector<float> image_to_float(std::span<const uint8_t> image);

}  // namespace hardy::qnn
