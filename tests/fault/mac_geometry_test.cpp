// The vector kernels that follow changes through Conv/Dense nodes equal their scalar definitions:
// requantize_sums (portable and AVX-512 loops) is qnn::requantize bit for bit, on boundary sums and
// random ones, for the multipliers and right shifts quantized models have.
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

}  // namespace
}  // namespace hardy::fault
