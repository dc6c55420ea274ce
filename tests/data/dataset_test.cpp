// Dataset pairs: counts must match, labels in range; the shipped Fashion-MNIST loads when present.
#include "hardy/data/dataset.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "../test_temp_dir.h"
#include "hardy/core/error.h"
#include "hardy/data/idx.h"

namespace hardy::data {
namespace {

std::string temp_path(const std::string& name) { return testing::test_temp_path(name); }

void write_pair(int images, int labels, uint8_t label_value) {
  IdxArray im{{static_cast<uint32_t>(images), 2, 2}, std::vector<uint8_t>(images * 4u, 9)};
  IdxArray lb{{static_cast<uint32_t>(labels)}, std::vector<uint8_t>(labels, label_value)};
  write_idx(temp_path("images"), im);
  write_idx(temp_path("labels"), lb);
}

TEST(Dataset, LoadsMatchingPair) {
  write_pair(3, 3, 4);
  const Dataset d = load_idx_pair("t", temp_path("images"), temp_path("labels"));
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.rows, 2);
  EXPECT_EQ(d.image(2)[3], 9);
  EXPECT_EQ(d.head(2).size(), 2);
}

TEST(Dataset, MismatchedCountsNameTheLabelsFile) {
  write_pair(3, 2, 1);
  try {
    load_idx_pair("t", temp_path("images"), temp_path("labels"));
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(temp_path("labels")), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("3 labels"), std::string::npos);
  }
}

TEST(Dataset, LabelOutOfRangeIsRejected) {
  write_pair(2, 2, 10);
  EXPECT_THROW(load_idx_pair("t", temp_path("images"), temp_path("labels")), FormatError);
}

TEST(Dataset, ImagesGivenAsLabelsIsRejected) {
  write_pair(2, 2, 1);
  EXPECT_THROW(load_idx_pair("t", temp_path("labels"), temp_path("labels")), FormatError);
}

TEST(Dataset, UnknownNameIsConfigError) { EXPECT_THROW(dataset_directory("cifar"), ConfigError); }

TEST(Dataset, FashionMnistTestSplit) {
  if (!std::filesystem::exists(dataset_directory("fashion-mnist"))) GTEST_SKIP();
  const Dataset d = load_dataset("fashion-mnist", Split::kTest);
  EXPECT_EQ(d.size(), 10000);
  EXPECT_EQ(d.rows, 28);
  EXPECT_EQ(d.cols, 28);
  int counts[10] = {};
  for (uint8_t l : d.labels) ++counts[l];
  for (int c : counts) EXPECT_EQ(c, 1000);
}

}  // namespace
}  // namespace hardy::data
