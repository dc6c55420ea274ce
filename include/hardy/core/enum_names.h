// One table per enum maps values to the names the CLI and result files use, and back.
#pragma once

#include <span>
#include <string>
#include <utility>

#include "hardy/core/error.h"

namespace hardy {

template <class E>
using EnumNames = std::span<const std::pair<E, const char*>>;

/// The name of `value` in `names` ("?" if absent).
template <class E>
const char* enum_name(E value, EnumNames<E> names) {
  for (const auto& [v, n] : names) {
    if (v == value) return n;
  }
  return "?";
}

/// The value named `name`; anything else is a ConfigError "<what> '<name>': expected a, b or c".
template <class E>
E parse_enum(const std::string& name, EnumNames<E> names, const std::string& what) {
  std::string expected;
  for (size_t i = 0; i < names.size(); ++i) {
    if (name == names[i].second) return names[i].first;
    expected += (i == 0                  ? ""
                 : i + 1 == names.size() ? " or "
                                         : ", ") +
                std::string(names[i].second);
  }
  throw ConfigError(what + " '" + name + "': expected " + expected);
}

}  // namespace hardy
