// add_channel_copies: the extra output channels and the Correction node behind every pass.
#include "channel_copies.h"

#include <optional>

#include "hardy/core/error.h"
#include "hardy/qnn/execution_plan.h"

namespace hardy::harden::detail {

namespace {

// Node `n` with its selected channels repeated `copies` times after its own channels.
void append_copies(qnn::QNode& n, const std::vector<int64_t>& channels, int copies) {
  const int64_t k = n.reduction_size();
  const int64_t oc = n.weight.shape[0];
  const auto extra = static_cast<int64_t>(channels.size()) * copies;
  std::vector<int64_t> dims = n.weight.shape.dims;
  dims[0] = oc + extra;
  Tensor<int8_t> w{Shape(dims)};
  std::copy(n.weight.data.begin(), n.weight.data.end(), w.data.begin());
  int64_t at = oc;
  for (int64_t c : channels) {
    for (int copy = 0; copy < copies; ++copy, ++at) {
      std::copy(n.weight.data.begin() + c * k, n.weight.data.begin() + (c + 1) * k,
                w.data.begin() + at * k);
      n.bias.push_back(n.bias[static_cast<size_t>(c)]);
      n.weight_scale.push_back(n.weight_scale[static_cast<size_t>(c)]);
      n.multiplier.push_back(n.multiplier[static_cast<size_t>(c)]);
    }
  }
  n.weight = std::move(w);
}

// A copy of `original` named "<name>.copies" with `channels` channels.
qnn::QValue widened_value(const qnn::QValue& original, int64_t channels) {
  qnn::QValue widened = original;
  widened.name = original.name + ".copies";
  std::vector<int64_t> dims = original.shape.dims;
  dims[0] = channels;
  widened.shape = Shape(dims);
  return widened;
}

}  // namespace

int sole_pool_reader(const qnn::QModel& model, const qnn::ExecutionPlan& plan, int node) {
  const int out = model.node(node).output;
  const auto& readers = plan.readers(out);
  if (readers.size() != 1 || plan.storage(out) != out) return -1;
  const qnn::QNode& r = model.node(readers[0]);
  const bool pool = r.op == qnn::OpKind::kMaxPool || r.op == qnn::OpKind::kAveragePool;
  return pool && r.inputs.size() == 1 ? readers[0] : -1;
}

qnn::QModel add_channel_copies(const qnn::QModel& model, const Selection& selection, int copies,
                               qnn::CorrectionRule rule, const char* suffix, bool after_pool) {
  HARDY_CHECK(copies == 1 || copies == 2);
  HARDY_CHECK(selection.channels.empty() || selection.channels.size() == model.nodes.size());
  qnn::QModel out;
  out.source = model.source;
  out.values = model.values;
  out.input = model.input;
  out.output = model.output;
  // Per pooling node: the Correction that follows it (after_pool), its input the widened value.
  std::vector<std::optional<qnn::QNode>> after(model.nodes.size());
  const std::optional<qnn::ExecutionPlan> plan =
      after_pool ? std::optional<qnn::ExecutionPlan>(model) : std::nullopt;
  for (size_t i = 0; i < model.nodes.size(); ++i) {
    const qnn::QNode& node = model.nodes[i];
    if (after[i]) {  // a pool on the copies, then the Correction writing its original output
      qnn::QNode pool = node;
      qnn::QNode fix = std::move(*after[i]);
      pool.inputs = {fix.inputs[0]};
      pool.output = static_cast<int>(out.values.size());
      out.values.push_back(
          widened_value(model.value(node.output), out.value(fix.inputs[0]).shape[0]));
      fix.name = node.name + "." + suffix;
      fix.inputs = {pool.output};
      fix.output = node.output;
      out.nodes.push_back(std::move(pool));
      out.nodes.push_back(std::move(fix));
      continue;
    }
    const std::vector<int64_t> none;
    const auto& channels = selection.channels.empty() ? none : selection.channels[i];
    if (channels.empty()) {
      out.nodes.push_back(node);
      continue;
    }
    if (!protectable(node)) {
      throw ConfigError("node '" + node.name + "' (" + qnn::op_name(node.op) +
                        ") cannot be hardened: only Dense and ungrouped Conv layers");
    }
    const int64_t oc = node.weight.shape[0];
    for (size_t j = 0; j < channels.size(); ++j) {
      if (channels[j] < 0 || channels[j] >= oc || (j > 0 && channels[j] <= channels[j - 1])) {
        throw ConfigError("node '" + node.name +
                          "': selected channels must be distinct and below " + std::to_string(oc));
      }
    }
    qnn::QNode mac = node;
    append_copies(mac, channels, copies);
    const int pool = plan ? sole_pool_reader(model, *plan, static_cast<int>(i)) : -1;
    if (pool >= 0) {  // only the pool reads the layer's value: it becomes the widened one
      mac.output = node.output;
      out.values[static_cast<size_t>(node.output)] =
          widened_value(model.value(node.output), mac.weight.shape[0]);
    } else {
      mac.output = static_cast<int>(out.values.size());
      out.values.push_back(widened_value(model.value(node.output), mac.weight.shape[0]));
    }

    qnn::QNode fix;
    fix.op = qnn::OpKind::kCorrection;
    fix.name = node.name + "." + suffix;
    fix.inputs = {mac.output};
    fix.output = node.output;
    fix.correction_rule = rule;
    fix.correction_owner.resize(static_cast<size_t>(mac.weight.shape[0]));
    for (int64_t c = 0; c < oc; ++c) fix.correction_owner[static_cast<size_t>(c)] = int32_t(c);
    fix.correction_copies.assign(static_cast<size_t>(2 * oc), -1);
    int64_t at = oc;
    for (int64_t c : channels) {
      for (int copy = 0; copy < copies; ++copy, ++at) {
        fix.correction_owner[static_cast<size_t>(at)] = static_cast<int32_t>(c);
        fix.correction_copies[static_cast<size_t>(2 * c + copy)] = static_cast<int32_t>(at);
      }
    }
    out.nodes.push_back(std::move(mac));
    if (pool >= 0) {
      after[static_cast<size_t>(pool)] = std::move(fix);  // inputs: the widened value
    } else {
      out.nodes.push_back(std::move(fix));
    }
  }
  out.validate();
  return out;
}

}  // namespace hardy::harden::detail
