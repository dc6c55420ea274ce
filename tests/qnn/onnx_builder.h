// Test helper: builds small ONNX ModelProtos in code.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

namespace hardy::qnn::testing {

class OnnxBuilder {
 public:
  /// Graph input "input" of shape (N, dims...), float.
  explicit OnnxBuilder(std::vector<int64_t> input_dims);
  void initializer(const std::string& name, std::vector<int64_t> dims, std::vector<float> values);
  /// An int64 initializer (shapes, pads, axes), as the exporter writes them.
  void int64_initializer(const std::string& name, std::vector<int64_t> dims,
                         std::vector<int64_t> values);
  void set_opset(int64_t version);
  onnx::NodeProto& node(const std::string& op, std::vector<std::string> inputs,
                        std::vector<std::string> outputs);
  static void int_attr(onnx::NodeProto& n, const std::string& name, int64_t v);
  static void ints_attr(onnx::NodeProto& n, const std::string& name, std::vector<int64_t> v);
  static void float_attr(onnx::NodeProto& n, const std::string& name, float v);
  /// Serialized model whose single output is `output`.
  std::string serialize(const std::string& output);

 private:
  onnx::ModelProto model_;
};

}  // namespace hardy::qnn::testing
