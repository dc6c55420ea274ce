// Event-driven Poisson spike generation.
#include "hardy/snn/poisson.h"

#include <array>
#include <cmath>

#include "hardy/core/error.h"
#include "kernels.h"

namespace hardy::snn {

void draw_input_spikes(std::span<const uint8_t> pixels, double rate_hz, double dt_ms, int steps,
                       RngStream& rng, InputSpikes& out) {
  HARDY_CHECK(pixels.size() <= 65536 && steps >= 0);
  // 1 / ln(1 − p) per pixel value (0 for p = 0: never fires; −0 marks p ≥ 1: fires every step).
  std::array<double, 256> inv_log_q{};
  std::array<bool, 256> every_step{};
  for (int v = 1; v < 256; ++v) {
    const double p = v / 255.0 * rate_hz * dt_ms * 1e-3;
    if (p >= 1.0) {
      every_step[v] = true;
    } else if (p > 0.0) {
      inv_log_q[v] = 1.0 / std::log1p(-p);
    }
  }
  out.steps = steps;
  out.offsets.assign(static_cast<size_t>(steps) + 1, 0);
  // Pass 1: draw spike steps input by input into a flat (step, input) list; pass 2: counting
  // sort by step, which keeps inputs in increasing order within a step.
  std::vector<uint64_t>& flat = out.scratch;  // step << 16 | input
  flat.clear();
  // ln u of the uniforms u = 1 − rng.uniform() in (0, 1], computed kBlock at a time (vectorized);
  // the values not used are handed back to rng at the end, so it ends where one draw per use
  // would have left it.
  constexpr int kBlock = 64;
  static const auto logs_of = detail::kernels(detail::kernel_isa(detect_isa())).log_uniforms;
  std::array<uint64_t, kBlock> raw;
  std::array<double, kBlock> logs;
  int next_log = kBlock;
  for (size_t i = 0; i < pixels.size(); ++i) {
    const uint8_t v = pixels[i];
    if (every_step[v]) {
      for (int s = 0; s < steps; ++s) flat.push_back(static_cast<uint64_t>(s) << 16 | i);
      continue;
    }
    const double inv = inv_log_q[v];
    if (inv == 0.0) continue;
    const auto limit = static_cast<double>(steps);
    int64_t s = -1;
    for (;;) {
      if (next_log == kBlock) {
        for (uint64_t& b : raw) b = rng.next_u64();
        logs_of(raw.data(), logs.data(), kBlock);
        next_log = 0;
      }
      const double gap = logs[next_log++] * inv;  // ln u · 1/ln(1−p) ≥ 0: truncation is floor
      if (gap >= limit) break;
      s += 1 + static_cast<int64_t>(gap);
      if (s >= steps) break;
      flat.push_back(static_cast<uint64_t>(s) << 16 | i);
    }
  }
  rng.rewind(static_cast<uint64_t>(kBlock - next_log));
  // offsets[s] = number of spikes in steps ≤ s, then filled from the back so it ends as the
  // start of step s (keeping the input order within a step).
  for (uint64_t e : flat) ++out.offsets[e >> 16];
  for (int s = 1; s < steps; ++s) out.offsets[s] += out.offsets[s - 1];
  out.offsets[static_cast<size_t>(steps)] = static_cast<uint32_t>(flat.size());
  out.inputs.resize(flat.size());
  for (auto e = flat.rbegin(); e != flat.rend(); ++e) {
    out.inputs[--out.offsets[*e >> 16]] = static_cast<uint16_t>(*e & 0xffff);
  }
}

}  // namespace hardy::snn
