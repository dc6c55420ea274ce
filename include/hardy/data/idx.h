// IDX files (LeCun's MNIST format), raw or gzip-compressed, validated on read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hardy::data {

/// An unsigned-byte IDX array: dims outermost first, data row-major.
struct IdxArray {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;
};

/// Reads an IDX file of element type 0x08 (unsigned byte); ".gz" files are decompressed.
/// Throws FileError (missing/unreadable) or FormatError (wrong magic, type, rank, truncated data,
/// trailing bytes). Thread-safe.
IdxArray read_idx(const std::string& path);

/// Writes an uncompressed IDX file (used by tests and tools). Throws FileError.
void write_idx(const std::string& path, const IdxArray& array);

}  // namespace hardy::data
