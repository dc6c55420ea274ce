// Whole-dataset operations: sequential STDP training, parallel label assignment and parallel
// inference with per-image random streams (results independent of the thread count).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hardy/core/isa.h"
#include "hardy/data/dataset.h"
#include "hardy/snn/network.h"
#include "hardy/snn/readout.h"

namespace hardy::snn {

class WeightStore;
struct ModelState;

/// Called with the number of finished samples and a short note (e.g. "acc 81.3%").
using ProgressFn = std::function<void(int64_t done, const std::string& note)>;

/// Random stream tags (RngStream(seed, tag, index)); index = sample or image number.
inline constexpr const char* kTrainStream = "snn.train.input";
inline constexpr const char* kLabelStream = "snn.label.input";
inline constexpr const char* kEvalStream = "snn.eval.input";

struct TrainOptions {
  int epochs = 1;
  int64_t images = 0;  ///< first `images` of the dataset (0: all)
  uint64_t seed = 1;
  std::optional<Isa> isa;  ///< kernel ceiling (unset: detect_isa(); see Simulator)
  /// When set, the run's whole state is written here (atomically) at the end of a
  /// running-accuracy block once `checkpoint_seconds` have passed since the last write (or the
  /// start), and the file is removed when training finishes.
  std::string checkpoint;
  double checkpoint_seconds = 10.0;
  /// Continue from `checkpoint` if it exists (it must belong to the same run: data, sizes,
  /// seed, epochs, parameters); the result is identical to an uninterrupted run.
  bool resume = false;
  /// Called on the training thread right after each checkpoint is complete on disk, with the
  /// number of samples it holds (for logs; the CLI's kill-after-checkpoint test hook uses it).
  std::function<void(int64_t samples_done)> on_checkpoint;
  /// Called on the training thread before sample s is trained (s = 0 … epochs·images − 1; after
  /// a resume from the first sample not yet trained) with the learned state as the simulator
  /// holds it (ModelState layout); it may change the weights, e.g. fault-aware training corrupts
  /// them with memory bit errors here. For a resumed run to equal an uninterrupted one it must
  /// depend only on s and that state. Unset: plain training.
  std::function<void(int64_t sample, ModelState& model)> before_sample;
  /// Names what before_sample does and its settings; part of the checkpoint's run fingerprint, so
  /// a checkpoint of a run with another hook is refused.
  std::string before_sample_id;
};

struct TrainStats {
  int64_t samples = 0;        ///< epochs × images
  int64_t presentations = 0;  ///< ≥ samples (re-presentations)
  int64_t input_spikes = 0;
  int64_t exc_spikes = 0;  ///< in the counted (last) presentation of each sample
  double seconds = 0.0;
  double samples_per_second = 0.0;
  double running_accuracy = -1.0;  ///< last block, labels from the block before (−1: none yet)
};

/// Trains `net` in place with STDP, one sample at a time in dataset order, epoch after epoch.
/// Sequential and single-threaded by nature (each sample changes the weights the next one
/// sees); the result depends only on the seed, the data, the parameters and the network
/// (sample e·K + k draws its input from RngStream(seed, kTrainStream, e·K + k)).
/// Progress reports a running accuracy as the original code does: every block of
/// clamp(K/6, 500, 10000) samples, labels are assigned from the block's responses and used to
/// classify the next block. Leaves net.labels empty (see label_network).
TrainStats train_network(Network& net, const data::Dataset& train, const TrainOptions& options,
                         const ProgressFn& progress = {});

struct InferenceOptions {
  int64_t images = 0;  ///< first `images` of the dataset (0: all)
  uint64_t seed = 1;
  const char* stream = kEvalStream;
  int threads = 1;
  std::optional<Isa> isa;              ///< kernel ceiling (unset: detect_isa(); see Simulator)
  const WeightStore* store = nullptr;  ///< use these (decoded) weights instead of net.weights
  Readout readout = Readout::kVote;    ///< kProportion needs net.class_responses
  bool keep_counts = false;            ///< fill InferenceResult::counts
};

struct InferenceResult {
  int64_t images = 0;
  int64_t correct = 0;                 ///< only when the network is labelled
  double accuracy = 0.0;               ///< correct / images
  std::vector<int> predictions;        ///< per image; −1 = no labelled neuron spiked
  std::vector<int32_t> counts;         ///< images × neurons when keep_counts
  std::vector<int64_t> class_sums;     ///< 10 × neurons: spike counts summed per true class
  std::vector<int64_t> class_samples;  ///< 10
  std::vector<int64_t> confusion;      ///< 10 × 10 [true][predicted] (unpredicted not counted)
  int64_t presentations = 0;
  int64_t input_spikes = 0;
  int64_t exc_spikes = 0;
  double seconds = 0.0;
  double samples_per_second = 0.0;
};

/// Frozen-network inference over a dataset, images split across `threads` in fixed contiguous
/// chunks. Image m draws its input from RngStream(seed, stream, m) and starts from the rest
/// state, so every result (counts, predictions) is identical for any thread count.
InferenceResult run_inference(const Network& net, const data::Dataset& data,
                              const InferenceOptions& options, const ProgressFn& progress = {});

/// Assigns net.labels and net.class_responses from a frozen pass over `data` (stream
/// kLabelStream). Returns that pass (its accuracy is the accuracy on the labelling data with the
/// new labels and options.readout).
InferenceResult label_network(Network& net, const data::Dataset& data, InferenceOptions options,
                              const ProgressFn& progress = {});

}  // namespace hardy::snn
