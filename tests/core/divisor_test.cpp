// Divisor's quotient equals integer division for every divisor class (1, powers of two, odd,
// the largest) and numerators at the edges and at random.
#include "hardy/core/divisor.h"

#include <gtest/gtest.h>

#include <vector>

#include "hardy/core/rng.h"

namespace hardy {
namespace {

TEST(Divisor, QuotientEqualsIntegerDivision) {
  std::vector<uint32_t> divisors = {1,  2,  3,   5,   7,        9,          16,
                                    28, 49, 196, 784, 1u << 31, UINT32_MAX, UINT32_MAX - 1};
  RngStream rng(5, 7, 0);
  for (int i = 0; i < 200; ++i)
    divisors.push_back(1 + static_cast<uint32_t>(rng.uniform_below(UINT32_MAX)));
  for (uint32_t d : divisors) {
    const Divisor div(d);
    EXPECT_EQ(div.divisor(), d);
    std::vector<uint32_t> numerators = {0, 1, d - 1, d, UINT32_MAX, UINT32_MAX - 1};
    if (d < UINT32_MAX / 3) numerators.insert(numerators.end(), {2 * d - 1, 2 * d, 3 * d + 1});
    for (int i = 0; i < 2000; ++i)
      numerators.push_back(static_cast<uint32_t>(rng.uniform_below(uint64_t{UINT32_MAX} + 1)));
    for (uint32_t n : numerators) ASSERT_EQ(div.quotient(n), n / d) << n << " / " << d;
  }
}

TEST(Divisor, ZeroIsRefused) { EXPECT_THROW(Divisor(0), std::exception); }

}  // namespace
}  // namespace hardy
