// ExecutionPlan: Flatten aliasing, arena offsets, readers and downstream cones.
#include "hardy/qnn/execution_plan.h"

#include <algorithm>

namespace hardy::qnn {
namespace {

constexpr size_t kValueAlignment = 64;

bool is_copy(const QNode& n) {
  return n.op == OpKind::kFlatten && n.out_min == 0 && n.out_max == 255;
}

}  // namespace

ExecutionPlan::ExecutionPlan(const QModel& model) {
  model.validate();
  const size_t nv = model.values.size(), nn = model.nodes.size();
  storage_.resize(nv);
  for (size_t v = 0; v < nv; ++v) storage_[v] = static_cast<int>(v);
  runs_.assign(nn, 1);
  writer_.assign(nv, -1);
  for (size_t i = 0; i < nn; ++i) {
    const QNode& n = model.nodes[i];
    if (is_copy(n)) {
      runs_[i] = 0;
      storage_[static_cast<size_t>(n.output)] = storage_[static_cast<size_t>(n.inputs[0])];
      continue;
    }
    schedule_.push_back(static_cast<int>(i));
    writer_[static_cast<size_t>(n.output)] = static_cast<int>(i);
    neuron_values_.push_back(n.output);
  }
  offset_.assign(nv, 0);
  for (size_t v = 0; v < nv; ++v) {
    if (storage_[v] != static_cast<int>(v)) continue;
    offset_[v] = arena_bytes_;
    const auto bytes = static_cast<size_t>(model.values[v].shape.elements());
    arena_bytes_ += (bytes + kValueAlignment - 1) / kValueAlignment * kValueAlignment;
  }
  for (size_t v = 0; v < nv; ++v) offset_[v] = offset_[static_cast<size_t>(storage_[v])];

  readers_.assign(nv, {});
  for (int i : schedule_) {
    for (int v : model.nodes[static_cast<size_t>(i)].inputs) {
      auto& list = readers_[static_cast<size_t>(storage_[static_cast<size_t>(v)])];
      if (list.empty() || list.back() != i) list.push_back(i);
    }
  }
  // Cones in reverse topological order of the values' writers (the input last): a value's cone
  // is its readers plus their outputs' cones, which are complete by then.
  std::vector<int> order;
  for (auto it = schedule_.rbegin(); it != schedule_.rend(); ++it) {
    order.push_back(model.nodes[static_cast<size_t>(*it)].output);
  }
  order.push_back(storage_[static_cast<size_t>(model.input)]);
  cone_.assign(nv, {});
  std::vector<uint8_t> in_cone(nn);
  for (int v : order) {
    std::fill(in_cone.begin(), in_cone.end(), 0);
    for (int r : readers_[static_cast<size_t>(v)]) {
      in_cone[static_cast<size_t>(r)] = 1;
      const int out = storage_[static_cast<size_t>(model.nodes[static_cast<size_t>(r)].output)];
      for (int c : cone_[static_cast<size_t>(out)]) in_cone[static_cast<size_t>(c)] = 1;
    }
    for (size_t i = 0; i < nn; ++i) {
      if (in_cone[i]) cone_[static_cast<size_t>(v)].push_back(static_cast<int>(i));
    }
  }
}

}  // namespace hardy::qnn
