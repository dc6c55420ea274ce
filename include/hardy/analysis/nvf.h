// Neuron vulnerability factors of an int8 model (DESIGN §4), exact, for several fault models from
// one analysis. Every neuron fault (single or double bit flip, stuck-at) turns the neuron's golden
// byte g into some byte v; the faults of all requested models of one neuron and image need the
// outcome of at most 36 distinct bytes. Those on each side of g are decided together: interval
// bounds (IntervalBounds) prove a whole range of them non-critical (or all critical) at once, a
// range they cannot decide is split, and the bytes they cannot decide are simulated exactly (the
// fault-injection fast path, or, when the neuron's cone is a chain, all of them at once in a
// ByteBatch). A layer whose neurons each reach one output of a pooling node
// and nothing else is decided through that pooled neuron: its bytes map to pooled bytes, which the
// pooled neuron (analysed first) decided along with its own. NVF(n) = critical faults of n / faults
// of n over the images, per fault model; the counts equal an exhaustive injection campaign's
// critical counts of the same faults exactly.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "hardy/core/thread_pool.h"
#include "hardy/data/dataset.h"
#include "hardy/fault/campaign.h"
#include "hardy/fault/fault_model.h"
#include "hardy/fault/pool_tables.h"
#include "hardy/fault/site.h"
#include "hardy/qnn/int8_executor.h"

namespace hardy::analysis {

struct NvfOptions {
  std::vector<fault::FaultKind> kinds = {fault::FaultKind::kBitFlip, fault::FaultKind::kBitFlip2,
                                         fault::FaultKind::kStuckAt0, fault::FaultKind::kStuckAt1};
  fault::SiteFilter filter;   ///< layers, channels, bits (as for campaigns)
  int64_t images = 100;       ///< how many test images
  int64_t offset = 0;         ///< first test image considered
  bool correct_only = false;  ///< only images the golden model classifies correctly
  bool bounds = true;         ///< false: simulate every byte (the plain path, for comparison)
  /// Also decide every byte of every neuron (not only those the fault models reach) for the
  /// critical error values CEV⁻ < 0 < CEV⁺ and whether the safe bytes form an interval.
  bool cev = false;

  /// Throws ConfigError for an empty or repeated fault model, or kBer.
  void validate() const;
};

/// Integer results of the images analysed so far (sums over images: any thread count or order).
struct NvfCounts {
  /// Critical faults, per fault model (index into NvfOptions::kinds):
  std::vector<std::vector<int64_t>> per_word;   ///< [model][selected neuron]
  std::vector<std::vector<int64_t>> per_bit;    ///< [model][layer · 8 + bit] (pairs: higher bit)
  std::vector<std::vector<int64_t>> per_image;  ///< [model][position in the image list]
  /// Distinct faulty bytes decided, by how: trivially (the golden byte: a stuck-at that does not
  /// change the word), by interval bounds (on the neuron itself, or through the pooling node it
  /// feeds: `bytes_composed`, included in bytes_by_bounds: a byte mapped to a byte the pooled
  /// neuron decided), by exact simulation.
  int64_t bytes_trivial = 0, bytes_by_bounds = 0, bytes_composed = 0, bytes_simulated = 0;
  /// Of the bytes decided by bounds or simulation, those a pooled neuron decided only for the
  /// layer funnelling into it (bytes its own faults do not reach).
  int64_t bytes_for_funnels = 0;
  /// Of the simulated bytes, those decided together with other bytes of their neuron in one
  /// ByteBatch call, and the calls.
  int64_t bytes_batched = 0, batches = 0;
  /// (neuron, image) pairs decided without any simulation, and with some.
  int64_t pairs_by_bounds = 0, pairs_simulated = 0;
  /// Interval-bound passes run, and those that proved their range.
  int64_t bound_passes = 0, bound_proofs = 0;
  /// Per layer statistics, indexed by LayerStat.
  enum LayerStat {
    kSimulated,     ///< bytes simulated
    kBoundPasses,   ///< bound passes run
    kBatched,       ///< bytes simulated in batches (of kSimulated)
    kCevUpFound,    ///< (neuron, image) pairs with a critical byte above golden (cev only)
    kCevUpSum,      ///< Σ CEV⁺ over them
    kCevDownFound,  ///< pairs with a critical byte below golden
    kCevDownSum,    ///< Σ |CEV⁻| over them
    kNotInterval,   ///< pairs whose safe bytes are not one interval around golden
    kLayerStats
  };
  std::vector<std::array<int64_t, kLayerStats>> per_layer;
  std::vector<uint8_t> image_done;

  NvfCounts& operator+=(const NvfCounts& other);
  bool operator==(const NvfCounts&) const = default;
  std::vector<int64_t> to_vector() const;
  static NvfCounts from_vector(const std::vector<int64_t>& v, const NvfCounts& shape);
};

class NvfAnalysis {
 public:
  /// Resolves the options against the model and test set (site space of the neurons, images).
  NvfAnalysis(const qnn::QModel& model, const data::Dataset& test, const NvfOptions& options,
              ThreadPool& pool);

  const NvfOptions& options() const { return options_; }
  const fault::SiteSpace& sites() const { return sites_; }
  const std::vector<int64_t>& images() const { return images_; }
  const qnn::Int8Executor& executor() const { return exec_; }
  /// The faults of fault model `model` on one word of layer `layer` (per bit, or per pair of
  /// bits: 8 or 28 for a whole byte).
  const std::vector<fault::WordFault>& fault_list(int model, int layer) const {
    return faults_[static_cast<size_t>(model)][static_cast<size_t>(layer)];
  }
  /// Counts with every array sized and nothing done.
  NvfCounts empty_counts() const;
  /// A stable hash of everything that determines the counts (model, images, options).
  uint64_t fingerprint() const { return fingerprint_; }

  /// Called before the first image, after every finished image and at the end with (images
  /// done, images in all); may checkpoint `counts`. Calls never overlap: each holds the merge
  /// lock, on the thread that finished the image.
  using Observer = std::function<void(const NvfCounts& counts, int64_t done, int64_t total)>;
  /// Analyses every image not yet done in `counts`, adding its results.
  void run(NvfCounts& counts, ThreadPool& pool, const Observer& observer) const;

 private:
  struct Worker;
  // A layer whose value only a pooling node reads, and the analysed layer of the pool's output.
  struct Funnel {
    int target_layer = -1;
    const qnn::QNode* pool = nullptr;
    fault::PoolTables tables;
  };
  using ByteSet = std::array<uint64_t, 4>;  // one bit per byte value
  // Whether bound passes pay on one layer of one image (so the choice is the same for any thread
  // count): per class of range (size, side, next to g or not), the passes' cost and the
  // simulations they saved, costs counted as elements touched (ChangedElements::listed).
  struct PassGate {
    struct Class {
      int64_t passes = 0, proofs = 0, work = 0, bytes_proved = 0;
    };
    std::array<Class, 64> classes{};
    // Bytes simulated one at a time (work in simulation elements), and in batches (work in
    // ByteBatch operations).
    int64_t simulations = 0, simulation_work = 0;
    int64_t batches = 0, batch_bytes = 0, batch_work = 0;
    // Try a pass of class `cls`: during its first passes, then while the simulations it saved
    // cost more than the passes.
    bool worth_trying(size_t cls) const;
    // Decide n bytes of one neuron in a batch rather than one simulation each: while batches
    // cost less than n simulations (each tried first).
    bool batch_cheaper(int n) const;
    void record_simulation(int64_t work) {
      ++simulations;
      simulation_work += work;
    }
    void record_batch(int64_t work, int bytes) {
      ++batches;
      batch_bytes += bytes;
      batch_work += work;
    }
  };
  void analyse_image(int64_t position, NvfCounts& out, Worker& w) const;
  // The bytes the requested fault models turn golden byte g of a layer's neuron into (every byte
  // with NvfOptions::cev).
  const ByteSet& needed_bytes(int layer, uint8_t g) const {
    return needed_[static_cast<size_t>(layer)][g];
  }
  // Adds to `needed` the bytes element `element` of a pool's output takes when one input of its
  // window that only this output reads holds any byte needed by the funnelling layer `source`.
  void add_pooled_bytes(int source, int64_t element, const Worker& w, ByteSet& needed) const;
  // Decides the faulty bytes of one neuron and adds its critical faults to `out`.
  void analyse_neuron(int layer, int64_t index, int64_t position, NvfCounts& out, Worker& w,
                      PassGate& gate) const;

  NvfOptions options_;
  const data::Dataset& test_;
  qnn::Int8Executor exec_;
  fault::SiteSpace sites_;
  std::vector<int64_t> images_;
  std::vector<Funnel> funnels_;                   // per layer
  std::vector<std::vector<int>> funnel_sources_;  // per layer: the layers funnelling into it
  std::vector<std::vector<std::vector<fault::WordFault>>> faults_;  // [model][layer]: one word's
  // Per layer and golden byte g: the bytes its faults make (needed_bytes), and whether some fault
  // leaves g unchanged.
  std::vector<std::array<ByteSet, 256>> needed_;
  std::vector<std::array<bool, 256>> keeps_golden_;
  uint64_t fingerprint_ = 0;
};

}  // namespace hardy::analysis
