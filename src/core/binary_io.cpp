// Sectioned, checksummed binary files: writing, whole-file and atomic I/O, and the reader.
#include "hardy/core/binary_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "hardy/core/hash.h"

namespace hardy::binio {
namespace {

std::string tag_string(const char tag[4]) { return std::string(tag, 4); }

std::string errno_text() { return std::generic_category().message(errno); }

}  // namespace

void put_preamble(std::vector<uint8_t>& out, const char magic[8], uint32_t version) {
  out.insert(out.end(), magic, magic + 8);
  put<uint32_t>(out, version);
  put<uint32_t>(out, 0);
}

void put_section(std::vector<uint8_t>& out, const char tag[4], const void* data, uint64_t bytes) {
  out.insert(out.end(), tag, tag + 4);
  put<uint64_t>(out, bytes);
  if (bytes == 0) return;
  const auto* p = static_cast<const uint8_t*>(data);
  out.insert(out.end(), p, p + bytes);
}

void put_checksum(std::vector<uint8_t>& out) {
  const uint64_t sum = fnv1a64(out);
  put_section(out, "END!", &sum, sizeof sum);
}

std::vector<uint8_t> read_file(const std::string& path, const std::string& what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw FileError(path, "cannot open " + what);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) throw FileError(path, "read failed");
  return bytes;
}

void write_file(const std::string& path, std::span<const uint8_t> bytes, const std::string& what) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw FileError(path, "cannot create " + what);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  f.flush();
  if (!f) throw FileError(path, "write failed");
}

void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes,
                       const std::string& what) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw FileError(tmp, "cannot create " + what + ": " + errno_text());
  auto fail = [&](const std::string& problem) {
    const std::string text = problem + ": " + errno_text();
    ::close(fd);
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw FileError(tmp, text);
  };
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write failed");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) fail("fsync failed");
  if (::close(fd) != 0) {
    const std::string text = errno_text();
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw FileError(tmp, "close failed: " + text);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw FileError(path, "cannot replace " + what + ": " + ec.message());
  }
}

std::span<const uint8_t> Reader::take(uint64_t n, const std::string& what) {
  if (n > remaining()) {
    throw FormatError(source_, "offset " + std::to_string(pos_) + " (" + what + ")",
                      std::to_string(n) + " bytes",
                      std::to_string(remaining()) + " (file truncated)");
  }
  auto s = bytes_.subspan(pos_, static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
  return s;
}

void Reader::magic(const char expected[8], const std::string& description) {
  const auto m = take(8, "magic");
  if (std::memcmp(m.data(), expected, 8) != 0) {
    throw FormatError(source_, "magic", "'" + std::string(expected, 8) + "' (" + description + ")",
                      "'" + printable(m) + "'");
  }
}

uint32_t Reader::preamble(const char expected_magic[8], const std::string& description,
                          uint32_t min_version, uint32_t max_version) {
  magic(expected_magic, description);
  const auto version = get<uint32_t>("version");
  if (version < min_version || version > max_version) {
    const std::string range = min_version == max_version ? std::to_string(min_version)
                                                         : std::to_string(min_version) + ".." +
                                                               std::to_string(max_version);
    throw FormatError(source_, "version", range + " (the versions this hardy reads)",
                      std::to_string(version));
  }
  const auto reserved = get<uint32_t>("reserved");
  if (reserved != 0) throw FormatError(source_, "reserved field", "0", std::to_string(reserved));
  return version;
}

std::span<const uint8_t> Reader::section(const char tag[4], uint64_t expected_bytes) {
  const uint64_t n = section_header(tag);
  if (n != expected_bytes) {
    throw FormatError(source_, "section " + tag_string(tag) + " length",
                      std::to_string(expected_bytes) + " bytes", std::to_string(n));
  }
  return take(n, tag_string(tag) + " payload");
}

void Reader::checksum_and_end() {
  const size_t body = pos_;
  const auto end = section("END!", 8);
  uint64_t stored = 0;
  std::memcpy(&stored, end.data(), 8);
  const uint64_t actual = fnv1a64(bytes_.first(body));
  if (stored != actual) {
    throw FormatError(source_, "checksum", "FNV-1a " + hash_hex(actual),
                      hash_hex(stored) + " (file corrupted)");
  }
  if (remaining() != 0) {
    throw FormatError(source_, "end of file", "no bytes after END!",
                      std::to_string(remaining()) + " trailing bytes");
  }
}

std::string Reader::printable(std::span<const uint8_t> b) {
  std::string s;
  for (uint8_t c : b) s += (c >= 32 && c < 127) ? static_cast<char>(c) : '?';
  return s;
}

uint64_t Reader::section_header(const char tag[4]) {
  const size_t at = pos_;
  const auto t = take(4, "section tag " + tag_string(tag));
  if (std::memcmp(t.data(), tag, 4) != 0) {
    throw FormatError(source_, "offset " + std::to_string(at), "section '" + tag_string(tag) + "'",
                      "'" + printable(t) + "'");
  }
  return get<uint64_t>(tag_string(tag) + " length");
}

}  // namespace hardy::binio
