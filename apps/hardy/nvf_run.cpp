#include "nvf_run.h"

#include <chrono>
#include <cstdio>

#include "hardy/analysis/nvf_report.h"
#include "hardy/core/progress.h"

namespace hardy::cli {

void run_nvf_checkpointed(const analysis::NvfAnalysis& nvf, analysis::NvfCounts& counts,
                          ThreadPool& pool, const std::string& label, const std::string& checkpoint,
                          double every_seconds, const std::function<void()>& after_save) {
  Progress progress(label, 0, "images");
  bool started = false;
  auto last_save = std::chrono::steady_clock::now();
  nvf.run(counts, pool, [&](const analysis::NvfCounts& c, int64_t done, int64_t total) {
    if (!started) {
      started = true;
      progress = Progress(label, total, "images");
      progress.resumed_at(done);
      if (done > 0)
        std::fprintf(stderr, "%s: resumed from %s\n", label.c_str(), checkpoint.c_str());
      return;
    }
    progress.update(done);
    const auto now = std::chrono::steady_clock::now();
    if (std::chrono::duration<double>(now - last_save).count() >= every_seconds) {
      analysis::save_nvf_checkpoint(checkpoint, nvf, c);
      last_save = now;
      if (after_save) after_save();
    }
  });
  progress.finish();
}

}  // namespace hardy::cli
