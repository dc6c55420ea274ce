// Graph bookkeeping.
#include "hardy/qnn/graph.h"

#include "hardy/core/error.h"

namespace hardy::qnn {

const char* op_name(OpKind op) {
  switch (op) {
    case OpKind::kConv:
      return "Conv";
    case OpKind::kDense:
      return "Dense";
    case OpKind::kRelu:
      return "Relu";
    case OpKind::kClip:
      return "Clip";
    case OpKind::kMaxPool:
      return "MaxPool";
    case OpKind::kAveragePool:
      return "AveragePool";
    case OpKind::kGlobalAveragePool:
      return "GlobalAveragePool";
    case OpKind::kFlatten:
      return "Flatten";
    case OpKind::kAdd:
      return "Add";
  }
  return "?";
}

void check_input_matches(const Graph& graph, int rows, int cols, const std::string& dataset) {
  const Shape& in = graph.values[static_cast<size_t>(graph.input)].shape;
  if (in.elements() != int64_t{rows} * cols || (in.rank() == 3 && in[0] != 1)) {
    throw UnsupportedError(graph.source + ": model input " + in.to_string() +
                           " per image does not fit " + dataset + " images (1×" +
                           std::to_string(rows) + "×" + std::to_string(cols) + ")");
  }
}

int window_output(int in, int pad_a, int pad_b, int kernel, int stride) {
  return (in + pad_a + pad_b - kernel) / stride + 1;
}

int64_t Graph::macs() const {
  int64_t total = 0;
  for (const Node& n : nodes) {
    if (n.op == OpKind::kConv || n.op == OpKind::kDense) {
      const int64_t per_output = n.weight.shape.elements() / n.weight.shape[0];
      total += values[static_cast<size_t>(n.output)].shape.elements() * per_output;
    }
  }
  return total;
}

int64_t Graph::parameters() const {
  int64_t total = 0;
  for (const Node& n : nodes) total += n.weight.size() + static_cast<int64_t>(n.bias.size());
  return total;
}

}  // namespace hardy::qnn
