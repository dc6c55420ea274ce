// Campaign invariants: thread count, shard split and resume never change a result; a restricted
// campaign equals the matching rows of the unrestricted one; statistical intervals bracket the
// exhaustive rate; BER 0 is golden; checkpoints of another campaign are refused.
#include "hardy/fault/campaign.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "hardy/core/error.h"
#include "hardy/fault/campaign_report.h"
#include "zoo.h"

namespace hardy::fault {
namespace {

namespace fs = std::filesystem;

CampaignCounts run(const CampaignOptions& o, int threads) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  ThreadPool pool(threads);
  const Campaign c(z.model, z.test, o, pool);
  CampaignCounts counts = c.empty_counts();
  c.run(counts, pool, nullptr);
  return counts;
}

CampaignOptions exhaustive(Target target, FaultKind kind, int64_t images) {
  CampaignOptions o;
  o.target = target;
  o.kind = kind;
  o.mode = CampaignMode::kExhaustive;
  o.images = images;
  return o;
}

TEST(Campaign, OneAndTwoThreadsGiveTheSameCounts) {
  for (Target t : {Target::kNeurons, Target::kWeights, Target::kAccumulators}) {
    CampaignOptions o = exhaustive(t, FaultKind::kBitFlip, 3);
    if (t != Target::kNeurons) o.filter.layers = {"/conv2/Conv", "/fc3/Gemm"};
    const CampaignCounts one = run(o, 1), two = run(o, 2);
    EXPECT_EQ(one, two) << target_name(t);
    EXPECT_GT(one.total.sdc_benign + one.total.sdc_critical, 0) << target_name(t);
  }
  CampaignOptions s;
  s.mode = CampaignMode::kStatistical;
  s.kind = FaultKind::kBitFlip2;
  s.faults = 3000;
  s.images = 20;
  EXPECT_EQ(run(s, 1), run(s, 2));
}

TEST(Campaign, ShardsMergeToTheSingleRunResult) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  ThreadPool pool(2);
  CampaignOptions o;
  o.mode = CampaignMode::kStatistical;
  o.faults = 12000;  // three chunks, one per shard
  o.images = 30;
  o.kind = FaultKind::kStuckAt1;
  const Campaign whole(z.model, z.test, o, pool);
  CampaignCounts single = whole.empty_counts();
  whole.run(single, pool, nullptr);
  std::vector<nlohmann::json> parts;
  std::vector<std::string> names;
  for (int k = 0; k < 3; ++k) {
    CampaignOptions so = o;
    so.shard_index = k;
    so.shard_count = 3;
    const Campaign shard(z.model, z.test, so, pool);
    CampaignCounts counts = shard.empty_counts();
    shard.run(counts, pool, nullptr);
    parts.push_back(campaign_report(describe_campaign(shard), counts, 1.0));
    names.push_back("shard" + std::to_string(k));
  }
  const nlohmann::json merged = merge_results(parts, names);
  EXPECT_EQ(counts_from_json(merged["counts"], "merged"), single);
  EXPECT_TRUE(merged["complete"].get<bool>());
  // A missing shard, or one counted twice, is refused.
  EXPECT_THROW(merge_results({parts[0], parts[1]}, {"a", "b"}), ConfigError);
  EXPECT_THROW(merge_results({parts[0], parts[0], parts[1], parts[2]}, {"a", "b", "c", "d"}),
               ConfigError);
}

TEST(Campaign, RestrictedCampaignEqualsTheMatchingRows) {
  const CampaignOptions all = exhaustive(Target::kNeurons, FaultKind::kBitFlip, 4);
  CampaignOptions some = all;
  some.filter.layers = {"/conv2/Conv", "/fc1/Gemm"};
  some.filter.bits = {0, 6, 7};
  const CampaignCounts a = run(all, 2), s = run(some, 2);
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  const qnn::ExecutionPlan plan(z.model);
  const SiteSpace full(z.model, plan, Target::kNeurons),
      part(z.model, plan, Target::kNeurons, some.filter);
  for (int pl = 0; pl < static_cast<int>(part.layers().size()); ++pl) {
    int fl = 0;
    while (full.layer(fl).name != part.layer(pl).name) ++fl;
    for (int b : {0, 6, 7}) {
      EXPECT_EQ(s.per_bit[static_cast<size_t>(pl * 32 + b)],
                a.per_bit[static_cast<size_t>(fl * 32 + b)])
          << part.layer(pl).name << " bit " << b;
    }
    EXPECT_EQ(s.per_bit[static_cast<size_t>(pl * 32 + 3)].total(), 0);
  }
}

TEST(Campaign, StatisticalIntervalsBracketTheExhaustiveRate) {
  const CampaignOptions ex = exhaustive(Target::kNeurons, FaultKind::kBitFlip, 10);
  const CampaignCounts truth = run(ex, 2);
  const double rate = static_cast<double>(truth.total.sdc_critical + truth.total.sdc_benign) /
                      static_cast<double>(truth.total.total());
  int bracketed = 0;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    CampaignOptions o = ex;
    o.mode = CampaignMode::kStatistical;
    o.faults = 2000;
    o.seed = seed;
    const CampaignCounts c = run(o, 2);
    // The SDC rate (benign + critical) is large enough here to test the interval tightly.
    const int64_t k = c.total.sdc_critical + c.total.sdc_benign;
    const double z = 1.959964, n = static_cast<double>(c.total.total());
    const double p = static_cast<double>(k) / n;
    const double half = z * std::sqrt(p * (1 - p) / n);
    bracketed += rate >= p - half && rate <= p + half;
    EXPECT_EQ(c.total.total(), 2000);
  }
  EXPECT_GE(bracketed, 5) << "exhaustive rate " << rate;
}

TEST(Campaign, BerZeroIsGoldenAndTrialsAreThreadIndependent) {
  for (Target t : {Target::kWeights, Target::kNeurons, Target::kAccumulators}) {
    CampaignOptions o;
    o.target = t;
    o.kind = FaultKind::kBer;
    o.mode = CampaignMode::kTrials;
    o.trials = 3;
    o.images = 50;
    o.ber = 0;
    const CampaignCounts zero = run(o, 2);
    EXPECT_EQ(zero.total.masked, 150) << target_name(t);
    o.ber = t == Target::kAccumulators ? 1e-6 : 1e-5;  // about one flip per image or map
    const CampaignCounts one = run(o, 1), two = run(o, 2);
    EXPECT_EQ(one, two) << target_name(t);
    EXPECT_GT(one.total.masked, 0);
    EXPECT_LT(one.total.masked, 150) << target_name(t);
  }
}

TEST(Campaign, ResumedFromACheckpointEqualsUninterrupted) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  ThreadPool pool(2);
  const CampaignOptions o = exhaustive(Target::kAccumulators, FaultKind::kBitFlip, 6);
  const Campaign c(z.model, z.test, o, pool);
  CampaignCounts whole = c.empty_counts();
  c.run(whole, pool, nullptr);
  const fs::path dir =
      fs::temp_directory_path() / ("hardy_campaign_resume_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string ckpt = (dir / "c.ckpt").string();
  // Stop after the first checkpoint with at least two chunks done, as a kill would.
  struct Stop {};
  CampaignCounts partial = c.empty_counts();
  try {
    c.run(partial, pool, [&](const CampaignCounts& counts, int64_t done, int64_t) {
      if (done >= 2 * c.chunk_faults(0)) {
        save_checkpoint(ckpt, c, counts);
        throw Stop{};
      }
    });
  } catch (const Stop&) {
  }
  CampaignCounts resumed = load_checkpoint(ckpt, c);
  int64_t chunks_done = 0;
  for (uint8_t d : resumed.chunk_done) chunks_done += d;
  EXPECT_GE(chunks_done, 2);
  EXPECT_LT(chunks_done, c.chunks());
  c.run(resumed, pool, nullptr);
  EXPECT_EQ(resumed, whole);
  // The same checkpoint does not belong to a campaign with another seed or target.
  CampaignOptions other = o;
  other.target = Target::kNeurons;
  const Campaign d(z.model, z.test, other, pool);
  EXPECT_THROW(load_checkpoint(ckpt, d), ConfigError);
  fs::remove_all(dir);
}

TEST(Campaign, BadOptionsAreConfigErrors) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  ThreadPool pool(1);
  CampaignOptions o;
  o.margin = 0;
  EXPECT_THROW(Campaign(z.model, z.test, o, pool), ConfigError);
  o = {};
  o.shard_index = 2;
  o.shard_count = 2;
  EXPECT_THROW(Campaign(z.model, z.test, o, pool), ConfigError);
  o = {};
  o.kind = FaultKind::kBer;
  o.mode = CampaignMode::kTrials;
  o.trials = 1;
  o.ber = 1.5;
  EXPECT_THROW(Campaign(z.model, z.test, o, pool), ConfigError);
  o = {};
  o.images = 20000;
  EXPECT_THROW(Campaign(z.model, z.test, o, pool), ConfigError);
  o = {};
  o.kind = FaultKind::kBer;  // BER needs trials
  EXPECT_THROW(Campaign(z.model, z.test, o, pool), ConfigError);
}

TEST(Campaign, CorrectOnlySelectsClassifiedImages) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  ThreadPool pool(2);
  CampaignOptions o;
  o.images = 50;
  o.offset = 100;
  o.correct_only = true;
  const Campaign c(z.model, z.test, o, pool);
  ASSERT_EQ(c.images().size(), 50u);
  const qnn::Int8Executor exec(z.model, qnn::KernelSet::kOptimized);
  auto ws = exec.make_workspace();
  for (int64_t i : c.images()) {
    EXPECT_GE(i, 100);
    exec.run(z.test.image(i), ws);
    const auto out = exec.output(ws);
    EXPECT_EQ(qnn::argmax(out.data(), 10), z.test.labels[static_cast<size_t>(i)]);
  }
}

}  // namespace
}  // namespace hardy::fault
