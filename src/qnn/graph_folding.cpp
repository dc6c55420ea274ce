// Folding of the importer's affine and Pad nodes into neighbouring layers.
#include "graph_folding.h"

#include "hardy/core/error.h"

namespace hardy::qnn {
namespace {

bool has_padding(const WindowParams& w) {
  return w.pad_top || w.pad_left || w.pad_bottom || w.pad_right;
}

// The only node reading value v (−1 if none, several, or v is the graph output).
int only_reader(const Graph& g, int v) {
  if (v == g.output) return -1;
  int reader = -1;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (int in : g.nodes[i].inputs) {
      if (in != v) continue;
      if (reader >= 0 && reader != static_cast<int>(i)) return -1;
      reader = static_cast<int>(i);
    }
  }
  return reader;
}

int producer(const Graph& g, int v) {
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].output == v) return static_cast<int>(i);
  }
  return -1;
}

void replace_input(Node& n, int from, int to) {
  for (int& v : n.inputs) {
    if (v == from) v = to;
  }
}

// Folds affine node `a` (channels over its output's elements) into Conv/Dense `r`, whose input
// holds the same elements in the same order. False if a channel of r's input spans two affine
// channels.
bool fold_into(const Graph& g, const Node& a, Node& r) {
  const int64_t elements = g.values[static_cast<size_t>(a.output)].shape.elements();
  const int64_t per_affine = elements / a.weight.shape[0];
  const Shape& rin = g.values[static_cast<size_t>(r.inputs[0])].shape;
  const int64_t per_input = r.op == OpKind::kConv ? rin[1] * rin[2] : 1;
  const int64_t inputs = elements / per_input;
  std::vector<float> scale(static_cast<size_t>(inputs)), shift(static_cast<size_t>(inputs));
  for (int64_t i = 0; i < inputs; ++i) {
    const int64_t c = i * per_input / per_affine;
    if (((i + 1) * per_input - 1) / per_affine != c) return false;
    scale[static_cast<size_t>(i)] = a.weight[c];
    shift[static_cast<size_t>(i)] = a.bias[static_cast<size_t>(c)];
  }
  const int64_t oc = r.weight.shape[0], k = r.weight.size() / oc;
  const int64_t taps = r.op == OpKind::kConv ? r.weight.shape[2] * r.weight.shape[3] : 1;
  const int64_t icg = k / taps, ocg = oc / (r.op == OpKind::kConv ? r.window.groups : 1);
  for (int64_t o = 0; o < oc; ++o) {
    double extra = 0;
    for (int64_t j = 0; j < k; ++j) {
      const auto i = static_cast<size_t>(o / ocg * icg + j / taps);
      float& w = r.weight[o * k + j];
      extra += static_cast<double>(w) * shift[i];
      w *= scale[i];
    }
    r.bias[static_cast<size_t>(o)] += static_cast<float>(extra);
  }
  return true;
}

bool is_non_negative(const Graph& g, int v) {
  const int p = producer(g, v);
  if (p < 0) return false;
  const Node& n = g.nodes[static_cast<size_t>(p)];
  if (n.op == OpKind::kRelu || n.activation == Activation::kRelu) return true;
  return (n.op == OpKind::kClip || n.activation == Activation::kClip) && n.clip_min >= 0.0f;
}

}  // namespace

void fold_affine_nodes(Graph& graph) {
  for (bool changed = true; changed;) {
    changed = false;
    for (Node& a : graph.nodes) {
      if (a.origin != NodeOrigin::kAffine || a.activation != Activation::kNone) continue;
      int first = only_reader(graph, a.output), r = first;
      while (r >= 0 && graph.nodes[static_cast<size_t>(r)].op == OpKind::kFlatten) {
        r = only_reader(graph, graph.nodes[static_cast<size_t>(r)].output);
      }
      if (r < 0) continue;
      Node& target = graph.nodes[static_cast<size_t>(r)];
      const bool foldable = target.op == OpKind::kDense ||
                            (target.op == OpKind::kConv && !has_padding(target.window));
      if (!foldable || &target == &a || !fold_into(graph, a, target)) continue;
      replace_input(graph.nodes[static_cast<size_t>(first)], a.output, a.inputs[0]);
      changed = true;
      break;
    }
  }
}

void fold_pad_nodes(Graph& graph) {
  for (Node& p : graph.nodes) {
    if (p.origin != NodeOrigin::kPad || p.activation != Activation::kNone) continue;
    const int r = only_reader(graph, p.output);
    if (r < 0) continue;
    Node& target = graph.nodes[static_cast<size_t>(r)];
    WindowParams& w = target.window;
    const WindowParams& add = p.window;
    WindowParams sum = w;
    sum.pad_top += add.pad_top;
    sum.pad_left += add.pad_left;
    sum.pad_bottom += add.pad_bottom;
    sum.pad_right += add.pad_right;
    bool fold = false;
    if (target.op == OpKind::kConv && target.origin != NodeOrigin::kPad) {
      fold = true;
    } else if (target.op == OpKind::kAveragePool && !has_padding(w)) {
      sum.count_include_pad = true;
      fold = true;
    } else if (target.op == OpKind::kMaxPool && is_non_negative(graph, p.inputs[0])) {
      fold = sum.pad_top < w.kernel_h && sum.pad_bottom < w.kernel_h && sum.pad_left < w.kernel_w &&
             sum.pad_right < w.kernel_w;
    }
    if (!fold) continue;
    w = sum;
    replace_input(target, p.output, p.inputs[0]);
  }
}

void check_folded(const Graph& graph) {
  for (const Node& n : graph.nodes) {
    if (n.origin == NodeOrigin::kAffine &&
        graph.values[static_cast<size_t>(n.inputs[0])].shape.rank() != 3) {
      throw UnsupportedError(graph.source + ": node '" + n.name +
                             "': a constant Mul/Add/Sub/Div (or BatchNormalization) on a flat "
                             "tensor must feed a Gemm/MatMul (hardy folds it there)");
    }
  }
}

}  // namespace hardy::qnn
