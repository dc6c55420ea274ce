// Progress line for long runs: count, rate, ETA and an optional running metric, redrawn on a TTY
// at most every 0.5 s; when stderr is not a terminal, plain lines every 10% once a run has taken
// 2 s (short runs print nothing there). Not thread-safe: call from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace hardy {

class Progress {
 public:
  /// total ≥ 0 units of work called `unit` (e.g. "images"); label prefixes every line.
  Progress(std::string label, int64_t total, std::string unit);
  /// Records that `done` units are finished; `note` (e.g. "acc 91.2%") is appended.
  void update(int64_t done, const std::string& note = "");
  /// Prints the final line (on a TTY always; in logs if any progress line was printed).
  void finish(const std::string& note = "");
  /// A resumed run: `done` units were finished before this one started (rate and ETA count only
  /// the units done since).
  void resumed_at(int64_t done) { resumed_ = done; }
  double elapsed_seconds() const;

 private:
  std::string line(int64_t done, const std::string& note) const;

  std::string label_, unit_;
  int64_t total_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  int last_decile_ = -1;
  int64_t resumed_ = 0;
};

}  // namespace hardy
