// JSON results with a provenance block (version, command line, inputs and their hashes).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hardy::cli {

/// The command line of this process, set by main.
void set_command_line(int argc, char** argv);

/// {"version", "command", "inputs": {path: fnv1a64}} for the given input files.
nlohmann::json provenance(const std::vector<std::string>& input_files);

/// Writes j (pretty, trailing newline) to path; throws FileError if it cannot.
void write_json_file(const std::string& path, const nlohmann::json& j);

}  // namespace hardy::cli
