// ONNX protobuf → hardy::qnn::Graph.
#include "hardy/qnn/onnx_import.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "graph_folding.h"
#include "hardy/core/error.h"
#include "onnx_constant_ops.h"

namespace hardy::qnn {
namespace {

constexpr const char* kSupported =
    "Conv, Gemm, MatMul, Add, Sub, Mul, Div, Relu, Clip, MaxPool, AveragePool, "
    "GlobalAveragePool, Flatten, Reshape, Squeeze, Unsqueeze, Concat, Pad, BatchNormalization, "
    "Identity, Dropout, Min, Max, Slice (of the channels), Softmax/LogSoftmax (at the output), "
    "and constant shape sub-graphs "
    "(Constant, Shape, Gather, Slice, Transpose, Cast, ConstantOfShape)";
constexpr int64_t kMaxOpset = 17;

using detail::Constant;

class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string path)
      : model_(model), path_(std::move(path)) {}

  Graph run() {
    const auto& g = model_.graph();
    check_opset();
    for (const auto& init : g.initializer()) constants_[init.name()] = to_constant(init);
    graph_.source = path_;
    declare_input(g);
    for (const auto& node : g.node()) import_node(node);
    if (g.output_size() != 1) {
      throw UnsupportedError(path_ + ": model has " + std::to_string(g.output_size()) +
                             " outputs; hardy supports exactly one");
    }
    const std::string& out = g.output(0).name();
    if (constants_.count(out)) throw UnsupportedError(path_ + ": the model output is a constant");
    graph_.output = output_alias_ == out ? index_.at(out) : value_of(out, "graph output");
    fold_affine_nodes(graph_);
    fuse_activations(graph_);
    fold_pad_nodes(graph_);
    remove_dead_values(graph_);
    check_folded(graph_);
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

  Constant to_constant(const onnx::TensorProto& t) const {
    Constant out;
    int64_t elements = 1;
    for (int64_t d : t.dims()) {
      if (d < 0 || (d > 0 && elements > (int64_t{1} << 40) / d)) {
        throw FormatError(path_, "tensor '" + t.name() + "'", "dimensions in 0..2^40 elements",
                          "dimension " + std::to_string(d));
      }
      elements *= d;
      out.shape.dims.push_back(d);
    }
    const auto n = static_cast<size_t>(elements);
    if (t.data_location() == onnx::TensorProto::EXTERNAL) {
      throw UnsupportedError(path_ + ": tensor '" + t.name() + "' uses external data");
    }
    const int type = t.data_type();
    size_t width = 0, available = 0;
    switch (type) {
      case onnx::TensorProto::FLOAT:
        width = 4;
        available = static_cast<size_t>(t.float_data_size());
        break;
      case onnx::TensorProto::INT64:
        width = 8;
        available = static_cast<size_t>(t.int64_data_size());
        break;
      case onnx::TensorProto::INT32:
        width = 4;
        available = static_cast<size_t>(t.int32_data_size());
        break;
      default:
        throw UnsupportedError(path_ + ": tensor '" + t.name() + "' has data type " +
                               std::to_string(type) + "; hardy reads float32, int64 and int32");
    }
    out.integer = type != onnx::TensorProto::FLOAT;
    if (t.has_raw_data()) available = t.raw_data().size() / width;
    if (available != n || (t.has_raw_data() && t.raw_data().size() % width != 0)) {
      throw FormatError(path_, "tensor '" + t.name() + "'", std::to_string(n) + " elements",
                        std::to_string(available));
    }
    out.data.resize(n);  // sizes checked: the allocation matches the data present
    for (size_t i = 0; i < n; ++i) {
      const auto k = static_cast<int>(i);
      if (t.has_raw_data()) {
        const char* p = t.raw_data().data() + width * i;
        if (type == onnx::TensorProto::FLOAT) {
          float v;
          std::memcpy(&v, p, 4);
          out.data[i] = v;
        } else if (type == onnx::TensorProto::INT64) {
          int64_t v;
          std::memcpy(&v, p, 8);
          out.data[i] = static_cast<double>(v);
        } else {
          int32_t v;
          std::memcpy(&v, p, 4);
          out.data[i] = v;
        }
      } else {
        out.data[i] = type == onnx::TensorProto::FLOAT   ? t.float_data(k)
                      : type == onnx::TensorProto::INT64 ? static_cast<double>(t.int64_data(k))
                                                         : t.int32_data(k);
      }
      if (!std::isfinite(out.data[i])) {
        throw FormatError(path_, "tensor '" + t.name() + "' element " + std::to_string(i),
                          "a finite value", std::to_string(out.data[i]));
      }
    }
    return out;
  }

  static Tensor<float> to_float(const Constant& c) {
    Tensor<float> t(c.shape);
    for (size_t i = 0; i < c.data.size(); ++i) t.data[i] = static_cast<float>(c.data[i]);
    return t;
  }

  void check_opset() const {
    for (const auto& op : model_.opset_import()) {
      if ((op.domain().empty() || op.domain() == "ai.onnx") && op.version() > kMaxOpset) {
        throw UnsupportedError(path_ + ": opset " + std::to_string(op.version()) +
                               "; hardy imports ONNX opsets up to " + std::to_string(kMaxOpset));
      }
    }
  }

  int64_t opset() const {
    for (const auto& op : model_.opset_import()) {
      if (op.domain().empty() || op.domain() == "ai.onnx") return op.version();
    }
    return kMaxOpset;
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
    if (!output_alias_.empty() && name == output_alias_) {
      throw UnsupportedError(path_ + ": the output Softmax/LogSoftmax '" + name +
                             "' is also read by " + user);
    }
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

  const Constant& constant_input(const onnx::NodeProto& n, int input) const {
    if (input >= n.input_size() || n.input(input).empty())
      bad(n, "input " + std::to_string(input), "none");
    auto it = constants_.find(n.input(input));
    if (it == constants_.end()) unsupported(n, "input '" + n.input(input) + "' must be a constant");
    return it->second;
  }
  Tensor<float> constant(const onnx::NodeProto& n, int input) const {
    return to_float(constant_input(n, input));
  }
  bool is_constant(const std::string& name) const { return constants_.count(name) > 0; }

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

  // Conv dilations (1, 1 when absent); pools accept only 1.
  std::pair<int, int> dilations(const onnx::NodeProto& n) const {
    const auto d = ints_attr(n, "dilations");
    if (d.empty()) return {1, 1};
    if (d.size() != 2 || d[0] < 1 || d[1] < 1 || d[0] > 64 || d[1] > 64) {
      bad(n, "2 dilations in 1..64", std::to_string(d.size()) + " values");
    }
    return {static_cast<int>(d[0]), static_cast<int>(d[1])};
  }

  // `kernel`: the (dilated) extent of a Conv's window; empty for pools (kernel_shape).
  WindowParams window(const onnx::NodeProto& n, const Shape& in, bool conv,
                      std::vector<int64_t> kernel) const {
    WindowParams w;
    const std::string auto_pad = attr(n, "auto_pad") ? attr(n, "auto_pad")->s() : "NOTSET";
    if (auto_pad != "NOTSET" && auto_pad != "VALID") unsupported(n, "auto_pad=" + auto_pad);
    if (!conv && dilations(n) != std::pair<int, int>{1, 1}) unsupported(n, "pooling dilation");
    if (kernel.empty()) kernel = ints_attr(n, "kernel_shape");
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
    if (!conv && int_attr(n, "ceil_mode", 0) != 0) apply_ceil_mode(n, in, w);
    if (window_output(static_cast<int>(in[1]), w.pad_top, w.pad_bottom, w.kernel_h, w.stride_h) <
            1 ||
        window_output(static_cast<int>(in[2]), w.pad_left, w.pad_right, w.kernel_w, w.stride_w) <
            1) {
      bad(n, "a window that fits the input " + in.to_string(), "kernel larger than padded input");
    }
    return w;
  }

  // ceil_mode: the output size rounds up, but the last window must start inside the input or the
  // leading padding (ONNX and PyTorch). Expressed as extra trailing padding: exact for MaxPool
  // (padding never wins) and for AveragePool that excludes padding; PyTorch's count_include_pad
  // counts only the declared padding, which equals exclusion when there is none.
  void apply_ceil_mode(const onnx::NodeProto& n, const Shape& in, WindowParams& w) const {
    const auto extra = [](int64_t size, int pad_a, int pad_b, int kernel, int stride) {
      const int64_t span = size + pad_a + pad_b - kernel;
      if (span < 0) return int64_t{0};
      int64_t out = (span + stride - 1) / stride + 1;
      if ((out - 1) * stride >= size + pad_a) --out;
      return std::max<int64_t>(0, (out - 1) * stride + kernel - (size + pad_a + pad_b));
    };
    const int64_t eh = extra(in[1], w.pad_top, w.pad_bottom, w.kernel_h, w.stride_h);
    const int64_t ew = extra(in[2], w.pad_left, w.pad_right, w.kernel_w, w.stride_w);
    if (eh == 0 && ew == 0) return;
    if (w.count_include_pad) {
      if (w.pad_top || w.pad_left || w.pad_bottom || w.pad_right) {
        unsupported(n, "ceil_mode with count_include_pad=1 and padding");
      }
      w.count_include_pad = false;
    }
    w.pad_bottom += static_cast<int>(eh);
    w.pad_right += static_cast<int>(ew);
    if (w.pad_bottom >= w.kernel_h || w.pad_right >= w.kernel_w) {
      unsupported(n, "ceil_mode adding a window of padding only");
    }
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

  // Full shape (batch 1, then the per-image dims) of a runtime value.
  std::vector<int64_t> full_shape(int v) const {
    std::vector<int64_t> d{1};
    for (int64_t x : shape_of(v).dims) d.push_back(x);
    return d;
  }

  // A full-rank axis (negative counts from the end) as a per-image axis; the batch axis is
  // unsupported.
  int per_image_axis(const onnx::NodeProto& n, int64_t axis, int64_t full_rank) const {
    if (axis < -full_rank || axis >= full_rank) {
      bad(n, "an axis of a rank-" + std::to_string(full_rank) + " tensor", std::to_string(axis));
    }
    if (axis < 0) axis += full_rank;
    if (axis == 0) unsupported(n, "an operation along the batch axis");
    return static_cast<int>(axis - 1);
  }

  // Axes of Squeeze/Unsqueeze: an input from opset 13, an attribute before.
  std::vector<int64_t> axes(const onnx::NodeProto& n) const {
    if (n.input_size() > 1 && !n.input(1).empty()) {
      std::vector<int64_t> out;
      for (double v : constant_input(n, 1).data) out.push_back(detail::to_index(v));
      return out;
    }
    return ints_attr(n, "axes");
  }

  // A reshape of runtime value x to the full shape `target` (batch first), as a Flatten node
  // (no data movement).
  void emit_reshape(const onnx::NodeProto& n, int x, const std::vector<int64_t>& target) {
    if (target.empty() || target[0] != 1) {
      unsupported(
          n, "a reshape that changes the batch dimension (to " + Shape(target).to_string() + ")");
    }
    const Shape per_image(std::vector<int64_t>(target.begin() + 1, target.end()));
    if (per_image.elements() != shape_of(x).elements()) {
      bad(n, "a shape of " + std::to_string(shape_of(x).elements()) + " elements per image",
          per_image.to_string());
    }
    if (per_image == shape_of(x)) {
      index_[n.output(0)] = x;
      return;
    }
    Node node;
    node.name = n.name();
    node.op = OpKind::kFlatten;
    node.inputs = {x};
    emit(std::move(node), n.output(0), per_image);
  }

  // Evaluates a node whose inputs are all constants (shape sub-graphs); false if it has a runtime
  // input. Shape reads only the (static) shape of its runtime input.
  bool fold_constants(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    if (op == "Shape") {
      only_attributes(n, {"start", "end"});
      std::vector<int64_t> dims;
      if (is_constant(n.input(0))) {
        dims = constants_.at(n.input(0)).shape.dims;
      } else {
        dims = full_shape(value_of(n.input(0), n.name()));
      }
      const auto rank = static_cast<int64_t>(dims.size());
      const auto clamp_axis = [&](int64_t v) {
        return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank);
      };
      const int64_t start = clamp_axis(int_attr(n, "start", 0));
      const int64_t end = clamp_axis(int_attr(n, "end", rank));
      Constant c{Shape{std::max<int64_t>(0, end - start)}, {}, true};
      for (int64_t i = start; i < end; ++i)
        c.data.push_back(static_cast<double>(dims[static_cast<size_t>(i)]));
      constants_[n.output(0)] = std::move(c);
      return true;
    }
    if (op == "Constant") {
      only_attributes(n, {"value", "value_float", "value_floats", "value_int", "value_ints"});
      if (n.attribute_size() != 1)
        bad(n, "one value attribute", std::to_string(n.attribute_size()));
      const auto& a = n.attribute(0);
      Constant c;
      if (a.name() == "value") {
        c = to_constant(a.t());
      } else if (a.name() == "value_float" || a.name() == "value_int") {
        c = {Shape{},
             {a.name() == "value_float" ? a.f() : static_cast<double>(a.i())},
             a.name() == "value_int"};
      } else if (a.name() == "value_floats") {
        c = {Shape{a.floats_size()}, {a.floats().begin(), a.floats().end()}, false};
      } else {
        c = {Shape{a.ints_size()}, {}, true};
        for (int64_t v : a.ints()) c.data.push_back(static_cast<double>(v));
      }
      constants_[n.output(0)] = std::move(c);
      return true;
    }
    if (!detail::is_foldable_op(op)) return false;
    std::vector<std::optional<Constant>> inputs;
    for (const auto& in : n.input()) {
      if (in.empty()) {
        inputs.emplace_back();
        continue;
      }
      auto it = constants_.find(in);
      if (it == constants_.end()) return false;
      inputs.emplace_back(it->second);
    }
    detail::ConstantAttributes attributes;
    for (const auto& a : n.attribute()) {
      if (a.type() == onnx::AttributeProto::INTS) {
        attributes.int_lists.emplace_back(a.name(),
                                          std::vector<int64_t>(a.ints().begin(), a.ints().end()));
      } else if (a.type() == onnx::AttributeProto::INT) {
        attributes.int_values.emplace_back(a.name(), a.i());
      } else if (a.type() == onnx::AttributeProto::TENSOR) {
        attributes.tensor_value = to_constant(a.t());
      }
    }
    if (op == "Cast") attributes.cast_to = int_attr(n, "to", 1);
    try {
      constants_[n.output(0)] = detail::fold_constant_op(op, inputs, attributes);
    } catch (const std::invalid_argument& e) {
      bad(n, "constant inputs it can evaluate", e.what());
    }
    return true;
  }

  // y = a·x + b per channel of x (the first per-image axis), a and b broadcast from ONNX
  // constants: scalars, or one value per channel ([C], [C,1,1], [1,C,1,1]).
  std::vector<float> per_channel(const onnx::NodeProto& n, const Constant& c,
                                 const Shape& x) const {
    const int64_t channels = x.rank() >= 1 ? x[0] : 1;
    std::vector<int64_t> dims = c.shape.dims;
    while (!dims.empty() && dims.front() == 1 && static_cast<int>(dims.size()) > x.rank()) {
      dims.erase(dims.begin());
    }
    int64_t non_one = 0;
    for (int64_t d : dims) non_one += d != 1;
    const bool scalar = c.data.size() == 1;
    const bool channelwise = static_cast<int>(dims.size()) == x.rank() && non_one == 1 &&
                             !dims.empty() && dims[0] == channels;
    if (!scalar && !channelwise) {
      unsupported(n, "a constant of shape " + c.shape.to_string() +
                         " that is not one value per channel of " + x.to_string());
    }
    std::vector<float> out(static_cast<size_t>(channels));
    for (int64_t ch = 0; ch < channels; ++ch) {
      out[static_cast<size_t>(ch)] =
          static_cast<float>(c.data[scalar ? 0 : static_cast<size_t>(ch)]);
    }
    return out;
  }

  void import_affine(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    if (n.input_size() != 2) bad(n, "2 inputs", std::to_string(n.input_size()));
    const bool c0 = is_constant(n.input(0));
    const int x = value_of(n.input(c0 ? 1 : 0), n.name());
    const Shape& s = shape_of(x);
    const std::vector<float> c = per_channel(n, constants_.at(n.input(c0 ? 0 : 1)), s);
    std::vector<float> a(c.size(), 1.0f), b(c.size(), 0.0f);
    for (size_t i = 0; i < c.size(); ++i) {
      if (op == "Add") {
        b[i] = c[i];
      } else if (op == "Sub") {
        a[i] = c0 ? -1.0f : 1.0f;
        b[i] = c0 ? c[i] : -c[i];
      } else if (op == "Mul") {
        a[i] = c[i];
      } else {
        if (c0) unsupported(n, "division by a tensor");
        if (c[i] == 0.0f) unsupported(n, "division by zero");
        a[i] = 1.0f / c[i];
      }
    }
    emit_affine(n, x, a, b);
  }

  // y = a·x + b per channel: folded into the producing Conv/Dense when it has no activation,
  // otherwise a depthwise 1×1 Conv (NodeOrigin::kAffine) that fold_affine_nodes may fold into
  // its consumer.
  void emit_affine(const onnx::NodeProto& n, int x, const std::vector<float>& a,
                   const std::vector<float>& b) {
    Node* p = producer(x);
    if (p && (p->op == OpKind::kConv || p->op == OpKind::kDense) && p->origin != NodeOrigin::kPad &&
        p->activation == Activation::kNone) {
      const int64_t oc = p->weight.shape[0], per_channel = p->weight.size() / oc;
      for (int64_t ch = 0; ch < oc; ++ch) {
        const auto i = static_cast<size_t>(ch);
        for (int64_t k = 0; k < per_channel; ++k) p->weight[ch * per_channel + k] *= a[i];
        p->bias[i] = a[i] == 1.0f ? p->bias[i] + b[i] : p->bias[i] * a[i] + b[i];
      }
      rename_output(*p, n.output(0));
      return;
    }
    const Shape& s = shape_of(x);
    const auto channels = static_cast<int64_t>(a.size());
    Node node;
    node.name = n.name();
    node.op = OpKind::kConv;
    node.origin = NodeOrigin::kAffine;
    node.inputs = {x};
    node.window.groups = static_cast<int>(channels);
    node.weight = Tensor<float>(Shape{channels, 1, 1, 1});
    node.weight.data = a;
    node.bias = b;
    emit(std::move(node), n.output(0), s);
  }

  // Pad (constant mode, zero) of the spatial axes: a depthwise 1×1 identity Conv carrying the
  // padding (NodeOrigin::kPad) that fold_pad_nodes folds into the next Conv or pool where exact.
  void import_pad(const onnx::NodeProto& n) {
    only_attributes(n, {"mode", "pads", "value"});
    const std::string mode = attr(n, "mode") ? attr(n, "mode")->s() : "constant";
    if (mode != "constant") unsupported(n, "mode '" + mode + "' (only constant padding)");
    const int x = value_of(n.input(0), n.name());
    std::vector<int64_t> pads;
    float value = float_attr(n, "value", 0.0f);
    if (opset() >= 11) {
      for (double v : constant_input(n, 1).data) pads.push_back(detail::to_index(v));
      if (n.input_size() > 2 && !n.input(2).empty()) {
        const Constant& v = constant_input(n, 2);
        if (v.data.size() != 1) bad(n, "one constant_value", std::to_string(v.data.size()));
        value = static_cast<float>(v.data[0]);
      }
      if (n.input_size() > 3 && !n.input(3).empty()) unsupported(n, "the axes input");
    } else {
      pads = ints_attr(n, "pads");
    }
    const auto rank = static_cast<int64_t>(full_shape(x).size());
    if (static_cast<int64_t>(pads.size()) != 2 * rank) {
      bad(n, std::to_string(2 * rank) + " pads", std::to_string(pads.size()));
    }
    bool zero = true;
    for (int64_t p : pads) zero = zero && p == 0;
    if (zero) {
      index_[n.output(0)] = x;
      return;
    }
    if (value != 0.0f) unsupported(n, "padding with a non-zero value");
    if (rank != 4 || pads[0] || pads[1] || pads[4] || pads[5]) {
      unsupported(n, "padding other than of the height and width of a (N,C,H,W) tensor");
    }
    for (int64_t p : pads) {
      if (p < 0 || p > 1024) unsupported(n, "pads outside 0..1024 (cropping)");
    }
    const Shape& s = shape_of(x);
    Node node;
    node.name = n.name();
    node.op = OpKind::kConv;
    node.origin = NodeOrigin::kPad;
    node.inputs = {x};
    node.window.groups = static_cast<int>(s[0]);
    node.window.pad_top = static_cast<int>(pads[2]);
    node.window.pad_left = static_cast<int>(pads[3]);
    node.window.pad_bottom = static_cast<int>(pads[6]);
    node.window.pad_right = static_cast<int>(pads[7]);
    node.weight = Tensor<float>(Shape{s[0], 1, 1, 1}, 1.0f);
    node.bias.assign(static_cast<size_t>(s[0]), 0.0f);
    emit(std::move(node), n.output(0),
         Shape{s[0], s[1] + pads[2] + pads[6], s[2] + pads[3] + pads[7]});
  }

  // Conv weights with dilation d spread to a kernel of (k − 1)·d + 1 with zeros between taps.
  static Tensor<float> dilate(const Tensor<float>& w, int dh, int dw) {
    const Shape& s = w.shape;
    const int64_t kh = (s[2] - 1) * dh + 1, kw = (s[3] - 1) * dw + 1;
    Tensor<float> out(Shape{s[0], s[1], kh, kw});
    for (int64_t o = 0; o < s[0] * s[1]; ++o) {
      for (int64_t y = 0; y < s[2]; ++y) {
        for (int64_t x = 0; x < s[3]; ++x) {
          out[(o * kh + y * dh) * kw + x * dw] = w[(o * s[2] + y) * s[3] + x];
        }
      }
    }
    return out;
  }

  void import_node(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      unsupported(n, "domain '" + n.domain() + "'");
    if (n.output_size() < 1) bad(n, "an output", "none");
    const std::string& out = n.output(0);
    if (op != "Constant" && n.input_size() < 1) bad(n, "at least one input", "none");
    if (fold_constants(n)) return;
    Node node;
    node.name = n.name();
    if (op == "Conv") {
      only_attributes(n, {"kernel_shape", "strides", "pads", "group", "dilations", "auto_pad"});
      const int x = value_of(n.input(0), n.name());
      node.op = OpKind::kConv;
      node.inputs = {x};
      node.weight = constant(n, 1);
      if (node.weight.shape.rank() != 4) bad(n, "weights of rank 4", node.weight.shape.to_string());
      const auto kernel = ints_attr(n, "kernel_shape");
      if (!kernel.empty() && (kernel.size() != 2 || kernel[0] != node.weight.shape[2] ||
                              kernel[1] != node.weight.shape[3])) {
        bad(n, "kernel_shape equal to the weights' " + node.weight.shape.to_string(),
            Shape(kernel).to_string());
      }
      const auto [dh, dw] = dilations(n);
      if (dh != 1 || dw != 1) node.weight = dilate(node.weight, dh, dw);
      const Shape& ws = node.weight.shape;
      node.window = window(n, shape_of(x), true, {ws[2], ws[3]});
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
        const Tensor<float> c = constant(n, 2);
        if (c.size() != outs) bad(n, std::to_string(outs) + " biases", c.shape.to_string());
        node.bias = c.data;
      }
      emit(std::move(node), out, Shape{outs});
    } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
      if (n.input_size() != 2) bad(n, "2 inputs", std::to_string(n.input_size()));
      if (is_constant(n.input(0)) || is_constant(n.input(1))) {
        import_affine(n);
        return;
      }
      if (op != "Add") unsupported(n, op + " of two computed tensors");
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
      node.window = window(n, shape_of(x), false, {});
      Shape s = window_shape(node.window, shape_of(x), shape_of(x)[0]);
      emit(std::move(node), out, s);
    } else if (op == "GlobalAveragePool") {
      const int x = value_of(n.input(0), n.name());
      if (shape_of(x).rank() != 3) bad(n, "a (C,H,W) input", shape_of(x).to_string());
      node.op = OpKind::kGlobalAveragePool;
      node.inputs = {x};
      emit(std::move(node), out, Shape{shape_of(x)[0], 1, 1});
    } else if (op == "Flatten") {
      only_attributes(n, {"axis"});
      const int x = value_of(n.input(0), n.name());
      const auto full = full_shape(x);
      const int64_t axis = int_attr(n, "axis", 1);
      if (axis != 1 && axis != 1 - static_cast<int64_t>(full.size())) {
        unsupported(n, "Flatten axis " + std::to_string(axis) + " (only 1: keep the batch axis)");
      }
      emit_reshape(n, x, {1, shape_of(x).elements()});
    } else if (op == "Reshape") {
      only_attributes(n, {"allowzero"});
      const int x = value_of(n.input(0), n.name());
      const auto full = full_shape(x);
      std::vector<int64_t> target;
      int64_t known = 1, infer = -1;
      for (double v : constant_input(n, 1).data) {
        int64_t d = detail::to_index(v);
        if (d == 0 && int_attr(n, "allowzero", 0) == 0 && target.size() < full.size()) {
          d = full[target.size()];
        }
        if (d == -1 && infer < 0) {
          infer = static_cast<int64_t>(target.size());
        } else if (d < 1 || d > (int64_t{1} << 26)) {
          bad(n, "a reshape target of sizes in 1..2^26 and one -1", "size " + std::to_string(d));
        } else if (known > (int64_t{1} << 26) / d) {
          bad(n, "a reshape target of at most 2^26 elements per image", Shape(target).to_string());
        } else {
          known *= d;
        }
        target.push_back(d);
      }
      if (infer >= 0) target[static_cast<size_t>(infer)] = shape_of(x).elements() / known;
      emit_reshape(n, x, target);
    } else if (op == "Squeeze" || op == "Unsqueeze") {
      const int x = value_of(n.input(0), n.name());
      auto full = full_shape(x);
      auto list = axes(n);
      const auto rank = static_cast<int64_t>(full.size()) +
                        (op == "Unsqueeze" ? static_cast<int64_t>(list.size()) : 0);
      for (int64_t& a : list) a = per_image_axis(n, a, rank) + 1;
      std::sort(list.begin(), list.end());
      if (op == "Unsqueeze") {
        for (int64_t a : list) full.insert(full.begin() + a, 1);
      } else {
        std::vector<int64_t> kept{1};
        for (size_t i = 1; i < full.size(); ++i) {
          const bool listed =
              std::find(list.begin(), list.end(), static_cast<int64_t>(i)) != list.end();
          if (listed && full[i] != 1)
            bad(n, "squeezed axes of size 1", "size " + std::to_string(full[i]));
          if (!(listed || (list.empty() && full[i] == 1))) kept.push_back(full[i]);
        }
        full = kept;
      }
      emit_reshape(n, x, full);
    } else if (op == "Concat") {
      only_attributes(n, {"axis"});
      node.op = OpKind::kConcat;
      for (const auto& in : n.input()) {
        if (is_constant(in)) unsupported(n, "Concat of a computed tensor with a constant");
        node.inputs.push_back(value_of(in, n.name()));
      }
      const Shape& first = shape_of(node.inputs[0]);
      if (!attr(n, "axis")) bad(n, "an axis attribute", "none");
      const int axis = per_image_axis(n, int_attr(n, "axis", 1), first.rank() + 1);
      if (axis != 0) unsupported(n, "Concat along an axis other than the channels");
      Shape s = first;
      s.dims[0] = 0;
      for (int v : node.inputs) {
        const Shape& vs = shape_of(v);
        bool same = vs.rank() == first.rank();
        for (int d = 1; same && d < vs.rank(); ++d) same = vs[d] == first[d];
        if (!same) bad(n, "inputs of one shape but for the channels", vs.to_string());
        s.dims[0] += vs[0];
      }
      if (node.inputs.size() == 1) {
        index_[out] = node.inputs[0];
        return;
      }
      emit(std::move(node), out, s);
    } else if (op == "Min" || op == "Max") {
      only_attributes(n, {});
      node.op = op == "Min" ? OpKind::kMinimum : OpKind::kMaximum;
      for (const auto& in : n.input()) {
        if (is_constant(in)) unsupported(n, op + " with a constant");
        node.inputs.push_back(value_of(in, n.name()));
        if (!(shape_of(node.inputs.back()) == shape_of(node.inputs[0]))) {
          unsupported(n, "broadcasting " + op + " of " + shape_of(node.inputs[0]).to_string() +
                             " and " + shape_of(node.inputs.back()).to_string());
        }
      }
      if (node.inputs.size() == 1) {
        index_[out] = node.inputs[0];
        return;
      }
      const Shape s = shape_of(node.inputs[0]);
      emit(std::move(node), out, s);
    } else if (op == "Slice") {
      import_slice(n, node);
    } else if (op == "Pad") {
      import_pad(n);
    } else if (op == "Softmax" || op == "LogSoftmax") {
      only_attributes(n, {"axis"});
      const int x = value_of(n.input(0), n.name());
      const int64_t axis = int_attr(n, "axis", opset() >= 13 ? -1 : 1);
      if (out != model_.graph().output(0).name() || shape_of(x).rank() != 1 ||
          (axis != 1 && axis != -1)) {
        unsupported(n, op + " other than over the classes of the model output");
      }
      graph_.output_activation =
          op == "Softmax" ? OutputActivation::kSoftmax : OutputActivation::kLogSoftmax;
      output_alias_ = out;
      index_[out] = x;
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
      index_[out] = value_of(n.input(0), n.name());
    } else {
      throw UnsupportedError(path_ + ": unsupported operator '" + op + "' (node '" + n.name() +
                             "'); hardy supports " + kSupported);
    }
  }

  // Slice of a runtime tensor (opset ≥ 10: starts, ends, axes, steps as constant inputs): only
  // along the channels (first per-image axis), step 1.
  void import_slice(const onnx::NodeProto& n, Node& node) {
    only_attributes(n, {});
    if (opset() < 10) unsupported(n, "Slice before opset 10 (attributes)");
    const int x = value_of(n.input(0), n.name());
    const Shape& in = shape_of(x);
    const auto list = [&](int i) {
      std::vector<int64_t> v;
      if (n.input_size() > i && !n.input(i).empty()) {
        for (double d : constant_input(n, i).data) v.push_back(detail::to_index(d));
      }
      return v;
    };
    const std::vector<int64_t> starts = list(1), ends = list(2), axes = list(3), steps = list(4);
    if (starts.size() != 1 || ends.size() != 1 || axes.size() != 1 ||
        per_image_axis(n, axes[0], in.rank() + 1) != 0 ||
        (!steps.empty() && steps != std::vector<int64_t>{1})) {
      unsupported(n, "a Slice other than one range of the channels with step 1");
    }
    const int64_t c = in[0];
    const auto clamp = [&](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + c : v, 0, c); };
    node.op = OpKind::kSlice;
    node.inputs = {x};
    node.slice_start = clamp(starts[0]);
    node.slice_end = std::max(node.slice_start, clamp(ends[0]));
    if (node.slice_end == node.slice_start) bad(n, "a non-empty range of channels", "none");
    Shape s = in;
    s.dims[0] = node.slice_end - node.slice_start;
    emit(std::move(node), n.output(0), s);
  }

  // BatchNormalization: y = x·γ/√(σ²+ε) + (β − μ·γ/√(σ²+ε)) per channel, an affine map folded
  // into the producing Conv (w' = w·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β).
  void fold_batch_norm(const onnx::NodeProto& n, int x) {
    const int64_t oc = shape_of(x).rank() >= 1 ? shape_of(x)[0] : 1;
    const Tensor<float> gamma = constant(n, 1), beta = constant(n, 2), mean = constant(n, 3),
                        var = constant(n, 4);
    for (const auto* t : {&gamma, &beta, &mean, &var}) {
      if (t->size() != oc) bad(n, std::to_string(oc) + " channel statistics", t->shape.to_string());
    }
    const float eps = float_attr(n, "epsilon", 1e-5f);
    Node* conv = producer(x);
    if (conv && conv->op == OpKind::kConv && conv->origin == NodeOrigin::kModel &&
        conv->activation == Activation::kNone) {
      const int64_t per_channel = conv->weight.size() / oc;
      for (int64_t c = 0; c < oc; ++c) {
        const float factor = gamma[c] / std::sqrt(var[c] + eps);
        for (int64_t i = 0; i < per_channel; ++i) conv->weight[c * per_channel + i] *= factor;
        conv->bias[static_cast<size_t>(c)] =
            (conv->bias[static_cast<size_t>(c)] - mean[c]) * factor + beta[c];
      }
      rename_output(*conv, n.output(0));
      return;
    }
    std::vector<float> a(static_cast<size_t>(oc)), b(static_cast<size_t>(oc));
    for (int64_t c = 0; c < oc; ++c) {
      a[static_cast<size_t>(c)] = gamma[c] / std::sqrt(var[c] + eps);
      b[static_cast<size_t>(c)] = beta[c] - mean[c] * a[static_cast<size_t>(c)];
    }
    emit_affine(n, x, a, b);
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
  std::map<std::string, Constant> constants_;
  std::map<std::string, int> index_;
  std::string output_alias_;  // a dropped output Softmax/LogSoftmax's output
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
