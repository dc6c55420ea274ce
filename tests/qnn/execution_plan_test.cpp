// The execution plan fault injection drives: no dead values, Flatten copies share bytes, cones
// hold everything downstream, patched weights reach both kernel sets, accumulators requantize to
// the stored bytes, nodes take any number of inputs, and QModel::validate rejects broken models.
#include "hardy/qnn/execution_plan.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "hardy/core/error.h"
#include "hardy/qnn/int8_executor.h"
#include "random_model.h"
#include "zoo.h"

namespace hardy::qnn {
namespace {

using testing::available_isas;

int64_t neuron_count(const QModel& m, const ExecutionPlan& plan) {
  int64_t n = 0;
  for (int v : plan.neuron_values()) n += m.value(v).shape.elements();
  return n;
}

TEST(ExecutionPlan, LeNet5HasItsPublishedNeuronCountAndNoDeadValues) {
  const auto& z = testing::zoo_model("lenet5_fmnist");
  const ExecutionPlan plan(z.model);
  // conv1 6·28·28 + pool 6·14·14 + conv2 16·10·10 + pool 16·5·5 + 120 + 84 + 10: no
  // pre-activation value and no flattened copy counted.
  EXPECT_EQ(neuron_count(z.model, plan), 8094);
  const auto readers = z.model.readers();
  for (size_t v = 0; v < z.model.values.size(); ++v) {
    EXPECT_TRUE(!readers[v].empty() || static_cast<int>(v) == z.model.output) << v;
  }
}

class ZooPlan : public ::testing::TestWithParam<const char*> {};

TEST_P(ZooPlan, FlattenCopiesShareTheirSourceBytesAndNeverRun) {
  const auto& z = testing::zoo_model(GetParam());
  const ExecutionPlan plan(z.model);
  for (size_t i = 0; i < z.model.nodes.size(); ++i) {
    const QNode& n = z.model.nodes[i];
    if (n.op != OpKind::kFlatten) continue;
    EXPECT_FALSE(plan.runs(static_cast<int>(i)));
    EXPECT_EQ(plan.offset(n.output), plan.offset(n.inputs[0]));
    EXPECT_EQ(std::count(plan.neuron_values().begin(), plan.neuron_values().end(), n.output), 0);
  }
}

// Changing a value and running its cone gives the same arena as running every node after the
// value's writer, for every value of every zoo model.
TEST_P(ZooPlan, ConeRecomputeEqualsRunningEverythingDownstream) {
  const auto& z = testing::zoo_model(GetParam());
  const Int8Executor exec(z.model, KernelSet::kOptimized);
  const ExecutionPlan& plan = exec.plan();
  auto golden = exec.make_workspace();
  auto fast = exec.make_workspace();
  auto full = exec.make_workspace();
  RngStream rng(11, stream_tag("cone_test"), 0);
  for (int image = 0; image < 4; ++image) {
    exec.run(z.test.image(image), golden);
    std::vector<int> values = plan.neuron_values();
    values.push_back(z.model.input);
    for (int v : values) {
      fast.arena = golden.arena;
      full.arena = golden.arena;
      const auto bytes = exec.value(fast, v);
      const auto at = static_cast<size_t>(rng.uniform_below(bytes.size()));
      const auto bit = static_cast<int>(rng.uniform_below(8));
      bytes[at] ^= static_cast<uint8_t>(1u << bit);
      exec.value(full, v)[at] ^= static_cast<uint8_t>(1u << bit);
      exec.run_nodes(plan.cone(v), fast);
      std::vector<int> after;
      for (int i : plan.schedule()) {
        if (i > plan.writer(v)) after.push_back(i);
      }
      exec.run_nodes(after, full);
      ASSERT_EQ(fast.arena, full.arena) << GetParam() << " value " << z.model.value(v).name;
    }
  }
}

// Random weights set to random values, −128 and 127 among them: reference and every optimized
// Isa agree after each patch, and restoring the weights restores the golden outputs.
TEST_P(ZooPlan, PatchedWeightsReachBothKernelSets) {
  const auto& z = testing::zoo_model(GetParam());
  Int8Executor reference(z.model, KernelSet::kReference);
  std::vector<Int8Executor> optimized;
  for (Isa isa : available_isas()) optimized.emplace_back(z.model, KernelSet::kOptimized, isa);
  std::vector<int> layers;
  for (size_t i = 0; i < z.model.nodes.size(); ++i) {
    const OpKind op = z.model.nodes[i].op;
    if (op == OpKind::kConv || op == OpKind::kDense) layers.push_back(static_cast<int>(i));
  }
  ThreadPool pool(2);
  const data::Dataset images = z.test.head(8);
  const auto golden = reference.run_dataset(images, images.size(), pool);
  RngStream rng(12, stream_tag("patch_test"), 0);
  for (int round = 0; round < 6; ++round) {
    std::vector<std::tuple<int, int64_t, int8_t>> changed;
    for (int k = 0; k < 20; ++k) {
      const int node = layers[rng.uniform_below(layers.size())];
      const int64_t index = static_cast<int64_t>(
          rng.uniform_below(static_cast<uint64_t>(z.model.node(node).weight.size())));
      const int8_t w = k % 3 == 0   ? int8_t{-128}
                       : k % 3 == 1 ? int8_t{127}
                                    : static_cast<int8_t>(rng.next_u64());
      changed.emplace_back(node, index, reference.weight(node, index));
      reference.set_weight(node, index, w);
      for (auto& e : optimized) e.set_weight(node, index, w);
    }
    const auto expected = reference.run_dataset(images, images.size(), pool);
    for (const auto& e : optimized) {
      EXPECT_EQ(e.run_dataset(images, images.size(), pool), expected)
          << GetParam() << " round " << round << " " << isa_name(e.isa());
    }
    // A copy carries the patched weights; restoring (in reverse order) brings back golden.
    const Int8Executor copy(optimized.back());
    EXPECT_EQ(copy.run_dataset(images, images.size(), pool), expected);
    for (auto it = changed.rbegin(); it != changed.rend(); ++it) {
      const auto [node, index, w] = *it;
      reference.set_weight(node, index, w);
      for (auto& e : optimized) e.set_weight(node, index, w);
    }
    for (const auto& e : optimized) EXPECT_EQ(e.run_dataset(images, images.size(), pool), golden);
  }
}

TEST_P(ZooPlan, AccumulatorsRequantizeToTheStoredBytes) {
  const auto& z = testing::zoo_model(GetParam());
  const Int8Executor exec(z.model, KernelSet::kOptimized);
  auto ws = exec.make_workspace();
  exec.run(z.test.image(3), ws);
  for (size_t i = 0; i < z.model.nodes.size(); ++i) {
    const QNode& n = z.model.nodes[i];
    if (n.op != OpKind::kConv && n.op != OpKind::kDense) continue;
    const auto out = exec.value(ws, n.output);
    for (int64_t e = 0; e < static_cast<int64_t>(out.size()); e += 7) {
      const int32_t acc = exec.accumulator(static_cast<int>(i), e, ws);
      ASSERT_EQ(exec.requantize_accumulator(static_cast<int>(i), e, acc),
                out[static_cast<size_t>(e)])
          << GetParam() << " " << n.name << " element " << e;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ZooPlan, ::testing::ValuesIn(testing::kZooModels));

// Random conv and dense layers (the whole int8 range): patch one weight at a time, compare.
TEST(PatchedWeights, SingleLayersAgreeAfterEveryPatch) {
  RngStream rng(13, stream_tag("patch_single"), 0);
  for (int t = 0; t < 40; ++t) {
    const QModel m =
        t % 2 ? testing::random_dense_model(1 + static_cast<int>(rng.uniform_below(300)),
                                            1 + static_cast<int>(rng.uniform_below(40)), rng)
              : testing::random_conv_model({3, 9, 8, 5, 3, 3, 1, 2, 1, 0, 1, 2, 1}, rng);
    Int8Executor reference(m, KernelSet::kReference);
    std::vector<Int8Executor> optimized;
    for (Isa isa : available_isas()) optimized.emplace_back(m, KernelSet::kOptimized, isa);
    auto rws = reference.make_workspace();
    const auto x = testing::random_bytes(m.input_elements(), rng);
    for (int k = 0; k < 10; ++k) {
      const auto index =
          static_cast<int64_t>(rng.uniform_below(static_cast<uint64_t>(m.nodes[0].weight.size())));
      const auto w = k == 0 ? int8_t{-128} : static_cast<int8_t>(rng.next_u64());
      reference.set_weight(0, index, w);
      reference.run(x, rws);
      for (auto& e : optimized) {
        e.set_weight(0, index, w);
        auto ws = e.make_workspace();
        e.run(x, ws);
        const auto a = reference.output(rws), b = e.output(ws);
        ASSERT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end())) << t << " " << k;
      }
    }
  }
}

// x → (three Relu branches with different clamps) → Minimum of all three.
QModel three_way_minimum() {
  QModel m;
  const QuantParams q{0.1f, 10};
  for (const char* name : {"x", "a", "b", "c", "y"}) m.values.push_back({name, Shape{7}, q});
  m.input = 0;
  m.output = 4;
  const uint8_t lows[] = {20, 30, 0}, highs[] = {255, 200, 100};
  for (int k = 0; k < 3; ++k) {
    QNode n;
    n.op = OpKind::kClip;
    n.name = "clip" + std::to_string(k);
    n.inputs = {0};
    n.output = 1 + k;
    n.out_min = lows[k];
    n.out_max = highs[k];
    m.nodes.push_back(n);
  }
  QNode min;
  min.op = OpKind::kMinimum;
  min.name = "min";
  min.inputs = {1, 2, 3};
  min.output = 4;
  m.nodes.push_back(min);
  return m;
}

TEST(MultiInputNodes, MinimumOfThreeBranches) {
  const QModel m = three_way_minimum();
  const std::vector<uint8_t> x = {0, 15, 25, 50, 120, 210, 255};
  for (KernelSet k : {KernelSet::kReference, KernelSet::kOptimized}) {
    const Int8Executor exec(m, k);
    auto ws = exec.make_workspace();
    exec.run(x, ws);
    const auto y = exec.output(ws);
    // min(clamp(x, 20, 255), clamp(x, 30, 200), clamp(x, 0, 100))
    const std::vector<uint8_t> expected = {0, 15, 25, 50, 100, 100, 100};
    EXPECT_EQ(std::vector<uint8_t>(y.begin(), y.end()), expected);
    EXPECT_EQ(exec.plan().cone(0), (std::vector<int>{0, 1, 2, 3}));
    EXPECT_EQ(exec.plan().cone(2), (std::vector<int>{3}));
  }
}

TEST(Validate, RejectsBrokenModels) {
  const QModel good = three_way_minimum();
  EXPECT_NO_THROW(good.validate());
  QModel m = good;
  std::swap(m.nodes[0], m.nodes[3]);  // Minimum before its inputs exist
  EXPECT_THROW(m.validate(), FormatError);
  m = good;
  m.nodes[1].output = 1;  // value 1 written twice, value 2 never
  EXPECT_THROW(m.validate(), FormatError);
  m = good;
  m.nodes[3].inputs = {1, 2};  // value 3 computed but never read
  EXPECT_THROW(m.validate(), FormatError);
  m = good;
  m.nodes[0].inputs = {0, 0};  // Clip takes one input
  EXPECT_THROW(m.validate(), FormatError);
  m = good;
  m.nodes[3].inputs = {1};  // Minimum takes at least two
  EXPECT_THROW(m.validate(), FormatError);
  m = good;
  m.nodes[2].inputs = {9};
  EXPECT_THROW(m.validate(), FormatError);
  EXPECT_THROW(Int8Executor(m, KernelSet::kReference), FormatError);
}

TEST(RemoveDeadValues, DropsUnreadNodesAndRenumbers) {
  Graph g;
  for (const char* name : {"x", "dead_pre", "a", "unread", "y"})
    g.values.push_back({name, Shape{4}});
  g.input = 0;
  g.output = 4;
  Node relu;
  relu.op = OpKind::kRelu;
  relu.inputs = {0};
  relu.output = 2;
  Node side = relu;
  side.output = 3;  // nothing reads it
  Node last = relu;
  last.inputs = {2};
  last.output = 4;
  g.nodes = {relu, side, last};
  remove_dead_values(g);
  ASSERT_EQ(g.values.size(), 3u);
  EXPECT_EQ(g.values[1].name, "a");
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[1].inputs, std::vector<int>{1});
  EXPECT_EQ(g.output, 2);
}

}  // namespace
}  // namespace hardy::qnn
