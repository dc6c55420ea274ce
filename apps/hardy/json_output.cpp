// Provenance and JSON file output.
#include "json_output.h"

#include <fstream>

#include "hardy/core/error.h"
#include "hardy/core/hash.h"

namespace hardy::cli {
namespace {
std::string g_command_line;
}

void set_command_line(int argc, char** argv) {
  g_command_line.clear();
  for (int i = 0; i < argc; ++i) {
    if (i) g_command_line += ' ';
    g_command_line += argv[i];
  }
}

nlohmann::json provenance(const std::vector<std::string>& input_files) {
  nlohmann::json inputs = nlohmann::json::object();
  for (const auto& f : input_files) inputs[f] = file_hash_hex(f);
  return {{"version", HARDY_VERSION}, {"command", g_command_line}, {"inputs", inputs}};
}

void write_json_file(const std::string& path, const nlohmann::json& j) {
  std::ofstream out(path);
  if (!out) throw FileError(path, "cannot create file");
  out << j.dump(2) << '\n';
  if (!out) throw FileError(path, "write failed");
}

}  // namespace hardy::cli
