// Testing hooks of the CLI (docs/cli.md), shared by every command that writes checkpoints.
#pragma once

#include <functional>

namespace hardy::cli {

/// HARDY_TEST_KILL_AFTER_CHECKPOINT=N: the returned function, called after each checkpoint is on
/// disk, SIGKILLs the process at the N-th call, so kill-and-resume tests are exact and fast instead
/// of racing a timer. Unset: a function that does nothing. Throws ConfigError for a bad N.
std::function<void()> kill_after_checkpoint_hook();

}  // namespace hardy::cli
