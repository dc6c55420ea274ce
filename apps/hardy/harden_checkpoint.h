// The checkpoint of `hardy harden` (OUT.ckpt): the arguments it belongs to, whether the NVF
// ranking's CSV is complete, the unprotected campaign and every finished row, rewritten atomically
// after each, so a killed sweep resumes with --resume and loses at most the campaign it was in.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace hardy::cli {

class HardenCheckpoint {
 public:
  /// With `resume`, loads `path` if it exists (ConfigError when it was written for other
  /// arguments than `identity`); without, ConfigError when it exists.
  HardenCheckpoint(std::string path, nlohmann::json identity, bool resume);

  /// Whether anything was loaded.
  bool resumed() const { return resumed_; }
  bool nvf_done() const { return state_.value("nvf_done", false); }
  void set_nvf_done();
  /// The unprotected campaign's result (Resilience::to_json), when finished.
  std::optional<nlohmann::json> unprotected() const;
  void set_unprotected(const nlohmann::json& result);
  /// The finished row named `key`, or nullptr.
  const nlohmann::json* row(const std::string& key) const;
  void set_row(const std::string& key, const nlohmann::json& row);
  /// Deletes the file (the run is complete).
  void remove() const;
  /// Writes the file (every set_* does): the run is resumable from here on.
  void save() const;

 private:
  std::string path_;
  nlohmann::json state_;
  bool resumed_ = false;
};

}  // namespace hardy::cli
