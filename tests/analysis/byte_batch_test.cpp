// ByteBatch decides each lane's byte exactly as a simulation of that byte alone does: on every zoo
// model, imported residual and inception (Concat) models and mutated LeNet-5s and residual models
// (left shifts, unusual clamps, Add scales), for every layer whose cone it follows, sampled
// neurons, every faulty byte, batches of 1 to 63 bytes, with the Dense loops of every instruction
// set this CPU has.
#include "hardy/analysis/byte_batch.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "built_model.h"
#include "hardy/fault/propagator.h"
#include "hardy/harden/passes.h"
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

TEST(ByteBatch, EachLaneIsItsOwnSimulation) {
  struct Target {
    const char* model;
    int64_t images, stride;
  };
  for (const Target& t :
       {Target{"lenet5_fmnist", 2, 29}, Target{"mlp_fmnist", 2, 11}, Target{"vgg_fmnist", 2, 401},
        Target{"resnet_fmnist", 1, 1 << 20}, Target{"import/pad_residual", 2, 211},
        Target{"import/inception_concat", 2, 97}}) {
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

// Every operator the batch follows, in shapes the zoo lacks (built_model.h).
TEST(ByteBatch, ExactOnPaddedPoolsGroupsResidualsConcatsAndClamps) {
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    const qnn::QModel model = testing::every_operator_model(seed);
    const data::Dataset images = testing::random_images(model, 2);
    int64_t compared = 0;
    expect_batches_equal_simulation(model, images, 2, 9, "built model " + std::to_string(seed),
                                    compared);
    EXPECT_GT(compared, 0);
  }
}

// Cones through Add nodes (the ResNet's blocks) and Concat nodes (the inception block) are
// followed; a cone with an operator the batch does not follow (a Correction) is not.
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
  EXPECT_TRUE(concat_batch.follows(concat.model.input));
  // LeNet-5 with its first layer's channel 0 triplicated: a Correction node reads that layer.
  const auto& lenet = qnn::testing::zoo_model("lenet5_fmnist");
  harden::Selection first;
  first.channels.resize(lenet.model.nodes.size());
  first.channels[0] = {0};
  const qnn::QModel tmr = harden::selective_tmr(lenet.model, first);
  const qnn::Int8Executor tmr_exec(tmr, qnn::KernelSet::kOptimized);
  const ByteBatch tmr_batch(tmr_exec);
  EXPECT_EQ(tmr.nodes[1].op, qnn::OpKind::kCorrection);
  EXPECT_FALSE(tmr_batch.follows(tmr.input));
  EXPECT_FALSE(tmr_batch.follows(tmr.nodes[0].output));
  EXPECT_TRUE(tmr_batch.follows(tmr.nodes[2].output));
}

}  // namespace
}  // namespace hardy::analysis
