// Sectioned, checksummed little-endian binary files: the one layout every hardy file format
// (.snn networks, training and campaign checkpoints) is written in, and a bounds-checked reader.
//
// Layout (all integers little-endian, as the host writes them; hardy requires a little-endian
// host):
//   8-byte magic naming the format · u32 version · u32 reserved (0)     (put_preamble / preamble)
//   … format-specific fields and sections; a section is
//       4-byte ASCII tag · u64 payload length in bytes · payload          (put_section / section)
//   "END!" · u64 8 · u64 FNV-1a 64 of every byte before this trailer     (put_checksum /
//                                                                         checksum_and_end)
// and nothing after the trailer. Files are read and written whole (read_file / write_file); a
// reader never reads past the end: truncation, a wrong tag or length, a checksum mismatch and
// trailing bytes are FormatErrors naming the file, the offset or section, what was expected and
// what was found. write_file_atomic replaces a file so that a process killed at any moment
// leaves either the old or the new file complete, never a half-written one (checkpoints).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "hardy/core/error.h"

namespace hardy::binio {

static_assert(std::endian::native == std::endian::little,
              "hardy's binary files are little-endian and written as the host stores them");

/// Appends the bytes of the trivially copyable value `v` (host = little-endian order).
template <class T>
void put(std::vector<uint8_t>& out, T v) {
  static_assert(std::is_trivially_copyable_v<T>);
  uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.insert(out.end(), b, b + sizeof(T));
}

/// Appends the opening of a file: the 8-byte `magic`, u32 `version`, u32 0 (reserved).
void put_preamble(std::vector<uint8_t>& out, const char magic[8], uint32_t version);

/// Appends a section: the 4-byte `tag`, u64 `bytes`, then `bytes` bytes from `data` (which may be
/// null when bytes is 0).
void put_section(std::vector<uint8_t>& out, const char tag[4], const void* data, uint64_t bytes);

/// Appends a section holding the elements of `v` as stored (v may be empty).
template <class T>
void put_vector_section(std::vector<uint8_t>& out, const char tag[4], std::span<const T> v) {
  static_assert(std::is_trivially_copyable_v<T>);
  put_section(out, tag, v.data(), v.size_bytes());
}

/// Appends the trailer every file ends with: section "END!" holding the FNV-1a 64 of every byte
/// of `out` before it. Nothing may be appended after it.
void put_checksum(std::vector<uint8_t>& out);

/// The whole file at `path`. FileError naming the path and `what` the file is (e.g. "checkpoint
/// file") if it cannot be opened or read.
std::vector<uint8_t> read_file(const std::string& path, const std::string& what);

/// Creates or truncates `path` and writes `bytes`. FileError if it cannot. A process killed
/// meanwhile can leave a partial file; use write_file_atomic where that matters.
void write_file(const std::string& path, std::span<const uint8_t> bytes, const std::string& what);

/// Writes `bytes` to "<path>.tmp", flushes it to the device (fsync), then renames it over `path`
/// (atomic on POSIX file systems): after a crash or SIGKILL at any moment, `path` is either the
/// previous complete file (or absent) or the new complete one. A stale "<path>.tmp" from a killed
/// writer is overwritten. FileError if any step fails (the temporary file is then removed).
/// Not safe against two processes writing the same path at once.
void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes,
                       const std::string& what);

/// Sequential, bounds-checked reader over bytes in memory. Every read past the end is a
/// FormatError naming `source`, the offset and what was being read. Holds a view of the bytes
/// (which must outlive it) and a copy of `source`. Not thread-safe.
class Reader {
 public:
  Reader(std::span<const uint8_t> bytes, std::string source)
      : bytes_(bytes), source_(std::move(source)) {}

  size_t offset() const { return pos_; }
  const std::string& source() const { return source_; }
  size_t remaining() const { return bytes_.size() - pos_; }

  /// The next `n` bytes (`what` names them in errors).
  std::span<const uint8_t> take(uint64_t n, const std::string& what);

  /// The next sizeof(T) bytes as a T.
  template <class T>
  T get(const std::string& what) {
    static_assert(std::is_trivially_copyable_v<T>);
    T v;
    std::memcpy(&v, take(sizeof(T), what).data(), sizeof(T));
    return v;
  }

  /// The 8-byte magic that opens a file; `description` says what the file should have been.
  void magic(const char expected[8], const std::string& description);

  /// Magic, version and reserved field as put_preamble writes them. Returns the version, which
  /// must lie in [min_version, max_version].
  uint32_t preamble(const char expected_magic[8], const std::string& description,
                    uint32_t min_version, uint32_t max_version);

  /// A section with tag `tag` and exactly `expected_bytes` of payload; returns the payload.
  std::span<const uint8_t> section(const char tag[4], uint64_t expected_bytes);

  /// A section with tag `tag` of any length up to `max_bytes` that is a whole number of Ts.
  template <class T>
  std::vector<T> vector_section(const char tag[4], uint64_t max_bytes) {
    static_assert(std::is_trivially_copyable_v<T>);
    const uint64_t n = section_header(tag);
    if (n > max_bytes || n % sizeof(T) != 0) {
      throw FormatError(source_, std::string("section ") + std::string(tag, 4) + " length",
                        "a multiple of " + std::to_string(sizeof(T)) + " bytes up to " +
                            std::to_string(max_bytes),
                        std::to_string(n));
    }
    const auto bytes = take(n, std::string(tag, 4) + " payload");
    std::vector<T> v(static_cast<size_t>(n / sizeof(T)));
    if (!bytes.empty()) std::memcpy(v.data(), bytes.data(), bytes.size());
    return v;
  }

  /// The "END!" trailer: checks the stored FNV-1a 64 against every byte before it and that no
  /// byte follows it.
  void checksum_and_end();

  /// `b` with non-printable bytes shown as '?' (for error messages).
  static std::string printable(std::span<const uint8_t> b);

 private:
  /// Reads a section's tag (which must be `tag`) and returns its length field.
  uint64_t section_header(const char tag[4]);

  std::span<const uint8_t> bytes_;
  std::string source_;
  size_t pos_ = 0;
};

}  // namespace hardy::binio
