// Segment views of int8 and spiking-network weights, and their accuracy as stored.
#include "hardy/sparkxd/weight_segments.h"

#include <algorithm>

#include "hardy/core/error.h"

namespace hardy::sparkxd {
namespace {

bool has_weights(const qnn::QNode& n) {
  return n.op == qnn::OpKind::kConv || n.op == qnn::OpKind::kDense;
}

MemorySegment int8_segment(qnn::QNode& n) {
  auto* bytes = reinterpret_cast<uint8_t*>(n.weight.data.data());
  return {n.name, {bytes, n.weight.data.size()}, 8};
}

}  // namespace

std::vector<MemorySegment> int8_weight_segments(qnn::QModel& model) {
  std::vector<MemorySegment> out;
  for (qnn::QNode& n : model.nodes) {
    if (has_weights(n)) out.push_back(int8_segment(n));
  }
  return out;
}

MemorySegment snn_weight_segment(snn::WeightStore& store) {
  return {"input_weights_" + store.format().name(), store.bytes(), store.format().bits};
}

Int8Model::Int8Model(qnn::QModel model, const data::Dataset& test, int64_t images,
                     qnn::KernelSet kernels)
    : exe_(std::move(model), kernels), test_(test), images_(images == 0 ? test.size() : images) {
  if (images_ < 1 || images_ > test.size()) {
    throw ConfigError("image count " + std::to_string(images) + " is outside 1.." +
                      std::to_string(test.size()) + " (the test split of " + test.name + ")");
  }
  const qnn::QModel& m = exe_.model();
  for (int i = 0; i < static_cast<int>(m.nodes.size()); ++i) {
    if (!has_weights(m.node(i))) continue;
    weight_nodes_.push_back(i);
    clean_.push_back(m.node(i).weight.data);
    segments_.push_back(int8_segment(exe_.node_for_update(i)));
  }
}

double Int8Model::accuracy(ThreadPool& pool) {
  for (int node : weight_nodes_) exe_.repack(node);
  const std::vector<uint8_t> out = exe_.run_dataset(test_, images_, pool);
  const int64_t classes = exe_.model().output_elements();
  int64_t correct = 0;
  for (int64_t i = 0; i < images_; ++i) {
    correct +=
        qnn::argmax(out.data() + i * classes, classes) == test_.labels[static_cast<size_t>(i)];
  }
  return static_cast<double>(correct) / static_cast<double>(images_);
}

void Int8Model::restore() {
  for (size_t k = 0; k < weight_nodes_.size(); ++k) {
    auto& w = exe_.node_for_update(weight_nodes_[k]).weight.data;
    std::copy(clean_[k].begin(), clean_[k].end(), w.begin());
  }
}

nlohmann::json Int8Model::describe() const {
  int64_t bytes = 0;
  nlohmann::json segs = nlohmann::json::array();
  for (const MemorySegment& s : segments_) {
    bytes += s.size_bytes();
    segs.push_back({{"name", s.name}, {"bytes", s.size_bytes()}, {"bits_per_word", 8}});
  }
  return {{"kind", "int8"},
          {"source", exe_.model().source},
          {"fingerprint", qnn::model_fingerprint(exe_.model())},
          {"weight_bytes", bytes},
          {"segments", segs},
          {"images", images_},
          {"dataset", test_.name}};
}

SnnModel::SnnModel(snn::Network net, snn::WeightFormat format, const data::Dataset& test,
                   snn::InferenceOptions options)
    : net_(std::move(net)),
      store_(format, static_cast<float>(net_.params.w_max), net_.weights),
      clean_(store_.bytes().begin(), store_.bytes().end()),
      test_(test),
      options_(options),
      segment_(snn_weight_segment(store_)) {
  if (net_.labels.empty()) throw ConfigError("the network has no neuron labels");
}

double SnnModel::accuracy(ThreadPool& pool) {
  store_.decode_all(net_.weights);
  snn::InferenceOptions o = options_;
  o.threads = pool.threads();
  return snn::run_inference(net_, test_, o).accuracy;
}

void SnnModel::restore() { std::copy(clean_.begin(), clean_.end(), store_.bytes().begin()); }

nlohmann::json SnnModel::describe() const {
  return {{"kind", "snn"},
          {"neurons", net_.neurons},
          {"weight_format", store_.format().name()},
          {"weight_bytes", static_cast<int64_t>(clean_.size())},
          {"segments", nlohmann::json::array({{{"name", segment_.name},
                                               {"bytes", segment_.size_bytes()},
                                               {"bits_per_word", segment_.bits_per_word}}})},
          {"images", options_.images},
          {"seed", options_.seed},
          {"dataset", test_.name}};
}

}  // namespace hardy::sparkxd
