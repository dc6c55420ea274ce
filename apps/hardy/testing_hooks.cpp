// HARDY_TEST_KILL_AFTER_CHECKPOINT.
#include "testing_hooks.h"

#include <charconv>
#include <csignal>
#include <cstdlib>
#include <string>
#include <string_view>

#include "hardy/core/error.h"

namespace hardy::cli {

std::function<void()> kill_after_checkpoint_hook() {
  const char* kill_after = std::getenv("HARDY_TEST_KILL_AFTER_CHECKPOINT");
  if (!kill_after) return [] {};
  const std::string_view text(kill_after);
  int n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1) {
    throw ConfigError(std::string("HARDY_TEST_KILL_AFTER_CHECKPOINT=") + kill_after +
                      ": expected a checkpoint count >= 1");
  }
  return [n, written = 0]() mutable {
    if (++written == n) std::raise(SIGKILL);
  };
}

}  // namespace hardy::cli
