// Test helper: random mutations of a quantized model (see mutated_model.h).
#include "mutated_model.h"

#include <algorithm>

#include "hardy/core/fixed_point.h"
#include "hardy/core/rng.h"

namespace hardy::analysis::testing {

qnn::QModel mutated(const qnn::QModel& base, uint64_t seed, int64_t& left_shifts) {
  qnn::QModel m = base;
  RngStream rng(seed, 0x6d757461, 0);
  const auto jitter = [&](QuantizedMultiplier q) {
    return quantize_multiplier(real_multiplier(q) * (0.7 + 0.7 * rng.uniform()));
  };
  for (qnn::QNode& n : m.nodes) {
    // Not on the logits: a class with a multiplier ≥ 1, or a clamp near the logits' range, would
    // win every image.
    const bool logits = n.output == m.output;
    for (QuantizedMultiplier& q : n.multiplier) {
      if (!logits && rng.uniform() < 0.15) {
        q = quantize_multiplier(1.0 + 2.0 * rng.uniform());
        ++left_shifts;
      } else {
        q = jitter(q);
      }
    }
    if (n.op == qnn::OpKind::kAdd) {
      for (QuantizedMultiplier& q : n.add_input_multiplier) q = jitter(q);
    }
    if (!logits && !n.multiplier.empty() && rng.uniform() < 0.5) {
      n.out_min = static_cast<uint8_t>(
          std::min<int64_t>(n.out_min + static_cast<int64_t>(rng.uniform_below(16)), 100));
      n.out_max = static_cast<uint8_t>(180 + rng.uniform_below(76));
    }
  }
  m.validate();
  return m;
}

}  // namespace hardy::analysis::testing
