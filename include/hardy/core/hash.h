// FNV-1a 64: the one content hash of hardy (file provenance, file checksums, stream tags). Not
// cryptographic: it detects accidents (truncation, bit rot, a wrong file), not adversaries.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace hardy {

inline constexpr uint64_t kFnv1a64Offset = 0xcbf29ce484222325ULL;
inline constexpr uint64_t kFnv1a64Prime = 0x100000001b3ULL;

/// Incremental FNV-1a 64 (Fowler, Noll, Vo): update() over consecutive pieces gives the hash of
/// their concatenation, so large files and many buffers hash without being joined. A value type;
/// not thread-safe (one per thread).
class Fnv1a64 {
 public:
  /// Appends `bytes` to the hashed sequence.
  constexpr Fnv1a64& update(std::span<const uint8_t> bytes) {
    for (uint8_t b : bytes) {
      state_ ^= b;
      state_ *= kFnv1a64Prime;
    }
    return *this;
  }
  /// Appends the characters of `text` as bytes (no terminator).
  constexpr Fnv1a64& update(std::string_view text) {
    for (char c : text) {
      state_ ^= static_cast<uint8_t>(c);
      state_ *= kFnv1a64Prime;
    }
    return *this;
  }
  /// The hash of everything appended so far (the offset basis when nothing was).
  constexpr uint64_t digest() const { return state_; }

 private:
  uint64_t state_ = kFnv1a64Offset;
};

/// FNV-1a 64 of `bytes`: fnv1a64("") = 0xcbf29ce484222325, fnv1a64("a") = 0xaf63dc4c8601ec8c.
constexpr uint64_t fnv1a64(std::span<const uint8_t> bytes) {
  return Fnv1a64().update(bytes).digest();
}
/// FNV-1a 64 of the characters of `text`.
constexpr uint64_t fnv1a64(std::string_view text) { return Fnv1a64().update(text).digest(); }

/// `h` as 16 lower-case hex digits.
std::string hash_hex(uint64_t h);

/// FNV-1a 64 of a file's bytes as 16 hex digits, read in blocks. Throws FileError if the file
/// cannot be opened or read.
std::string file_hash_hex(const std::string& path);

}  // namespace hardy
