// IntervalDense: each end of a Dense node's output bounds over an input box equals requantizing
// the sum at the box's extreme corner for that output (weights split by sign), on every Isa this
// CPU has, and every point of the box runs to bytes between the two ends.
#include "hardy/qnn/interval_dense.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "hardy/qnn/int8_executor.h"
#include "random_model.h"

namespace hardy::qnn {
namespace {

using testing::available_isas;

// The lower (upper) end for output o: the sum with each input at the end of its range that
// makes its product smallest (largest), requantized.
uint8_t corner(const QModel& m, const std::vector<uint8_t>& lo, const std::vector<uint8_t>& hi,
               int64_t o, bool upper) {
  const QNode& n = m.nodes[0];
  const int64_t k = n.reduction_size();
  const int32_t zx = m.value(n.inputs[0]).quant.zero_point;
  int64_t acc = n.bias[static_cast<size_t>(o)];
  for (int64_t i = 0; i < k; ++i) {
    const int32_t w = n.weight[o * k + i];
    const bool take_hi = (w > 0) == upper;
    acc += int64_t{w} * ((take_hi ? hi : lo)[static_cast<size_t>(i)] - zx);
  }
  return requantize(static_cast<int32_t>(acc), n.multiplier[static_cast<size_t>(o)],
                    m.value(n.output).quant.zero_point, n.out_min, n.out_max);
}

TEST(IntervalDense, EndsAreTheRequantizedCornersAndHoldEveryPointOfTheBox) {
  RngStream rng(21, stream_tag("interval_dense"), 0);
  for (const auto& [k, outs] : std::vector<std::pair<int, int>>{
           {1, 1}, {3, 5}, {4, 16}, {7, 17}, {84, 10}, {120, 84}, {256, 120}, {257, 33}}) {
    for (int shifted = 0; shifted < 2; ++shifted) {
      QModel m = testing::random_dense_model(k, outs, rng);
      // The second model: some outputs with a left shift (the scalar requantization path).
      if (shifted) {
        for (size_t o = 0; o < m.nodes[0].multiplier.size(); o += 3)
          m.nodes[0].multiplier[o].shift = 1;
      }
      ASSERT_TRUE(IntervalDense::applies(m, 0));
      const Int8Executor reference(m, KernelSet::kReference);
      auto ws = reference.make_workspace();
      for (Isa isa : available_isas()) {
        IntervalDense dense(m, 0, isa);
        ASSERT_EQ(dense.inputs(), k);
        ASSERT_EQ(dense.outputs(), outs);
        for (int trial = 0; trial < 4; ++trial) {
          std::vector<uint8_t> lo = testing::random_bytes(k, rng), hi(lo.size());
          for (size_t i = 0; i < lo.size(); ++i) {
            // Some inputs fixed (lo = hi), the others any range (trial 3: every byte 0..255).
            const int width = trial == 3            ? 255
                              : rng.uniform() < 0.4 ? 0
                                                    : static_cast<int>(rng.uniform() * 60);
            if (trial == 3) lo[i] = 0;
            hi[i] = static_cast<uint8_t>(std::min(255, lo[i] + width));
          }
          std::vector<uint8_t> out_lo(static_cast<size_t>(outs)), out_hi(out_lo.size());
          dense.bounds(lo.data(), hi.data(), out_lo.data(), out_hi.data());
          for (int64_t o = 0; o < outs; ++o) {
            ASSERT_EQ(out_lo[static_cast<size_t>(o)], corner(m, lo, hi, o, false))
                << "k=" << k << " outs=" << outs << " o=" << o << " isa=" << isa_name(isa);
            ASSERT_EQ(out_hi[static_cast<size_t>(o)], corner(m, lo, hi, o, true))
                << "k=" << k << " outs=" << outs << " o=" << o << " isa=" << isa_name(isa);
          }
          for (int point = 0; point < 8; ++point) {
            std::vector<uint8_t> x(lo.size());
            for (size_t i = 0; i < x.size(); ++i)
              x[i] = static_cast<uint8_t>(lo[i] + rng.uniform() * (hi[i] - lo[i] + 1) * 0.999);
            reference.run(x, ws);
            const auto y = reference.output(ws);
            for (int64_t o = 0; o < outs; ++o) {
              ASSERT_GE(y[static_cast<size_t>(o)], out_lo[static_cast<size_t>(o)]);
              ASSERT_LE(y[static_cast<size_t>(o)], out_hi[static_cast<size_t>(o)]);
            }
          }
        }
      }
    }
  }
}

// bounds_changed (golden inputs but for a few) equals bounds on the same box, whether it reads
// only the changed groups of 4 inputs (large weights, few changes) or the whole box.
TEST(IntervalDense, BoundsOfAFewChangedInputsEqualTheWholeBoxs) {
  RngStream rng(23, stream_tag("interval_dense_changed"), 0);
  for (const auto& [k, outs] :
       std::vector<std::pair<int, int>>{{5, 3}, {84, 10}, {256, 120}, {301, 130}, {1000, 40}}) {
    const QModel m = testing::random_dense_model(k, outs, rng);
    for (Isa isa : available_isas()) {
      IntervalDense dense(m, 0, isa);
      for (int image = 0; image < 3; ++image) {
        const std::vector<uint8_t> golden = testing::random_bytes(k, rng);
        dense.set_golden(golden.data());
        for (int trial = 0; trial < 20; ++trial) {
          std::vector<uint8_t> lo = golden, hi = golden;
          std::vector<int32_t> changed;
          const int count = 1 + static_cast<int>(rng.uniform() * (trial < 10 ? 8 : k));
          for (int c = 0; c < count; ++c) {
            const auto i = static_cast<int32_t>(rng.uniform() * k * 0.9999);
            if (std::find(changed.begin(), changed.end(), i) != changed.end()) continue;
            changed.push_back(i);
            const auto a = static_cast<uint8_t>(rng.uniform() * 255.99);
            const auto b = static_cast<uint8_t>(rng.uniform() * 255.99);
            lo[static_cast<size_t>(i)] = std::min(a, b);
            hi[static_cast<size_t>(i)] = std::max(a, b);
          }
          std::vector<uint8_t> want_lo(static_cast<size_t>(outs)), want_hi(want_lo.size());
          std::vector<uint8_t> got_lo(want_lo.size()), got_hi(want_lo.size());
          dense.bounds(lo.data(), hi.data(), want_lo.data(), want_hi.data());
          dense.bounds_changed(lo.data(), hi.data(), changed, got_lo.data(), got_hi.data());
          ASSERT_EQ(got_lo, want_lo) << "k=" << k << " outs=" << outs << " changed "
                                     << changed.size() << " isa=" << isa_name(isa);
          ASSERT_EQ(got_hi, want_hi) << "k=" << k << " outs=" << outs << " changed "
                                     << changed.size() << " isa=" << isa_name(isa);
        }
      }
    }
  }
}

TEST(IntervalDense, AppliesOnlyToDenseNodesWithNonNegativeMultipliers) {
  RngStream rng(22, stream_tag("interval_dense_applies"), 0);
  QModel m = testing::random_dense_model(8, 4, rng);
  EXPECT_TRUE(IntervalDense::applies(m, 0));
  m.nodes[0].multiplier[2].multiplier = -m.nodes[0].multiplier[2].multiplier - 1;
  EXPECT_FALSE(IntervalDense::applies(m, 0));
  EXPECT_FALSE(IntervalDense::applies(testing::random_add_model(2, 3, 3, rng), 0));
}

}  // namespace
}  // namespace hardy::qnn
