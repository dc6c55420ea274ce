// ONNX protobuf → hardy::qnn::Graph.
#include "hardy/qnn/onnx_import.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "hardy/core/error.h"

namespace hardy::qnn {
namespace {

constexpr const char* kSupported =
    "Conv, Gemm, MatMul, Add, Relu, Clip, MaxPool, AveragePool, GlobalAveragePool, Flatten, "
    "Reshape, BatchNormalization, Identity, Dropout";

class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string path)
      : model_(model), path_(std::move(path)) {}

  Graph run() {
    const auto& g = model_.graph();
    for (const auto& init : g.initializer()) constants_[init.name()] = to_float_tensor(init);
    graph_.source = path_;
    declare_input(g);
    for (const auto& node : g.node()) import_node(node);
    if (g.output_size() != 1) {
      throw UnsupportedError(path_ + ": model has " + std::to_string(g.output_size()) +
                             " outputs; hardy supports exactly one");
    }
    graph_.output = value_of(g.output(0).name(), "graph output");
    fuse_activations(graph_);
    remove_dead_values(graph_);
    return std::move(graph_);
  }

 private:
  [[noreturn]] void unsupported(const onnx::NodeProto& n, const std::string& what) const {
    throw UnsupportedError(path_ + ": node '" + n.name() + "' (" + n.op_type() + "): " + what);
  }
  [[noreturn]] void bad(const onnx::NodeProto& n, const std::string& expected,
                        const std::string& found) const {
    throw FormatError(path_, "node '" + n.name() + "' (" + n.op_type() + ")", expected, found);
  }

  Tensor<float> to_float_tensor(const onnx::TensorProto& t) const {
    Shape shape;
    int64_t elements = 1;
    for (int64_t d : t.dims()) {
      if (d < 0 || (d > 0 && elements > (int64_t{1} << 40) / d)) {
        throw FormatError(path_, "tensor '" + t.name() + "'", "dimensions in 0..2^40 elements",
                          "dimension " + std::to_string(d));
      }
      elements *= d;
      shape.dims.push_back(d);
    }
    const auto n = static_cast<size_t>(elements);
    if (t.data_location() == onnx::TensorProto::EXTERNAL) {
      throw UnsupportedError(path_ + ": tensor '" + t.name() + "' uses external data");
    }
    const bool is_float = t.data_type() == onnx::TensorProto::FLOAT;
    if (!is_float && t.data_type() != onnx::TensorProto::INT64) {
      throw UnsupportedError(path_ + ": tensor '" + t.name() + "' has data type " +
                             std::to_string(t.data_type()) + "; hardy reads float32 and int64");
    }
    const size_t width = is_float ? 4 : 8;
    const size_t available = t.has_raw_data() ? t.raw_data().size() / width
                                              : static_cast<size_t>(is_float ? t.float_data_size()
                                                                             : t.int64_data_size());
    if (available != n || (t.has_raw_data() && t.raw_data().size() % width != 0)) {
      throw FormatError(path_, "tensor '" + t.name() + "'", std::to_string(n) + " elements",
                        std::to_string(available));
    }
    Tensor<float> out(shape);  // sizes checked: the allocation matches the data present
    for (size_t i = 0; i < n; ++i) {
      if (t.has_raw_data()) {
        if (is_float) {
          std::memcpy(&out.data[i], t.raw_data().data() + 4 * i, 4);
        } else {
          int64_t v;
          std::memcpy(&v, t.raw_data().data() + 8 * i, 8);
          out.data[i] = static_cast<float>(v);
        }
      } else {
        out.data[i] = is_float ? t.float_data(static_cast<int>(i))
                               : static_cast<float>(t.int64_data(static_cast<int>(i)));
      }
    }
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(out.data[i])) {
        throw FormatError(path_, "tensor '" + t.name() + "' element " + std::to_string(i),
                          "a finite value", std::to_string(out.data[i]));
      }
    }
    return out;
  }

  void declare_input(const onnx::GraphProto& g) {
    for (const auto& in : g.input()) {
      if (constants_.count(in.name())) continue;
      if (graph_.input >= 0) {
        throw UnsupportedError(path_ + ": more than one graph input ('" + in.name() + "')");
      }
      const auto& tt = in.type().tensor_type();
      if (tt.elem_type() != onnx::TensorProto::FLOAT) {
        throw UnsupportedError(path_ + ": input '" + in.name() + "' is not float32");
      }
      Shape shape;
      const auto& dims = tt.shape().dim();
      for (int i = 1; i < dims.size(); ++i) {
        if (!dims[i].has_dim_value() || dims[i].dim_value() <= 0) {
          throw FormatError(path_, "input '" + in.name() + "'", "fixed non-batch dimensions",
                            "symbolic dimension " + std::to_string(i));
        }
        shape.dims.push_back(dims[i].dim_value());
        if (shape.elements() > (int64_t{1} << 26)) {
          throw UnsupportedError(path_ + ": input '" + in.name() +
                                 "' has more than 2^26 elements per image");
        }
      }
      if (shape.rank() != 1 && shape.rank() != 3) {
        throw UnsupportedError(path_ + ": input '" + in.name() + "' must be (N,C,H,W) or (N,F)");
      }
      graph_.input = add_value(in.name(), shape);
    }
    if (graph_.input < 0) throw FormatError(path_, "graph", "one non-initializer input", "none");
  }

  int add_value(const std::string& name, Shape shape) {
    graph_.values.push_back({name, std::move(shape)});
    const int idx = static_cast<int>(graph_.values.size()) - 1;
    index_[name] = idx;
    return idx;
  }

  int value_of(const std::string& name, const std::string& user) const {
    if (folded_away_.count(name)) {
      throw UnsupportedError(path_ + ": '" + name +
                             "' is folded into a following "
                             "BatchNormalization/Add but also read by " +
                             user);
    }
    auto it = index_.find(name);
    if (it == index_.end()) {
      throw FormatError(path_, user, "a tensor computed earlier", "unknown input '" + name + "'");
    }
    return it->second;
  }

  const Shape& shape_of(int v) const { return graph_.values[static_cast<size_t>(v)].shape; }

  const Tensor<float>& constant(const onnx::NodeProto& n, int input) const {
    if (input >= n.input_size() || n.input(input).empty())
      bad(n, "input " + std::to_string(input), "none");
    auto it = constants_.find(n.input(input));
    if (it == constants_.end()) unsupported(n, "input '" + n.input(input) + "' must be a constant");
    return it->second;
  }

  static const onnx::AttributeProto* attr(const onnx::NodeProto& n, const std::string& name) {
    for (const auto& a : n.attribute()) {
      if (a.name() == name) return &a;
    }
    return nullptr;
  }
  static int64_t int_attr(const onnx::NodeProto& n, const std::string& name, int64_t def) {
    const auto* a = attr(n, name);
    return a ? a->i() : def;
  }
  static float float_attr(const onnx::NodeProto& n, const std::string& name, float def) {
    const auto* a = attr(n, name);
    return a ? a->f() : def;
  }
  static std::vector<int64_t> ints_attr(const onnx::NodeProto& n, const std::string& name) {
    const auto* a = attr(n, name);
    return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : std::vector<int64_t>{};
  }

  void only_attributes(const onnx::NodeProto& n, const std::set<std::string>& known) const {
    for (const auto& a : n.attribute()) {
      if (!known.count(a.name())) unsupported(n, "attribute '" + a.name() + "'");
    }
  }

  WindowParams window(const onnx::NodeProto& n, const Shape& in, bool conv,
                      const Shape* weight) const {
    WindowParams w;
    const std::string auto_pad = attr(n, "auto_pad") ? attr(n, "auto_pad")->s() : "NOTSET";
    if (auto_pad != "NOTSET") unsupported(n, "auto_pad=" + auto_pad);
    for (int64_t d : ints_attr(n, "dilations")) {
      if (d != 1) unsupported(n, "dilation " + std::to_string(d));
    }
    if (int_attr(n, "ceil_mode", 0) != 0) unsupported(n, "ceil_mode=1");
    auto kernel = ints_attr(n, "kernel_shape");
    if (kernel.empty() && weight) kernel = {(*weight)[2], (*weight)[3]};
    if (kernel.size() != 2) bad(n, "2-D kernel_shape", std::to_string(kernel.size()) + " dims");
    const auto strides = ints_attr(n, "strides");
    const auto pads = ints_attr(n, "pads");
    if (!strides.empty() && strides.size() != 2)
      bad(n, "2 strides", std::to_string(strides.size()));
    if (!pads.empty() && pads.size() != 4) bad(n, "4 pads", std::to_string(pads.size()));
    w.kernel_h = static_cast<int>(kernel[0]);
    w.kernel_w = static_cast<int>(kernel[1]);
    if (!strides.empty()) {
      w.stride_h = static_cast<int>(strides[0]);
      w.stride_w = static_cast<int>(strides[1]);
    }
    if (!pads.empty()) {
      w.pad_top = static_cast<int>(pads[0]);
      w.pad_left = static_cast<int>(pads[1]);
      w.pad_bottom = static_cast<int>(pads[2]);
      w.pad_right = static_cast<int>(pads[3]);
    }
    if (conv) w.groups = static_cast<int>(int_attr(n, "group", 1));
    w.count_include_pad = int_attr(n, "count_include_pad", 0) != 0;
    if (w.kernel_h < 1 || w.kernel_w < 1 || w.stride_h < 1 || w.stride_w < 1 || w.pad_top < 0 ||
        w.pad_left < 0 || w.pad_bottom < 0 || w.pad_right < 0 || w.groups < 1) {
      bad(n, "positive kernel/strides/group and non-negative pads", "other values");
    }
    if (w.pad_top >= w.kernel_h || w.pad_bottom >= w.kernel_h || w.pad_left >= w.kernel_w ||
        w.pad_right >= w.kernel_w) {
      bad(n, "pads smaller than the kernel", "larger pads");
    }
    if (in.rank() != 3) bad(n, "a (C,H,W) input", "shape " + in.to_string());
    if (window_output(static_cast<int>(in[1]), w.pad_top, w.pad_bottom, w.kernel_h, w.stride_h) <
            1 ||
        window_output(static_cast<int>(in[2]), w.pad_left, w.pad_right, w.kernel_w, w.stride_w) <
            1) {
      bad(n, "a window that fits the input " + in.to_string(), "kernel larger than padded input");
    }
    return w;
  }

  Shape window_shape(const WindowParams& w, const Shape& in, int64_t channels) const {
    return Shape{
        channels,
        window_output(static_cast<int>(in[1]), w.pad_top, w.pad_bottom, w.kernel_h, w.stride_h),
        window_output(static_cast<int>(in[2]), w.pad_left, w.pad_right, w.kernel_w, w.stride_w)};
  }

  Node& emit(Node node, const std::string& output_name, Shape shape) {
    node.output = add_value(output_name, std::move(shape));
    graph_.nodes.push_back(std::move(node));
    return graph_.nodes.back();
  }

  Node* producer(int value) {
    for (auto& node : graph_.nodes) {
      if (node.output == value) return &node;
    }
    return nullptr;
  }

  void import_node(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      unsupported(n, "domain '" + n.domain() + "'");
    if (n.output_size() < 1) bad(n, "an output", "none");
    const std::string& out = n.output(0);
    if (op == "Constant") {
      const auto* a = attr(n, "value");
      if (!a || !a->has_t()) unsupported(n, "Constant without a tensor 'value'");
      constants_[out] = to_float_tensor(a->t());
      return;
    }
    if (n.input_size() < 1) bad(n, "at least one input", "none");
    Node node;
    node.name = n.name();
    if (op == "Conv") {
      only_attributes(n, {"kernel_shape", "strides", "pads", "group", "dilations", "auto_pad"});
      const int x = value_of(n.input(0), n.name());
      node.op = OpKind::kConv;
      node.inputs = {x};
      node.weight = constant(n, 1);
      const Shape& ws = node.weight.shape;
      if (ws.rank() != 4) bad(n, "weights of rank 4", ws.to_string());
      node.window = window(n, shape_of(x), true, &ws);
      const Shape& in = shape_of(x);
      if (ws[2] != node.window.kernel_h || ws[3] != node.window.kernel_w ||
          in[0] != ws[1] * node.window.groups || ws[0] % node.window.groups != 0) {
        bad(n,
            "weights (OC, C/groups, KH, KW) matching input " + in.to_string() + " and group " +
                std::to_string(node.window.groups),
            ws.to_string());
      }
      node.bias = n.input_size() > 2 && !n.input(2).empty()
                      ? constant(n, 2).data
                      : std::vector<float>(static_cast<size_t>(ws[0]), 0.0f);
      if (static_cast<int64_t>(node.bias.size()) != ws[0])
        bad(n, std::to_string(ws[0]) + " biases", std::to_string(node.bias.size()));
      Shape os = window_shape(node.window, in, ws[0]);
      emit(std::move(node), out, os);
    } else if (op == "Gemm" || op == "MatMul") {
      const int x = value_of(n.input(0), n.name());
      if (shape_of(x).rank() != 1)
        bad(n, "a flattened (N, F) input", "per-image shape " + shape_of(x).to_string());
      const int64_t k = shape_of(x)[0];
      Tensor<float> b = constant(n, 1);
      bool trans_b = false;
      if (op == "Gemm") {
        only_attributes(n, {"alpha", "beta", "transA", "transB"});
        if (float_attr(n, "alpha", 1.0f) != 1.0f || float_attr(n, "beta", 1.0f) != 1.0f ||
            int_attr(n, "transA", 0) != 0) {
          unsupported(n, "alpha/beta other than 1 or transA");
        }
        trans_b = int_attr(n, "transB", 0) != 0;
      }
      if (b.shape.rank() != 2) bad(n, "2-D weights", b.shape.to_string());
      const int64_t rows = trans_b ? b.shape[1] : b.shape[0];
      const int64_t outs = trans_b ? b.shape[0] : b.shape[1];
      if (rows != k) bad(n, "weights with " + std::to_string(k) + " inputs", b.shape.to_string());
      node.op = OpKind::kDense;
      node.inputs = {x};
      node.weight = Tensor<float>(Shape{outs, k});
      for (int64_t o = 0; o < outs; ++o) {
        for (int64_t i = 0; i < k; ++i) {
          node.weight[o * k + i] = trans_b ? b[o * k + i] : b[i * outs + o];
        }
      }
      node.bias.assign(static_cast<size_t>(outs), 0.0f);
      if (op == "Gemm" && n.input_size() > 2 && !n.input(2).empty()) {
        const Tensor<float>& c = constant(n, 2);
        if (c.size() != outs) bad(n, std::to_string(outs) + " biases", c.shape.to_string());
        node.bias = c.data;
      }
      emit(std::move(node), out, Shape{outs});
    } else if (op == "Add") {
      if (n.input_size() != 2) bad(n, "2 inputs", std::to_string(n.input_size()));
      const bool c0 = constants_.count(n.input(0)) > 0, c1 = constants_.count(n.input(1)) > 0;
      if (c0 && c1) unsupported(n, "Add of two constants");
      if (c0 || c1) {
        fold_bias_add(n, value_of(n.input(c0 ? 1 : 0), n.name()),
                      constants_.at(n.input(c0 ? 0 : 1)));
        return;
      }
      const int a = value_of(n.input(0), n.name()), b = value_of(n.input(1), n.name());
      if (!(shape_of(a) == shape_of(b))) {
        unsupported(n, "broadcasting Add of " + shape_of(a).to_string() + " and " +
                           shape_of(b).to_string());
      }
      node.op = OpKind::kAdd;
      node.inputs = {a, b};
      Shape s = shape_of(a);
      emit(std::move(node), out, s);
    } else if (op == "Relu") {
      only_attributes(n, {});
      const int x = value_of(n.input(0), n.name());
      node.op = OpKind::kRelu;
      node.inputs = {x};
      Shape s = shape_of(x);
      emit(std::move(node), out, s);
    } else if (op == "Clip") {
      only_attributes(n, {"min", "max"});
      const int x = value_of(n.input(0), n.name());
      node.op = OpKind::kClip;
      node.inputs = {x};
      node.clip_min = float_attr(n, "min", -INFINITY);
      node.clip_max = float_attr(n, "max", INFINITY);
      if (n.input_size() > 1 && !n.input(1).empty()) node.clip_min = constant(n, 1)[0];
      if (n.input_size() > 2 && !n.input(2).empty()) node.clip_max = constant(n, 2)[0];
      if (!(node.clip_min <= 0.0f && node.clip_max > 0.0f && std::isfinite(node.clip_max))) {
        unsupported(n, "Clip bounds must satisfy min <= 0 < max < inf");
      }
      Shape s = shape_of(x);
      emit(std::move(node), out, s);
    } else if (op == "MaxPool" || op == "AveragePool") {
      only_attributes(n, {"kernel_shape", "strides", "pads", "dilations", "auto_pad", "ceil_mode",
                          "count_include_pad", "storage_order"});
      if (int_attr(n, "storage_order", 0) != 0) unsupported(n, "storage_order=1");
      if (n.output_size() > 1 && !n.output(1).empty()) unsupported(n, "MaxPool indices output");
      const int x = value_of(n.input(0), n.name());
      node.op = op == "MaxPool" ? OpKind::kMaxPool : OpKind::kAveragePool;
      node.inputs = {x};
      node.window = window(n, shape_of(x), false, nullptr);
      Shape s = window_shape(node.window, shape_of(x), shape_of(x)[0]);
      emit(std::move(node), out, s);
    } else if (op == "GlobalAveragePool") {
      const int x = value_of(n.input(0), n.name());
      if (shape_of(x).rank() != 3) bad(n, "a (C,H,W) input", shape_of(x).to_string());
      node.op = OpKind::kGlobalAveragePool;
      node.inputs = {x};
      emit(std::move(node), out, Shape{shape_of(x)[0], 1, 1});
    } else if (op == "Flatten" || op == "Reshape") {
      const int x = value_of(n.input(0), n.name());
      const int64_t elements = shape_of(x).elements();
      if (op == "Flatten") {
        only_attributes(n, {"axis"});
        if (int_attr(n, "axis", 1) != 1) unsupported(n, "Flatten axis other than 1");
      } else {
        const Tensor<float>& target = constant(n, 1);
        const bool flat = target.size() == 2 &&
                          (target[1] == -1.0f || target[1] == static_cast<float>(elements)) &&
                          (target[0] == -1.0f || target[0] == 0.0f || target[0] >= 1.0f);
        if (!flat) unsupported(n, "Reshape to anything but (N, C*H*W)");
      }
      node.op = OpKind::kFlatten;
      node.inputs = {x};
      emit(std::move(node), out, Shape{elements});
    } else if (op == "BatchNormalization") {
      only_attributes(n, {"epsilon", "momentum", "training_mode", "spatial"});
      if (int_attr(n, "training_mode", 0) != 0) unsupported(n, "training_mode=1");
      if (n.output_size() > 1) {
        for (int i = 1; i < n.output_size(); ++i) {
          if (!n.output(i).empty()) unsupported(n, "running statistics outputs");
        }
      }
      fold_batch_norm(n, value_of(n.input(0), n.name()));
    } else if (op == "Identity" || op == "Dropout") {
      if (auto c = constants_.find(n.input(0)); c != constants_.end()) {
        const Tensor<float> copy = c->second;
        constants_[out] = copy;
      } else {
        index_[out] = value_of(n.input(0), n.name());
      }
    } else {
      throw UnsupportedError(path_ + ": unsupported operator '" + op + "' (node '" + n.name() +
                             "'); hardy supports " + kSupported);
    }
  }

  // Conv → BatchNormalization: w' = w·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β.
  void fold_batch_norm(const onnx::NodeProto& n, int x) {
    Node* conv = producer(x);
    if (!conv || conv->op != OpKind::kConv || conv->activation != Activation::kNone) {
      unsupported(n, "BatchNormalization must directly follow a Conv");
    }
    const int64_t oc = conv->weight.shape[0];
    const Tensor<float>&gamma = constant(n, 1), &beta = constant(n, 2), &mean = constant(n, 3),
          &var = constant(n, 4);
    for (const auto* t : {&gamma, &beta, &mean, &var}) {
      if (t->size() != oc) bad(n, std::to_string(oc) + " channel statistics", t->shape.to_string());
    }
    const float eps = float_attr(n, "epsilon", 1e-5f);
    const int64_t per_channel = conv->weight.size() / oc;
    for (int64_t c = 0; c < oc; ++c) {
      const float factor = gamma[c] / std::sqrt(var[c] + eps);
      for (int64_t i = 0; i < per_channel; ++i) conv->weight[c * per_channel + i] *= factor;
      conv->bias[static_cast<size_t>(c)] =
          (conv->bias[static_cast<size_t>(c)] - mean[c]) * factor + beta[c];
    }
    rename_output(*conv, n.output(0));
  }

  // Conv/Dense → Add(constant): the constant joins the bias.
  void fold_bias_add(const onnx::NodeProto& n, int x, const Tensor<float>& c) {
    Node* p = producer(x);
    if (!p || (p->op != OpKind::kConv && p->op != OpKind::kDense) ||
        p->activation != Activation::kNone) {
      unsupported(n, "Add of a constant must follow a Conv or MatMul/Gemm");
    }
    const auto outs = static_cast<int64_t>(p->bias.size());
    if (c.size() != outs) unsupported(n, "constant Add that is not one value per output channel");
    for (int64_t i = 0; i < outs; ++i) p->bias[static_cast<size_t>(i)] += c[i];
    rename_output(*p, n.output(0));
  }

  void rename_output(Node& node, const std::string& new_name) {
    Value& v = graph_.values[static_cast<size_t>(node.output)];
    folded_away_.insert(v.name);
    index_.erase(v.name);
    v.name = new_name;
    index_[new_name] = node.output;
  }

  const onnx::ModelProto& model_;
  std::string path_;
  Graph graph_;
  std::map<std::string, Tensor<float>> constants_;
  std::map<std::string, int> index_;
  std::set<std::string> folded_away_;
};

}  // namespace

void fuse_activations(Graph& graph) {
  std::vector<int> consumers(graph.values.size(), 0);
  for (const Node& n : graph.nodes) {
    for (int v : n.inputs) ++consumers[static_cast<size_t>(v)];
  }
  std::vector<Node> kept;
  for (Node& n : graph.nodes) {
    const bool activation = n.op == OpKind::kRelu || n.op == OpKind::kClip;
    Node* p = nullptr;
    if (activation) {
      for (Node& k : kept) {
        if (k.output == n.inputs[0]) p = &k;
      }
    }
    if (p && (p->op == OpKind::kConv || p->op == OpKind::kDense || p->op == OpKind::kAdd) &&
        p->activation == Activation::kNone && consumers[static_cast<size_t>(p->output)] == 1 &&
        p->output != graph.output) {
      p->activation = n.op == OpKind::kRelu ? Activation::kRelu : Activation::kClip;
      p->clip_min = n.op == OpKind::kRelu ? 0.0f : n.clip_min;
      p->clip_max = n.op == OpKind::kRelu ? INFINITY : n.clip_max;
      p->output = n.output;
      continue;
    }
    kept.push_back(std::move(n));
  }
  graph.nodes = std::move(kept);
}

Graph import_onnx_bytes(const std::string& bytes, const std::string& name) {
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes)) {
    throw FormatError(name, "protobuf", "an ONNX ModelProto",
                      "unparseable bytes (truncated or corrupt file)");
  }
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    std::string msg = e.what();
    msg = msg.substr(0, msg.find('\n'));
    throw FormatError(name, "ONNX checker", "a valid model", msg);
  }
  return Importer(model, name).run();
}

Graph import_onnx(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path, "cannot open file");
  std::ostringstream buf;
  buf << in.rdbuf();
  return import_onnx_bytes(buf.str(), path);
}

}  // namespace hardy::qnn
