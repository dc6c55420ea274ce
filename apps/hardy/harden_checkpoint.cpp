#include "harden_checkpoint.h"

#include <filesystem>

#include "hardy/core/binary_io.h"
#include "hardy/core/error.h"

namespace hardy::cli {

HardenCheckpoint::HardenCheckpoint(std::string path, nlohmann::json identity, bool resume)
    : path_(std::move(path)) {
  state_ = {{"identity", identity}, {"rows", nlohmann::json::object()}};
  if (!std::filesystem::exists(path_)) return;
  if (!resume) {
    throw ConfigError(path_ + " exists: continue that run with --resume, or delete it");
  }
  const std::vector<uint8_t> bytes = binio::read_file(path_, "harden checkpoint");
  nlohmann::json loaded = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (loaded.is_discarded() || !loaded.is_object() || !loaded.contains("identity") ||
      !loaded.contains("rows") || !loaded["rows"].is_object()) {
    throw FormatError(path_, "checkpoint", "a hardy harden checkpoint", "something else");
  }
  if (loaded["identity"] != identity) {
    throw ConfigError(path_ + " belongs to another harden run (other model or options): " +
                      "delete it or repeat that run's options");
  }
  state_ = std::move(loaded);
  resumed_ = true;
}

void HardenCheckpoint::set_nvf_done() {
  state_["nvf_done"] = true;
  save();
}

std::optional<nlohmann::json> HardenCheckpoint::unprotected() const {
  if (!state_.contains("unprotected")) return std::nullopt;
  return state_["unprotected"];
}

void HardenCheckpoint::set_unprotected(const nlohmann::json& result) {
  state_["unprotected"] = result;
  save();
}

const nlohmann::json* HardenCheckpoint::row(const std::string& key) const {
  const auto& rows = state_["rows"];
  const auto it = rows.find(key);
  return it == rows.end() ? nullptr : &*it;
}

void HardenCheckpoint::set_row(const std::string& key, const nlohmann::json& row) {
  state_["rows"][key] = row;
  save();
}

void HardenCheckpoint::remove() const { std::filesystem::remove(path_); }

void HardenCheckpoint::save() const {
  const std::string text = state_.dump();
  binio::write_file_atomic(
      path_, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
      "harden checkpoint");
}

}  // namespace hardy::cli
