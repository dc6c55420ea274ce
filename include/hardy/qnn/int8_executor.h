// Runs a QModel on raw uint8 images with the reference or the optimized kernels; the two are
// bit-identical by contract (tests/qnn/kernel_equivalence_test.cpp), also after weights are
// patched. Every value of an image lives in one arena laid out by an ExecutionPlan, so fault
// injection restores golden values with one copy and re-runs only a fault's downstream cone.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "hardy/core/thread_pool.h"
#include "hardy/data/dataset.h"
#include "hardy/qnn/execution_plan.h"
#include "hardy/qnn/optimized_kernels.h"
#include "hardy/qnn/qmodel.h"

namespace hardy::qnn {

enum class KernelSet {
  kReference,  ///< scalar kernels that define the semantics
  kOptimized,  ///< im2col + packed int8 GEMM (AVX-512 VNNI or portable, optimized_kernels.h)
};

/// Thread safety: the const members may run concurrently, each thread with its own Workspace.
/// set_weight() and repack() change the executor's own copy of the model and must not overlap
/// any other call; give each thread its own executor (the copy constructor) to patch weights in
/// parallel.
class Int8Executor {
 public:
  /// Per-thread state for one image: the arena with every value, kernel scratch, and each node's
  /// input pointers into the arena. Move-only (the pointers point into its own arena).
  struct Workspace {
    std::vector<uint8_t> arena;
    std::vector<uint8_t> scratch;
    std::vector<const uint8_t*> inputs;  ///< node i's inputs at [input_begin[i], input_begin[i+1])
    Workspace() = default;
    Workspace(Workspace&&) noexcept = default;
    Workspace& operator=(Workspace&&) noexcept = default;
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;
  };

  /// Takes its own copy of the model (validated; throws FormatError if it breaks a QModel
  /// invariant). isa applies to kOptimized.
  Int8Executor(QModel model, KernelSet kernels, Isa isa = detect_isa());
  /// An independent executor with its own copy of the (possibly patched) weights.
  Int8Executor(const Int8Executor& other);
  Int8Executor& operator=(const Int8Executor&) = delete;
  Int8Executor(Int8Executor&&) noexcept;
  ~Int8Executor();

  Workspace make_workspace() const;
  /// Runs one image (input_elements() raw bytes: the input scale is 1/255, zero point 0).
  /// Every value of the model is left in ws.
  void run(std::span<const uint8_t> image, Workspace& ws) const;
  /// Runs images.size() ≤ PackedModel::kMaxBatch images, image i in ws[i]: the same bytes as run()
  /// on each (optimized Dense kernels share each weight load between images).
  void run_batch(std::span<const std::span<const uint8_t>> images, std::span<Workspace> ws) const;
  /// Runs only the listed nodes, in the order given (e.g. ExecutionPlan::cone()); their inputs
  /// must already be in ws. Nodes that do not run (Flatten copies) are skipped.
  void run_nodes(std::span<const int> nodes, Workspace& ws) const;
  /// Runs node `index` alone.
  void run_node(int index, Workspace& ws) const;

  /// The bytes of value v in ws (a Flatten copy shares its source's bytes).
  std::span<uint8_t> value(Workspace& ws, int v) const;
  std::span<const uint8_t> value(const Workspace& ws, int v) const;
  std::span<const uint8_t> output(const Workspace& ws) const { return value(ws, model_->output); }

  /// Operands of node `index` with its inputs and output in ws's arena (valid while ws lives).
  NodeIo node_io(int index, Workspace& ws) const {
    return make_io(index, ws, value(ws, model_->node(index).output).data());
  }

  /// The int32 accumulator of output element `index` of Conv/Dense node `node`, computed by the
  /// reference rule (accumulator_reference) from the inputs in ws and the current weights.
  int32_t accumulator(int node, int64_t index, const Workspace& ws) const;
  /// The byte node `node` stores for output element `index` when its accumulator is `acc`.
  uint8_t requantize_accumulator(int node, int64_t index, int32_t acc) const;

  /// Sets weight `index` (row-major in node.weight) of Conv/Dense node `node`; both kernel sets
  /// follow (the packed copy and its corrected bias included). Not thread-safe (see above).
  void set_weight(int node, int64_t index, int8_t w);
  int8_t weight(int node, int64_t index) const { return model_->node(node).weight[index]; }
  /// Node `node` for arbitrary edits of its weights, bias or multipliers; call repack(node)
  /// afterwards, before the next run. Not thread-safe (see above).
  QNode& node_for_update(int node) { return model_->nodes[static_cast<size_t>(node)]; }
  void repack(int node);

  /// Runs images [0, n) of a dataset; returns their quantized outputs, n · output_elements().
  /// Identical for any pool size.
  std::vector<uint8_t> run_dataset(const data::Dataset& images, int64_t n, ThreadPool& pool) const;

  const QModel& model() const { return *model_; }
  const ExecutionPlan& plan() const { return *plan_; }
  KernelSet kernels() const { return kernels_; }
  Isa isa() const { return isa_; }

 private:
  NodeIo make_io(int index, const Workspace& ws, uint8_t* y) const;
  void build_tables();

  std::unique_ptr<QModel> model_;  // stable address: the plan's pointers and packed_ refer to it
  KernelSet kernels_;
  Isa isa_;
  std::shared_ptr<const ExecutionPlan> plan_;
  std::unique_ptr<PackedModel> packed_;
  std::vector<const QValue*> input_values_;  // node i's input QValues at [input_begin_[i], …)
  std::vector<size_t> input_begin_;
};

}  // namespace hardy::qnn
