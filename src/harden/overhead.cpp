// Overhead counts of a hardening: extra MACs, parameters, neurons, correction gates.
#include "hardy/harden/overhead.h"

#include "channel_copies.h"
#include "hardy/qnn/execution_plan.h"

namespace hardy::harden {

int64_t correction_unit_gates(Scheme scheme, int32_t zero_point) {
  switch (scheme) {
    case Scheme::kSplit:
      return kLcuGates;
    case Scheme::kSplitHalf:
      return kHalfSumGates + (zero_point / 2 != 0 ? kHalfCheckOffsetGates : 0);
    case Scheme::kTmr:
      return kVoterGates;
  }
  return 0;
}

namespace {
double ratio(int64_t a, int64_t b) {
  return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
}
}  // namespace

double Overhead::mac_overhead() const { return ratio(extra_macs, macs); }
double Overhead::param_overhead() const { return ratio(extra_params, params); }
double Overhead::neuron_overhead() const { return ratio(extra_neurons, neurons); }
double Overhead::gate_overhead() const {
  return macs > 0 ? static_cast<double>(correction_gates + pool_copy_gates) /
                        (static_cast<double>(macs) * static_cast<double>(kMacGates))
                  : 0.0;
}

nlohmann::json Overhead::to_json() const {
  return {{"macs", macs},
          {"extra_macs", extra_macs},
          {"params", params},
          {"extra_params", extra_params},
          {"neurons", neurons},
          {"extra_neurons", extra_neurons},
          {"protected_channels", protected_channels},
          {"protected_neurons", protected_neurons},
          {"correction_gates", correction_gates},
          {"pool_copy_gates", pool_copy_gates},
          {"mac_overhead", mac_overhead()},
          {"param_overhead", param_overhead()},
          {"neuron_overhead", neuron_overhead()},
          {"gate_overhead", gate_overhead()}};
}

Overhead hardening_overhead(const qnn::QModel& model, const Selection& selection, Scheme scheme,
                            Placement placement) {
  Overhead o;
  const qnn::ExecutionPlan plan(model);
  for (int v : plan.neuron_values()) o.neurons += model.value(v).shape.elements();
  const int64_t copies = extra_copies(scheme);
  for (int i = 0; i < static_cast<int>(model.nodes.size()); ++i) {
    const qnn::QNode& n = model.node(i);
    if (n.op != qnn::OpKind::kConv && n.op != qnn::OpKind::kDense) continue;
    const int64_t oc = n.weight.shape[0];
    o.macs += channel_macs(model, i) * oc;
    o.params += n.weight.size() + oc;
    const auto chosen =
        selection.channels.empty()
            ? 0
            : static_cast<int64_t>(selection.channels[static_cast<size_t>(i)].size());
    const int64_t positions = model.value(n.output).shape.elements() / oc;
    o.protected_channels += chosen;
    o.protected_neurons += chosen * positions;
    const int pool = chosen > 0 && corrects_after_pool(scheme, placement)
                         ? detail::sole_pool_reader(model, plan, i)
                         : -1;
    // The neurons the Correction runs on: the layer's, or the pool's after it.
    int64_t corrected = positions;
    int32_t zero_point = model.value(n.output).quant.zero_point;
    if (pool >= 0) {
      const qnn::QNode& p = model.node(pool);
      const qnn::QValue& pooled = model.value(p.output);
      corrected = pooled.shape.elements() / pooled.shape[0];
      zero_point = pooled.quant.zero_point;
      const int64_t window = int64_t{p.window.kernel_h} * p.window.kernel_w;
      const int64_t step =
          p.op == qnn::OpKind::kMaxPool ? kMaxPoolStepGates : kAveragePoolStepGates;
      o.pool_copy_gates += copies * chosen * corrected * (window - 1) * step;
      o.protected_neurons += chosen * corrected;
      o.extra_neurons += copies * chosen * corrected;
    }
    o.correction_gates += chosen * corrected * correction_unit_gates(scheme, zero_point);
    o.extra_macs += copies * chosen * channel_macs(model, i);
    o.extra_params += copies * chosen * (n.reduction_size() + 1);
    o.extra_neurons += copies * chosen * positions;
  }
  return o;
}

}  // namespace hardy::harden
