// The NVF analysis is exact: its critical counts per neuron equal exhaustive injection campaigns of
// the same faults on the same images, for every fault model and zoo model; bounds change how bytes
// are decided, never the counts; a provably dead neuron is decided without simulation.
#include "hardy/analysis/nvf.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <utility>

#include "built_model.h"
#include "hardy/core/error.h"
#include "hardy/fault/campaign.h"
#include "mutated_model.h"
#include "zoo.h"

namespace hardy::analysis {
namespace {

using fault::FaultKind;

NvfCounts analyse(const qnn::QModel& model, const data::Dataset& test, const NvfOptions& o,
                  int threads) {
  ThreadPool pool(threads);
  const NvfAnalysis a(model, test, o, pool);
  NvfCounts c = a.empty_counts();
  a.run(c, pool, {});
  return c;
}

struct Case {
  const char* model;
  int64_t images;
  std::vector<int64_t> channels;  // empty: every neuron
  std::vector<int> bits;          // empty: every bit
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.model; }

// Runs the analysis and the exhaustive injection campaign of every fault model of `o` on the same
// images; expects equal critical counts per neuron and per image. Returns the critical faults.
int64_t expect_nvf_equals_injection(const qnn::QModel& model, const data::Dataset& test,
                                    const NvfOptions& o, const std::string& what) {
  const NvfCounts nvf = analyse(model, test, o, 2);
  ThreadPool pool(2);
  int64_t critical = 0;
  for (size_t m = 0; m < o.kinds.size(); ++m) {
    fault::CampaignOptions c;
    c.mode = fault::CampaignMode::kExhaustive;
    c.kind = o.kinds[m];
    c.images = o.images;
    c.offset = o.offset;
    c.filter = o.filter;
    const fault::Campaign campaign(model, test, c, pool);
    fault::CampaignCounts counts = campaign.empty_counts();
    campaign.run(counts, pool, {});
    EXPECT_EQ(counts.per_word.size(), nvf.per_word[m].size());
    if (counts.per_word.size() != nvf.per_word[m].size()) return critical;
    for (size_t w = 0; w < counts.per_word.size(); ++w) {
      EXPECT_EQ(nvf.per_word[m][w], counts.per_word[w].sdc_critical)
          << what << " " << fault::fault_kind_name(o.kinds[m]) << " neuron " << w;
      critical += nvf.per_word[m][w];
    }
    for (size_t i = 0; i < counts.per_image.size(); ++i) {
      EXPECT_EQ(nvf.per_image[m][i], counts.per_image[i].sdc_critical) << what;
    }
  }
  EXPECT_GT(nvf.bytes_by_bounds, 0) << what << ": the bounds prove something";
  EXPECT_GT(nvf.bytes_simulated, 0) << what;
  return critical;
}

class NvfEqualsInjection : public ::testing::TestWithParam<Case> {};

TEST_P(NvfEqualsInjection, CriticalCountsPerNeuronForEveryFaultModel) {
  const Case& k = GetParam();
  const auto& z = qnn::testing::zoo_model(k.model);
  NvfOptions o;
  o.images = k.images;
  o.filter.channels = k.channels;
  o.filter.bits = k.bits;
  EXPECT_GT(expect_nvf_equals_injection(z.model, z.test, o, k.model), 0);
}

INSTANTIATE_TEST_SUITE_P(Zoo, NvfEqualsInjection,
                         ::testing::Values(Case{"lenet5_fmnist", 3, {}, {}},
                                           Case{"mlp_fmnist", 3, {}, {}},
                                           Case{"vgg_fmnist", 1, {0}, {}},
                                           Case{"resnet_fmnist", 1, {0}, {0, 5, 6, 7}},
                                           Case{"import/inception_concat", 1, {0, 1}, {0, 6, 7}},
                                           Case{"import/pad_residual", 1, {0, 1}, {0, 6, 7}},
                                           Case{"import/normalized_cnn", 1, {0, 1}, {0, 6, 7}},
                                           Case{"import/normalized_mlp", 2, {}, {}},
                                           Case{"import/view_head", 1, {0, 1}, {0, 6, 7}}),
                         [](const auto& param_info) {
                           std::string name = param_info.param.model;
                           std::replace(name.begin(), name.end(), '/', '_');
                           return name;
                         });

TEST(Nvf, BoundsAndThreadsChangeNothingButHowBytesAreDecided) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  NvfOptions o;
  o.images = 3;
  o.offset = 10;
  const NvfCounts one = analyse(z.model, z.test, o, 1);
  const NvfCounts two = analyse(z.model, z.test, o, 2);
  EXPECT_EQ(one, two);  // every count, the decision statistics included
  o.bounds = false;
  const NvfCounts plain = analyse(z.model, z.test, o, 2);
  EXPECT_EQ(plain.per_word, one.per_word);
  EXPECT_EQ(plain.per_bit, one.per_bit);
  EXPECT_EQ(plain.bytes_by_bounds, 0);
  EXPECT_EQ(plain.bytes_for_funnels, 0);
  EXPECT_GT(one.bytes_for_funnels, 0);  // pool1 and pool2 decide bytes for conv1 and conv2
  EXPECT_EQ(plain.bytes_simulated,
            one.bytes_simulated + one.bytes_by_bounds - one.bytes_for_funnels);
  // Batches decide bytes only with bounds on (the plain path simulates one byte at a time).
  EXPECT_GT(one.bytes_batched, 0);
  EXPECT_GE(one.bytes_batched, one.batches);
  EXPECT_EQ(plain.bytes_batched, 0);
}

// Critical error values need every byte decided: the same with bounds as with simulation alone.
TEST(Nvf, CriticalErrorValuesAreTheSameWithAndWithoutBounds) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  NvfOptions o;
  o.images = 2;
  o.cev = true;
  o.filter.layers = {"/pool2/AveragePool", "/fc2/Gemm", "/fc3/Gemm"};
  const NvfCounts with = analyse(z.model, z.test, o, 2);
  o.bounds = false;
  const NvfCounts plain = analyse(z.model, z.test, o, 2);
  ASSERT_EQ(with.per_layer.size(), plain.per_layer.size());
  int64_t found = 0;
  for (size_t l = 0; l < with.per_layer.size(); ++l) {
    for (size_t k = NvfCounts::kCevUpFound; k < NvfCounts::kLayerStats; ++k) {
      EXPECT_EQ(with.per_layer[l][k], plain.per_layer[l][k]) << "layer " << l << " stat " << k;
    }
    found +=
        with.per_layer[l][NvfCounts::kCevUpFound] + with.per_layer[l][NvfCounts::kCevDownFound];
  }
  EXPECT_GT(found, 0) << "some neuron has a critical error value";
  EXPECT_EQ(with.per_word, plain.per_word);
  // Every byte but the golden one was decided: 255 per (neuron, image).
  EXPECT_EQ(with.bytes_by_bounds + with.bytes_simulated, (400 + 84 + 10) * 2 * 255);
}

// A neuron whose every outgoing weight is zero cannot change anything downstream: the bounds
// prove it for every byte, with no simulation.
TEST(Nvf, ProvablyDeadNeuronGetsZeroWithoutSimulation) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  qnn::QModel model = z.model;
  // The last Dense node reads the previous Dense node's neurons: cut neuron 3 of its input.
  int last = -1;
  for (size_t i = 0; i < model.nodes.size(); ++i) {
    if (model.nodes[i].op == qnn::OpKind::kDense) last = static_cast<int>(i);
  }
  ASSERT_GE(last, 0);
  qnn::QNode& head = model.nodes[static_cast<size_t>(last)];
  const int64_t k = head.reduction_size(), dead = 3;
  for (int64_t c = 0; c < head.weight.shape[0]; ++c) head.weight[c * k + dead] = 0;
  std::string writer;
  for (const qnn::QNode& n : model.nodes) {
    if (n.output == head.inputs[0]) writer = n.name;
  }
  ASSERT_FALSE(writer.empty());
  NvfOptions o;
  o.images = 4;
  o.filter.layers = {writer};
  o.filter.channels = {dead};
  const NvfCounts c = analyse(model, z.test, o, 1);
  for (const auto& per_model : c.per_word) {
    ASSERT_EQ(per_model.size(), 1u);
    EXPECT_EQ(per_model[0], 0);
  }
  EXPECT_EQ(c.bytes_simulated, 0);
  EXPECT_EQ(c.pairs_simulated, 0);
  EXPECT_EQ(c.pairs_by_bounds, 4);
  // A live neuron of the same layer needs simulation somewhere (the test can fail).
  o.filter.channels = {dead + 1};
  EXPECT_GT(analyse(model, z.test, o, 1).bytes_simulated, 0);
}

// Mutations with quantization the zoo never has (mutated_model.h): the analysis stays exact.
TEST(Nvf, ExactOnModelsWithUnusualQuantization) {
  struct Target {
    const char* model;
    int64_t images;
    std::vector<int64_t> channels;
  };
  const Target targets[] = {
      {"lenet5_fmnist", 2, {}}, {"mlp_fmnist", 3, {}}, {"import/pad_residual", 2, {0, 1}}};
  for (const Target& t : targets) {
    const auto& z = qnn::testing::zoo_model(t.model);
    int64_t live = 0;  // mutations with critical faults (some leave none: the test needs one)
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      int64_t left_shifts = 0;
      const qnn::QModel model = testing::mutated(z.model, seed, left_shifts);
      EXPECT_GT(left_shifts, 0);
      NvfOptions o;
      o.images = t.images;
      o.filter.channels = t.channels;
      const std::string what = std::string(t.model) + " mutation " + std::to_string(seed);
      live += expect_nvf_equals_injection(model, z.test, o, what) > 0 ? 1 : 0;
    }
    EXPECT_GE(live, 2) << t.model;
  }
}

// Built models (built_model.h): every operator the analysis follows, and pools so small that a
// wide perturbation reaches every output (a bound pass once wrote past its list there).
TEST(Nvf, ExactOnBuiltModels) {
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    for (const auto& [name, model] :
         {std::pair{"every operator", testing::every_operator_model(seed)},
          std::pair{"small pools", testing::small_pools_model(seed)}}) {
      const data::Dataset images = testing::random_images(model, 3);
      NvfOptions o;
      o.images = 3;
      const std::string what = std::string(name) + " " + std::to_string(seed);
      EXPECT_GT(expect_nvf_equals_injection(model, images, o, what), 0) << what;
    }
  }
}

TEST(Nvf, BadOptionsAreConfigErrors) {
  NvfOptions o;
  o.kinds = {};
  EXPECT_THROW(o.validate(), ConfigError);
  o.kinds = {FaultKind::kBitFlip, FaultKind::kBitFlip};
  EXPECT_THROW(o.validate(), ConfigError);
  o.kinds = {FaultKind::kBer};
  EXPECT_THROW(o.validate(), ConfigError);
}

}  // namespace
}  // namespace hardy::analysis
