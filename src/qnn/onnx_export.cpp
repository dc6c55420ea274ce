// Graph → ONNX ModelProto (opset 13).
#include "hardy/qnn/onnx_export.h"

#include <onnx/onnx_pb.h>

#include <fstream>

#include "hardy/core/error.h"

namespace hardy::qnn {
namespace {

// "<letter><number>" (built by appending: GCC 12 warns falsely (-Wrestrict) on "x" + to_string).
std::string numbered(char letter, int64_t number) {
  std::string s(1, letter);
  s += std::to_string(number);
  return s;
}

class Writer {
 public:
  explicit Writer(const Graph& g) : g_(g) {
    model_.set_ir_version(8);
    model_.set_producer_name("hardy");
    auto* opset = model_.add_opset_import();
    opset->set_domain("");
    opset->set_version(13);
    graph_ = model_.mutable_graph();
    graph_->set_name("hardy");
  }

  std::string run() {
    add_io(graph_->add_input(), "input", g_.values[static_cast<size_t>(g_.input)].shape);
    for (size_t i = 0; i < g_.nodes.size(); ++i) write_node(g_.nodes[i], i);
    add_io(graph_->add_output(), name(g_.output), g_.values[static_cast<size_t>(g_.output)].shape);
    return model_.SerializeAsString();
  }

 private:
  std::string name(int value) const {
    if (value == g_.input) return "input";
    if (value == g_.output) return "logits";
    return numbered('v', value);
  }

  static void add_io(onnx::ValueInfoProto* v, const std::string& n, const Shape& s) {
    v->set_name(n);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_param("N");
    for (int64_t d : s.dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  }

  std::string floats(const std::string& n, const std::vector<int64_t>& dims,
                     const std::vector<float>& data) {
    auto* t = graph_->add_initializer();
    t->set_name(n);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    for (float f : data) t->add_float_data(f);
    return n;
  }

  std::string ints(const std::string& n, const std::vector<int64_t>& data) {
    auto* t = graph_->add_initializer();
    t->set_name(n);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(data.size()));
    for (int64_t v : data) t->add_int64_data(v);
    return n;
  }

  onnx::NodeProto* node(const std::string& op, const std::string& n,
                        const std::vector<std::string>& in, const std::string& out) {
    auto* p = graph_->add_node();
    p->set_op_type(op);
    p->set_name(n);
    for (const auto& i : in) p->add_input(i);
    p->add_output(out);
    return p;
  }

  static void attr_ints(onnx::NodeProto* n, const std::string& a, const std::vector<int64_t>& v) {
    auto* p = n->add_attribute();
    p->set_name(a);
    p->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) p->add_ints(x);
  }
  static void attr_int(onnx::NodeProto* n, const std::string& a, int64_t v) {
    auto* p = n->add_attribute();
    p->set_name(a);
    p->set_type(onnx::AttributeProto::INT);
    p->set_i(v);
  }

  void window(onnx::NodeProto* p, const WindowParams& w) {
    attr_ints(p, "kernel_shape", {w.kernel_h, w.kernel_w});
    attr_ints(p, "strides", {w.stride_h, w.stride_w});
    attr_ints(p, "pads", {w.pad_top, w.pad_left, w.pad_bottom, w.pad_right});
  }

  // The node's result before its activation goes to `raw`; the activation writes `out`.
  void activation(const Node& n, const std::string& raw, const std::string& out, size_t i) {
    if (n.activation == Activation::kRelu) {
      node("Relu", n.name + ".relu", {raw}, out);
    } else if (n.activation == Activation::kClip) {
      const std::string k = numbered('c', static_cast<int64_t>(i));
      node("Clip", n.name + ".clip",
           {raw, floats(k + ".min", {}, {n.clip_min}), floats(k + ".max", {}, {n.clip_max})}, out);
    }
  }

  void write_node(const Node& n, size_t i) {
    const std::string tag = numbered('n', static_cast<int64_t>(i));
    const std::string out = name(n.output);
    const std::string raw = n.activation == Activation::kNone ? out : tag + ".raw";
    const std::string x = name(n.inputs[0]);
    const Shape& in_shape = g_.values[static_cast<size_t>(n.inputs[0])].shape;
    switch (n.op) {
      case OpKind::kConv: {
        auto* p = node("Conv", n.name,
                       {x, floats(tag + ".weight", n.weight.shape.dims, n.weight.data),
                        floats(tag + ".bias", {n.weight.shape[0]}, n.bias)},
                       raw);
        window(p, n.window);
        attr_int(p, "group", n.window.groups);
        break;
      }
      case OpKind::kDense: {
        std::string flat = x;
        if (in_shape.rank() != 1) {
          flat = tag + ".flat";
          attr_int(node("Flatten", n.name + ".flatten", {x}, flat), "axis", 1);
        }
        auto* p = node("Gemm", n.name,
                       {flat, floats(tag + ".weight", n.weight.shape.dims, n.weight.data),
                        floats(tag + ".bias", {n.weight.shape[0]}, n.bias)},
                       raw);
        attr_int(p, "transB", 1);
        break;
      }
      case OpKind::kRelu:
        node("Relu", n.name, {x}, out);
        return;
      case OpKind::kClip:
        node("Clip", n.name,
             {x, floats(tag + ".min", {}, {n.clip_min}), floats(tag + ".max", {}, {n.clip_max})},
             out);
        return;
      case OpKind::kMaxPool:
      case OpKind::kAveragePool: {
        auto* p = node(n.op == OpKind::kMaxPool ? "MaxPool" : "AveragePool", n.name, {x}, out);
        window(p, n.window);
        if (n.op == OpKind::kAveragePool) {
          attr_int(p, "count_include_pad", n.window.count_include_pad ? 1 : 0);
        }
        return;
      }
      case OpKind::kGlobalAveragePool:
        node("GlobalAveragePool", n.name, {x}, out);
        return;
      case OpKind::kFlatten: {
        const Shape& os = g_.values[static_cast<size_t>(n.output)].shape;
        if (os.rank() == 1) {
          attr_int(node("Flatten", n.name, {x}, out), "axis", 1);
        } else {
          std::vector<int64_t> dims{0};  // 0: the batch dimension as it is
          dims.insert(dims.end(), os.dims.begin(), os.dims.end());
          node("Reshape", n.name, {x, ints(tag + ".shape", dims)}, out);
        }
        return;
      }
      case OpKind::kAdd:
        node("Add", n.name, {x, name(n.inputs[1])}, raw);
        break;
      case OpKind::kMinimum:
      case OpKind::kMaximum:
      case OpKind::kConcat: {
        std::vector<std::string> ins;
        for (int v : n.inputs) ins.push_back(name(v));
        auto* p = node(n.op == OpKind::kMinimum   ? "Min"
                       : n.op == OpKind::kMaximum ? "Max"
                                                  : "Concat",
                       n.name, ins, out);
        if (n.op == OpKind::kConcat) attr_int(p, "axis", 1);
        return;
      }
      case OpKind::kSlice:
        node("Slice", n.name,
             {x, ints(tag + ".starts", {n.slice_start}), ints(tag + ".ends", {n.slice_end}),
              ints(tag + ".axes", {1})},
             out);
        return;
      case OpKind::kCorrection:
        throw UnsupportedError("node '" + n.name +
                               "': a Correction node exists only in int8 models");
    }
    activation(n, raw, out, i);
  }

  const Graph& g_;
  onnx::ModelProto model_;
  onnx::GraphProto* graph_ = nullptr;
};

}  // namespace

std::string export_onnx_bytes(const Graph& graph) { return Writer(graph).run(); }

void export_onnx(const Graph& graph, const std::string& path) {
  const std::string bytes = export_onnx_bytes(graph);
  std::ofstream f(path, std::ios::binary);
  if (!f || !f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    throw FileError(path, "cannot write the ONNX model");
  }
}

}  // namespace hardy::qnn
