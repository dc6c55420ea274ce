// Internal: little-endian binary writing and bounds-checked reading for hardy's own file formats
// (.snn networks, training checkpoints). Every read past the end is a FormatError naming the
// file, the offset and what was being read.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "hardy/core/error.h"
#include "hardy/core/hash.h"

namespace hardy::snn::detail {

template <class T>
void put(std::vector<uint8_t>& out, T v) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.insert(out.end(), b, b + sizeof(T));
}

inline void put_section(std::vector<uint8_t>& out, const char tag[4], const void* data,
                        uint64_t bytes) {
  out.insert(out.end(), tag, tag + 4);
  put<uint64_t>(out, bytes);
  const auto* p = static_cast<const uint8_t*>(data);
  out.insert(out.end(), p, p + bytes);
}

// Appends the trailer every format ends with: section END!, the FNV-1a 64 of every byte before it.
inline void put_checksum(std::vector<uint8_t>& out) {
  const uint64_t sum = fnv1a64(out);
  put_section(out, "END!", &sum, sizeof sum);
}

// Whole-file I/O with FileError naming the path and `what` the file is.
inline std::vector<uint8_t> read_file(const std::string& path, const std::string& what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw FileError(path, "cannot open " + what);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) throw FileError(path, "read failed");
  return bytes;
}
inline void write_file(const std::string& path, std::span<const uint8_t> bytes,
                       const std::string& what) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw FileError(path, "cannot create " + what);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  f.flush();
  if (!f) throw FileError(path, "write failed");
}

// Sequential reader that reports truncation with the offset and what it was reading.
class Reader {
 public:
  Reader(std::span<const uint8_t> bytes, const std::string& source)
      : bytes_(bytes), source_(source) {}

  size_t offset() const { return pos_; }
  const std::string& source() const { return source_; }
  size_t remaining() const { return bytes_.size() - pos_; }

  std::span<const uint8_t> take(uint64_t n, const std::string& what) {
    if (n > remaining()) {
      throw FormatError(source_, "offset " + std::to_string(pos_) + " (" + what + ")",
                        std::to_string(n) + " bytes",
                        std::to_string(remaining()) + " (file truncated)");
    }
    auto s = bytes_.subspan(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return s;
  }
  template <class T>
  T get(const std::string& what) {
    T v;
    std::memcpy(&v, take(sizeof(T), what).data(), sizeof(T));
    return v;
  }
  // The 8-byte magic that opens a file; `description` says what it should have been.
  void magic(const char expected[8], const std::string& description) {
    auto m = take(8, "magic");
    if (std::memcmp(m.data(), expected, 8) != 0) {
      throw FormatError(source_, "magic",
                        "'" + std::string(expected, 8) + "' (" + description + ")",
                        "'" + printable(m) + "'");
    }
  }
  // Reads a section header and checks its tag and length.
  std::span<const uint8_t> section(const char tag[4], uint64_t expected_bytes) {
    const uint64_t n = section_header(tag);
    if (n != expected_bytes) {
      throw FormatError(source_, std::string("section ") + std::string(tag, 4) + " length",
                        std::to_string(expected_bytes) + " bytes", std::to_string(n));
    }
    return take(n, std::string(tag, 4) + " payload");
  }
  // A section of any length up to `max_bytes`, as whole elements of T.
  template <class T>
  std::vector<T> vector_section(const char tag[4], uint64_t max_bytes) {
    const uint64_t n = section_header(tag);
    if (n > max_bytes || n % sizeof(T) != 0) {
      throw FormatError(source_, std::string("section ") + std::string(tag, 4) + " length",
                        "a multiple of " + std::to_string(sizeof(T)) + " bytes up to " +
                            std::to_string(max_bytes),
                        std::to_string(n));
    }
    auto bytes = take(n, std::string(tag, 4) + " payload");
    std::vector<T> v(static_cast<size_t>(n / sizeof(T)));
    std::memcpy(v.data(), bytes.data(), bytes.size());
    return v;
  }
  // The END! trailer: the checksum of everything before it, and nothing after it.
  void checksum_and_end() {
    const size_t body = pos_;
    auto end = section("END!", 8);
    uint64_t stored = 0;
    std::memcpy(&stored, end.data(), 8);
    const uint64_t actual = fnv1a64(bytes_.subspan(0, body));
    if (stored != actual) {
      throw FormatError(source_, "checksum", "FNV-1a " + std::to_string(actual),
                        std::to_string(stored) + " (file corrupted)");
    }
    if (remaining() != 0) {
      throw FormatError(source_, "end of file", "no bytes after END!",
                        std::to_string(remaining()) + " trailing bytes");
    }
  }
  static std::string printable(std::span<const uint8_t> b) {
    std::string s;
    for (uint8_t c : b) s += (c >= 32 && c < 127) ? static_cast<char>(c) : '?';
    return s;
  }

 private:
  uint64_t section_header(const char tag[4]) {
    const size_t at = pos_;
    auto t = take(4, std::string("section tag ") + std::string(tag, 4));
    if (std::memcmp(t.data(), tag, 4) != 0) {
      throw FormatError(source_, "offset " + std::to_string(at),
                        "section '" + std::string(tag, 4) + "'", "'" + printable(t) + "'");
    }
    return get<uint64_t>(std::string(tag, 4) + " length");
  }

  std::span<const uint8_t> bytes_;
  const std::string& source_;
  size_t pos_ = 0;
};

}  // namespace hardy::snn::detail
