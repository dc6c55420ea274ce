// Lower bounds of numeric options with plain messages (CLI11's PositiveNumber and
// NonNegativeNumber print their whole range, up to the largest double).
#pragma once

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <string>

namespace hardy::cli {

/// Accepts a number ≥ min; otherwise "must be a number >= MIN (got TEXT)".
inline CLI::Validator at_least(double min) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", min);
  const std::string bound = text;
  return CLI::Validator(
      [min, bound](std::string& s) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        if (end != s.c_str() && *end == '\0' && std::isfinite(v) && v >= min) return {};
        return "must be a number >= " + bound + " (got " + s + ")";
      },
      ">= " + bound);
}

}  // namespace hardy::cli
