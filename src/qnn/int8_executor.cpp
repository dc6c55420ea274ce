// Int8Executor: the arena, per-node dispatch, weight patching, dataset parallelism.
#include "hardy/qnn/int8_executor.h"

#include <algorithm>

#include "hardy/core/error.h"
#include "hardy/qnn/reference_kernels.h"

namespace hardy::qnn {

Int8Executor::Int8Executor(QModel model, KernelSet kernels, Isa isa)
    : model_(std::make_unique<QModel>(std::move(model))),
      kernels_(kernels),
      isa_(isa),
      plan_(std::make_shared<const ExecutionPlan>(*model_)) {
  if (kernels_ == KernelSet::kOptimized) packed_ = std::make_unique<PackedModel>(*model_, isa_);
  build_tables();
}

Int8Executor::Int8Executor(const Int8Executor& other)
    : model_(std::make_unique<QModel>(*other.model_)),
      kernels_(other.kernels_),
      isa_(other.isa_),
      plan_(other.plan_) {
  if (kernels_ == KernelSet::kOptimized) packed_ = std::make_unique<PackedModel>(*model_, isa_);
  build_tables();
}

Int8Executor::~Int8Executor() = default;
Int8Executor::Int8Executor(Int8Executor&&) noexcept = default;

void Int8Executor::build_tables() {
  input_values_.clear();
  input_begin_.assign(1, 0);
  for (const QNode& n : model_->nodes) {
    for (int v : n.inputs) input_values_.push_back(&model_->value(v));
    input_begin_.push_back(input_values_.size());
  }
}

Int8Executor::Workspace Int8Executor::make_workspace() const {
  Workspace ws;
  ws.arena.assign(plan_->arena_bytes(), 0);
  if (packed_) ws.scratch.resize(packed_->scratch_bytes());
  for (const QNode& n : model_->nodes) {
    for (int v : n.inputs) ws.inputs.push_back(ws.arena.data() + plan_->offset(v));
  }
  return ws;
}

NodeIo Int8Executor::make_io(int index, const Workspace& ws, uint8_t* y) const {
  const auto i = static_cast<size_t>(index);
  const size_t b = input_begin_[i], e = input_begin_[i + 1];
  return {std::span<const QValue* const>(input_values_.data() + b, e - b),
          std::span<const uint8_t* const>(ws.inputs.data() + b, e - b),
          &model_->value(model_->nodes[i].output), y};
}

void Int8Executor::run_node(int index, Workspace& ws) const {
  if (!plan_->runs(index)) return;
  const NodeIo io = node_io(index, ws);
  if (packed_) {
    packed_->run_node(static_cast<size_t>(index), io, ws.scratch.data());
  } else {
    run_node_reference(model_->node(index), io);
  }
}

void Int8Executor::run_nodes(std::span<const int> nodes, Workspace& ws) const {
  for (int i : nodes) run_node(i, ws);
}

void Int8Executor::run(std::span<const uint8_t> image, Workspace& ws) const {
  HARDY_CHECK(static_cast<int64_t>(image.size()) == model_->input_elements());
  std::copy(image.begin(), image.end(), value(ws, model_->input).begin());
  run_nodes(plan_->schedule(), ws);
}

void Int8Executor::run_batch(std::span<const std::span<const uint8_t>> images,
                             std::span<Workspace> ws) const {
  HARDY_CHECK(images.size() <= ws.size() &&
              static_cast<int64_t>(images.size()) <= PackedModel::kMaxBatch);
  for (size_t i = 0; i < images.size(); ++i) {
    HARDY_CHECK(static_cast<int64_t>(images[i].size()) == model_->input_elements());
    std::copy(images[i].begin(), images[i].end(), value(ws[i], model_->input).begin());
  }
  if (!packed_) {
    for (size_t i = 0; i < images.size(); ++i) run_nodes(plan_->schedule(), ws[i]);
    return;
  }
  // Nodes that gain nothing from company run image by image, each image's values staying in
  // cache from one node to the next; the others run all images at once.
  NodeIo ios[PackedModel::kMaxBatch];
  const std::span<const int> schedule = plan_->schedule();
  for (size_t first = 0; first < schedule.size();) {
    const auto node = static_cast<size_t>(schedule[first]);
    if (packed_->batches(node)) {
      for (size_t i = 0; i < images.size(); ++i) ios[i] = node_io(schedule[first], ws[i]);
      packed_->run_node_batch(node, std::span(ios, images.size()), ws[0].scratch.data());
      ++first;
      continue;
    }
    size_t last = first + 1;
    while (last < schedule.size() && !packed_->batches(static_cast<size_t>(schedule[last]))) ++last;
    for (size_t i = 0; i < images.size(); ++i) {
      run_nodes(schedule.subspan(first, last - first), ws[i]);
    }
    first = last;
  }
}

std::span<uint8_t> Int8Executor::value(Workspace& ws, int v) const {
  return {ws.arena.data() + plan_->offset(v),
          static_cast<size_t>(model_->value(v).shape.elements())};
}

std::span<const uint8_t> Int8Executor::value(const Workspace& ws, int v) const {
  return {ws.arena.data() + plan_->offset(v),
          static_cast<size_t>(model_->value(v).shape.elements())};
}

int32_t Int8Executor::accumulator(int node, int64_t index, const Workspace& ws) const {
  const QNode& n = model_->node(node);
  HARDY_CHECK(n.op == OpKind::kConv || n.op == OpKind::kDense);
  HARDY_CHECK(index >= 0 && index < model_->value(n.output).shape.elements());
  return accumulator_reference(n, make_io(node, ws, nullptr), index);
}

uint8_t Int8Executor::requantize_accumulator(int node, int64_t index, int32_t acc) const {
  const QNode& n = model_->node(node);
  HARDY_CHECK(n.op == OpKind::kConv || n.op == OpKind::kDense);
  return requantize_output(n, model_->value(n.output), index, acc);
}

void Int8Executor::set_weight(int node, int64_t index, int8_t w) {
  QNode& n = model_->nodes[static_cast<size_t>(node)];
  HARDY_CHECK(n.op == OpKind::kConv || n.op == OpKind::kDense);
  HARDY_CHECK(index >= 0 && index < n.weight.size());
  const int8_t previous = n.weight[index];
  n.weight[index] = w;
  if (packed_) packed_->update_weight(static_cast<size_t>(node), index, previous);
}

void Int8Executor::repack(int node) {
  if (packed_) packed_->repack(static_cast<size_t>(node));
}

std::vector<uint8_t> Int8Executor::run_dataset(const data::Dataset& images, int64_t n,
                                               ThreadPool& pool) const {
  HARDY_CHECK(n >= 0 && n <= images.size());
  const int64_t out_n = model_->output_elements();
  std::vector<uint8_t> outputs(static_cast<size_t>(n * out_n));
  pool.parallel_for(n, [&](int64_t b, int64_t e, int) {
    std::vector<Workspace> ws;
    for (int64_t i = 0; i < std::min(e - b, PackedModel::kMaxBatch); ++i) {
      ws.push_back(make_workspace());
    }
    std::span<const uint8_t> batch[PackedModel::kMaxBatch];
    for (int64_t first = b; first < e; first += PackedModel::kMaxBatch) {
      const int64_t count = std::min(e - first, PackedModel::kMaxBatch);
      for (int64_t i = 0; i < count; ++i) batch[i] = images.image(first + i);
      run_batch(std::span(batch, static_cast<size_t>(count)), ws);
      for (int64_t i = 0; i < count; ++i) {
        const auto out = output(ws[static_cast<size_t>(i)]);
        std::copy(out.begin(), out.end(), outputs.begin() + (first + i) * out_n);
      }
    }
  });
  return outputs;
}

}  // namespace hardy::qnn
