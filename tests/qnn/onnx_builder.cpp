// OnnxBuilder implementation.
#include "onnx_builder.h"

namespace hardy::qnn::testing {

OnnxBuilder::OnnxBuilder(std::vector<int64_t> input_dims) {
  model_.set_ir_version(8);
  auto* opset = model_.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  auto* g = model_.mutable_graph();
  g->set_name("test");
  auto* in = g->add_input();
  in->set_name("input");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_param("N");
  for (int64_t d : input_dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
}

void OnnxBuilder::initializer(const std::string& name, std::vector<int64_t> dims,
                              std::vector<float> values) {
  auto* t = model_.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  for (float v : values) t->add_float_data(v);
}

void OnnxBuilder::int64_initializer(const std::string& name, std::vector<int64_t> dims,
                                    std::vector<int64_t> values) {
  auto* t = model_.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : dims) t->add_dims(d);
  for (int64_t v : values) t->add_int64_data(v);
}

void OnnxBuilder::set_opset(int64_t version) {
  model_.mutable_opset_import(0)->set_version(version);
}

onnx::NodeProto& OnnxBuilder::node(const std::string& op, std::vector<std::string> inputs,
                                   std::vector<std::string> outputs) {
  auto* n = model_.mutable_graph()->add_node();
  n->set_op_type(op);
  n->set_name(op + "_" + std::to_string(model_.graph().node_size()));
  for (auto& i : inputs) n->add_input(i);
  for (auto& o : outputs) n->add_output(o);
  return *n;
}

void OnnxBuilder::int_attr(onnx::NodeProto& n, const std::string& name, int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void OnnxBuilder::ints_attr(onnx::NodeProto& n, const std::string& name, std::vector<int64_t> v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

void OnnxBuilder::float_attr(onnx::NodeProto& n, const std::string& name, float v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

std::string OnnxBuilder::serialize(const std::string& output) {
  auto* out = model_.mutable_graph()->add_output();
  out->set_name(output);
  auto* tt = out->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape();
  return model_.SerializeAsString();
}

}  // namespace hardy::qnn::testing
