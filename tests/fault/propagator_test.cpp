// The fast path equals the full-recompute reference byte for byte on random faults of every
// target and kind on every zoo model (high bits weighted: they are the ones rarely masked), and
// obeys the fault-model properties.
#include "hardy/fault/propagator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "hardy/core/rng.h"
#include "hardy/fault/fault_model.h"
#include "hardy/fault/site.h"
#include "zoo.h"

namespace hardy::fault {
namespace {

// HARDY_FAULT_EQUIVALENCE_FAULTS overrides the per-model count (the `slow` run uses 10,000).
int faults_per_model() {
  const char* n = std::getenv("HARDY_FAULT_EQUIVALENCE_FAULTS");
  return n ? std::atoi(n) : 1500;
}

// A bit of the word, half the time its top bit (or, for accumulators, one of bits 16–31).
int weighted_bit(const SiteLayer& l, RngStream& rng) {
  if (rng.uniform() < 0.5)
    return static_cast<int>(rng.uniform_below(static_cast<uint64_t>(l.bits)));
  return l.bits == 8 ? 7 : 16 + static_cast<int>(rng.uniform_below(16));
}

struct Drawn {
  ReferenceFault reference;
  Outcome outcome;
  std::vector<uint8_t> fast_output;
};

class FastEqualsReference : public ::testing::TestWithParam<const char*> {};

TEST_P(FastEqualsReference, RandomFaultsOfEveryTargetAndKind) {
  const auto& z = qnn::testing::zoo_model(GetParam());
  qnn::Int8Executor exec(z.model, qnn::KernelSet::kOptimized);
  qnn::Int8Executor reference_exec(z.model, qnn::KernelSet::kOptimized);
  FaultPropagator p(exec);
  p.capture_output(true);
  const int total = faults_per_model();
  const FaultKind kinds[] = {FaultKind::kBitFlip, FaultKind::kBitFlip2, FaultKind::kStuckAt0,
                             FaultKind::kStuckAt1};
  int changed = 0, critical = 0;
  for (Target target : {Target::kNeurons, Target::kWeights, Target::kAccumulators}) {
    const SiteSpace space(z.model, exec.plan(), target);
    RngStream rng(21, stream_tag(target_name(target)), 0);
    const int n = total / 3;
    for (int f = 0; f < n; ++f) {
      const int64_t image = f / 50;  // 50 faults per golden image
      if (f % 50 == 0) p.set_image(z.test.image(image));
      const Site s = space.word(static_cast<int64_t>(rng.uniform_below(space.words())));
      const SiteLayer& l = space.layer(s.layer);
      WordFault wf{kinds[f % 4], weighted_bit(l, rng), -1};
      if (wf.kind == FaultKind::kBitFlip2) {
        do {
          wf.bit2 = static_cast<int>(rng.uniform_below(static_cast<uint64_t>(l.bits)));
        } while (wf.bit2 == wf.bit);
        if (wf.bit2 < wf.bit) std::swap(wf.bit, wf.bit2);
      }
      ReferenceFault r;
      r.element = s.word;
      Outcome o;
      if (target == Target::kNeurons) {
        r.where = ReferenceFault::Where::kNeuron;
        r.value = l.value;
        r.faulty = static_cast<int32_t>(wf.apply(p.golden_byte(l.value, s.word)) & 0xff);
        o = p.inject_neuron(l.value, s.word, static_cast<uint8_t>(r.faulty));
      } else if (target == Target::kWeights) {
        r.where = ReferenceFault::Where::kWeight;
        r.node = l.node;
        const auto w = static_cast<uint8_t>(exec.weight(l.node, s.word));
        r.faulty = static_cast<int8_t>(static_cast<uint8_t>(wf.apply(w)));
        o = p.inject_weight(l.node, s.word, static_cast<int8_t>(r.faulty));
      } else {
        r.where = ReferenceFault::Where::kAccumulator;
        r.node = l.node;
        const auto acc = static_cast<uint32_t>(p.golden_accumulator(l.node, s.word));
        r.faulty = static_cast<int32_t>(wf.apply(acc));
        o = p.inject_accumulator(l.node, s.word, r.faulty);
      }
      const auto expected = reference_faulty_output(reference_exec, z.test.image(image), r);
      ASSERT_EQ(p.last_output(), expected)
          << GetParam() << " " << target_name(target) << " layer " << l.name << " word " << s.word
          << " " << fault_kind_name(wf.kind) << " bit " << wf.bit << " fault #" << f;
      const auto golden = p.golden_output();
      EXPECT_EQ(o, classify(golden, expected, p.golden_top1()));
      changed += o != Outcome::kMasked;
      critical += o == Outcome::kSdcCritical;
    }
  }
  // The draw is weighted so that the comparison exercises propagation, not only early masking.
  EXPECT_GT(changed, total / 20) << GetParam();
  RecordProperty("changed", changed);
  RecordProperty("critical", critical);
}

INSTANTIATE_TEST_SUITE_P(Models, FastEqualsReference,
                         ::testing::ValuesIn(qnn::testing::kZooModels));
// Users' exports (models/import): Concat, residual blocks with padding, synthesized affine and
// padding layers.
INSTANTIATE_TEST_SUITE_P(ImportCorpus, FastEqualsReference,
                         ::testing::Values("import/inception_concat", "import/pad_residual",
                                           "import/normalized_cnn", "import/view_head"));

// Every neuron bit flip of a few images (so that faults reach the same states and the memo
// answers many of them): outcomes and output bytes with the memo equal those without it, and the
// reference's on a sample.
TEST_P(FastEqualsReference, MemoizedOutcomesEqualPropagatedOnes) {
  const auto& z = qnn::testing::zoo_model(GetParam());
  qnn::Int8Executor exec(z.model, qnn::KernelSet::kOptimized);
  qnn::Int8Executor reference_exec(z.model, qnn::KernelSet::kOptimized);
  FaultPropagator memo(exec), plain(exec);
  memo.capture_output(true);
  plain.capture_output(true);
  plain.memoize(false);
  const SiteSpace space(z.model, exec.plan(), Target::kNeurons);
  // At most ~20k faults per image on the large models: every site of a stride through the space.
  const int64_t stride = std::max<int64_t>(1, space.bits() / 20000);
  RngStream rng(23, stream_tag("memo"), 0);
  int64_t faults = 0;
  for (int64_t image = 0; image < 2; ++image) {
    memo.set_image(z.test.image(image));
    plain.set_image(z.test.image(image));
    for (int64_t b = image % stride; b < space.bits(); b += stride) {
      const Site s = space.site(b);
      const SiteLayer& l = space.layer(s.layer);
      const auto faulty = static_cast<uint8_t>(
          WordFault{FaultKind::kBitFlip, s.bit}.apply(memo.golden_byte(l.value, s.word)));
      const Outcome o = memo.inject_neuron(l.value, s.word, faulty);
      ASSERT_EQ(o, plain.inject_neuron(l.value, s.word, faulty)) << l.name << " " << s.word;
      ASSERT_EQ(memo.last_output(), plain.last_output()) << l.name << " " << s.word;
      if (rng.uniform() < 0.01) {
        ReferenceFault r{ReferenceFault::Where::kNeuron, l.value, -1, s.word, faulty};
        ASSERT_EQ(memo.last_output(),
                  reference_faulty_output(reference_exec, z.test.image(image), r));
      }
      ++faults;
    }
  }
  EXPECT_EQ(plain.memo_hits(), 0);
  EXPECT_GT(memo.memo_hits(), faults / 100) << GetParam() << ": the memo is live";
  RecordProperty("memo_hits", static_cast<int>(memo.memo_hits()));
}

TEST(FaultProperties, StuckAtTheGoldenBitIsMaskedAndFlipTwiceIsGolden) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  const qnn::Int8Executor exec(z.model, qnn::KernelSet::kOptimized);
  FaultPropagator p(exec);
  p.capture_output(true);
  p.set_image(z.test.image(0));
  const SiteSpace space(z.model, exec.plan(), Target::kNeurons);
  RngStream rng(22, stream_tag("properties"), 0);
  for (int f = 0; f < 2000; ++f) {
    const Site s = space.site(static_cast<int64_t>(rng.uniform_below(space.bits())));
    const SiteLayer& l = space.layer(s.layer);
    const uint8_t g = p.golden_byte(l.value, s.word);
    const bool bit = (g >> s.bit) & 1;
    const WordFault same{bit ? FaultKind::kStuckAt1 : FaultKind::kStuckAt0, s.bit};
    EXPECT_EQ(p.inject_neuron(l.value, s.word, static_cast<uint8_t>(same.apply(g))),
              Outcome::kMasked);
    const WordFault flip{FaultKind::kBitFlip, s.bit};
    EXPECT_EQ(p.inject_neuron(l.value, s.word, static_cast<uint8_t>(flip.apply(flip.apply(g)))),
              Outcome::kMasked);
    const auto golden = p.golden_output();
    EXPECT_TRUE(std::equal(golden.begin(), golden.end(), p.last_output().begin()));
    // After any fault, the state is golden again: the same fault gives the same answer.
    const auto faulty = static_cast<uint8_t>(flip.apply(g));
    const Outcome first = p.inject_neuron(l.value, s.word, faulty);
    const auto first_output = p.last_output();
    EXPECT_EQ(p.inject_neuron(l.value, s.word, faulty), first);
    EXPECT_EQ(p.last_output(), first_output);
  }
}

}  // namespace
}  // namespace hardy::fault
