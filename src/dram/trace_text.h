// Internal: the text handling the access-trace and command-trace readers share.
#pragma once

#include <istream>
#include <string>

namespace hardy::dram::detail {

inline std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

/// "'text'" (at most 60 characters of it), for error messages.
inline std::string in_quotes(const std::string& text) {
  std::string q(1, '\'');
  q.append(text, 0, 60);
  q += '\'';
  return q;
}

/// Calls visit(trimmed line, line number, "line N") for every line that is neither empty nor a
/// '#' comment.
template <class Visit>
void for_each_data_line(std::istream& in, Visit visit) {
  std::string text;
  int64_t line_no = 0;
  while (std::getline(in, text)) {
    ++line_no;
    const std::string line = trim(text);
    if (line.empty() || line[0] == '#') continue;
    visit(line, line_no, "line " + std::to_string(line_no));
  }
}

}  // namespace hardy::dram::detail
