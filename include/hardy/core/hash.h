// Content hashes for provenance records (not cryptographic).
#pragma once

#include <cstdint>
#include <string>

namespace hardy {

/// FNV-1a 64 of a file's bytes as 16 hex digits. Throws FileError if unreadable.
std::string file_hash_hex(const std::string& path);

}  // namespace hardy
