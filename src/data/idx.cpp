// IDX reader/writer over zlib's gz* interface (which also reads uncompressed files transparently).
#include "hardy/data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>

#include "hardy/core/error.h"

namespace hardy::data {
namespace {

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

// Reads exactly n bytes or reports how many were available.
size_t read_bytes(gzFile f, uint8_t* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    const auto chunk = static_cast<unsigned>(std::min<size_t>(n - got, 1u << 30));
    const int r = gzread(f, out + got, chunk);
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  if (!std::ifstream(path).good()) throw FileError(path, "cannot open file");
  GzHandle f(gzopen(path.c_str(), "rb"));
  if (!f) throw FileError(path, "cannot open file");
  uint8_t header[4];
  if (read_bytes(f.get(), header, 4) != 4) {
    throw FormatError(path, "header", "4-byte IDX magic", "end of file");
  }
  const uint32_t magic = (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) |
                         (uint32_t{header[2]} << 8) | header[3];
  if (header[0] != 0 || header[1] != 0 || header[2] != 0x08 || header[3] == 0 || header[3] > 4) {
    throw FormatError(path, "magic", "0x0000080N (unsigned byte, rank 1..4)", hex(magic));
  }
  IdxArray a;
  const int rank = header[3];
  uint64_t elements = 1;
  for (int i = 0; i < rank; ++i) {
    uint8_t d[4];
    if (read_bytes(f.get(), d, 4) != 4) {
      throw FormatError(path, "dimension " + std::to_string(i), "4-byte size", "end of file");
    }
    const uint32_t dim =
        (uint32_t{d[0]} << 24) | (uint32_t{d[1]} << 16) | (uint32_t{d[2]} << 8) | d[3];
    if (dim == 0 || dim > (1u << 28)) {
      throw FormatError(path, "dimension " + std::to_string(i), "size in 1..2^28",
                        std::to_string(dim));
    }
    elements *= dim;
    if (elements > (uint64_t{1} << 34)) {
      throw FormatError(path, "dimensions", "at most 2^34 elements", "more");
    }
    a.dims.push_back(dim);
  }
  // The buffer grows as bytes arrive (each step at most doubles it, from 1 MiB), so a corrupt
  // header that claims billions of elements costs about as much memory as the file really holds.
  size_t got = 0;
  while (got < elements) {
    const size_t want =
        std::min<size_t>(static_cast<size_t>(elements) - got, std::max<size_t>(got, 1u << 20));
    a.data.resize(got + want);
    const size_t n = read_bytes(f.get(), a.data.data() + got, want);
    got += n;
    if (n < want) break;
  }
  if (got != elements) {
    throw FormatError(path, "data", std::to_string(elements) + " bytes",
                      std::to_string(got) + " (file truncated)");
  }
  uint8_t extra;
  if (read_bytes(f.get(), &extra, 1) != 0) {
    throw FormatError(path, "data", "end of file after " + std::to_string(elements) + " bytes",
                      "trailing bytes");
  }
  int err = Z_OK;
  gzerror(f.get(), &err);
  if (err != Z_OK && err != Z_STREAM_END)
    throw FormatError(path, "gzip stream", "valid", "corrupt");
  return a;
}

void write_idx(const std::string& path, const IdxArray& array) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw FileError(path, "cannot create file");
  const uint8_t magic[4] = {0, 0, 0x08, static_cast<uint8_t>(array.dims.size())};
  out.write(reinterpret_cast<const char*>(magic), 4);
  for (uint32_t d : array.dims) {
    const uint8_t b[4] = {static_cast<uint8_t>(d >> 24), static_cast<uint8_t>(d >> 16),
                          static_cast<uint8_t>(d >> 8), static_cast<uint8_t>(d)};
    out.write(reinterpret_cast<const char*>(b), 4);
  }
  out.write(reinterpret_cast<const char*>(array.data.data()),
            static_cast<std::streamsize>(array.data.size()));
  if (!out) throw FileError(path, "write failed");
}

}  // namespace hardy::data
