// Fault-injection campaigns on an int8 model (DESIGN §3): exhaustive (every site × fault × image),
// statistical (a Leveugle-sized uniform sample over all selected bits and images) and BER trials
// (accuracy under independent bit errors). Work is cut into chunks (an image, a block of sampled
// faults, a trial) whose results are integer counts: threads, shards (--shard K/N) and resumed
// runs add the same chunks and give exactly the single-run result.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hardy/core/thread_pool.h"
#include "hardy/data/dataset.h"
#include "hardy/fault/fault_model.h"
#include "hardy/fault/outcome.h"
#include "hardy/fault/site.h"
#include "hardy/qnn/int8_executor.h"

namespace hardy::fault {

enum class CampaignMode { kExhaustive, kStatistical, kTrials };
struct CampaignWorker;
const char* campaign_mode_name(CampaignMode mode);
/// "exhaustive", "statistical" or "trials"; anything else is a ConfigError.
CampaignMode parse_campaign_mode(const std::string& name);

struct CampaignOptions {
  Target target = Target::kNeurons;
  FaultKind kind = FaultKind::kBitFlip;
  CampaignMode mode = CampaignMode::kStatistical;
  SiteFilter filter;
  int64_t images = 100;       ///< how many test images
  int64_t offset = 0;         ///< first test image considered
  bool correct_only = false;  ///< only images the golden int8 model classifies correctly
  double margin = 0.01;       ///< statistical: error margin e of the sample size
  double confidence = 0.95;   ///< statistical sample size and every reported interval
  int64_t faults = 0;         ///< statistical: sample size; 0 = from margin and confidence
  double ber = 0;             ///< trials: per-bit error probability p
  int64_t trials = 0;         ///< trials: number of fault maps
  uint64_t seed = 1;
  int shard_index = 0, shard_count = 1;

  /// Throws ConfigError for inconsistent or out-of-range options (names what, not a flag).
  void validate() const;
};

/// One BER trial: how many images kept the right label and what the faults did to the outputs.
struct TrialCounts {
  int64_t correct = 0;
  OutcomeCounts outcomes;
  bool operator==(const TrialCounts&) const = default;
};

/// Integer results of the chunks done so far. Sums of chunks: equal for any thread count, order
/// or shard split.
struct CampaignCounts {
  OutcomeCounts total;
  std::vector<OutcomeCounts> per_layer;  ///< [layer of the site space]
  std::vector<OutcomeCounts> per_bit;    ///< [layer · 32 + bit] (bitflip2: the higher bit)
  std::vector<OutcomeCounts> per_word;   ///< [selected word] (exhaustive, statistical)
  std::vector<OutcomeCounts> per_image;  ///< [position in the campaign's image list]
  std::vector<TrialCounts> per_trial;    ///< [trial] (trials)
  std::vector<uint8_t> chunk_done;       ///< [chunk]

  CampaignCounts& operator+=(const CampaignCounts& other);
  bool operator==(const CampaignCounts&) const = default;

  /// Every count in one vector (fixed order), for summing across processes (MPI).
  std::vector<int64_t> to_vector() const;
  /// The counts of `v` (as to_vector made it) in arrays shaped like `shape`.
  static CampaignCounts from_vector(const std::vector<int64_t>& v, const CampaignCounts& shape);
};

class Campaign {
 public:
  /// Resolves the options against the model and the test set (site space, image list, sample
  /// size). Throws ConfigError for bad options, or when fewer images than asked exist.
  Campaign(const qnn::QModel& model, const data::Dataset& test, const CampaignOptions& options,
           ThreadPool& pool);

  const CampaignOptions& options() const { return options_; }
  const SiteSpace& sites() const { return sites_; }
  const qnn::Int8Executor& executor() const { return exec_; }
  /// Test-set indices of the images used, in order.
  const std::vector<int64_t>& images() const { return images_; }
  /// Faults of the whole campaign (all shards): sites × faults per word × images, the sample size,
  /// or trials × images for BER.
  int64_t faults() const { return faults_; }
  int64_t chunks() const { return chunks_; }
  bool in_shard(int64_t chunk) const {
    return chunk % options_.shard_count == options_.shard_index;
  }
  /// Counts with every array sized and nothing done.
  CampaignCounts empty_counts() const;

  /// Called before the first chunk, after every finished chunk and at the end with
  /// (faults done in this shard, faults of this shard); may write a checkpoint of `counts`
  /// (consistent: whole chunks only). Calls never overlap: each holds the merge lock, on the
  /// thread that finished the chunk.
  using Observer = std::function<void(const CampaignCounts& counts, int64_t done, int64_t total)>;
  /// Runs every chunk of this shard not yet done in `counts`, adding their results.
  void run(CampaignCounts& counts, ThreadPool& pool, const Observer& observer) const;

  /// Faults in chunk `chunk` (for progress).
  int64_t chunk_faults(int64_t chunk) const;
  /// A stable hash of everything that determines the counts (model bytes, images, options; not
  /// the shard, which only selects chunks): a checkpoint or shard result from another campaign is
  /// refused.
  uint64_t fingerprint() const { return fingerprint_; }

 private:
  void run_chunk(int64_t chunk, CampaignCounts& out, CampaignWorker& worker) const;
  void exhaustive_image(int64_t position, CampaignCounts& out, CampaignWorker& worker) const;
  void statistical_block(int64_t chunk, CampaignCounts& out, CampaignWorker& worker) const;
  void ber_trial(int64_t trial, CampaignCounts& out, CampaignWorker& worker) const;
  // Runs image `position` with independent bit errors in this target's neurons or accumulators
  // (a fresh map from stream `stream`); leaves the outputs in worker.ws.
  void run_with_transient_errors(int64_t position, uint64_t stream, CampaignWorker& worker) const;
  Outcome inject(CampaignWorker& worker, const Site& site, const WordFault& fault) const;
  void count(CampaignCounts& out, const Site& site, const WordFault& fault, int64_t position,
             Outcome outcome) const;

  CampaignOptions options_;
  const data::Dataset& test_;
  qnn::Int8Executor exec_;
  SiteSpace sites_;
  std::vector<int64_t> images_;
  std::vector<uint8_t> golden_outputs_;  // trials: each image's golden output bytes
  int64_t faults_ = 0, chunks_ = 0;
  uint64_t fingerprint_ = 0;
};

/// The test-set indices of a campaign's images: the first `images` from `offset`, or with
/// correct_only the first that the golden int8 model classifies correctly. Throws ConfigError when
/// the test set has too few.
std::vector<int64_t> select_images(const qnn::Int8Executor& exec, const data::Dataset& test,
                                   const CampaignOptions& options, ThreadPool& pool);

/// Statistical chunks hold this many sampled faults (sorted by image inside a chunk, so large
/// chunks share golden runs).
inline constexpr int64_t kFaultsPerStatisticalChunk = 4096;

}  // namespace hardy::fault
