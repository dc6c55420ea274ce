// Property: any corruption of an IDX file is either read or rejected with hardy::Error; no crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../test_temp_dir.h"
#include "hardy/core/error.h"
#include "hardy/core/rng.h"
#include "hardy/data/idx.h"

namespace hardy::data {
namespace {

TEST(IdxFuzz, RandomByteCorruptionsAreReadOrRejected) {
  const std::string path = testing::test_temp_path("fuzz.idx");
  IdxArray a{{3, 5, 4}, std::vector<uint8_t>(60, 17)};
  write_idx(path, a);
  std::ifstream in(path, std::ios::binary);
  const std::string good((std::istreambuf_iterator<char>(in)), {});
  int rejected = 0;
  for (uint64_t t = 0; t < 2000; ++t) {
    RngStream rng(7, stream_tag("idx_fuzz"), t);
    std::string bytes = good;
    const int edits = 1 + static_cast<int>(rng.uniform_below(4));
    for (int e = 0; e < edits; ++e) {
      bytes[rng.uniform_below(bytes.size())] = static_cast<char>(rng.next_u64());
    }
    if (rng.bernoulli(0.3)) bytes.resize(rng.uniform_below(bytes.size()));
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    try {
      const IdxArray b = read_idx(path);
      uint64_t elements = 1;
      for (uint32_t d : b.dims) elements *= d;
      ASSERT_EQ(elements, b.data.size());
    } catch (const Error&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 500);  // most corruptions hit the header or the size
}

}  // namespace
}  // namespace hardy::data
