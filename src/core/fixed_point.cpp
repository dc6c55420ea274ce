// Conversion of real multipliers to fixed point (TFLite QuantizeMultiplier).
#include "hardy/core/fixed_point.h"

#include <cmath>

#include "hardy/core/error.h"

namespace hardy {

QuantizedMultiplier quantize_multiplier(double m) {
  HARDY_CHECK(m >= 0.0 && std::isfinite(m));
  if (m == 0.0) return {};
  int shift = 0;
  const double q = std::frexp(m, &shift);  // m = q · 2^shift, q in [0.5, 1)
  auto q_fixed = static_cast<int64_t>(std::round(q * static_cast<double>(int64_t{1} << 31)));
  if (q_fixed == (int64_t{1} << 31)) {
    q_fixed /= 2;
    ++shift;
  }
  if (shift < -31) return {};
  if (shift > 30) return {std::numeric_limits<int32_t>::max(), 30};
  return {static_cast<int32_t>(q_fixed), shift};
}

}  // namespace hardy
