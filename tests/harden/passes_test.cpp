// Harden passes: the hardened model is valid and, fault-free, bit-identical to the original on
// every zoo model for split + LCU and TMR; split-half's deviation is bounded and measured.
#include "hardy/harden/passes.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "hardy/core/thread_pool.h"
#include "hardy/harden/channel_ranking.h"
#include "hardy/harden/overhead.h"
#include "hardy/qnn/int8_executor.h"
#include "hardy/qnn/reference_kernels.h"
#include "zoo.h"

namespace hardy::harden {
namespace {

using qnn::testing::zoo_model;

int64_t images_for(const std::string& name) {
  return name.starts_with("resnet") || name.starts_with("vgg") ? 16 : 200;
}

std::vector<uint8_t> outputs(const qnn::QModel& model, const data::Dataset& test, int64_t n) {
  ThreadPool pool(2);
  const qnn::Int8Executor exec(model, qnn::KernelSet::kOptimized);
  return exec.run_dataset(test, n, pool);
}

class EveryZooModel : public ::testing::TestWithParam<const char*> {};

TEST_P(EveryZooModel, SplitAndTmrAreBitIdenticalFaultFree) {
  const auto& z = zoo_model(GetParam());
  const int64_t n = images_for(z.name);
  const std::vector<uint8_t> golden = outputs(z.model, z.test, n);
  // A random third of the MACs, and every channel.
  for (const Budget& budget : {Budget::parse("33%", false), Budget::parse("100%", false)}) {
    const Selection sel = select_channels(z.model, random_channel_scores(z.model, 7), budget);
    ASSERT_GT(sel.count(), 0);
    for (Scheme s : {Scheme::kSplit, Scheme::kTmr}) {
      for (Placement p : {Placement::kAfterLayer, Placement::kAfterPool}) {
        const qnn::QModel h = harden_model(z.model, sel, s, p);
        const bool after_pool = p == Placement::kAfterPool;
        EXPECT_GT(h.nodes.size(), z.model.nodes.size());
        EXPECT_EQ(outputs(h, z.test, n), golden)
            << scheme_name(s) << " " << budget.to_string() << (after_pool ? " after pool" : "");
        // The extra MACs and neurons are exactly the overhead model's.
        const Overhead o = hardening_overhead(z.model, sel, s, p);
        const Overhead plain = hardening_overhead(h, Selection{}, s);
        EXPECT_EQ(plain.macs, o.macs + o.extra_macs);
        // The hardened model's neurons but the Correction outputs (fault-free, not sites): the
        // original's and the extra ones of the overhead model.
        int64_t corrected = 0;
        for (const qnn::QNode& fix : h.nodes) {
          if (fix.op == qnn::OpKind::kCorrection) corrected += h.value(fix.output).shape.elements();
        }
        EXPECT_EQ(plain.neurons - corrected, o.neurons + o.extra_neurons)
            << (after_pool ? "after pool" : "");
      }
    }
  }
}

TEST_P(EveryZooModel, SplitHalfStaysCloseFaultFree) {
  // The halves' accumulators sum to the original exactly; the two requantizations (and the
  // activation clamp of each half) move the sum by a few steps at most. Measured here: the largest
  // byte difference of the final logits and the top-1 agreement (docs/hardening.md).
  const auto& z = zoo_model(GetParam());
  const int64_t n = images_for(z.name);
  const std::vector<uint8_t> golden = outputs(z.model, z.test, n);
  const Selection sel =
      select_channels(z.model, random_channel_scores(z.model, 7), Budget::parse("33%", false));
  const std::vector<uint8_t> half = outputs(split_half(z.model, sel), z.test, n);
  const int64_t out_n = z.model.output_elements();
  int64_t agree = 0;
  for (int64_t i = 0; i < n; ++i) {
    agree += qnn::argmax(golden.data() + i * out_n, out_n) ==
             qnn::argmax(half.data() + i * out_n, out_n);
  }
  const double agreement = static_cast<double>(agree) / static_cast<double>(n);
  RecordProperty("top1_agreement", std::to_string(agreement));
  std::printf("%s split-half 33%%: top-1 agreement %.4f over %lld images\n", z.name.c_str(),
              agreement, static_cast<long long>(n));
  EXPECT_GE(agreement, 0.9);
}

INSTANTIATE_TEST_SUITE_P(Zoo, EveryZooModel, ::testing::ValuesIn(qnn::testing::kZooModels));

TEST(SplitHalf, HalvesSumToTheOriginalAccumulator) {
  const auto& z = zoo_model("lenet5_fmnist");
  const Selection sel =
      select_channels(z.model, magnitude_channel_scores(z.model), Budget::parse("100%", false));
  const qnn::QModel h = split_half(z.model, sel);
  for (size_t i = 0; i + 1 < h.nodes.size(); ++i) {
    const qnn::QNode& fix = h.nodes[i + 1];
    if (fix.op != qnn::OpKind::kCorrection) continue;
    const qnn::QNode& mac = h.nodes[i];
    const qnn::QNode* original = nullptr;
    for (const qnn::QNode& n : z.model.nodes) {
      if (n.name == mac.name) original = &n;
    }
    ASSERT_NE(original, nullptr);
    const int64_t k = mac.reduction_size();
    for (int64_t c = 0; c < static_cast<int64_t>(fix.correction_copies.size() / 2); ++c) {
      const int32_t copy = fix.correction_copies[static_cast<size_t>(2 * c)];
      ASSERT_GE(copy, 0);
      EXPECT_EQ(mac.bias[static_cast<size_t>(c)] + mac.bias[static_cast<size_t>(copy)],
                original->bias[static_cast<size_t>(c)]);
      for (int64_t e = 0; e < k; ++e) {
        const int w1 = mac.weight[c * k + e], w2 = mac.weight[copy * k + e];
        EXPECT_EQ(w1 + w2, original->weight[c * k + e]);
        EXPECT_LE(std::abs(w1 - w2), 1);
      }
    }
  }
}

// The MSB check of split-half only means something if a fault-free half never trips it: on every
// layer of every zoo model with every channel split, over 20 images, at most 0.5% of the half
// pairs have the checked bit set (saturated outputs), including the logits (zero point ≠ 0).
TEST_P(EveryZooModel, SplitHalfCheckIsQuietFaultFree) {
  const auto& z = zoo_model(GetParam());
  const Selection sel =
      select_channels(z.model, magnitude_channel_scores(z.model), Budget::parse("100%", false));
  const qnn::QModel h = split_half(z.model, sel);
  const qnn::Int8Executor exec(h, qnn::KernelSet::kOptimized);
  qnn::Int8Executor::Workspace ws = exec.make_workspace();
  int64_t pairs = 0, tripped = 0, nonzero_zero_points = 0;
  for (int64_t image = 0; image < 20; ++image) {
    exec.run(z.test.image(image), ws);
    for (const qnn::QNode& fix : h.nodes) {
      if (fix.op != qnn::OpKind::kCorrection) continue;
      const qnn::QValue& in = h.value(fix.inputs[0]);
      const int32_t zp = in.quant.zero_point;
      nonzero_zero_points += image == 0 && zp != 0;
      const auto bytes = exec.value(ws, fix.inputs[0]);
      const int64_t per_channel = in.shape.elements() / in.shape[0];
      for (int64_t c = 0; c < static_cast<int64_t>(fix.correction_copies.size() / 2); ++c) {
        const int32_t copy = fix.correction_copies[static_cast<size_t>(2 * c)];
        for (int64_t e = 0; e < per_channel; ++e) {
          const uint8_t a = bytes[static_cast<size_t>(c * per_channel + e)];
          const uint8_t b = bytes[static_cast<size_t>(copy * per_channel + e)];
          ++pairs;
          tripped += qnn::half_check_tripped(a, zp) || qnn::half_check_tripped(b, zp);
        }
      }
    }
  }
  std::printf("%s split-half: %lld of %lld fault-free half pairs trip the check (%lld layers "
              "with a zero point)\n",
              z.name.c_str(), static_cast<long long>(tripped), static_cast<long long>(pairs),
              static_cast<long long>(nonzero_zero_points));
  EXPECT_GT(pairs, 0);
  EXPECT_LE(static_cast<double>(tripped), 0.005 * static_cast<double>(pairs));
}

TEST(Correction, RulesOnBytes) {
  EXPECT_EQ(qnn::majority_of_three(0b1100'1010, 0b1010'1010, 0b0110'0101), 0b1110'1010);
  EXPECT_EQ(qnn::correct_pair(qnn::CorrectionRule::kMinimum, 200, 17, 0), 17);
  EXPECT_EQ(qnn::correct_pair(qnn::CorrectionRule::kMinimum, 17, 17, 0), 17);
  EXPECT_EQ(qnn::correct_pair(qnn::CorrectionRule::kHalfSum, 60, 61, 0), 121);
  EXPECT_EQ(qnn::correct_pair(qnn::CorrectionRule::kHalfSum, 60 + 128, 61, 0), 122);
  EXPECT_EQ(qnn::correct_pair(qnn::CorrectionRule::kHalfSum, 60, 61 + 128, 0), 120);
  EXPECT_EQ(qnn::correct_pair(qnn::CorrectionRule::kHalfSum, 130, 129, 3), 256);  // clamped later
  EXPECT_EQ(qnn::correct_pair(qnn::CorrectionRule::kHalfSum, 60, 61, 5), 116);
}

}  // namespace
}  // namespace hardy::harden
