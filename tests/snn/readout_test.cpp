// Readout: hand cases of label assignment (class means, ties, silent neurons) and voting.
#include "hardy/snn/readout.h"

#include <gtest/gtest.h>

#include "hardy/snn/network.h"

namespace hardy::snn {
namespace {

TEST(Readout, LabelsAreTheClassWithTheHighestMeanResponse) {
  // 4 samples × 3 neurons; classes 0, 0, 1, 2.
  const std::vector<int32_t> counts = {
      4, 0, 1,  //
      2, 0, 1,  // class 0: means 3, 0, 1
      0, 0, 2,  // class 1: means 0, 0, 2
      5, 0, 1,  // class 2: means 5, 0, 1
  };
  const std::vector<uint8_t> labels = {0, 0, 1, 2};
  const auto l = assign_labels(counts, labels, 3);
  EXPECT_EQ(l, (std::vector<uint8_t>{2, kUnassigned, 1}));
}

TEST(Readout, TiesGoToTheLowerClassAndEmptyClassesAreSkipped) {
  const std::vector<int32_t> counts = {3, 3};  // 2 samples × 1 neuron
  const std::vector<uint8_t> labels = {7, 4};
  EXPECT_EQ(assign_labels(counts, labels, 1), std::vector<uint8_t>{4});
}

TEST(Readout, PredictionIsTheClassWithTheHighestMeanCount) {
  const std::vector<uint8_t> neuron_labels = {0, 0, 1, kUnassigned, 2};
  // class 0 mean (1+1)/2 = 1, class 1 mean 1.5, class 2 mean 0; the unassigned neuron's 9 spikes
  // do not vote.
  EXPECT_EQ(predict(std::vector<int32_t>{1, 1, 1, 9, 0}, neuron_labels), 0);
  EXPECT_EQ(predict(std::vector<int32_t>{1, 1, 2, 9, 0}, neuron_labels), 1);
  EXPECT_EQ(predict(std::vector<int32_t>{0, 2, 1, 0, 0}, neuron_labels), 0);   // tie → lower
  EXPECT_EQ(predict(std::vector<int32_t>{0, 0, 0, 9, 0}, neuron_labels), -1);  // nobody voted
}

TEST(Readout, ProportionWeightingVotesWithEveryNeuronsProfile) {
  // Two classes, three neurons. Neuron 0 answers class 0 (3) and class 1 (1): p = 0.75 / 0.25;
  // neuron 1 only class 1; neuron 2 never answered (no vote).
  const std::vector<float> responses = {3.0f, 0.0f, 0.0f,   // class 0
                                        1.0f, 2.0f, 0.0f};  // class 1
  const auto p = proportion_weights(responses, 3, 2);
  EXPECT_EQ(p, (std::vector<double>{0.75, 0.0, 0.0, 0.25, 1.0, 0.0}));
  // Counts (4, 2, 9): class 0 scores 3, class 1 scores 1 + 2 = 3: a tie goes to the lower class.
  EXPECT_EQ(predict_proportion(std::vector<int32_t>{4, 2, 9}, p, 2), 0);
  // (4, 3, 0): the vote (neuron 0 labelled 0, neuron 1 labelled 1) says 0 (4 > 3); proportion
  // weighting scores 3 vs 1 + 3 = 4 and says 1. (8, 3, 0): 6 vs 5, both say 0.
  const std::vector<uint8_t> labels = {0, 1, kUnassigned};
  EXPECT_EQ(predict(std::vector<int32_t>{4, 3, 0}, labels, 2), 0);
  EXPECT_EQ(predict_proportion(std::vector<int32_t>{4, 3, 0}, p, 2), 1);
  EXPECT_EQ(predict_proportion(std::vector<int32_t>{8, 3, 0}, p, 2), 0);
  // Only the silent neuron spiked: no prediction.
  EXPECT_EQ(predict_proportion(std::vector<int32_t>{0, 0, 5}, p, 2), -1);
}

}  // namespace
}  // namespace hardy::snn
