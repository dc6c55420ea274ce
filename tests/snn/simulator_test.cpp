// Simulator against analytical single-neuron cases: exact relaxation, the ge jump of one input
// spike, exponential Euler exact for constant conductances and stable where forward Euler is not,
// refractoriness, lateral inhibition, STDP hand cases, normalisation, the re-presentation rule,
// and the closed-form rest against step-by-step integration.
#include "hardy/snn/simulator.h"

#include <gtest/gtest.h>

#include <cmath>

#include "hardy/snn/weight_store.h"

namespace hardy::snn {
namespace {

struct SpikeLog : Recorder {
  std::vector<std::pair<int64_t, int>> exc, inh;
  std::vector<double> rates;
  bool wants_state() const override { return false; }
  void on_presentation(int64_t, int, int64_t, double rate_hz, const InputSpikes&) override {
    rates.push_back(rate_hz);
  }
  void on_step(const StateView& s, std::span<const int> e, std::span<const int> i) override {
    for (int j : e) exc.emplace_back(s.step, j);
    for (int j : i) inh.emplace_back(s.step, j);
  }
};

// A network whose only non-zero weights are the given (input, neuron, w).
Network sparse_network(int neurons, std::vector<std::tuple<int, int, float>> ws,
                       SnnParams p = SnnParams{}) {
  Network n = Network::fresh(p, 784, neurons, 1);
  std::fill(n.weights.begin(), n.weights.end(), 0.0f);
  for (auto [i, j, w] : ws) n.weights[static_cast<size_t>(i) * neurons + j] = w;
  return n;
}

TEST(Simulator, RelaxationMatchesTheClosedForm) {
  Network net = sparse_network(1, {});
  ModelState m = ModelState::from(net);
  Simulator sim(net.params, m);
  sim.exc_v()[0] = -60.0f;
  for (int k = 0; k < 100; ++k) sim.step({}, false);
  EXPECT_NEAR(sim.exc_v()[0], -65.0 + 5.0 * std::exp(-100 * 0.5 / 100.0), 1e-5);
}

TEST(Simulator, OneInputSpikeAddsItsWeightToGeThenDecays) {
  Network net = sparse_network(2, {{7, 0, 0.3f}, {7, 1, 0.125f}});
  ModelState m = ModelState::from(net);
  Simulator sim(net.params, m);
  const uint16_t in[] = {7};
  sim.step(in, false);
  EXPECT_EQ(sim.exc_ge()[0], 0.3f);  // exact: 0 + w
  EXPECT_EQ(sim.exc_ge()[1], 0.125f);
  EXPECT_EQ(sim.exc_v()[0], -65.0f);  // v was integrated before the spike arrived
  sim.step({}, false);
  // Exponential Euler with ge = 0.3 held over the step.
  const double g = 1.3, vinf = -65.0 / g;
  const double v1 = vinf + (-65.0 - vinf) * std::exp(-g * 0.5 / 100.0);
  EXPECT_NEAR(sim.exc_v()[0], v1, 1e-5);
  EXPECT_NEAR(sim.exc_ge()[0], 0.3 * std::exp(-0.5), 1e-7);
}

TEST(Simulator, ExponentialEulerIsExactForConstantConductances) {
  SnnParams p;
  p.exc_tau_ge_ms = p.exc_tau_gi_ms = 1e12;  // conductances held constant
  Network net = sparse_network(1, {}, p);
  ModelState m = ModelState::from(net);
  Simulator sim(p, m);
  sim.exc_ge()[0] = 2.0f;
  sim.exc_gi()[0] = 3.0f;
  const double g = 6.0, vinf = (-65.0 + 3.0 * -100.0) / g;
  for (int k = 1; k <= 50; ++k) {
    sim.step({}, false);
    const double exact = vinf + (-65.0 - vinf) * std::exp(-g * k * 0.5 / 100.0);
    ASSERT_NEAR(sim.exc_v()[0], exact, 1e-4) << k;
  }
}

TEST(Simulator, StrongInhibitionNeverOvershootsTheReversalPotential) {
  // gi·dt/τ = 2.5 > 2: forward Euler would jump below E_inh and oscillate.
  SnnParams p;
  p.exc_tau_gi_ms = 1e12;
  Network net = sparse_network(1, {}, p);
  ModelState m = ModelState::from(net);
  Simulator sim(p, m);
  sim.exc_gi()[0] = 500.0f;
  const double vinf = (-65.0 + 500.0 * -100.0) / 501.0;
  float prev = sim.exc_v()[0];
  for (int k = 0; k < 20; ++k) {
    sim.step({}, false);
    const float v = sim.exc_v()[0];
    ASSERT_GE(v, vinf - 1e-4);
    ASSERT_LE(v, prev);
    prev = v;
  }
  const double forward_euler = -65.0 + 0.5 / 100.0 * ((-65.0 - -65.0) + 500.0 * (-100.0 - -65.0));
  EXPECT_LT(forward_euler, -100.0);  // the failure this method avoids
}

TEST(Simulator, SpikeResetAndRefractoryPeriod) {
  Network net = sparse_network(1, {});
  ModelState m = ModelState::from(net);
  Simulator sim(net.params, m);
  SpikeLog log;
  sim.set_recorder(&log);
  for (int k = 0; k < 25; ++k) {
    sim.exc_ge()[0] = 100.0f;  // drive hard every step
    sim.step({}, false);
    if (k >= 1 && k <= 9) {
      EXPECT_EQ(sim.exc_v()[0], -65.0f) << "clamped while refractory, step " << k;
    }
  }
  std::vector<int64_t> steps;
  for (auto [t, j] : log.exc) steps.push_back(t);
  // Brian2: not refractory once timestep(t − lastspike) ≥ timestep(5 ms) = 10 steps.
  EXPECT_EQ(steps, (std::vector<int64_t>{0, 10, 20}));
}

TEST(Simulator, LateralInhibitionReachesEveryOtherExcitatoryNeuron) {
  Network net = sparse_network(3, {});
  ModelState m = ModelState::from(net);
  Simulator sim(net.params, m);
  SpikeLog log;
  sim.set_recorder(&log);
  sim.exc_ge()[0] = 100.0f;
  sim.step({}, false);  // exc 0 fires; ge_inh[0] += 10.4
  EXPECT_EQ(log.exc, (std::vector<std::pair<int64_t, int>>{{0, 0}}));
  sim.step({}, false);  // inh 0 fires; gi_exc[j≠0] += 17
  EXPECT_EQ(log.inh, (std::vector<std::pair<int64_t, int>>{{1, 0}}));
  EXPECT_EQ(sim.exc_gi()[0], 0.0f);
  EXPECT_EQ(sim.exc_gi()[1], 17.0f);
  EXPECT_EQ(sim.exc_gi()[2], 17.0f);
}

TEST(Simulator, StdpHandCases) {
  SnnParams p;
  Network net = sparse_network(1, {{5, 0, 0.5f}, {6, 0, 0.5f}}, p);
  ModelState m = ModelState::from(net);
  Simulator sim(p, m);
  auto w5 = [&] { return static_cast<double>(m.weights[5 * m.stride]); };
  auto w6 = [&] { return static_cast<double>(m.weights[6 * m.stride]); };
  const uint16_t in5[] = {5}, in6[] = {6};
  sim.step(in5, true);  // step 0: pre spike, post1 = 0: no depression
  EXPECT_EQ(w5(), 0.5);
  for (int k = 1; k < 30; ++k) sim.step({}, true);
  sim.exc_ge()[0] = 100.0f;
  sim.step({}, true);  // step 30: first post spike; post2 before it is 0: no potentiation
  EXPECT_EQ(w5(), 0.5);
  for (int k = 31; k < 40; ++k) sim.step({}, true);
  sim.step(in6, true);  // step 40: pre spike 10 steps after the post spike → depression
  EXPECT_NEAR(w6(), 0.5 - 1e-4 * std::exp(-10 * 0.5 / 20.0), 1e-7);
  sim.exc_ge()[0] = 100.0f;
  sim.step({}, true);  // step 41: second post spike: Δw5 = ν_post·pre(41)·post2(11 steps)
  const double dw5 = 1e-2 * std::exp(-41 * 0.5 / 20.0) * std::exp(-11 * 0.5 / 40.0);
  EXPECT_NEAR(w5(), 0.5 + dw5, 1e-7);
  const double dw6 = 1e-2 * std::exp(-1 * 0.5 / 20.0) * std::exp(-11 * 0.5 / 40.0);
  EXPECT_NEAR(w6(), 0.5 - 1e-4 * std::exp(-10 * 0.5 / 20.0) + dw6, 1e-7);
  // θ grew by θ+ per spike (training), minus a negligible decay.
  EXPECT_NEAR(sim.view().theta_exc[0], 20.0 + 2 * 0.05, 1e-4);
}

TEST(Simulator, PotentiationReachesAnInputWhosePreTraceExpiredAndCameBack) {
  // Post spikes skip inputs without a live pre trace; an input whose trace expired (and was
  // dropped from that list) must be potentiated again once it spikes again.
  SnnParams p;
  Network net = sparse_network(1, {{5, 0, 0.5f}}, p);
  ModelState m = ModelState::from(net);
  Simulator sim(p, m);
  auto w5 = [&] { return static_cast<double>(m.weights[5 * m.stride]); };
  const uint16_t in5[] = {5};
  sim.step(in5, true);  // step 0
  sim.exc_ge()[0] = 100.0f;
  sim.step({}, true);  // step 1: post spike (post2 before = 0: no change)
  for (int k = 2; k < 3000; ++k) sim.step({}, true);  // pre trace of 5 expires (≈ 1,100 steps)
  sim.exc_ge()[0] = 100.0f;
  sim.step({}, true);  // step 3000: post spike; 5 has no trace (and is dropped)
  EXPECT_EQ(w5(), 0.5);
  sim.step(in5, true);  // step 3001: 5 spikes again; post1 of step 3000: depression
  const double after_dep = 0.5 - 1e-4 * std::exp(-1 * 0.5 / 20.0);
  EXPECT_NEAR(w5(), after_dep, 1e-7);
  for (int k = 3002; k < 3011; ++k) sim.step({}, true);
  sim.exc_ge()[0] = 100.0f;
  sim.step({}, true);  // step 3011: Δw5 = ν_post·pre(10 steps)·post2(11 steps)
  const double dw5 = 1e-2 * std::exp(-10 * 0.5 / 20.0) * std::exp(-11 * 0.5 / 40.0);
  EXPECT_NEAR(w5(), after_dep + dw5, 1e-7);
}

TEST(Simulator, DenseAndSparseDepressionGiveTheSameWeights) {
  // Training with the depression always dense, never dense and switching at the default point
  // must give bit-identical weights and thresholds (the dense pass leaves columns without a
  // trace unchanged and clips rows above w_max exactly as the sparse path's clamp_row).
  std::vector<uint8_t> image(784);
  RngStream pix(6, 6, 6);
  for (auto& p : image) p = static_cast<uint8_t>(pix.uniform_below(256));
  std::vector<std::vector<float>> results;
  int64_t exc_spikes = 0;
  for (size_t from : {size_t{0}, size_t{16}, size_t{1} << 30}) {
    Network net = Network::fresh(SnnParams{}, 784, 64, 2);
    ModelState m = ModelState::from(net);
    Simulator sim(net.params, m);
    sim.set_dense_depression_from(from);
    std::vector<int32_t> counts(64);
    exc_spikes = 0;
    for (int s = 0; s < 6; ++s) {
      RngStream rng(2, 2, static_cast<uint64_t>(s));
      exc_spikes += sim.train_sample(image, rng, counts, s).spikes;
    }
    results.emplace_back(m.weights.begin(), m.weights.end());
    results.back().insert(results.back().end(), m.theta.begin(), m.theta.end());
  }
  EXPECT_GT(exc_spikes, 30);  // enough post spikes that both paths ran
  EXPECT_EQ(results[1], results[0]);
  EXPECT_EQ(results[2], results[0]);
}

TEST(Simulator, StdpClipsToZeroAndWmax) {
  Network net = sparse_network(1, {{5, 0, 1e-5f}, {6, 0, 0.999f}});
  ModelState m = ModelState::from(net);
  Simulator sim(net.params, m);
  const uint16_t in6[] = {6};
  sim.step(in6, true);  // pre trace of 6 = 1
  sim.exc_ge()[0] = 100.0f;
  sim.step({}, true);  // post spike 1 (post2 before = 0)
  for (int k = 0; k < 10; ++k) sim.step({}, true);
  sim.step(in6, true);
  sim.exc_ge()[0] = 100.0f;
  sim.step({}, true);  // post spike 2: w6 += 0.01·~1·~0.88 → clipped at 1
  EXPECT_EQ(m.weights[6 * m.stride], 1.0f);
  const uint16_t in5[] = {5};
  sim.step(in5, true);  // right after a post spike: w5 − 1e-4·~1 < 0 → 0
  EXPECT_EQ(m.weights[5 * m.stride], 0.0f);
}

TEST(Simulator, NormalisationMakesEveryColumnSumTo78) {
  SnnParams p;
  p.min_spikes = 0;
  Network net = Network::fresh(p, 784, 20, 3);
  ModelState m = ModelState::from(net);
  Simulator sim(p, m);
  std::vector<uint8_t> dark(784, 0);  // no input: no STDP, no spikes
  std::vector<int32_t> counts(20);
  RngStream rng(1, 1, 1);
  const SampleOutcome o = sim.train_sample(dark, rng, counts);
  EXPECT_EQ(o.presentations, 1);
  for (int j = 0; j < 20; ++j) {
    double sum = 0;
    for (int i = 0; i < 784; ++i) sum += m.weights[static_cast<size_t>(i) * m.stride + j];
    EXPECT_NEAR(sum, 78.0, 1e-3) << j;
  }
}

TEST(Simulator, RepresentationRaisesTheRateUntilFiveSpikes) {
  SnnParams p;
  p.max_presentations = 4;
  Network net = Network::fresh(p, 784, 20, 3);
  ModelState m = ModelState::from(net);
  Simulator sim(p, m);
  SpikeLog log;
  sim.set_recorder(&log);
  std::vector<int32_t> counts(20);
  std::vector<uint8_t> dark(784, 0);
  RngStream rng(1, 1, 1);
  SampleOutcome o = sim.infer_sample(dark, rng, counts);
  EXPECT_EQ(o.presentations, 4);
  EXPECT_EQ(o.spikes, 0);
  EXPECT_EQ(log.rates, (std::vector<double>{63.75, 95.625, 127.5, 159.375}));
  std::vector<uint8_t> bright(784, 255);
  log.rates.clear();
  o = sim.infer_sample(bright, rng, counts);
  EXPECT_EQ(o.presentations, 1);
  EXPECT_GE(o.spikes, 5);
}

TEST(Simulator, ClosedFormRestMatchesSteppedRest) {
  std::vector<uint8_t> image(784, 0);
  RngStream pix(2, 2, 2);
  for (int i = 200; i < 600; ++i)
    image[static_cast<size_t>(i)] = static_cast<uint8_t>(pix.uniform_below(256));
  std::vector<float> w[2], theta[2], v[2];
  std::vector<int32_t> spikes[2];
  int64_t closed = 0;
  for (int mode = 0; mode < 2; ++mode) {
    Network net = Network::fresh(SnnParams{}, 784, 30, 5);
    ModelState m = ModelState::from(net);
    Simulator sim(net.params, m);
    sim.set_closed_form_rest(mode == 0);
    std::vector<int32_t> counts(30);
    for (int s = 0; s < 4; ++s) {
      RngStream rng(3, 3, static_cast<uint64_t>(s));
      sim.train_sample(image, rng, counts, s);
      spikes[mode].insert(spikes[mode].end(), counts.begin(), counts.end());
    }
    w[mode].assign(m.weights.begin(), m.weights.end());
    theta[mode].assign(m.theta.begin(), m.theta.begin() + 30);
    const auto vs = sim.exc_v();
    v[mode].assign(vs.begin(), vs.end());
    if (mode == 0) closed = sim.closed_form_steps();
  }
  EXPECT_GT(closed, 0);  // the closed form was used
  EXPECT_EQ(spikes[0], spikes[1]);
  for (size_t q = 0; q < w[0].size(); ++q) ASSERT_NEAR(w[0][q], w[1][q], 1e-6) << q;
  for (size_t q = 0; q < 30; ++q) {
    EXPECT_NEAR(theta[0][q], theta[1][q], 1e-5);
    EXPECT_NEAR(v[0][q], v[1][q], 1e-4);
  }
}

TEST(Simulator, InferenceDoesNotTouchTheModelAndIsRepeatable) {
  Network net = Network::fresh(SnnParams{}, 784, 16, 5);
  ModelState m = ModelState::from(net);
  const auto before = m.weights;
  Simulator sim(net.params, m);
  std::vector<uint8_t> image(784, 180);
  std::vector<int32_t> a(16), b(16);
  RngStream r1(1, 2, 3), r2(1, 2, 3);
  sim.infer_sample(image, r1, a);
  sim.infer_sample(image, r2, b);
  EXPECT_EQ(a, b);
  EXPECT_TRUE(m.weights == before);
}

TEST(Simulator, CurrentBasedVariantAddsWeightsToV) {
  SnnParams p;
  p.model = ModelKind::kCurrent;
  p.exc_v_reset_mv = -60;
  p.theta_init_mv = p.theta_offset_mv = 0;
  Network net = sparse_network(1, {{3, 0, 0.75f}}, p);
  ModelState m = ModelState::from(net);
  Simulator sim(p, m);
  const uint16_t in[] = {3};
  sim.step(in, false);
  EXPECT_EQ(sim.exc_v()[0], -65.0f);
  sim.step({}, false);  // v = rest + (v − rest)·decay + 0.75
  EXPECT_NEAR(sim.exc_v()[0], -65.0 + 0.75, 1e-6);
  EXPECT_EQ(sim.exc_ge()[0], 0.0f);
}

}  // namespace
}  // namespace hardy::snn
