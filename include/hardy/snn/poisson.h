// Poisson input spike trains, drawn event by event (geometric gaps) instead of one Bernoulli
// trial per input per step; the distribution is the same.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "hardy/core/rng.h"

namespace hardy::snn {

/// Spikes of all inputs over `steps` steps, grouped by step (CSR): the inputs spiking at step s
/// are inputs[offsets[s] .. offsets[s+1]), in increasing input order.
struct InputSpikes {
  int steps = 0;
  std::vector<uint32_t> offsets;  ///< steps + 1
  std::vector<uint16_t> inputs;
  std::vector<uint64_t> scratch;  ///< reused by draw_input_spikes

  std::span<const uint16_t> at(int step) const {
    return {inputs.data() + offsets[step], inputs.data() + offsets[step + 1]};
  }
  int64_t count() const { return static_cast<int64_t>(inputs.size()); }
};

/// Draws spike trains for one presentation. Input i fires at each step independently with
/// probability p_i = min(1, pixel_i / 255 · rate_hz · dt_ms · 1e-3) (Brian's PoissonGroup).
/// Instead of one trial per step, the gap to the next spike is drawn as
/// G = ⌊ln U / ln(1 − p)⌋ with U uniform in (0, 1], which has exactly the geometric law
/// P(G ≥ m) = (1 − p)^m of the per-step trials; the cost is one draw per spike (plus one per
/// active input), not per input and step. Draws come from `rng` input by input, in order
/// (U = 1 − rng.uniform()); ln U is computed in vectorized blocks within 2 ulp, and rng is left
/// exactly one value past the last U used.
/// Precondition: pixels.size() ≤ 65536; scratch vectors in `out` are reused.
void draw_input_spikes(std::span<const uint8_t> pixels, double rate_hz, double dt_ms, int steps,
                       RngStream& rng, InputSpikes& out);

}  // namespace hardy::snn
