// Graph bookkeeping.
#include "hardy/qnn/graph.h"

#include <algorithm>
#include <cmath>

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
    case OpKind::kMinimum:
      return "Minimum";
    case OpKind::kMaximum:
      return "Maximum";
    case OpKind::kSlice:
      return "Slice";
    case OpKind::kConcat:
      return "Concat";
    case OpKind::kCorrection:
      return "Correction";
  }
  return "?";
}

OpArity op_arity(OpKind op) {
  switch (op) {
    case OpKind::kAdd:
      return {2, false};
    case OpKind::kMinimum:
    case OpKind::kMaximum:
      return {2, true};
    case OpKind::kConcat:  // one input: a rescaling to the output's quantization (int8 models)
      return {1, true};
    default:
      return {1, false};
  }
}

void check_input_matches(const Graph& graph, int rows, int cols, const std::string& dataset) {
  const Shape& in = graph.values[static_cast<size_t>(graph.input)].shape;
  if (in.elements() != int64_t{rows} * cols || (in.rank() == 3 && in[0] != 1)) {
    throw UnsupportedError(graph.source + ": model input " + in.to_string() +
                           " per image does not fit " + dataset + " images (1×" +
                           std::to_string(rows) + "×" + std::to_string(cols) + ")");
  }
}

void remove_dead_values(Graph& graph) {
  const size_t nv = graph.values.size();
  for (bool removed = true; removed;) {
    std::vector<int> readers(nv, 0);
    for (const Node& n : graph.nodes) {
      for (int v : n.inputs) ++readers[static_cast<size_t>(v)];
    }
    const auto dead = [&](const Node& n) {
      return n.output != graph.output && readers[static_cast<size_t>(n.output)] == 0;
    };
    const auto before = graph.nodes.size();
    graph.nodes.erase(std::remove_if(graph.nodes.begin(), graph.nodes.end(), dead),
                      graph.nodes.end());
    removed = graph.nodes.size() != before;
  }
  std::vector<uint8_t> used(nv, 0);
  used[static_cast<size_t>(graph.input)] = used[static_cast<size_t>(graph.output)] = 1;
  for (const Node& n : graph.nodes) {
    used[static_cast<size_t>(n.output)] = 1;
    for (int v : n.inputs) used[static_cast<size_t>(v)] = 1;
  }
  std::vector<int> renumber(nv, -1);
  std::vector<Value> kept;
  for (size_t v = 0; v < nv; ++v) {
    if (!used[v]) continue;
    renumber[v] = static_cast<int>(kept.size());
    kept.push_back(std::move(graph.values[v]));
  }
  graph.values = std::move(kept);
  const auto at = [&](int v) { return renumber[static_cast<size_t>(v)]; };
  graph.input = at(graph.input);
  graph.output = at(graph.output);
  for (Node& n : graph.nodes) {
    n.output = at(n.output);
    for (int& v : n.inputs) v = at(v);
  }
}

void apply_output_activation(OutputActivation activation, std::span<float> logits) {
  if (activation == OutputActivation::kNone || logits.empty()) return;
  const double max = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float v : logits) sum += std::exp(static_cast<double>(v) - max);
  for (float& v : logits) {
    const double shifted = static_cast<double>(v) - max;
    v = static_cast<float>(activation == OutputActivation::kSoftmax ? std::exp(shifted) / sum
                                                                    : shifted - std::log(sum));
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
