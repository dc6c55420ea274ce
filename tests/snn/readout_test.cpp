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

}  // namespace
}  // namespace hardy::snn
