// Site spaces: the published LeNet-5 counts, filters, index decoding, and clear errors.
#include "hardy/fault/site.h"

#include <gtest/gtest.h>

#include "hardy/core/error.h"
#include "hardy/fault/fault_model.h"
#include "zoo.h"

namespace hardy::fault {
namespace {

TEST(SiteSpace, LeNet5CountsPerTarget) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  const qnn::ExecutionPlan plan(z.model);
  const SiteSpace neurons(z.model, plan, Target::kNeurons);
  EXPECT_EQ(neurons.words(), 8094);
  EXPECT_EQ(neurons.bits(), 8094 * 8);
  EXPECT_EQ(neurons.layers().size(), 7u);  // the Flatten copy is not a layer
  const SiteSpace weights(z.model, plan, Target::kWeights);
  EXPECT_EQ(weights.words(), 150 + 2400 + 48000 + 10080 + 840);
  const SiteSpace accs(z.model, plan, Target::kAccumulators);
  EXPECT_EQ(accs.words(), 4704 + 1600 + 120 + 84 + 10);
  EXPECT_EQ(accs.bits(), accs.words() * 32);
}

TEST(SiteSpace, DecodingVisitsEveryWordBitOnceInOrder) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  const qnn::ExecutionPlan plan(z.model);
  SiteFilter f;
  f.layers = {"/conv2/Conv", "/fc3/Gemm"};
  f.bits = {7, 0, 3};
  f.channels = {1, 5};
  const SiteSpace s(z.model, plan, Target::kNeurons, f);
  ASSERT_EQ(s.layers().size(), 2u);
  EXPECT_EQ(s.words(), 2 * 100 + 2);  // conv2: channels 1 and 5 of 10×10; fc3: neurons 1 and 5
  EXPECT_EQ(s.bits(), s.words() * 3);
  Site previous{-1, -1, -1};
  for (int64_t i = 0; i < s.bits(); ++i) {
    const Site site = s.site(i);
    const SiteLayer& l = s.layer(site.layer);
    EXPECT_TRUE(l.channel_of(site.word) == 1 || l.channel_of(site.word) == 5);
    EXPECT_TRUE(site.bit == 0 || site.bit == 3 || site.bit == 7);
    const bool later =
        site.layer > previous.layer ||
        (site.layer == previous.layer &&
         (site.word > previous.word || (site.word == previous.word && site.bit > previous.bit)));
    ASSERT_TRUE(later) << i;
    previous = site;
  }
  EXPECT_EQ(s.site(0).word, 100);  // conv2 channel 1 starts at 1·10·10
  EXPECT_EQ(s.layer(1).name, "/fc3/Gemm");
}

TEST(SiteSpace, BadFiltersAreConfigErrors) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  const qnn::ExecutionPlan plan(z.model);
  SiteFilter f;
  f.layers = {"/conv9/Conv"};
  EXPECT_THROW(SiteSpace(z.model, plan, Target::kNeurons, f), ConfigError);
  f = {};
  f.bits = {8};
  EXPECT_THROW(SiteSpace(z.model, plan, Target::kWeights, f), ConfigError);
  f.bits = {31};
  EXPECT_NO_THROW(SiteSpace(z.model, plan, Target::kAccumulators, f));
  f = {};
  f.layers = {"/pool1/AveragePool"};
  EXPECT_THROW(SiteSpace(z.model, plan, Target::kWeights, f), ConfigError);  // no weights
  f = {};
  f.channels = {120};
  EXPECT_THROW(SiteSpace(z.model, plan, Target::kNeurons, f), ConfigError);
  EXPECT_THROW(parse_target("activations"), ConfigError);
  EXPECT_THROW(parse_fault_kind("flip"), ConfigError);
}

TEST(FaultModel, ExhaustiveWordFaultsAndTheirEffect) {
  const std::vector<int> all = {0, 1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(exhaustive_word_faults(FaultKind::kBitFlip2, all).size(), 28u);
  EXPECT_EQ(exhaustive_word_faults(FaultKind::kStuckAt1, all).size(), 8u);
  const WordFault pair{FaultKind::kBitFlip2, 1, 6};
  EXPECT_EQ(pair.apply(0x00), 0x42u);
  EXPECT_EQ(pair.apply(pair.apply(0x5a)), 0x5au);  // flipping twice is the identity
  for (uint32_t w = 0; w < 256; ++w) {
    for (int b = 0; b < 8; ++b) {
      EXPECT_EQ((WordFault{FaultKind::kBitFlip, b}.apply(w)), w ^ (1u << b));
      EXPECT_EQ((WordFault{FaultKind::kStuckAt0, b}.apply(w)), w & ~(1u << b));
      EXPECT_EQ((WordFault{FaultKind::kStuckAt1, b}.apply(w)), w | (1u << b));
    }
  }
}

}  // namespace
}  // namespace hardy::fault
