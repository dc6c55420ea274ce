// Models whose stored weights sit in DRAM: MemorySegment views of an int8 model's weights and of
// a spiking network's WeightStore, and accuracy measured with the weights as stored.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

#include "hardy/core/memory_segment.h"
#include "hardy/core/thread_pool.h"
#include "hardy/data/dataset.h"
#include "hardy/qnn/int8_executor.h"
#include "hardy/snn/network.h"
#include "hardy/snn/training.h"
#include "hardy/snn/weight_store.h"

namespace hardy::sparkxd {

/// Views of the stored int8 weights of every Conv/Dense node of `model`, in node order: name =
/// node name, 8 bits per word, bytes = the weight tensor as stored (row-major int8). They point
/// into `model`, which must outlive them and keep its tensors' sizes.
std::vector<MemorySegment> int8_weight_segments(qnn::QModel& model);

/// The view of a WeightStore's packed bytes (fp32 words or k-bit codes), `format.bits` per word.
MemorySegment snn_weight_segment(snn::WeightStore& store);

/// What a DRAM sweep corrupts and measures. Not thread-safe: one sweep at a time.
class WeightedModel {
 public:
  WeightedModel() = default;
  WeightedModel(const WeightedModel&) = delete;  // segments point into the object
  WeightedModel& operator=(const WeightedModel&) = delete;
  virtual ~WeightedModel() = default;
  /// The stored weights; writes through them are what accuracy() sees next.
  virtual std::span<MemorySegment> segments() = 0;
  /// Top-1 accuracy in [0, 1] on the test images with the weights as stored now. Results do not
  /// depend on the pool's size.
  virtual double accuracy(ThreadPool& pool) = 0;
  /// Puts the clean weights back.
  virtual void restore() = 0;
  virtual nlohmann::json describe() const = 0;
};

/// An int8 model run by the Int8Executor: after its weights change, every Conv/Dense node is
/// repacked before the next run (the executor's packed copy and corrected bias follow), so the
/// corrupted model runs exactly as the reference kernels define. An int8 weight has no invalid
/// bit pattern: a flipped byte is simply another weight in [−128, 127].
class Int8Model : public WeightedModel {
 public:
  /// `test` must outlive the model; images: the first n test images (0: all).
  Int8Model(qnn::QModel model, const data::Dataset& test, int64_t images, qnn::KernelSet kernels);
  std::span<MemorySegment> segments() override { return segments_; }
  double accuracy(ThreadPool& pool) override;
  void restore() override;
  nlohmann::json describe() const override;

 private:
  qnn::Int8Executor exe_;
  const data::Dataset& test_;
  int64_t images_;
  std::vector<int> weight_nodes_;
  std::vector<std::vector<int8_t>> clean_;
  std::vector<MemorySegment> segments_;
};

/// A spiking network whose input→excitatory weights are stored in a WeightStore (fp32 or q<k>);
/// accuracy decodes them by the store's clamping rule and runs snn::run_inference.
class SnnModel : public WeightedModel {
 public:
  SnnModel(snn::Network net, snn::WeightFormat format, const data::Dataset& test,
           snn::InferenceOptions options);
  std::span<MemorySegment> segments() override { return {&segment_, 1}; }
  double accuracy(ThreadPool& pool) override;
  void restore() override;
  nlohmann::json describe() const override;

 private:
  snn::Network net_;
  snn::WeightStore store_;
  std::vector<uint8_t> clean_;
  const data::Dataset& test_;
  snn::InferenceOptions options_;
  MemorySegment segment_;
};

}  // namespace hardy::sparkxd
