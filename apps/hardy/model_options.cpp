// Shared model/dataset/quantization options.
#include "model_options.h"

#include "hardy/core/error.h"
#include "json_output.h"
#include "number_checks.h"

namespace hardy::cli {

void ModelOptions::add_to(CLI::App& cmd, bool model_required, bool evaluation) {
  auto* m = cmd.add_option("--model", model, "float ONNX model (input N×1×28×28, pixel/255)");
  if (model_required) m->required();
  cmd.add_option("--dataset", dataset, "fashion-mnist | mnist")
      ->check(CLI::IsMember({"fashion-mnist", "mnist"}));
  if (evaluation) {
    cmd.add_option("--images", images, "test images to evaluate (0 = all)")->check(at_least(0));
    cmd.add_option("--kernels", kernels, "optimized | reference")
        ->check(CLI::IsMember({"optimized", "reference"}));
  }
  cmd.add_option("--threads", threads, "worker threads (results do not depend on it)")
      ->check(CLI::Range(1, 256));
  cmd.add_option("--calibration-images", calibration_images, "training images for calibration")
      ->check(CLI::Range(int64_t{1}, int64_t{60000}));
  cmd.add_option("--calibration", calibration, "activation range: minmax | percentile")
      ->check(CLI::IsMember({"minmax", "percentile"}));
  cmd.add_option("--percentile", percentile, "percentile for --calibration percentile")
      ->check(CLI::Range(50.0, 100.0));
}

nlohmann::json ModelOptions::provenance_of(const qnn::QModel& quantized) const {
  nlohmann::json p = provenance({model});
  p["dataset"] = dataset;
  p["calibration"] = {
      {"method", calibration}, {"images", calibration_images}, {"percentile", percentile}};
  p["model_fingerprint"] = std::to_string(qnn::model_fingerprint(quantized));
  return p;
}

qnn::CalibrationOptions ModelOptions::calibration_options() const {
  qnn::CalibrationOptions o;
  o.images = calibration_images;
  o.method = calibration == "percentile" ? qnn::CalibrationMethod::kPercentile
                                         : qnn::CalibrationMethod::kMinMax;
  o.percentile = percentile;
  return o;
}

qnn::KernelSet ModelOptions::kernel_set() const {
  return kernels == "reference" ? qnn::KernelSet::kReference : qnn::KernelSet::kOptimized;
}

}  // namespace hardy::cli
