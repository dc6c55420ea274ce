// The whole SparkXD pipeline for one network (DESIGN §8): train without and with fault-aware
// training, tolerance analysis of both, BER_max, the lowest safe voltage and the SparkXD mapping,
// DRAM energy per inference against nominal, and the accuracy measured with the weights corrupted
// where the mapping put them. Every finished stage is kept in a work directory, so an interrupted
// run resumes (training mid-run from its checkpoint, the tolerance analysis per BER).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hardy/data/dataset.h"
#include "hardy/qnn/int8_executor.h"
#include "hardy/qnn/qmodel.h"
#include "hardy/snn/params.h"
#include "hardy/snn/weight_store.h"
#include "hardy/sparkxd/dram_sweep.h"
#include "hardy/sparkxd/fault_aware_training.h"
#include "hardy/sparkxd/tolerance.h"

namespace hardy::sparkxd {

/// Where the pipeline reports progress (one stage at a time). Default methods do nothing.
class PipelineReporter {
 public:
  virtual ~PipelineReporter() = default;
  /// A stage of `total` units starts (a resumed stage: `already` of them were done before).
  virtual void begin(const std::string& /*stage*/, int64_t /*total*/, const std::string& /*unit*/,
                     int64_t /*already*/) {}
  virtual void update(int64_t /*done*/, const std::string& /*note*/) {}
  /// `done` of the stage's units were finished before this process (a training resumed from its
  /// checkpoint): for the rate.
  virtual void resumed_at(int64_t /*done*/) {}
  virtual void end(const std::string& /*note*/) {}
  /// A one-line message (e.g. "reusing work/x.snn").
  virtual void message(const std::string& /*text*/) {}
};

/// Settings shared by every network of a run.
struct PipelineOptions {
  ToleranceOptions tolerance;  ///< BER grid, error maps per BER, error model, seed
  FatOptions fat;              ///< curriculum, interval, seed (format and errors: set per run)
  DramConfig dram;             ///< memory, weak regions, voltage rule, refresh, error model
  BerSource ber;               ///< chip BER vs voltage (vendor median / worst, or one DIMM)
  std::vector<double> voltages;
  std::vector<double> spread_sigmas = {0.0, 0.5, 1.0, 2.0};  ///< sensitivity (bank = subarray σ)
  double margin = 0.01;  ///< accuracy margin of BER_max (1 point)
  int threads = 1;
  std::string work_dir;  ///< stage files; created if missing
  bool resume = false;   ///< reuse finished stages whose settings match, resume training
  double checkpoint_seconds = 10.0;
  /// Called after each training checkpoint is on disk (the CLI's kill-after-checkpoint test hook).
  std::function<void()> on_checkpoint;
};

/// One spiking network size.
struct SnnRun {
  std::string dataset;
  int neurons = 0;
  snn::SnnParams params;
  std::string config_name;  ///< for the JSON ("original" or the YAML path)
  int epochs = 1;
  int64_t train_images = 0;   ///< 0: all
  int64_t label_images = -1;  ///< −1: as train_images
  int64_t test_images = 0;    ///< 0: all
  uint64_t seed = 1;          ///< network initialisation and input spikes
  snn::WeightFormat format;
};

/// Runs the pipeline for one spiking network; returns its JSON row (fields in docs/cli.md
/// "hardy sparkxd"). `train` and `test` are the dataset's splits.
nlohmann::json run_snn_pipeline(const SnnRun& run, const data::Dataset& train,
                                const data::Dataset& test, const PipelineOptions& options,
                                PipelineReporter& reporter);

/// The same pipeline for an int8 model's weights (no retraining: no FAT stage).
nlohmann::json run_int8_pipeline(const qnn::QModel& model, const data::Dataset& test,
                                 int64_t test_images, qnn::KernelSet kernels,
                                 const PipelineOptions& options, PipelineReporter& reporter);

}  // namespace hardy::sparkxd
