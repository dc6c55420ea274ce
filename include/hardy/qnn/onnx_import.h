// ONNX → Graph: reads a float model, checks it with the ONNX checker, folds BatchNormalization and
// constant bias Adds, fuses Relu/Clip into their producers.
#pragma once

#include <string>

#include "hardy/qnn/graph.h"

namespace hardy::qnn {

/// Imports the ONNX model at path. The graph input is the single non-initializer input of shape
/// (N, C, H, W) or (N, F); N may be symbolic. Throws FileError (missing file), FormatError
/// (unparseable, rejected by the ONNX checker, inconsistent shapes) or UnsupportedError (an
/// operator or attribute hardy does not implement), each naming the file and the node.
Graph import_onnx(const std::string& path);

/// As import_onnx, from serialized bytes; `name` is used in messages.
Graph import_onnx_bytes(const std::string& bytes, const std::string& name);

/// Clamps fused into a producer, and standalone Relu/Clip nodes folded into the producer where
/// it has no other consumer (applied by import_onnx; exposed for graphs built in code).
void fuse_activations(Graph& graph);

}  // namespace hardy::qnn
