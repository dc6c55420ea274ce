// FNV-1a 64: published known answers, incremental == one-shot, file hashing, stream tags.
#include "hardy/core/hash.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "hardy/core/error.h"
#include "hardy/core/rng.h"

namespace hardy {
namespace {

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Known answers from the FNV reference test vectors (Noll, fnv_test.c).
TEST(Hash, Fnv1a64KnownAnswers) {
  EXPECT_EQ(fnv1a64(std::string_view("")), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64(std::string_view("a")), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64(std::string_view("foobar")), 0x85944171f73967e8ULL);
  EXPECT_EQ(fnv1a64(bytes_of("foobar")), 0x85944171f73967e8ULL);
  static_assert(fnv1a64(std::string_view("a")) == 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(hash_hex(0xaf63dc4c8601ec8cULL), "af63dc4c8601ec8c");
  EXPECT_EQ(hash_hex(0x1), "0000000000000001");
}

TEST(Hash, IncrementalEqualsOneShotForEverySplit) {
  const std::string text = "the quick brown fox jumps over the lazy dog";
  const uint64_t whole = fnv1a64(bytes_of(text));
  for (size_t a = 0; a <= text.size(); ++a) {
    for (size_t b = a; b <= text.size(); b += 5) {
      Fnv1a64 h;
      h.update(bytes_of(text).first(a));
      h.update(std::string_view(text).substr(a, b - a));
      h.update(bytes_of(text).subspan(b));
      ASSERT_EQ(h.digest(), whole) << a << " " << b;
    }
  }
  EXPECT_EQ(Fnv1a64().digest(), kFnv1a64Offset);
}

TEST(Hash, FileHashEqualsTheBytesHashAcrossBlockBoundaries) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("hardy_hash_test_" + std::to_string(getpid()) + ".bin");
  std::vector<uint8_t> data((1 << 16) * 2 + 7);  // spans three read blocks
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + 7);
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  EXPECT_EQ(file_hash_hex(path.string()), hash_hex(fnv1a64(data)));
  std::filesystem::remove(path);
  EXPECT_THROW(file_hash_hex(path.string()), FileError);
}

TEST(Hash, StreamTagIsTheFnv1a64OfTheName) {
  EXPECT_EQ(stream_tag("foobar"), 0x85944171f73967e8ULL);
  EXPECT_EQ(stream_tag(""), kFnv1a64Offset);
}

}  // namespace
}  // namespace hardy
