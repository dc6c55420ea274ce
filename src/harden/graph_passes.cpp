// harden_graph: the hardened float graph in standard operators (Slice, Min, Max, Add, Concat) for
// ONNX export.
#include "hardy/core/error.h"
#include "hardy/harden/passes.h"

namespace hardy::harden {
namespace {

using qnn::Node;
using qnn::OpKind;

bool protectable_float(const Node& n) {
  return n.op == OpKind::kDense || (n.op == OpKind::kConv && n.window.groups == 1);
}

class GraphHardener {
 public:
  GraphHardener(const qnn::Graph& g, Scheme scheme, Placement placement)
      : in_(g), scheme_(scheme), after_pool_(corrects_after_pool(scheme, placement)) {
    out_.source = g.source;
    out_.values = g.values;
    out_.input = g.input;
    out_.output = g.output;
    out_.output_activation = g.output_activation;
  }

  qnn::Graph run(const Selection& selection) {
    HARDY_CHECK(selection.channels.empty() || selection.channels.size() == in_.nodes.size());
    pending_.assign(in_.nodes.size(), {});
    for (size_t i = 0; i < in_.nodes.size(); ++i) {
      const Node& n = in_.nodes[i];
      if (pending_[i].wide >= 0) {  // the pool on every copy, then the correction
        Widened w = pending_[i];
        Node pool = n;
        pool.inputs = {w.wide};
        Shape s = out_.values[static_cast<size_t>(n.output)].shape;
        s.dims[0] = out_.values[static_cast<size_t>(w.wide)].shape.dims[0];
        pool.output = add_value(out_.values[static_cast<size_t>(n.output)].name + ".copies", s);
        w.wide = pool.output;
        out_.nodes.push_back(std::move(pool));
        correct(w, n.output, n.name, n);
      } else if (selection.channels.empty() || selection.channels[i].empty()) {
        out_.nodes.push_back(n);
      } else {
        const Widened w = widen(n, selection.channels[i]);
        const int pool = after_pool_ ? sole_pool_reader(static_cast<int>(i)) : -1;
        if (pool >= 0) {
          pending_[static_cast<size_t>(pool)] = w;
        } else {
          correct(w, n.output, n.name, n);
        }
      }
    }
    qnn::remove_dead_values(out_);
    return std::move(out_);
  }

 private:
  int add_value(const std::string& name, const Shape& shape) {
    out_.values.push_back({name, shape});
    return static_cast<int>(out_.values.size() - 1);
  }

  // A node of `op` over `inputs` writing a new value shaped like the first input.
  int emit(OpKind op, const std::string& name, std::vector<int> inputs) {
    Node n;
    n.op = op;
    n.name = name;
    n.inputs = std::move(inputs);
    n.output = add_value(name, out_.values[static_cast<size_t>(n.inputs[0])].shape);
    out_.nodes.push_back(std::move(n));
    return out_.nodes.back().output;
  }

  int slice(int wide, int64_t begin, int64_t end, const std::string& prefix) {
    Node n;
    n.op = OpKind::kSlice;
    n.name = prefix + ".slice" + std::to_string(begin) + "_" + std::to_string(end);
    n.inputs = {wide};
    n.slice_start = begin;
    n.slice_end = end;
    Shape s = out_.values[static_cast<size_t>(wide)].shape;
    s.dims[0] = end - begin;
    n.output = add_value(n.name, s);
    out_.nodes.push_back(std::move(n));
    return out_.nodes.back().output;
  }

  // A protectable node with its selected channels appended: the widened value and, per original
  // channel, its copies' channels in it.
  struct Widened {
    int wide = -1;
    int64_t channels = 0;
    std::vector<std::vector<int64_t>> copy_of;
  };

  // The node that alone reads node `node`'s output if it is a MaxPool / AveragePool, or −1.
  int sole_pool_reader(int node) const {
    const int v = in_.nodes[static_cast<size_t>(node)].output;
    int reader = -1, readers = 0;
    for (size_t j = 0; j < in_.nodes.size(); ++j) {
      for (int in : in_.nodes[j].inputs) {
        if (in == v) {
          reader = static_cast<int>(j);
          ++readers;
        }
      }
    }
    if (readers != 1 || v == in_.output) return -1;
    const Node& r = in_.nodes[static_cast<size_t>(reader)];
    return r.op == OpKind::kMaxPool || r.op == OpKind::kAveragePool ? reader : -1;
  }

  Widened widen(const Node& original, const std::vector<int64_t>& channels) {
    if (!protectable_float(original)) {
      throw ConfigError("node '" + original.name + "' (" + qnn::op_name(original.op) +
                        ") cannot be hardened: only Dense and ungrouped Conv layers");
    }
    const int copies = extra_copies(scheme_);
    const int64_t oc = original.weight.shape[0];
    const int64_t k = original.weight.size() / oc;
    Node wide = original;
    std::vector<int64_t> dims = wide.weight.shape.dims;
    dims[0] = oc + copies * static_cast<int64_t>(channels.size());
    Tensor<float> w{Shape(dims)};
    std::copy(original.weight.data.begin(), original.weight.data.end(), w.data.begin());
    Widened out;
    out.channels = oc;
    out.copy_of.resize(static_cast<size_t>(oc));
    int64_t at = oc;
    for (int64_t c : channels) {
      if (c < 0 || c >= oc) {
        throw ConfigError("node '" + original.name + "': channel " + std::to_string(c) +
                          " is not below " + std::to_string(oc));
      }
      for (int r = 0; r < copies; ++r, ++at) {
        std::copy(original.weight.data.begin() + c * k, original.weight.data.begin() + (c + 1) * k,
                  w.data.begin() + at * k);
        wide.bias.push_back(original.bias[static_cast<size_t>(c)]);
        out.copy_of[static_cast<size_t>(c)].push_back(at);
      }
      if (scheme_ == Scheme::kSplitHalf) {  // both halves w/2, b/2: exact in binary floating point
        for (int64_t row : {c, at - 1}) {
          for (int64_t e = 0; e < k; ++e) w[row * k + e] = 0.5f * w[row * k + e];
          wide.bias[static_cast<size_t>(row)] = 0.5f * wide.bias[static_cast<size_t>(row)];
        }
      }
    }
    wide.weight = std::move(w);
    Shape ws = out_.values[static_cast<size_t>(original.output)].shape;
    ws.dims[0] = at;
    wide.output = add_value(out_.values[static_cast<size_t>(original.output)].name + ".copies", ws);
    out.wide = wide.output;
    out_.nodes.push_back(std::move(wide));
    return out;
  }

  // Rebuilds value `output` (named after node `name`) from the copies in `w`: per protected
  // channel Min (split), Add + the layer's activation `layer` (split-half) or the median of three
  // (TMR), Concat with the unprotected channels.
  void correct(const Widened& w, int output, const std::string& name, const Node& layer) {
    const int v = w.wide;
    const int64_t oc = w.channels;
    const auto& copy_of = w.copy_of;
    const std::string prefix = name + "." +
                               (scheme_ == Scheme::kTmr         ? "vote"
                                : scheme_ == Scheme::kSplitHalf ? "halfsum"
                                                                : "lcu");
    std::vector<int> pieces;
    int64_t run = 0;  // first channel of the pending run of unprotected channels
    for (int64_t c = 0; c <= oc; ++c) {
      if (c < oc && copy_of[static_cast<size_t>(c)].empty()) continue;
      if (run < c) pieces.push_back(slice(v, run, c, prefix));
      run = c + 1;
      if (c == oc) break;
      const std::string p = prefix + std::to_string(c);
      const int a = slice(v, c, c + 1, prefix);
      const int b = slice(v, copy_of[static_cast<size_t>(c)][0],
                          copy_of[static_cast<size_t>(c)][0] + 1, prefix);
      if (scheme_ == Scheme::kSplit) {
        pieces.push_back(emit(OpKind::kMinimum, p + ".min", {a, b}));
      } else if (scheme_ == Scheme::kSplitHalf) {
        // Each half went through the activation; applying it again to the sum keeps a clamp
        // that saturates (ReLU6): exact for every activation whose lower bound is at most 0.
        pieces.push_back(emit(OpKind::kAdd, p + ".add", {a, b}));
        out_.nodes.back().activation = layer.activation;
        out_.nodes.back().clip_min = layer.clip_min;
        out_.nodes.back().clip_max = layer.clip_max;
      } else {
        const int64_t j = copy_of[static_cast<size_t>(c)][1];
        const int third = slice(v, j, j + 1, prefix);
        const int lo = emit(OpKind::kMinimum, p + ".min_ab", {a, b});
        const int hi = emit(OpKind::kMaximum, p + ".max_ab", {a, b});
        const int mid = emit(OpKind::kMinimum, p + ".min_hi_c", {hi, third});
        pieces.push_back(emit(OpKind::kMaximum, p + ".median", {lo, mid}));
      }
    }
    if (pieces.size() == 1) {  // one protected channel and nothing else: it is the value
      out_.nodes.back().output = output;
      return;
    }
    Node join;
    join.op = OpKind::kConcat;
    join.name = prefix + ".concat";
    join.inputs = pieces;
    join.output = output;
    out_.nodes.push_back(std::move(join));
  }

  const qnn::Graph& in_;
  Scheme scheme_;
  bool after_pool_;
  std::vector<Widened> pending_;  // per pooling node: the widened value it pools (after_pool_)
  qnn::Graph out_;
};

}  // namespace

qnn::Graph harden_graph(const qnn::Graph& graph, const Selection& selection, Scheme scheme,
                        Placement placement) {
  return GraphHardener(graph, scheme, placement).run(selection);
}

}  // namespace hardy::harden
