// Options shared by commands that load a model and a dataset and quantize it.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "hardy/qnn/graph.h"
#include "hardy/qnn/int8_executor.h"
#include "hardy/qnn/qmodel.h"
#include "hardy/qnn/quantize.h"

namespace hardy::cli {

struct ModelOptions {
  std::string model, dataset = "fashion-mnist";
  int64_t images = 0;  ///< 0 = the whole test split
  int threads = 1;
  int64_t calibration_images = 1000;
  std::string calibration = "minmax";
  double percentile = 99.99;
  std::string kernels = "optimized";

  /// Registers --model, --dataset, --threads and the calibration options; with `evaluation`,
  /// also --images and --kernels.
  void add_to(CLI::App& cmd, bool model_required, bool evaluation = true);
  qnn::CalibrationOptions calibration_options() const;
  /// provenance() of the model file, with the dataset, calibration and the int8 model's
  /// fingerprint.
  nlohmann::json provenance_of(const qnn::QModel& quantized) const;
  qnn::KernelSet kernel_set() const;
};

/// Imports, quantizes and evaluates a model; the result in the `eval` JSON schema (docs/cli.md).
nlohmann::json evaluate_model(const ModelOptions& o);

}  // namespace hardy::cli
