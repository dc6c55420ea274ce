// Int8Executor: value buffers, per-node dispatch, dataset parallelism.
#include "hardy/qnn/int8_executor.h"

#include "hardy/core/error.h"
#include "hardy/qnn/optimized_kernels.h"
#include "hardy/qnn/reference_kernels.h"

namespace hardy::qnn {

Int8Executor::Int8Executor(const QModel& model, KernelSet kernels, Isa isa)
    : model_(model),
      kernels_(kernels),
      packed_(kernels == KernelSet::kOptimized ? std::make_unique<PackedModel>(model, isa)
                                               : nullptr) {}

Int8Executor::~Int8Executor() = default;
Int8Executor::Int8Executor(Int8Executor&&) noexcept = default;

Int8Executor::Workspace Int8Executor::make_workspace() const {
  Workspace ws;
  ws.values.resize(model_.values.size());
  for (size_t v = 0; v < model_.values.size(); ++v) {
    ws.values[v].resize(static_cast<size_t>(model_.values[v].shape.elements()));
  }
  if (packed_) ws.scratch.resize(packed_->scratch_bytes());
  return ws;
}

void Int8Executor::run(std::span<const uint8_t> image, Workspace& ws) const {
  HARDY_CHECK(static_cast<int64_t>(image.size()) == model_.input_elements());
  std::copy(image.begin(), image.end(), ws.values[static_cast<size_t>(model_.input)].begin());
  for (size_t i = 0; i < model_.nodes.size(); ++i) {
    const QNode& node = model_.nodes[i];
    NodeIo io;
    for (size_t k = 0; k < node.inputs.size() && k < 2; ++k) {
      io.in[k] = &model_.value(node.inputs[k]);
      io.x[k] = ws.values[static_cast<size_t>(node.inputs[k])].data();
    }
    io.out = &model_.value(node.output);
    io.y = ws.values[static_cast<size_t>(node.output)].data();
    if (packed_) {
      packed_->run_node(i, io, ws.scratch.data());
    } else {
      run_node_reference(node, io);
    }
  }
}

std::span<const uint8_t> Int8Executor::output(const Workspace& ws) const {
  return ws.values[static_cast<size_t>(model_.output)];
}

std::vector<uint8_t> Int8Executor::run_dataset(const data::Dataset& images, int64_t n,
                                               ThreadPool& pool) const {
  HARDY_CHECK(n >= 0 && n <= images.size());
  const int64_t out_n = model_.output_elements();
  std::vector<uint8_t> outputs(static_cast<size_t>(n * out_n));
  pool.parallel_for(n, [&](int64_t b, int64_t e, int) {
    Workspace ws = make_workspace();
    for (int64_t i = b; i < e; ++i) {
      run(images.image(i), ws);
      const auto out = output(ws);
      std::copy(out.begin(), out.end(), outputs.begin() + i * out_n);
    }
  });
  return outputs;
}

}  // namespace hardy::qnn
