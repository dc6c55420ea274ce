// Sectioned binary files: round trip, every truncation and every bit flip is a FormatError,
// trailing bytes are refused, atomic writes leave no partial or temporary file.
#include "hardy/core/binary_io.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "hardy/core/error.h"
#include "hardy/core/hash.h"

namespace hardy::binio {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'H', 'A', 'R', 'D', 'Y', 'T', 'S', 'T'};

struct Content {
  uint32_t version = 0;
  int64_t count = 0;
  double value = 0;
  std::vector<float> floats;
  std::vector<uint8_t> empty;
  std::string text;
  bool operator==(const Content&) const = default;
};

Content sample() { return {3, -42, 0.125, {1.5f, -2.0f, 3.25f}, {}, "hello"}; }

std::vector<uint8_t> encode(const Content& c) {
  std::vector<uint8_t> out;
  put_preamble(out, kMagic, c.version);
  put<int64_t>(out, c.count);
  put<double>(out, c.value);
  put_vector_section(out, "FLTS", std::span<const float>(c.floats));
  put_vector_section(out, "NONE", std::span<const uint8_t>(c.empty));  // an empty section
  put_section(out, "TEXT", c.text.data(), c.text.size());
  put_checksum(out);
  return out;
}

Content decode(std::span<const uint8_t> bytes) {
  Reader r(bytes, "t.bin");
  Content c;
  c.version = r.preamble(kMagic, "a test file", 2, 3);
  c.count = r.get<int64_t>("count");
  c.value = r.get<double>("value");
  c.floats = r.vector_section<float>("FLTS", 1024);
  c.empty = r.vector_section<uint8_t>("NONE", 0);
  const auto t = r.vector_section<char>("TEXT", 64);
  c.text.assign(t.begin(), t.end());
  r.checksum_and_end();
  return c;
}

std::string error_of(std::span<const uint8_t> bytes) {
  try {
    decode(bytes);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

// A fresh directory per test (ctest runs tests in parallel), removed afterwards.
class BinaryFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hardy_binio_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
            std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

TEST(BinaryIo, RoundTripAndExactLayout) {
  const auto bytes = encode(sample());
  EXPECT_EQ(decode(bytes), sample());
  // 8 magic + 4 version + 4 reserved + 8 + 8, sections of 12-byte heads + payloads, 20 trailer.
  EXPECT_EQ(bytes.size(), 32u + (12 + 12) + 12 + (12 + 5) + 20);
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 8), "HARDYTST");
  EXPECT_EQ(bytes[8], 3);
  const size_t trailer = bytes.size() - 20;
  EXPECT_EQ(std::string(bytes.begin() + static_cast<ptrdiff_t>(trailer),
                        bytes.begin() + static_cast<ptrdiff_t>(trailer) + 4),
            "END!");
  uint64_t stored = 0;
  std::memcpy(&stored, bytes.data() + bytes.size() - 8, 8);
  EXPECT_EQ(stored, fnv1a64(std::span(bytes).first(trailer)));
}

TEST(BinaryIo, EveryTruncationIsAFormatError) {
  const auto bytes = encode(sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    const std::string msg = error_of(std::span(bytes).first(n));
    EXPECT_NE(msg.find("t.bin"), std::string::npos) << "prefix of " << n << " bytes: " << msg;
  }
}

TEST(BinaryIo, EveryBitFlipIsAFormatError) {
  const auto bytes = encode(sample());
  int checksum_errors = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int b = 0; b < 8; ++b) {
      auto bad = bytes;
      bad[i] = static_cast<uint8_t>(bad[i] ^ (1u << b));
      const std::string msg = error_of(bad);
      ASSERT_FALSE(msg.empty()) << "byte " << i << " bit " << b;
      checksum_errors += msg.find("checksum") != std::string::npos ? 1 : 0;
    }
  }
  // Flips in payloads (count, value, floats, text), in the stored sum itself and the one version
  // flip that stays readable (3 → 2) reach the checksum; flips in magic, the rest of the
  // version, reserved, tags and lengths are caught before it.
  const int payload_bits = 8 * (8 + 8 + 12 + 5 + 8);
  EXPECT_EQ(checksum_errors, payload_bits + 1);
}

TEST(BinaryIo, TrailingBytesAndWrongVersionOrTagAreErrors) {
  auto longer = encode(sample());
  longer.push_back(0);
  EXPECT_NE(error_of(longer).find("1 trailing bytes"), std::string::npos) << error_of(longer);

  Content old = sample();
  old.version = 1;
  const std::string msg = error_of(encode(old));
  EXPECT_NE(msg.find("version: expected 2..3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("found 1"), std::string::npos) << msg;

  auto tag = encode(sample());
  tag[32] = 'X';  // FLTS → XLTS
  EXPECT_NE(error_of(tag).find("section 'FLTS'"), std::string::npos) << error_of(tag);

  std::vector<uint8_t> wrong_magic = encode(sample());
  wrong_magic[0] = 'X';
  EXPECT_NE(error_of(wrong_magic).find("magic"), std::string::npos);
}

TEST(BinaryIo, LengthsBeyondTheLimitAreRefusedBeforeReading) {
  auto bytes = encode(sample());
  const uint64_t huge = uint64_t{1} << 62;
  std::memcpy(bytes.data() + 32 + 4, &huge, 8);  // FLTS length
  const std::string msg = error_of(bytes);
  EXPECT_NE(msg.find("FLTS length"), std::string::npos) << msg;
}

TEST_F(BinaryFile, WholeFileRoundTrip) {
  const auto bytes = encode(sample());
  write_file(path("a.bin"), bytes, "test file");
  EXPECT_EQ(read_file(path("a.bin"), "test file"), bytes);
  EXPECT_THROW(read_file(path("missing.bin"), "test file"), FileError);
  EXPECT_THROW(write_file(path("no/such/dir/a.bin"), bytes, "test file"), FileError);
}

TEST_F(BinaryFile, AtomicWriteReplacesWholeFilesAndLeavesNoTemporary) {
  const std::string p = path("ckpt.bin");
  Content first = sample();
  write_file_atomic(p, encode(first), "checkpoint");
  EXPECT_EQ(decode(read_file(p, "checkpoint")), first);
  EXPECT_FALSE(fs::exists(p + ".tmp"));
  // A writer killed mid-write leaves a partial "<path>.tmp" and the old file intact; the next
  // write replaces both.
  std::ofstream(p + ".tmp", std::ios::binary) << "HARDYTST partial";
  EXPECT_EQ(decode(read_file(p, "checkpoint")), first);
  Content second = sample();
  second.count = 7;
  second.floats.assign(200, 0.5f);
  write_file_atomic(p, encode(second), "checkpoint");
  EXPECT_EQ(decode(read_file(p, "checkpoint")), second);
  EXPECT_FALSE(fs::exists(p + ".tmp"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(BinaryFile, AtomicWriteThatCannotCreateIsAFileErrorAndKeepsTheOldFile) {
  const std::string p = path("keep.bin");
  write_file_atomic(p, encode(sample()), "checkpoint");
  fs::create_directory(p + ".tmp");  // the temporary name is taken by a directory
  EXPECT_THROW(write_file_atomic(p, encode(Content{}), "checkpoint"), FileError);
  EXPECT_EQ(decode(read_file(p, "checkpoint")), sample());
  EXPECT_THROW(write_file_atomic(path("no/such/dir/x.bin"), encode(sample()), "checkpoint"),
               FileError);
}

}  // namespace
}  // namespace hardy::binio
