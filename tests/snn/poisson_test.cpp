// Poisson input: the event-driven (geometric gap) draw has the per-step Bernoulli law.
#include "hardy/snn/poisson.h"

#include <gtest/gtest.h>

#include <cmath>

namespace hardy::snn {
namespace {

TEST(Poisson, SilentPixelsNeverFireAndOrderIsByStepThenInput) {
  std::vector<uint8_t> px(784, 0);
  px[3] = 255;
  px[500] = 128;
  RngStream rng(1, 2, 3);
  InputSpikes s;
  draw_input_spikes(px, 63.75, 0.5, 700, rng, s);
  ASSERT_EQ(s.offsets.size(), 701u);
  EXPECT_EQ(s.offsets.back(), s.inputs.size());
  for (int t = 0; t < 700; ++t) {
    auto at = s.at(t);
    for (size_t q = 0; q < at.size(); ++q) {
      EXPECT_TRUE(at[q] == 3 || at[q] == 500);
      if (q) {
        EXPECT_LT(at[q - 1], at[q]);
      }
    }
  }
}

TEST(Poisson, TheStreamEndsOneValuePastTheLastUniformUsed) {
  // Each input with 0 < p < 1 uses one uniform per spike plus one that ends its train; the block
  // draw must hand back the rest, so the stream continues exactly there.
  std::vector<uint8_t> px(784, 0);
  for (int i = 0; i < 784; i += 3) px[static_cast<size_t>(i)] = static_cast<uint8_t>(i % 256);
  RngStream used(5, 6, 7), reference(5, 6, 7);
  InputSpikes s;
  draw_input_spikes(px, 63.75, 0.5, 700, used, s);
  int64_t active = 0;
  for (uint8_t v : px) active += v > 0;
  for (int64_t q = 0; q < s.count() + active; ++q) reference.next_u64();
  EXPECT_EQ(used.next_u64(), reference.next_u64());
}

TEST(Poisson, SameStreamSameSpikes) {
  std::vector<uint8_t> px(784, 200);
  InputSpikes a, b;
  RngStream r1(9, 9, 9), r2(9, 9, 9);
  draw_input_spikes(px, 63.75, 0.5, 700, r1, a);
  draw_input_spikes(px, 63.75, 0.5, 700, r2, b);
  EXPECT_EQ(a.inputs, b.inputs);
  EXPECT_EQ(a.offsets, b.offsets);
}

TEST(Poisson, RateAndPerStepProbabilityMatchBernoulliTrials) {
  // Every input at 63.75 Hz, dt 0.5 ms: p = 0.031875 per step, independent of the step.
  std::vector<uint8_t> px(784, 255);
  const double p = 63.75 * 0.5e-3;
  const int steps = 700, reps = 20;
  std::vector<int64_t> per_step(steps, 0);
  int64_t total = 0;
  for (int r = 0; r < reps; ++r) {
    RngStream rng(5, 6, static_cast<uint64_t>(r));
    InputSpikes s;
    draw_input_spikes(px, 63.75, 0.5, steps, rng, s);
    total += s.count();
    for (int t = 0; t < steps; ++t) per_step[t] += static_cast<int64_t>(s.at(t).size());
  }
  const double trials = 784.0 * steps * reps;
  const double sd = std::sqrt(trials * p * (1 - p));
  EXPECT_NEAR(static_cast<double>(total), trials * p, 5 * sd);
  // First 50 steps vs last 50 steps: same probability (no start-up bias from the gap draw).
  int64_t first = 0, last = 0;
  for (int t = 0; t < 50; ++t) {
    first += per_step[t];
    last += per_step[steps - 1 - t];
  }
  const double n50 = 784.0 * 50 * reps;
  const double sd50 = std::sqrt(n50 * p * (1 - p));
  EXPECT_NEAR(static_cast<double>(first), n50 * p, 5 * sd50);
  EXPECT_NEAR(static_cast<double>(last), n50 * p, 5 * sd50);
  // Within one step an input fires at most once.
  RngStream rng(1, 1, 1);
  InputSpikes s;
  draw_input_spikes(px, 63.75, 0.5, steps, rng, s);
  for (int t = 0; t < steps; ++t) {
    auto at = s.at(t);
    for (size_t q = 1; q < at.size(); ++q) ASSERT_LT(at[q - 1], at[q]);
  }
}

TEST(Poisson, CertainSpikesEveryStep) {
  std::vector<uint8_t> px = {255, 0};
  RngStream rng(1, 1, 1);
  InputSpikes s;
  draw_input_spikes(px, 2000.0, 0.5, 10, rng, s);  // p = 1
  EXPECT_EQ(s.count(), 10);
}

}  // namespace
}  // namespace hardy::snn
