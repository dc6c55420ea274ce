// Interval bounds are sound: every byte of a range they prove kept (changed) keeps (changes) the
// top-1 when simulated exactly. The margin bounds through the last Dense layers prove more ranges
// than the logits' intervals alone, and never a wrong one.
#include "hardy/analysis/interval_bounds.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "hardy/fault/propagator.h"
#include "mutated_model.h"
#include "zoo.h"

namespace hardy::analysis {
namespace {

struct Tally {
  int64_t passes = 0, proved = 0;
};

// Bounds every third neuron of `layers` on ranges [g+1, g+k] and [g−k, g−1] on `images` test
// images, checks each proof against the simulation of every byte of its range.
Tally check_ranges(const qnn::QModel& model, const data::Dataset& test,
                   const std::vector<std::string>& layers, int64_t images, bool margins) {
  const qnn::Int8Executor exec(model, qnn::KernelSet::kOptimized);
  IntervalBounds bounds(exec, margins);
  fault::FaultPropagator sim(exec);
  Tally t;
  for (int64_t i = 0; i < images; ++i) {
    const auto image = test.image(i);
    bounds.set_image(image);
    sim.set_image(image);
    for (const std::string& name : layers) {
      const auto it = std::find_if(model.nodes.begin(), model.nodes.end(),
                                   [&](const qnn::QNode& n) { return n.name == name; });
      EXPECT_NE(it, model.nodes.end()) << name;
      if (it == model.nodes.end()) continue;
      const int value = it->output;
      const int64_t elements = model.value(value).shape.elements();
      for (int64_t e = 0; e < elements; e += 3) {
        const int g = bounds.golden_byte(value, e);
        for (int k : {3, 15, 63, 255}) {
          for (int side : {1, -1}) {
            const int a = std::clamp(g + side, 0, 255), b = std::clamp(g + side * k, 0, 255);
            if (a == g) continue;
            const auto lo = static_cast<uint8_t>(std::min(a, b));
            const auto hi = static_cast<uint8_t>(std::max(a, b));
            const auto verdict = bounds.bound(value, e, lo, hi);
            ++t.passes;
            if (verdict == IntervalBounds::Verdict::kUnknown) continue;
            ++t.proved;
            const bool changed = verdict == IntervalBounds::Verdict::kChanged;
            if (::testing::Test::HasFailure()) return t;  // one wrong proof is enough to report
            for (int v = lo; v <= hi; ++v) {
              const bool critical = sim.inject_neuron(value, e, static_cast<uint8_t>(v)) ==
                                    fault::Outcome::kSdcCritical;
              EXPECT_EQ(critical, changed) << name << " element " << e << " byte " << v << " range "
                                           << int{lo} << ".." << int{hi};
            }
          }
        }
      }
    }
  }
  return t;
}

TEST(IntervalBounds, ProofsAreExactAndMarginsProveMoreThanTheLogitIntervals) {
  struct Case {
    const char* model;
    std::vector<std::string> layers;
  };
  for (const Case& c :
       {Case{"lenet5_fmnist",
             {"/pool1/AveragePool", "/pool2/AveragePool", "/fc1/Gemm", "/fc2/Gemm", "/fc3/Gemm"}},
        Case{"mlp_fmnist", {}}}) {
    const auto& z = qnn::testing::zoo_model(c.model);
    std::vector<std::string> layers = c.layers;
    if (layers.empty()) {  // every Dense layer
      for (const qnn::QNode& n : z.model.nodes) {
        if (n.op == qnn::OpKind::kDense) layers.push_back(n.name);
      }
    }
    const Tally plain = check_ranges(z.model, z.test, layers, 4, false);
    const Tally with = check_ranges(z.model, z.test, layers, 4, true);
    EXPECT_EQ(with.passes, plain.passes);
    EXPECT_GT(with.proved, plain.proved) << c.model << " of " << with.passes;
    RecordProperty(std::string(c.model) + "_proved", static_cast<int>(with.proved));
    RecordProperty(std::string(c.model) + "_proved_plain", static_cast<int>(plain.proved));
  }
}

// The same on mutated models (mutated_model.h): left-shifted channels, raised clamps.
TEST(IntervalBounds, ProofsAreExactOnModelsWithUnusualQuantization) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    int64_t left_shifts = 0;
    const qnn::QModel model = testing::mutated(z.model, seed, left_shifts);
    EXPECT_GT(left_shifts, 0);
    const Tally t = check_ranges(
        model, z.test,
        {"/pool1/AveragePool", "/pool2/AveragePool", "/fc1/Gemm", "/fc2/Gemm", "/fc3/Gemm"}, 2,
        true);
    EXPECT_GT(t.proved, 0) << "mutation " << seed;
    EXPECT_LT(t.proved, t.passes) << "mutation " << seed;
  }
}

}  // namespace
}  // namespace hardy::analysis
