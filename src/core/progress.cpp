// Progress rendering.
#include "hardy/core/progress.h"

#include <unistd.h>

#include <cstdio>

namespace hardy {

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string Progress::line(int64_t done, const std::string& note) const {
  const double t = elapsed_seconds();
  const double rate = t > 0 ? static_cast<double>(done - resumed_) / t : 0.0;
  char buf[256];
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
  std::snprintf(buf, sizeof buf, "%s: %lld/%lld %s, %.1f %s/s, elapsed %.0fs, ETA %.0fs",
                label_.c_str(), static_cast<long long>(done), static_cast<long long>(total_),
                unit_.c_str(), rate, unit_.c_str(), t, eta);
  return note.empty() ? std::string(buf) : std::string(buf) + ", " + note;
}

void Progress::update(int64_t done, const std::string& note) {
  const auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (now - last_draw_ < std::chrono::milliseconds(500)) return;
    last_draw_ = now;
    std::fprintf(stderr, "\r\033[K%s", line(done, note).c_str());
    std::fflush(stderr);
    return;
  }
  // Logs get a line per tenth of the work, and only for runs long enough to need one.
  if (elapsed_seconds() < 2.0) return;
  const int decile = total_ > 0 ? static_cast<int>(done * 10 / total_) : 10;
  if (decile == last_decile_ || decile >= 10) return;
  last_decile_ = decile;
  std::fprintf(stderr, "%s\n", line(done, note).c_str());
}

void Progress::finish(const std::string& note) {
  if (!tty_ && last_decile_ < 0) return;  // short runs stay silent in logs
  std::fprintf(stderr, "%s%s\n", tty_ ? "\r\033[K" : "", line(total_, note).c_str());
}

}  // namespace hardy
