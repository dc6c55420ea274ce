// Evaluation of the ONNX operators PyTorch's exporter uses to compute shapes and paddings
// (Shape → Gather → Unsqueeze → Concat → Reshape, ConstantOfShape, Slice, Transpose, Cast, …) on
// constant inputs: per-image shapes are static, so these sub-graphs fold to constants at import.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hardy/core/shape.h"

namespace hardy::qnn::detail {

/// A constant tensor. Integer tensors (int64, int32, bool) hold exact integers as doubles (shape
/// arithmetic never approaches 2^53); `integer` selects integer division and Cast truncation.
struct Constant {
  Shape shape;
  std::vector<double> data;
  bool integer = false;
};

/// Attributes of the node being folded (ints, one int, one float, one tensor).
struct ConstantAttributes {
  std::vector<int64_t> ints(const std::string& name) const;
  std::optional<int64_t> int_value(const std::string& name) const;
  std::vector<std::pair<std::string, std::vector<int64_t>>> int_lists;
  std::vector<std::pair<std::string, int64_t>> int_values;
  std::optional<Constant> tensor_value;  ///< ConstantOfShape 'value'
  int64_t cast_to = 1;                   ///< Cast 'to' (an onnx::TensorProto data type)
};

/// Whether `op` is one of the operators fold_constant_op evaluates.
bool is_foldable_op(const std::string& op);

/// Evaluates `op` on constant inputs (absent optional inputs are nullopt). Throws
/// std::invalid_argument with a sentence naming what is wrong (the importer adds file and node).
Constant fold_constant_op(const std::string& op, const std::vector<std::optional<Constant>>& inputs,
                          const ConstantAttributes& attributes);

/// A double element of a shape-like tensor as an index, clamped to ±2^62 (the exporter writes
/// INT64_MAX / INT64_MIN + 1 for "to the end").
int64_t to_index(double v);

}  // namespace hardy::qnn::detail
