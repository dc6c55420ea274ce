// Test helper: small quantized models built node by node, with what the zoo lacks, and random
// images for them.
#pragma once

#include <cstdint>
#include <vector>

#include "hardy/core/rng.h"
#include "hardy/data/dataset.h"
#include "hardy/qnn/qmodel.h"

namespace hardy::analysis::testing {

/// Builds a QModel: every value on scale 0.05 with a random zero point, random weights and biases,
/// multipliers that keep outputs in range with about one channel in ten a left shift (a
/// multiplier of 1 or more). Deterministic in `seed`.
class ModelBuilder {
 public:
  explicit ModelBuilder(uint64_t seed) : rng_(seed, 3, 0) {}
  int input(Shape s);
  int conv(int in, int oc, int k, int stride, int pad_a, int pad_b, int groups, uint8_t lo = 0,
           uint8_t hi = 255);
  int dense(int in, int outputs, uint8_t lo = 0, uint8_t hi = 255);
  int pool(qnn::OpKind op, int in, int k, int stride, int pad_a, int pad_b, bool include_pad);
  int global_pool(int in);
  /// Relu, Clip or Flatten clamping to [lo, hi].
  int clamp(qnn::OpKind op, int in, uint8_t lo, uint8_t hi);
  /// A residual Add whose sums saturate now and then.
  int add(int a, int b);
  /// Channels joined; each input rescaled by 1/2^20 (equal scales) times 0.5 to 1.5, so that
  /// inputs map to the output differently and saturate now and then.
  int concat(std::vector<int> inputs);
  /// Minimum or Maximum of inputs of one shape, clamped to [lo, hi].
  int extremum(qnn::OpKind op, std::vector<int> inputs, uint8_t lo, uint8_t hi);
  qnn::QModel finish(int output);

 private:
  int32_t between(int32_t lo, int32_t hi);
  int value(Shape s, int32_t zero_point);
  qnn::QNode& node(qnn::OpKind op, std::vector<int> inputs, Shape out, int32_t zero_point);
  void weights(qnn::QNode& n, int64_t channels, int64_t reduction, uint8_t lo, uint8_t hi);

  RngStream rng_;
  qnn::QModel model_;
};

/// Every operator the analysis follows, in shapes the zoo lacks: padded and overlapping pools,
/// count_include_pad, grouped Convs (groups of 2 and of 8 channels) fed by several changed inputs,
/// a global pool over few cells, a Flatten and a Clip that clamp, standalone Relu, a residual Add,
/// a Concat (one input passed twice, each input its own rescaling), Minimum and Maximum. Seed 1:
/// ten classes; seed 2: three (a Dense narrower than a lane block's channels). Input 3×12×12.
qnn::QModel every_operator_model(uint64_t seed);

/// Pools whose outputs are few (3×3 per channel from 5×5, overlapping windows; 2×2 stride 1
/// before): a wide perturbation reaches every output of a pool. Input 1×14×14, two classes.
qnn::QModel small_pools_model(uint64_t seed);

/// `count` random images shaped like the model's input (an image is its bytes, channel-major).
data::Dataset random_images(const qnn::QModel& model, int64_t count);

}  // namespace hardy::analysis::testing
