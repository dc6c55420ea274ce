// FNV-1a 64 of files and its hex spelling.
#include "hardy/core/hash.h"

#include <cstdio>
#include <fstream>
#include <vector>

#include "hardy/core/error.h"

namespace hardy {

std::string hash_hex(uint64_t h) {
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

std::string file_hash_hex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path, "cannot open file");
  Fnv1a64 h;
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<size_t>(in.gcount());
    h.update(std::span(reinterpret_cast<const uint8_t*>(buf.data()), got));
  }
  if (in.bad()) throw FileError(path, "read failed");
  return hash_hex(h.digest());
}

}  // namespace hardy
