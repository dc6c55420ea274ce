// Test helper: random mutations of a quantized model with quantization the zoo never has.
#pragma once

#include <cstdint>

#include "hardy/qnn/qmodel.h"

namespace hardy::analysis::testing {

/// The zoo's quantization is regular (multipliers below 1, ReLU clamps at the zero point); a
/// user's model need not be. A mutation gives some hidden channels a multiplier of 1 or more (a
/// left shift: no vector requantization, no margin bound through that layer; `left_shifts` counts
/// them), on about half the hidden Conv/Dense layers raises the clamp floor by up to 15 and sets
/// the ceiling anywhere from 180 to 255, and scales every other multiplier and the Add's scales by
/// 0.7–1.4. The logits keep their clamps and get no left shift (a saturating class would win every
/// image). Deterministic in `seed`.
qnn::QModel mutated(const qnn::QModel& base, uint64_t seed, int64_t& left_shifts);

}  // namespace hardy::analysis::testing
