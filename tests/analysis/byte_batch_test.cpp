// ByteBatch decides each lane's byte exactly as a simulation of that byte alone does: on every zoo
// model and a mutated LeNet-5 (left shifts, unusual clamps), for every layer whose cone is a
// chain, sampled neurons, every faulty byte, batches of 1 to 63 bytes, with the Dense loops of
// every instruction set this CPU has.
#include "hardy/analysis/byte_batch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hardy/fault/propagator.h"
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
        for (int64_t e = (image * 7 + v) % stride; e < elements; e += stride) {
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
    int64_t stride;
  };
  for (const Target& t : {Target{"lenet5_fmnist", 29}, Target{"mlp_fmnist", 11},
                          Target{"vgg_fmnist", 401}, Target{"resnet_fmnist", 193}}) {
    const auto& z = qnn::testing::zoo_model(t.model);
    int64_t compared = 0;
    expect_batches_equal_simulation(z.model, z.test, 2, t.stride, t.model, compared);
    EXPECT_GT(compared, 0) << t.model << ": some layer's cone is a chain";
  }
}

TEST(ByteBatch, ExactWithUnusualQuantization) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    int64_t left_shifts = 0;
    const qnn::QModel model = testing::mutated(z.model, seed, left_shifts);
    EXPECT_GT(left_shifts, 0);
    int64_t compared = 0;
    expect_batches_equal_simulation(model, z.test, 2, 37, "lenet5 mutation " + std::to_string(seed),
                                    compared);
    EXPECT_GT(compared, 0);
  }
}

// Only chains are followed: a value read by two nodes (the ResNet's block inputs) is not.
TEST(ByteBatch, FollowsChainsOnly) {
  const auto& z = qnn::testing::zoo_model("resnet_fmnist");
  const qnn::Int8Executor exec(z.model, qnn::KernelSet::kOptimized);
  const ByteBatch batch(exec);
  const auto readers = z.model.readers();
  int followed = 0, branching = 0;
  for (int v = 0; v < static_cast<int>(z.model.values.size()); ++v) {
    if (readers[static_cast<size_t>(v)].size() > 1) {
      ++branching;
      EXPECT_FALSE(batch.follows(v)) << z.model.value(v).name;
    }
    followed += batch.follows(v) ? 1 : 0;
  }
  EXPECT_GT(branching, 0);
  EXPECT_GT(followed, 0);  // the global pool and the classifier
  EXPECT_FALSE(batch.follows(z.model.output));
}

}  // namespace
}  // namespace hardy::analysis
