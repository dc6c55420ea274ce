// Strict text-to-number parsing for option values: the whole string, a finite value.
#pragma once

#include <cmath>
#include <exception>
#include <string>

namespace hardy {

/// Sets `out` and returns true when all of `s` is one finite number (std::stod syntax).
inline bool parse_finite_double(const std::string& s, double& out) {
  try {
    size_t used = 0;
    out = std::stod(s, &used);
    return used == s.size() && std::isfinite(out);
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace hardy
