// NVF results as JSON (model VF, LVF per layer, BVF per bit, per fault model), per-neuron CSV and
// checkpoints (docs/cli.md, `hardy nvf`).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "hardy/analysis/nvf.h"

namespace hardy::analysis {

/// The result: images, faults and critical counts, model_vf, per_layer, per_bit (per fault model),
/// how the bytes were decided, seconds.
nlohmann::json nvf_report(const NvfAnalysis& analysis, const NvfCounts& counts, double seconds);

/// One row per selected neuron: layer, element, channel, then per fault model its faults,
/// critical faults and NVF.
void write_neuron_csv(const std::string& path, const NvfAnalysis& analysis,
                      const NvfCounts& counts);

/// Atomic checkpoint of the images done; load refuses one of another analysis (ConfigError) or a
/// damaged file (FormatError).
void save_nvf_checkpoint(const std::string& path, const NvfAnalysis& analysis,
                         const NvfCounts& counts);
NvfCounts load_nvf_checkpoint(const std::string& path, const NvfAnalysis& analysis);

}  // namespace hardy::analysis
