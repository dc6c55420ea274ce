// Runs a QModel on raw uint8 images with the reference or the optimized kernels; the two are
// bit-identical by contract (tests/qnn/kernel_equivalence_test.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "hardy/core/thread_pool.h"
#include "hardy/data/dataset.h"
#include "hardy/qnn/optimized_kernels.h"
#include "hardy/qnn/qmodel.h"

namespace hardy::qnn {

enum class KernelSet {
  kReference,  ///< scalar kernels that define the semantics
  kOptimized,  ///< im2col + packed int8 GEMM (AVX-512 VNNI or portable, optimized_kernels.h)
};

class Int8Executor {
 public:
  /// Per-thread buffers: every value of the model for one image, plus kernel scratch.
  struct Workspace {
    std::vector<std::vector<uint8_t>> values;
    std::vector<uint8_t> scratch;
  };

  /// model must outlive the executor; isa applies to kOptimized.
  Int8Executor(const QModel& model, KernelSet kernels, Isa isa = detect_isa());
  ~Int8Executor();
  Int8Executor(Int8Executor&&) noexcept;

  Workspace make_workspace() const;
  /// Runs one image (input_elements() raw bytes: the input scale is 1/255, zero point 0).
  /// Every value of the model is left in ws. Thread-safe with one Workspace per thread.
  void run(std::span<const uint8_t> image, Workspace& ws) const;
  std::span<const uint8_t> output(const Workspace& ws) const;

  /// Runs images [0, n) of a dataset; returns their quantized outputs, n · output_elements().
  /// Identical for any pool size.
  std::vector<uint8_t> run_dataset(const data::Dataset& images, int64_t n, ThreadPool& pool) const;

  const QModel& model() const { return model_; }
  KernelSet kernels() const { return kernels_; }

 private:
  const QModel& model_;
  KernelSet kernels_;
  std::unique_ptr<PackedModel> packed_;
};

}  // namespace hardy::qnn
