// Fault-aware training (FAT, DESIGN §8): STDP training of the Diehl & Cook network while its stored
// weights suffer DRAM bit errors, the BER raised in steps (a curriculum, as EDEN does) and a new
// error map drawn at a fixed interval of samples. Deterministic from the seed; checkpoints and
// resumes like snn::train_network (the errors depend only on the sample index).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "hardy/core/thread_pool.h"
#include "hardy/data/dataset.h"
#include "hardy/dram/error_model.h"
#include "hardy/dram/memspec.h"
#include "hardy/snn/network.h"
#include "hardy/snn/training.h"
#include "hardy/snn/weight_store.h"

namespace hardy::sparkxd {

/// The stream error maps of fault-aware training are keyed by: map of sample s =
/// error_map_seed(seed, kFatStream, s).
inline constexpr const char* kFatStream = "sparkxd.fat.errors";

struct FatOptions {
  /// Curriculum, ascending BERs ≥ 0: of T training samples, step k (of S) covers samples
  /// [⌊k·T/S⌋, ⌊(k+1)·T/S⌋). Every BER 0 gives plain training through the corruption path.
  std::vector<double> bers = {1e-5, 1e-4, 1e-3};
  /// A new error map every `interval` samples within a step and at every step's first sample.
  int64_t interval = 1000;
  snn::WeightFormat format;        ///< how the weights are stored while training
  dram::ErrorModelOptions errors;  ///< EDEN model 0 (uniform) by default
  uint64_t seed = 1;
  /// Throws ConfigError for an empty or descending curriculum, a BER outside [0, 0.5] or an
  /// interval < 1.
  void validate() const;
  nlohmann::json to_json() const;
};

/// The BER of training sample s of `total` under the curriculum.
double curriculum_ber(const FatOptions& fat, int64_t sample, int64_t total);
/// Whether sample s of `total` starts with a new error map (interval boundary or step start).
bool redraws_at(const FatOptions& fat, int64_t sample, int64_t total);

/// The corruption path: the weights are stored in a WeightStore, mapped by the baseline mapping
/// into a memory of organisation `org` with no spatial variation (every bit sees the chip BER),
/// one error map of `errors` flips stored bits, and each word that changed is read back by the
/// WeightStore decoding rule (fp32: NaN/negative → 0, above w_max → w_max; q<k>: any code).
/// Words that did not change keep their exact value, so a map that flips nothing changes nothing
/// (the training is then plain training bit for bit, whatever the format). Not thread-safe.
class WeightCorruptor {
 public:
  WeightCorruptor(const dram::Organisation& org, snn::WeightFormat format, float w_max,
                  const dram::ErrorModelOptions& errors);
  /// Corrupts `weights` (any layout, [0, w_max] apart from normalisation excess) in place with
  /// error map `map_seed` at chip BER `ber`; returns the injection's counts.
  dram::InjectionResult corrupt(std::span<float> weights, double ber, uint64_t map_seed);

 private:
  dram::Organisation org_;
  snn::WeightFormat format_;
  float w_max_;
  dram::ErrorModelOptions errors_;
  ThreadPool pool_{1};
};

struct FatStats {
  snn::TrainStats train;
  int64_t maps = 0, flips = 0;  ///< error maps drawn and bits they flipped (this process only)
};

/// snn::train_network with the corruption path before each sample that redraws: the weights the
/// simulator holds are corrupted by map error_map_seed(fat.seed, kFatStream, s) at
/// curriculum_ber(s). options.before_sample must be unset (it is set here) and the run's
/// fingerprint includes fat.to_json(), so a checkpoint of a run with other FAT settings is
/// refused. `org` is the memory the weights live in.
FatStats train_fault_aware(snn::Network& net, const data::Dataset& train, snn::TrainOptions options,
                           const FatOptions& fat, const dram::Organisation& org,
                           const snn::ProgressFn& progress = {});

}  // namespace hardy::sparkxd
