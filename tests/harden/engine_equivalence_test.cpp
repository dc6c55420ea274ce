// The unchanged fault-injection engine on hardened models: its delta propagation through the
// Correction nodes equals the full recompute byte for byte, for random faults of every target
// (Correction outputs included) on every scheme, and campaigns give the same counts on one and two
// threads.
#include <gtest/gtest.h>

#include "hardy/core/rng.h"
#include "hardy/fault/propagator.h"
#include "hardy/harden/channel_ranking.h"
#include "hardy/harden/passes.h"
#include "hardy/harden/resilience.h"
#include "zoo.h"

namespace hardy::harden {
namespace {

using fault::ReferenceFault;
using fault::Target;

TEST(HardenedEngine, FastEqualsReferenceOnEveryScheme) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  const Selection sel =
      select_channels(z.model, random_channel_scores(z.model, 5), Budget::parse("40%", false));
  for (Scheme scheme : {Scheme::kSplit, Scheme::kSplitHalf, Scheme::kTmr}) {
    const qnn::QModel h = harden_model(z.model, sel, scheme);
    const qnn::Int8Executor exec(h, qnn::KernelSet::kOptimized);
    qnn::Int8Executor reference_exec(h, qnn::KernelSet::kOptimized);
    fault::FaultPropagator p(exec);
    p.capture_output(true);
    int changed = 0;
    for (Target target : {Target::kNeurons, Target::kWeights, Target::kAccumulators}) {
      const fault::SiteSpace space(h, exec.plan(), target);
      RngStream rng(31, stream_tag(fault::target_name(target)), 0);
      for (int f = 0; f < 300; ++f) {
        const int64_t image = f / 50;
        if (f % 50 == 0) p.set_image(z.test.image(image));
        const fault::Site s = space.site(static_cast<int64_t>(rng.uniform_below(space.bits())));
        const fault::SiteLayer& l = space.layer(s.layer);
        ReferenceFault r;
        r.element = s.word;
        fault::Outcome o;
        if (target == Target::kNeurons) {
          r.value = l.value;
          r.faulty = p.golden_byte(l.value, s.word) ^ (1 << s.bit);
          o = p.inject_neuron(l.value, s.word, static_cast<uint8_t>(r.faulty));
        } else if (target == Target::kWeights) {
          r.where = ReferenceFault::Where::kWeight;
          r.node = l.node;
          r.faulty = static_cast<int8_t>(exec.weight(l.node, s.word) ^ (1 << s.bit));
          o = p.inject_weight(l.node, s.word, static_cast<int8_t>(r.faulty));
        } else {
          r.where = ReferenceFault::Where::kAccumulator;
          r.node = l.node;
          r.faulty = static_cast<int32_t>(
              static_cast<uint32_t>(p.golden_accumulator(l.node, s.word)) ^ (uint32_t{1} << s.bit));
          o = p.inject_accumulator(l.node, s.word, r.faulty);
        }
        ASSERT_EQ(p.last_output(),
                  fault::reference_faulty_output(reference_exec, z.test.image(image), r))
            << scheme_name(scheme) << " " << fault::target_name(target) << " " << l.name;
        changed += o != fault::Outcome::kMasked;
      }
    }
    EXPECT_GT(changed, 0) << scheme_name(scheme);
  }
}

TEST(HardenedEngine, ResilienceIsTheSameOnOneAndTwoThreads) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  const Selection sel =
      select_channels(z.model, magnitude_channel_scores(z.model), Budget::parse("20%", false));
  const qnn::QModel h = split_lcu(z.model, sel);
  ResilienceOptions o;
  o.campaign.faults = 5000;
  o.campaign.images = 20;
  o.campaign.offset = 5000;
  ThreadPool one(1), two(2);
  const Resilience a = measure_resilience(h, z.test, o, one);
  const Resilience b = measure_resilience(h, z.test, o, two);
  EXPECT_EQ(a.counts, b.counts);
  EXPECT_EQ(a.counts.total(), 5000);
  EXPECT_LE(a.ci95_low, a.critical_sdc_rate);
  EXPECT_GE(a.ci95_high, a.critical_sdc_rate);
  EXPECT_DOUBLE_EQ(a.critical_per_inference,
                   a.critical_sdc_rate * static_cast<double>(a.site_bits) * o.bit_fault_rate);
  // Without Correction sites the space is the original's plus one copy per protected neuron.
  ResilienceOptions with = o;
  with.correction_faultable = true;
  const Resilience c = measure_resilience(h, z.test, with, two);
  EXPECT_GT(c.site_bits, a.site_bits);
}

}  // namespace
}  // namespace hardy::harden
