// Selection: budgets, the ranking order, NVF CSV parsing, baselines.
#include "hardy/harden/selection.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "hardy/core/error.h"
#include "hardy/harden/channel_ranking.h"
#include "test_temp_dir.h"
#include "zoo.h"

namespace hardy::harden {
namespace {

using qnn::testing::zoo_model;

TEST(Budget, ParsesSharesAndCounts) {
  EXPECT_DOUBLE_EQ(Budget::parse("10%", false).mac_share, 0.1);
  EXPECT_DOUBLE_EQ(Budget::parse("0.25", false).mac_share, 0.25);
  EXPECT_EQ(Budget::parse("0", false).count, 0);
  EXPECT_EQ(Budget::parse("1", false).count, 1);
  EXPECT_EQ(Budget::parse("0.5", false).count, -1);
  EXPECT_EQ(Budget::parse("25", true).count, 25);
  EXPECT_TRUE(Budget::parse("25", true).per_layer);
  for (const char* bad : {"", "%", "ten", "150%", "-1", "2.5", "nan", "1e3"}) {
    EXPECT_THROW(Budget::parse(bad, false), ConfigError) << bad;
  }
}

TEST(Select, GlobalShareTakesTheBestThatFit) {
  const auto& m = zoo_model("lenet5_fmnist").model;
  const std::vector<ChannelScore> scores = magnitude_channel_scores(m);
  for (double share : {0.0, 0.05, 0.1, 0.3, 1.0}) {
    Budget b;
    b.mac_share = share;
    const Selection sel = select_channels(m, scores, b);
    const int64_t limit =
        static_cast<int64_t>(std::floor(share * static_cast<double>(protectable_macs(m))));
    EXPECT_LE(sel.macs(m), limit);
    if (share == 1.0) {
      EXPECT_EQ(sel.macs(m), protectable_macs(m));
    }
    // An unselected channel scoring above a selected one did not fit in what was left.
    double lowest_selected = 1e300;
    for (const ChannelScore& s : scores) {
      const auto& c = sel.channels[static_cast<size_t>(s.node)];
      if (std::binary_search(c.begin(), c.end(), s.channel)) {
        lowest_selected = std::min(lowest_selected, s.score);
      }
    }
    for (const ChannelScore& s : scores) {
      const auto& c = sel.channels[static_cast<size_t>(s.node)];
      if (!std::binary_search(c.begin(), c.end(), s.channel) && s.score > lowest_selected) {
        EXPECT_GT(sel.macs(m) + channel_macs(m, s.node), limit);
      }
    }
  }
}

TEST(Select, PerLayerCountsAndShares) {
  const auto& m = zoo_model("lenet5_fmnist").model;
  const Budget b = Budget::parse("2", true);
  const Selection sel = select_channels(m, random_channel_scores(m, 3), b);
  int layers = 0;
  for (size_t i = 0; i < m.nodes.size(); ++i) {
    if (!protectable(m.nodes[i])) continue;
    ++layers;
    EXPECT_EQ(sel.channels[i].size(), 2u) << m.nodes[i].name;
  }
  EXPECT_EQ(sel.count(), 2 * layers);
  const Selection share =
      select_channels(m, random_channel_scores(m, 3), Budget::parse("20%", true));
  for (size_t i = 0; i < m.nodes.size(); ++i) {
    if (!protectable(m.nodes[i])) continue;
    const int64_t layer = channel_macs(m, static_cast<int>(i)) * m.nodes[i].weight.shape[0];
    EXPECT_LE(static_cast<int64_t>(share.channels[i].size()) * channel_macs(m, static_cast<int>(i)),
              layer / 5 + 1);
  }
}

TEST(Ranking, RandomIsKeyedBySeed) {
  const auto& m = zoo_model("lenet5_fmnist").model;
  const auto a = random_channel_scores(m, 1), b = random_channel_scores(m, 1),
             c = random_channel_scores(m, 2);
  ASSERT_EQ(a.size(), c.size());
  int differ = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].score, b[i].score);
    differ += a[i].score != c[i].score;
  }
  EXPECT_GT(differ, static_cast<int>(a.size()) / 2);
}

TEST(Ranking, NvfCsvGivesTheMeanPerChannel) {
  const auto& m = zoo_model("lenet5_fmnist").model;
  // The first MAC layer and a pooling layer after it.
  int mac = -1, pool = -1;
  for (int i = 0; i < static_cast<int>(m.nodes.size()); ++i) {
    if (mac < 0 && protectable(m.node(i))) mac = i;
    if (mac >= 0 && pool < 0 && !protectable(m.node(i))) pool = i;
  }
  ASSERT_GE(pool, 0);
  const int64_t per_channel =
      m.value(m.node(mac).output).shape.elements() / m.value(m.node(mac).output).shape[0];
  const std::string path = hardy::testing::test_temp_path("nvf.csv");
  {
    std::ofstream f(path);
    f << "layer,element,channel,faults_bitflip,critical_bitflip,nvf_bitflip\n";
    f << m.node(mac).name << ",0,0,8,1,0.125\n";
    f << m.node(mac).name << "," << per_channel - 1 << ",0,8,3,0.375\n";
    f << m.node(mac).name << "," << per_channel << ",1,8,8,1\n";
    f << m.node(pool).name << ",0,0,8,2,0.5\n";
  }
  const auto scores = nvf_channel_scores(m, path, "bitflip");
  for (const ChannelScore& s : scores) {
    const double want = s.node == mac && s.channel == 0   ? 0.25
                        : s.node == mac && s.channel == 1 ? 1.0
                                                          : 0.0;
    EXPECT_DOUBLE_EQ(s.score, want) << s.node << " " << s.channel;
  }
  EXPECT_DOUBLE_EQ(unprotectable_nvf_share(m, path, "bitflip"), 0.5 / 2.0);
  // Sum over the channel's neurons, and that sum per MAC of the channel.
  for (const ChannelScore& s : nvf_channel_scores(m, path, "bitflip", NvfAggregate::kTotal)) {
    if (s.node == mac && s.channel < 2) {
      EXPECT_DOUBLE_EQ(s.score, s.channel == 0 ? 0.5 : 1.0);
    }
  }
  for (const ChannelScore& s : nvf_channel_scores(m, path, "bitflip", NvfAggregate::kPerMac)) {
    if (s.node == mac && s.channel == 1) {
      EXPECT_DOUBLE_EQ(s.score, 1.0 / static_cast<double>(channel_macs(m, mac)));
    }
  }
  EXPECT_THROW(nvf_channel_scores(m, path, "stuck0"), FormatError);
  EXPECT_THROW(nvf_channel_scores(m, path + ".missing", "bitflip"), FileError);
  {
    std::ofstream f(path);
    f << "layer,element,channel,faults_bitflip,critical_bitflip,nvf_bitflip\n";
    f << "no_such_layer,0,0,8,1,0.125\n";
  }
  EXPECT_THROW(nvf_channel_scores(m, path, "bitflip"), FormatError);
  {
    std::ofstream f(path);
    f << "layer,element,channel,faults_bitflip,critical_bitflip,nvf_bitflip\n";
    f << m.node(mac).name << ",0,0,8,1,1.5\n";
  }
  EXPECT_THROW(nvf_channel_scores(m, path, "bitflip"), FormatError);
}

}  // namespace
}  // namespace hardy::harden
