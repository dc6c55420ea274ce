// ByteBatch decides each lane's byte exactly as a simulation of that byte alone does: on every zoo
// model, an imported residual model and mutated LeNet-5s and residual models (left shifts,
// unusual clamps, Add scales), for every layer whose cone it follows, sampled neurons, every faulty
// byte, batches of 1 to 63 bytes, with the Dense loops of every instruction set this CPU has.
#include "hardy/analysis/byte_batch.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "hardy/core/fixed_point.h"
#include "hardy/core/rng.h"
#include "hardy/fault/propagator.h"
#include "hardy/qnn/graph.h"
#include "mutated_model.h"
#include "zoo.h"

namespace hardy::analysis {
namespace {

// Counts in `compared` the (neuron, byte) decisions compared.
void expect_batches_equal_simulation(const qnn::QModel& model, const data::Dataset& test,
                                     int64_t images, int64_t stride, const std::string& what,
                                     int64_t& compared) {
  const qnn::Int8Executor exec(model, qnn::KernelSet::kOptimized);
  fault::FaultPropagator sim(exec);
  for (Isa isa : {Isa::kGeneric, Isa::kAvx512Vnni}) {
    if (!cpu_supports(isa)) continue;
    ByteBatch batch(exec, isa);
    for (int64_t image = 0; image < images; ++image) {
      sim.set_image(test.image(image));
      batch.set_image(sim);
      for (int v = 0; v < static_cast<int>(model.values.size()); ++v) {
        if (!batch.follows(v)) continue;
        const int64_t elements = model.value(v).shape.elements();
        for (int64_t e = (image * 7 + v) % stride % elements; e < elements; e += stride) {
          const uint8_t g = sim.golden_byte(v, e);
          std::vector<uint8_t> bytes;
          for (int b = 0; b < 256; ++b) {
            if (b != g) bytes.push_back(static_cast<uint8_t>(b));
          }
          // Batches of varying size: 1, 2, ..., so that every lane count occurs.
          for (size_t at = 0, size = 1 + static_cast<size_t>(e % 5); at < bytes.size();
               at += size, size = (size * 2 + 1) % ByteBatch::kMaxBytes + 1) {
            const size_t n = std::min(size, bytes.size() - at);
            const uint64_t hit =
                batch.critical(v, e, std::span<const uint8_t>(bytes.data() + at, n));
            for (size_t i = 0; i < n; ++i) {
              const bool critical =
                  sim.inject_neuron(v, e, bytes[at + i]) == fault::Outcome::kSdcCritical;
              ASSERT_EQ((hit >> i & 1) != 0, critical)
                  << what << " " << isa_name(isa) << " image " << image << " value "
                  << model.value(v).name << " element " << e << " byte " << int{bytes[at + i]};
              ++compared;
            }
          }
        }
      }
    }
  }
}

// Small random models with what the zoo lacks: padded and overlapping pools, count_include_pad,
// grouped Convs (groups of 2 and of 8 channels) fed by several changed inputs, a global pool over
// few cells, a Flatten and a Clip that clamp, standalone Relu, a residual Add, left-shift
// multipliers.
class ModelBuilder {
 public:
  explicit ModelBuilder(uint64_t seed) : rng_(seed, 3, 0) {}
  int input(Shape s) {
    model_.input = value(std::move(s), 0);
    return model_.input;
  }
  int conv(int in, int oc, int k, int stride, int pad_a, int pad_b, int groups, uint8_t lo = 0,
           uint8_t hi = 255) {
    const Shape is = model_.value(in).shape;
    const int oh = qnn::window_output(static_cast<int>(is[1]), pad_a, pad_b, k, stride);
    const int ow = qnn::window_output(static_cast<int>(is[2]), pad_a, pad_b, k, stride);
    qnn::QNode& n = node(qnn::OpKind::kConv, {in}, Shape{oc, oh, ow}, between(60, 190));
    n.window = {k, k, stride, stride, pad_a, pad_a, pad_b, pad_b, groups, false};
    n.weight = Tensor<int8_t>(Shape{oc, is[0] / groups, k, k});
    weights(n, oc, is[0] / groups * k * k, lo, hi);
    return n.output;
  }
  int dense(int in, int outputs, uint8_t lo = 0, uint8_t hi = 255) {
    const int64_t k = model_.value(in).shape.elements();
    qnn::QNode& n = node(qnn::OpKind::kDense, {in}, Shape{outputs}, between(60, 190));
    n.weight = Tensor<int8_t>(Shape{outputs, k});
    weights(n, outputs, k, lo, hi);
    return n.output;
  }
  int pool(qnn::OpKind op, int in, int k, int stride, int pad_a, int pad_b, bool include_pad) {
    const Shape is = model_.value(in).shape;
    const int oh = qnn::window_output(static_cast<int>(is[1]), pad_a, pad_b, k, stride);
    const int ow = qnn::window_output(static_cast<int>(is[2]), pad_a, pad_b, k, stride);
    qnn::QNode& n = node(op, {in}, Shape{is[0], oh, ow}, model_.value(in).quant.zero_point);
    n.window = {k, k, stride, stride, pad_a, pad_a, pad_b, pad_b, 1, include_pad};
    return n.output;
  }
  int global_pool(int in) {
    return node(qnn::OpKind::kGlobalAveragePool, {in}, Shape{model_.value(in).shape[0], 1, 1},
                model_.value(in).quant.zero_point)
        .output;
  }
  // Relu, Clip or Flatten clamping to [lo, hi].
  int clamp(qnn::OpKind op, int in, uint8_t lo, uint8_t hi) {
    Shape s = model_.value(in).shape;
    if (op == qnn::OpKind::kFlatten) s = Shape{s.elements()};
    qnn::QNode& n = node(op, {in}, s, model_.value(in).quant.zero_point);
    n.out_min = lo;
    n.out_max = hi;
    return n.output;
  }
  int add(int a, int b) {
    qnn::QNode& n = node(qnn::OpKind::kAdd, {a, b}, model_.value(a).shape, between(60, 190));
    // Every value's scale is 0.05: inputs rescaled by 1/2 to the common base, the sum by
    // 2 / 2^20 (TFLite's rule), times up to ±50% so that sums saturate now and then.
    n.add_input_multiplier = {quantize_multiplier(0.5), quantize_multiplier(0.5)};
    n.add_output_multiplier = quantize_multiplier(2.0 / (1 << 20) * (0.5 + rng_.uniform()));
    return n.output;
  }
  qnn::QModel finish(int output) {
    model_.output = output;
    model_.validate();
    return model_;
  }

 private:
  int32_t between(int32_t lo, int32_t hi) {
    return lo + static_cast<int32_t>(rng_.uniform_below(static_cast<uint64_t>(hi - lo + 1)));
  }
  int value(Shape s, int32_t zero_point) {
    qnn::QValue& v = model_.values.emplace_back();
    v.name = std::to_string(model_.values.size() - 1);
    v.shape = std::move(s);
    v.quant = {0.05f, zero_point};
    return static_cast<int>(model_.values.size()) - 1;
  }
  qnn::QNode& node(qnn::OpKind op, std::vector<int> inputs, Shape out, int32_t zero_point) {
    qnn::QNode& n = model_.nodes.emplace_back();
    n.op = op;
    n.name = std::to_string(model_.nodes.size());
    n.inputs = std::move(inputs);
    n.output = value(std::move(out), zero_point);
    return n;
  }
  // Random weights and biases; multipliers that keep outputs in range, about one channel in ten
  // with a multiplier of 1 or more (a left shift).
  void weights(qnn::QNode& n, int64_t channels, int64_t reduction, uint8_t lo, uint8_t hi) {
    for (auto& w : n.weight.data) w = static_cast<int8_t>(between(-127, 127));
    for (int64_t c = 0; c < channels; ++c) {
      n.bias.push_back(between(-3000, 3000));
      double m = 40.0 / (5461.0 * std::sqrt(static_cast<double>(reduction))) *
                 (0.5 + 1.5 * rng_.uniform());
      if (rng_.uniform() < 0.1) m = 1.0 + 2.0 * rng_.uniform();
      n.multiplier.push_back(quantize_multiplier(m));
      n.weight_scale.push_back(1.0f);
    }
    n.out_min = lo;
    n.out_max = hi;
  }

  RngStream rng_;
  qnn::QModel model_;
};

// Random images for a built model.
data::Dataset random_images(const qnn::QModel& model, int64_t count) {
  data::Dataset d;
  RngStream rng(99, 2, 0);
  const auto& s = model.value(model.input).shape;
  d.rows = static_cast<int>(s[0] * s[1]);  // an image is the input's bytes, channel-major
  d.cols = static_cast<int>(s[2]);
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t k = 0; k < s.elements(); ++k)
      d.pixels.push_back(static_cast<uint8_t>(rng.next_u64()));
    d.labels.push_back(0);
  }
  return d;
}

TEST(ByteBatch, EachLaneIsItsOwnSimulation) {
  struct Target {
    const char* model;
    int64_t images, stride;
  };
  for (const Target& t :
       {Target{"lenet5_fmnist", 2, 29}, Target{"mlp_fmnist", 2, 11}, Target{"vgg_fmnist", 2, 401},
        Target{"resnet_fmnist", 1, 1 << 20}, Target{"import/pad_residual", 2, 211}}) {
    const auto& z = qnn::testing::zoo_model(t.model);
    int64_t compared = 0;
    expect_batches_equal_simulation(z.model, z.test, t.images, t.stride, t.model, compared);
    EXPECT_GT(compared, 0) << t.model << ": some layer's cone is followed";
  }
}

TEST(ByteBatch, ExactWithUnusualQuantization) {
  for (const auto& [name, stride] :
       {std::pair{"lenet5_fmnist", 37}, {"import/pad_residual", 997}}) {
    const auto& z = qnn::testing::zoo_model(name);
    for (uint64_t seed = 1; seed <= 2; ++seed) {
      int64_t left_shifts = 0;
      const qnn::QModel model = testing::mutated(z.model, seed, left_shifts);
      EXPECT_GT(left_shifts, 0);
      int64_t compared = 0;
      const std::string what = std::string(name) + " mutation " + std::to_string(seed);
      expect_batches_equal_simulation(model, z.test, 2, stride, what, compared);
      EXPECT_GT(compared, 0) << what;
    }
  }
}

TEST(ByteBatch, ExactOnPaddedPoolsGroupsResidualsAndClamps) {
  using qnn::OpKind;
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    ModelBuilder b(seed);
    const int x = b.input(Shape{3, 12, 12});
    const int a = b.conv(x, 8, 3, 1, 1, 1, 1);
    const int r = b.clamp(OpKind::kRelu, a, 70, 255);
    const int m = b.pool(OpKind::kMaxPool, r, 3, 2, 1, 1, false);  // overlapping, padded
    const int e = b.conv(m, 8, 3, 1, 1, 1, 4);                     // grouped, several inputs
    const int sum = b.add(e, m);                                   // residual
    const int p = b.pool(OpKind::kAveragePool, sum, 3, 1, 1, 1, true);
    const int g = b.conv(p, 16, 2, 2, 0, 1, 1, 10, 240);
    const int h = b.conv(g, 16, 3, 1, 1, 1, 2);  // groups of 8: summed per position and group
    const int f = b.clamp(OpKind::kFlatten, b.global_pool(h), 3, 250);
    // Seed 2: three classes, a Dense narrower than a lane block's channels.
    const int out = b.dense(b.clamp(OpKind::kClip, b.dense(f, 70), 20, 230), seed == 1 ? 10 : 3);
    const qnn::QModel model = b.finish(out);
    const data::Dataset images = random_images(model, 2);
    int64_t compared = 0;
    expect_batches_equal_simulation(model, images, 2, 9, "built model " + std::to_string(seed),
                                    compared);
    EXPECT_GT(compared, 0);
  }
}

// Cones through Add nodes are followed (the ResNet's blocks); a cone with an operator the batch
// does not follow (a Concat) is not.
TEST(ByteBatch, FollowsConesOfTheOperatorsItKnows) {
  const auto& resnet = qnn::testing::zoo_model("resnet_fmnist");
  const qnn::Int8Executor exec(resnet.model, qnn::KernelSet::kOptimized);
  const ByteBatch batch(exec);
  const auto readers = resnet.model.readers();
  int branching = 0;
  for (int v = 0; v < static_cast<int>(resnet.model.values.size()); ++v) {
    EXPECT_EQ(batch.follows(v), v != resnet.model.output) << resnet.model.value(v).name;
    branching += readers[static_cast<size_t>(v)].size() > 1 ? 1 : 0;
  }
  EXPECT_GT(branching, 0);
  const auto& concat = qnn::testing::zoo_model("import/inception_concat");
  const qnn::Int8Executor concat_exec(concat.model, qnn::KernelSet::kOptimized);
  const ByteBatch concat_batch(concat_exec);
  EXPECT_FALSE(concat_batch.follows(concat.model.input));
}

}  // namespace
}  // namespace hardy::analysis
