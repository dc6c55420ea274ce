// Running an NVF analysis from the CLI: progress on stderr and a checkpoint of the counts written
// every few seconds, shared by `hardy nvf` and the NVF ranking of `hardy harden`.
#pragma once

#include <functional>
#include <string>

#include "hardy/analysis/nvf.h"

namespace hardy::cli {

/// Analyses every image not yet done in `counts` (which may come from a checkpoint: progress then
/// starts there and "<label>: resumed from <checkpoint>" is printed), showing progress as
/// `label`, and writes `checkpoint` at most every `every_seconds` seconds, calling `after_save`
/// after each write.
void run_nvf_checkpointed(const analysis::NvfAnalysis& nvf, analysis::NvfCounts& counts,
                          ThreadPool& pool, const std::string& label, const std::string& checkpoint,
                          double every_seconds, const std::function<void()>& after_save);

}  // namespace hardy::cli
