// Internal: little-endian binary writing and bounds-checked reading for hardy's own file formats
// (.snn networks, training checkpoints). Every read past the end is a FormatError naming the
// file, the offset and what was being read.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "hardy/core/error.h"

namespace hardy::snn::detail {

inline uint64_t fnv1a(std::span<const uint8_t> bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ULL;
  }
  return h;
}

template <class T>
void put(std::vector<uint8_t>& out, T v) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.insert(out.end(), b, b + sizeof(T));
}

inline void put_section(std::vector<uint8_t>& out, const char tag[4], const void* data, uint64_t bytes) {
  out.insert(out.end(), tag, tag + 4);
  put<uint64_t>(out, bytes);
  const auto* p = static_cast<const uint8_t*>(data);
  out.insert(out.end(), p, p + bytes);
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
  // Reads a section header and checks its tag and length.
  std::span<const uint8_t> section(const char tag[4], uint64_t expected_bytes) {
    const size_t at = pos_;
    auto t = take(4, std::string("section tag ") + std::string(tag, 4));
    if (std::memcmp(t.data(), tag, 4) != 0) {
      throw FormatError(source_, "offset " + std::to_string(at),
                        "section '" + std::string(tag, 4) + "'", "'" + printable(t) + "'");
    }
    const uint64_t n = get<uint64_t>(std::string(tag, 4) + " length");
    if (n != expected_bytes) {
      throw FormatError(source_, std::string("section ") + std::string(tag, 4) + " length",
                        std::to_string(expected_bytes) + " bytes", std::to_string(n));
    }
    return take(n, std::string(tag, 4) + " payload");
  }
  static std::string printable(std::span<const uint8_t> b) {
    std::string s;
    for (uint8_t c : b) s += (c >= 32 && c < 127) ? static_cast<char>(c) : '?';
    return s;
  }

 private:
  std::span<const uint8_t> bytes_;
  const std::string& source_;
  size_t pos_ = 0;
};


}  // namespace hardy::snn::detail
