// Property tests over every bit of every site of the protected channels (one LeNet-5 image, two
// channels of each layer): TMR masks every single fault in a protected neuron, accumulator or
// weight; split + LCU corrects every upward flip of a protected neuron, and a downward flip does to
// the hardened model exactly what it does to the original. What split does with weight and
// accumulator faults is counted and printed (docs/hardening.md).
#include <gtest/gtest.h>

#include <cstdio>

#include "hardy/fault/campaign.h"
#include "hardy/fault/propagator.h"
#include "hardy/harden/hardened_sites.h"
#include "hardy/harden/passes.h"
#include "zoo.h"

namespace hardy::harden {
namespace {

using fault::Outcome;

// Channels 0 and the last of every protectable layer.
Selection first_and_last(const qnn::QModel& m) {
  Selection sel;
  sel.channels.resize(m.nodes.size());
  for (size_t i = 0; i < m.nodes.size(); ++i) {
    if (protectable(m.nodes[i])) sel.channels[i] = {0, m.nodes[i].weight.shape[0] - 1};
  }
  return sel;
}

struct Tally {
  int64_t masked = 0, faults = 0;
  void add(Outcome o) {
    ++faults;
    masked += o == Outcome::kMasked;
  }
};

struct ProtectedLayer {
  int mac = -1;                              // node index in the hardened model
  std::vector<std::vector<int64_t>> copies;  // per protected channel: its input channels
  int64_t per_channel = 1;
};

std::vector<ProtectedLayer> protected_layers(const qnn::QModel& h) {
  std::vector<ProtectedLayer> layers;
  for (size_t i = 1; i < h.nodes.size(); ++i) {
    const qnn::QNode& fix = h.nodes[i];
    if (fix.op != qnn::OpKind::kCorrection) continue;
    ProtectedLayer l;
    l.mac = static_cast<int>(i - 1);
    const Shape& s = h.value(fix.inputs[0]).shape;
    l.per_channel = s.elements() / s[0];
    for (size_t c = 0; c < fix.correction_copies.size() / 2; ++c) {
      std::vector<int64_t> ch = {static_cast<int64_t>(c)};
      for (int k = 0; k < 2; ++k) {
        if (fix.correction_copies[2 * c + k] >= 0) ch.push_back(fix.correction_copies[2 * c + k]);
      }
      if (ch.size() > 1) l.copies.push_back(ch);
    }
    layers.push_back(std::move(l));
  }
  return layers;
}

struct Tallies {
  Tally neuron_up, neuron_down, weight, accumulator;
  int64_t down_same_as_original = 0;
};

// Every bit of every neuron, weight and accumulator of every copy of every protected channel.
Tallies inject_all(const qnn::QModel& original, const qnn::QModel& h, int64_t image) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  const qnn::Int8Executor exec(h, qnn::KernelSet::kOptimized);
  fault::FaultPropagator prop(exec);
  prop.set_image(z.test.image(image));
  const qnn::Int8Executor exec0(original, qnn::KernelSet::kOptimized);
  fault::FaultPropagator prop0(exec0);
  prop0.set_image(z.test.image(image));
  Tallies t;
  for (const ProtectedLayer& l : protected_layers(h)) {
    const qnn::QNode& mac = h.node(l.mac);
    const int64_t k = mac.reduction_size();
    for (const auto& chans : l.copies) {
      for (int64_t ch : chans) {
        for (int64_t p = 0; p < l.per_channel; ++p) {
          const int64_t e = ch * l.per_channel + p;
          const uint8_t g = prop.golden_byte(mac.output, e);
          for (int b = 0; b < 8; ++b) {
            const auto f = static_cast<uint8_t>(g ^ (1 << b));
            const Outcome o = prop.inject_neuron(mac.output, e, f);
            if (f > g) {
              t.neuron_up.add(o);
            } else {
              t.neuron_down.add(o);
              // The same byte in the original neuron (the first copy is the original channel).
              const int64_t orig = chans[0] * l.per_channel + p;
              t.down_same_as_original +=
                  o == prop0.inject_neuron(h.node(l.mac + 1).output, orig, f);
            }
          }
          const int32_t acc = prop.golden_accumulator(l.mac, e);
          for (int b = 0; b < 32; ++b) {
            t.accumulator.add(
                prop.inject_accumulator(l.mac, e, static_cast<int32_t>(acc ^ (int32_t{1} << b))));
          }
        }
        for (int64_t i = ch * k; i < (ch + 1) * k; ++i) {
          for (int b = 0; b < 8; ++b) {
            t.weight.add(
                prop.inject_weight(l.mac, i, static_cast<int8_t>(mac.weight[i] ^ (1 << b))));
          }
        }
      }
    }
  }
  return t;
}

TEST(TmrProperty, MasksEverySingleFaultInProtectedChannels) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  const qnn::QModel h = selective_tmr(z.model, first_and_last(z.model));
  for (int64_t image : {0, 1}) {
    const Tallies t = inject_all(z.model, h, image);
    EXPECT_GT(t.neuron_up.faults + t.neuron_down.faults, 0);
    EXPECT_EQ(t.neuron_up.masked, t.neuron_up.faults);
    EXPECT_EQ(t.neuron_down.masked, t.neuron_down.faults);
    EXPECT_EQ(t.weight.masked, t.weight.faults);
    EXPECT_GT(t.accumulator.faults, 0);
    EXPECT_EQ(t.accumulator.masked, t.accumulator.faults);
  }
}

// Correcting after the pool: every bit of every neuron of every copy of the protected channels,
// in the layer's output and in the pooled copies, is masked by the vote (LeNet-5: both Conv
// layers are read by a pool alone; the Dense layers keep the vote right after them).
TEST(TmrProperty, AfterThePoolMasksEverySingleNeuronFaultInLayersAndPools) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  const qnn::QModel h = selective_tmr(z.model, first_and_last(z.model), Placement::kAfterPool);
  const qnn::Int8Executor exec(h, qnn::KernelSet::kOptimized);
  fault::FaultPropagator prop(exec);
  prop.set_image(z.test.image(0));
  int64_t faults = 0, masked = 0, after_pools = 0;
  for (const qnn::QNode& fix : h.nodes) {
    if (fix.op != qnn::OpKind::kCorrection) continue;
    // The value the Correction reads and, behind a pool, the layer's value the pool reads.
    std::vector<int> values = {fix.inputs[0]};
    for (const qnn::QNode& n : h.nodes) {
      if (n.output == fix.inputs[0] &&
          (n.op == qnn::OpKind::kAveragePool || n.op == qnn::OpKind::kMaxPool)) {
        values.push_back(n.inputs[0]);
        ++after_pools;
      }
    }
    for (int v : values) {
      const Shape& s = h.value(v).shape;
      const int64_t per_channel = s.elements() / s[0];
      for (size_t c = 0; c < fix.correction_copies.size() / 2; ++c) {
        if (fix.correction_copies[2 * c] < 0) continue;
        for (int64_t ch : {static_cast<int64_t>(c), int64_t{fix.correction_copies[2 * c]},
                           int64_t{fix.correction_copies[2 * c + 1]}}) {
          for (int64_t p = 0; p < per_channel; ++p) {
            const int64_t e = ch * per_channel + p;
            const uint8_t g = prop.golden_byte(v, e);
            for (int b = 0; b < 8; ++b) {
              ++faults;
              masked += prop.inject_neuron(v, e, static_cast<uint8_t>(g ^ (1 << b))) ==
                        Outcome::kMasked;
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(after_pools, 2);  // conv1 → pool1, conv2 → pool2
  EXPECT_GT(faults, 0);
  EXPECT_EQ(masked, faults);
}

TEST(SplitProperty, CorrectsEveryUpwardNeuronFlip) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  const qnn::QModel h = split_lcu(z.model, first_and_last(z.model));
  const Tallies t = inject_all(z.model, h, 0);
  EXPECT_GT(t.neuron_up.faults, 0);
  EXPECT_EQ(t.neuron_up.masked, t.neuron_up.faults);
  // A downward flip passes the LCU: the hardened model sees what the original would.
  EXPECT_EQ(t.down_same_as_original, t.neuron_down.faults);
  const auto show = [](const char* what, const Tally& x) {
    std::printf("split+LCU %-22s %8lld faults, %8lld masked (%.2f%%)\n", what,
                static_cast<long long>(x.faults), static_cast<long long>(x.masked),
                100.0 * static_cast<double>(x.masked) / static_cast<double>(x.faults));
  };
  show("neuron upward flips", t.neuron_up);
  show("neuron downward flips", t.neuron_down);
  show("weight flips", t.weight);
  show("accumulator flips", t.accumulator);
  // Weight and accumulator flips that raise a copy are corrected too, so more are masked than a
  // pure pass-through would.
  EXPECT_GT(t.weight.masked, 0);
  EXPECT_GT(t.accumulator.masked, 0);
}

TEST(HardenedSites, CorrectionOutputsAreNoSitesByDefault) {
  const auto& z = qnn::testing::zoo_model("lenet5_fmnist");
  const qnn::QModel h = split_lcu(z.model, first_and_last(z.model));
  const qnn::ExecutionPlan plan(h);
  const fault::SiteSpace all(h, plan, fault::Target::kNeurons);
  const fault::SiteSpace hardened(
      h, plan, fault::Target::kNeurons,
      hardened_site_filter(h, fault::Target::kNeurons, /*correction_faultable=*/false));
  const qnn::ExecutionPlan plan0(z.model);
  const fault::SiteSpace original(z.model, plan0, fault::Target::kNeurons);
  // The original neurons plus one copy of every protected neuron.
  int64_t copies = 0;
  for (const ProtectedLayer& l : protected_layers(h)) {
    copies += static_cast<int64_t>(l.copies.size()) * l.per_channel;
  }
  EXPECT_EQ(hardened.words(), original.words() + copies);
  EXPECT_GT(all.words(), hardened.words());
  for (const auto& l : hardened.layers()) {
    EXPECT_NE(h.node(l.node).op, qnn::OpKind::kCorrection) << l.name;
  }
  EXPECT_TRUE(hardened_site_filter(h, fault::Target::kWeights, false).layers.empty());
  EXPECT_TRUE(hardened_site_filter(h, fault::Target::kNeurons, true).layers.empty());
}

}  // namespace
}  // namespace hardy::harden
