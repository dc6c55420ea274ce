// The vector kernels that follow changes through Conv/Dense nodes equal their scalar definitions:
// requantize_sums (portable and AVX-512 loops) is qnn::requantize bit for bit, on boundary sums and
// random ones, for the multipliers and right shifts quantized models have; bound_scaled_outputs
// (both loops) is add_scaled_interval, flag_outside and requantize_sums of one input;
// requantize_lanes is requantize_sums with one accumulator and multiplier.
#include "hardy/fault/mac_geometry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <tuple>
#include <vector>

#include "hardy/core/fixed_point.h"
#include "hardy/core/rng.h"
#include "hardy/qnn/reference_kernels.h"

namespace hardy::fault {
namespace {

TEST(MacKernels, RequantizeSumsEqualsTheReferenceRequantization) {
  RngStream rng(7, 1, 0);
  std::vector<int32_t> acc, delta, mult, rshift;
  // Boundary sums (including ones that saturate int32), then random ones, over 37 lanes (not a
  // multiple of any vector width).
  const std::vector<int64_t> edges = {0,       1,          -1,         2,         -2,
                                      1 << 20, -(1 << 20), INT32_MAX,  INT32_MIN, 12345,
                                      -12345,  1 << 30,    -(1 << 30), 255,       -255};
  std::vector<QuantizedMultiplier> multipliers;
  for (double m : {0.0000123, 0.00071, 0.0123, 0.37, 0.5, 0.99}) {
    multipliers.push_back(quantize_multiplier(m));
  }
  for (int round = 0; round < 200; ++round) {
    acc.clear();
    delta.clear();
    mult.clear();
    rshift.clear();
    for (int c = 0; c < 37; ++c) {
      const QuantizedMultiplier q = multipliers[static_cast<size_t>(c) % multipliers.size()];
      mult.push_back(q.multiplier);
      rshift.push_back(-q.shift);
      if (round < 15) {
        acc.push_back(static_cast<int32_t>(edges[static_cast<size_t>(round)]));
        delta.push_back(static_cast<int32_t>(edges[static_cast<size_t>(c) % edges.size()]));
      } else {
        acc.push_back(static_cast<int32_t>(rng.uniform_below(2'000'001)) - 1'000'000);
        delta.push_back(static_cast<int32_t>(rng.uniform_below(200'001)) - 100'000);
      }
    }
    for (const auto& [zp, lo, hi] :
         {std::tuple{0, 0, 255}, std::tuple{128, 128, 255}, std::tuple{37, 0, 200}}) {
      for (Isa isa : {Isa::kGeneric, Isa::kAvx512}) {
        if (!cpu_supports(isa)) continue;
        std::vector<uint8_t> out(37, 0);
        requantize_sums(acc.data(), delta.data(), mult.data(), rshift.data(), zp, lo, hi,
                        out.data(), 37, isa);
        for (size_t c = 0; c < 37; ++c) {
          const auto sum = static_cast<int32_t>(
              std::clamp<int64_t>(int64_t{acc[c]} + delta[c], INT32_MIN, INT32_MAX));
          const uint8_t want = qnn::requantize(sum, {mult[c], -rshift[c]}, zp,
                                               static_cast<uint8_t>(lo), static_cast<uint8_t>(hi));
          ASSERT_EQ(out[c], want) << "lane " << c << " sum " << sum << " round " << round << " isa "
                                  << isa_name(isa);
        }
      }
    }
  }
}

// requantize_lanes is requantize_sums with one accumulator and one multiplier for every lane.
TEST(MacKernels, RequantizeLanesIsRequantizeSumsWithOneAccumulator) {
  RngStream rng(9, 1, 0);
  for (int round = 0; round < 300; ++round) {
    const int64_t n = 1 + static_cast<int64_t>(rng.uniform_below(64));
    const QuantizedMultiplier q =
        quantize_multiplier(0.0001 + static_cast<double>(rng.uniform_below(1000)) / 1001.0);
    const auto acc = static_cast<int32_t>(rng.uniform_below(2'000'001)) - 1'000'000;
    std::vector<int32_t> delta, accs(static_cast<size_t>(n), acc),
        mult(static_cast<size_t>(n), q.multiplier), rshift(static_cast<size_t>(n), -q.shift);
    for (int64_t k = 0; k < n; ++k)
      delta.push_back(static_cast<int32_t>(rng.uniform_below(200'001)) - 100'000);
    if (round == 0) delta[0] = INT32_MAX;  // a saturating sum
    for (Isa isa : {Isa::kGeneric, Isa::kAvx512}) {
      if (!cpu_supports(isa)) continue;
      std::vector<uint8_t> got(static_cast<size_t>(n)), want(static_cast<size_t>(n));
      requantize_lanes(acc, delta.data(), q.multiplier, -q.shift, 17, 3, 250, got.data(), n, isa);
      requantize_sums(accs.data(), delta.data(), mult.data(), rshift.data(), 17, 3, 250,
                      want.data(), n, Isa::kGeneric);
      ASSERT_EQ(got, want) << "round " << round << " isa " << isa_name(isa);
    }
  }
}

// bound_scaled_outputs lists exactly the outputs whose sum's interval leaves the slack, in order,
// with the requantized ends of the interval, on every loop this CPU has: for lane counts around
// the vector width, random weights, slacks (some empty on one side) and input ranges on either
// side of 0.
TEST(MacKernels, BoundScaledOutputsEqualsItsDefinition) {
  RngStream rng(8, 1, 0);
  const QuantizedMultiplier q = quantize_multiplier(0.0071);
  for (int round = 0; round < 300; ++round) {
    const int64_t n = 1 + static_cast<int64_t>(rng.uniform_below(40));
    std::vector<int32_t> w, acc, slack_lo, slack_hi, mult, rshift;
    for (int64_t c = 0; c < n; ++c) {
      w.push_back(static_cast<int32_t>(rng.uniform_below(256)) - 128);
      acc.push_back(static_cast<int32_t>(rng.uniform_below(40'001)) - 20'000);
      slack_lo.push_back(-static_cast<int32_t>(rng.uniform_below(300)));
      slack_hi.push_back(static_cast<int32_t>(rng.uniform_below(300)));
      mult.push_back(q.multiplier);
      rshift.push_back(-q.shift);
    }
    int32_t dl = static_cast<int32_t>(rng.uniform_below(511)) - 255;
    int32_t dh = static_cast<int32_t>(rng.uniform_below(511)) - 255;
    if (dl > dh) std::swap(dl, dh);
    // Some slacks end exactly at the interval's ends (inside), some one short (outside).
    for (int64_t c = 0; c < n; ++c) {
      const auto sc = static_cast<size_t>(c);
      const int32_t a = w[sc] * dl, b = w[sc] * dh;
      const uint64_t pick = rng.uniform_below(4);
      if (pick == 0) {
        slack_lo[sc] = std::min({a, b, 0});
        slack_hi[sc] = std::max({a, b, 0});
      } else if (pick == 1) {
        slack_lo[sc] = std::min({a, b, 0});
        slack_hi[sc] = std::max({a, b, 0}) - 1;
      } else if (pick == 2) {
        slack_lo[sc] = std::min({a, b, 0}) + 1;
        slack_hi[sc] = std::max({a, b, 0});
      }
    }
    const ScaledOutputs outputs{
        w.data(), acc.data(), slack_lo.data(), slack_hi.data(), mult.data(), rshift.data(), 3, 0,
        250,      n};
    for (Isa isa : {Isa::kGeneric, Isa::kAvx512}) {
      if (!cpu_supports(isa)) continue;
      std::vector<uint8_t> lo(static_cast<size_t>(n)), hi(lo.size());
      std::vector<int32_t> moved(static_cast<size_t>(n), -1);
      const int64_t k =
          bound_scaled_outputs(outputs, dl, dh, lo.data(), hi.data(), moved.data(), isa);
      int64_t want_k = 0;
      for (int64_t c = 0; c < n; ++c) {
        const auto sc = static_cast<size_t>(c);
        const int32_t a = w[sc] * dl, b = w[sc] * dh;
        const int32_t dlo = std::min(a, b), dhi = std::max(a, b);
        if (dlo >= slack_lo[sc] && dhi <= slack_hi[sc]) continue;
        ASSERT_LT(want_k, k) << "round " << round << " isa " << isa_name(isa);
        ASSERT_EQ(moved[static_cast<size_t>(want_k++)], c) << "round " << round;
        ASSERT_EQ(lo[sc], qnn::requantize(acc[sc] + dlo, q, 3, 0, 250)) << "round " << round;
        ASSERT_EQ(hi[sc], qnn::requantize(acc[sc] + dhi, q, 3, 0, 250)) << "round " << round;
      }
      ASSERT_EQ(k, want_k) << "round " << round << " isa " << isa_name(isa);
    }
  }
}

}  // namespace
}  // namespace hardy::fault
