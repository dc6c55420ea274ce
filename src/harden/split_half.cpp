// split-half: each selected channel's weights and bias split in two halves that sum to the
// original; the Correction adds the two requantized halves.
#include "channel_copies.h"
#include "hardy/harden/passes.h"

namespace hardy::harden {

qnn::QModel split_half(const qnn::QModel& model, const Selection& selection) {
  qnn::QModel m =
      detail::add_channel_copies(model, selection, 1, qnn::CorrectionRule::kHalfSum, "halfsum");
  for (size_t i = 1; i < m.nodes.size(); ++i) {
    qnn::QNode& fix = m.nodes[i];
    if (fix.op != qnn::OpKind::kCorrection) continue;
    qnn::QNode& mac = m.nodes[i - 1];  // add_channel_copies puts the Correction right after it
    // The sum saturates where the layer did: the layer's activation clamp.
    fix.out_min = mac.out_min;
    fix.out_max = mac.out_max;
    const int64_t k = mac.reduction_size();
    const auto oc = static_cast<int64_t>(fix.correction_copies.size() / 2);
    for (int64_t c = 0; c < oc; ++c) {
      const int32_t copy = fix.correction_copies[static_cast<size_t>(2 * c)];
      if (copy < 0) continue;
      for (int64_t e = 0; e < k; ++e) {
        const int8_t w = mac.weight[c * k + e];
        const auto half = static_cast<int8_t>(w / 2);  // truncates toward zero
        mac.weight[c * k + e] = static_cast<int8_t>(w - half);
        mac.weight[copy * k + e] = half;
      }
      const int32_t b = mac.bias[static_cast<size_t>(c)];
      mac.bias[static_cast<size_t>(c)] = b - b / 2;
      mac.bias[static_cast<size_t>(copy)] = b / 2;
    }
  }
  m.validate();
  return m;
}

}  // namespace hardy::harden
