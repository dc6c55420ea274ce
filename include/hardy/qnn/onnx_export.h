// Graph → ONNX: writes a float graph as a standard ONNX model (opset 13) that import_onnx reads
// back to the same graph and any ONNX runtime runs.
#pragma once

#include <string>

#include "hardy/qnn/graph.h"

namespace hardy::qnn {

/// The serialized ModelProto of `graph`: input "input" (N, per-image dims), output "logits" (the
/// graph's output; an output Softmax is not written, as hardy computes logits). Conv → Conv (+
/// Relu / Clip for a fused activation), Dense → Gemm (transB = 1; a Flatten before it when its
/// input is not flat), pools, Flatten (to rank 1) or Reshape, Add, Concat (axis 1), Minimum →
/// Min, Maximum → Max, Slice → Slice along axis 1. Throws UnsupportedError for a Correction node
/// (int8 only).
std::string export_onnx_bytes(const Graph& graph);

/// Writes export_onnx_bytes to `path`; FileError if it cannot.
void export_onnx(const Graph& graph, const std::string& path);

}  // namespace hardy::qnn
