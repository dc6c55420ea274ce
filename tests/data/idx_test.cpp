// IDX reader: round trip raw and gzip; every malformed header or size reported as FormatError.
#include "hardy/data/idx.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "../test_temp_dir.h"
#include "hardy/core/error.h"

namespace hardy::data {
namespace {

std::string temp_path(const std::string& name) { return testing::test_temp_path(name); }

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

IdxArray sample() {
  IdxArray a;
  a.dims = {2, 3, 4};
  for (int i = 0; i < 24; ++i) a.data.push_back(static_cast<uint8_t>(i * 7));
  return a;
}

TEST(Idx, RoundTripRaw) {
  const auto path = temp_path("raw");
  write_idx(path, sample());
  const IdxArray b = read_idx(path);
  EXPECT_EQ(b.dims, sample().dims);
  EXPECT_EQ(b.data, sample().data);
}

TEST(Idx, ReadsGzip) {
  const auto raw = temp_path("gz_src");
  write_idx(raw, sample());
  std::ifstream in(raw, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
  const auto gz = temp_path("a.gz");
  gzFile f = gzopen(gz.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
  EXPECT_EQ(read_idx(gz).data, sample().data);
}

TEST(Idx, MissingFileIsFileError) { EXPECT_THROW(read_idx("/nonexistent/file.idx"), FileError); }

TEST(Idx, WrongMagicNamesFileAndMagic) {
  const auto path = temp_path("magic");
  write_bytes(path, {0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1, 5});
  try {
    read_idx(path);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("0x12340801"), std::string::npos);
  }
}

TEST(Idx, WrongElementTypeIsRejected) {
  const auto path = temp_path("type");
  write_bytes(path, {0, 0, 0x0D, 0x01, 0, 0, 0, 1, 0, 0, 0, 0});  // float elements
  EXPECT_THROW(read_idx(path), FormatError);
}

TEST(Idx, TruncatedHeaderDataAndTrailingBytesAreRejected) {
  const auto path = temp_path("trunc");
  write_bytes(path, {0, 0});
  EXPECT_THROW(read_idx(path), FormatError);
  write_bytes(path, {0, 0, 8, 2, 0, 0, 0, 2});
  EXPECT_THROW(read_idx(path), FormatError);
  write_bytes(path, {0, 0, 8, 1, 0, 0, 0, 3, 1, 2});
  EXPECT_THROW(read_idx(path), FormatError);
  write_bytes(path, {0, 0, 8, 1, 0, 0, 0, 2, 1, 2, 3});
  EXPECT_THROW(read_idx(path), FormatError);
  write_bytes(path, {0, 0, 8, 1, 0, 0, 0, 0});
  EXPECT_THROW(read_idx(path), FormatError);
}

}  // namespace
}  // namespace hardy::data
