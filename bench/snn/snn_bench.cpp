// Per-sample and per-kernel timings of the spiking network on Fashion-MNIST images.
#include <benchmark/benchmark.h>

#include "hardy/data/dataset.h"
#include "hardy/snn/poisson.h"
#include "hardy/snn/simulator.h"
#include "hardy/snn/training.h"
#include "kernels.h"

namespace {

using namespace hardy;

const data::Dataset& images() {
  static const data::Dataset d = data::load_dataset("fashion-mnist", data::Split::kTrain).head(512);
  return d;
}

// One STDP training sample (presentations + rests) on a network warmed up on 200 samples.
void BM_TrainSample(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const auto isa = static_cast<Isa>(state.range(1));  // generic, avx2, avx512
  if (!snn::detail::isa_available(isa)) {
    state.SkipWithError("ISA not available");
    return;
  }
  snn::Network net = snn::Network::fresh(snn::SnnParams{}, 784, n, 1);
  snn::ModelState m = snn::ModelState::from(net);
  snn::Simulator sim(net.params, m, isa);
  std::vector<int32_t> counts(static_cast<size_t>(n));
  int64_t s = 0;
  for (; s < 200; ++s) {
    RngStream rng(1, 1, static_cast<uint64_t>(s));
    sim.train_sample(images().image(s % 512), rng, counts, s);
  }
  int64_t presentations = 0;
  for (auto _ : state) {
    RngStream rng(1, 1, static_cast<uint64_t>(s));
    presentations += sim.train_sample(images().image(s % 512), rng, counts, s).presentations;
    ++s;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["presentations/sample"] =
      static_cast<double>(presentations) / static_cast<double>(state.iterations());
  state.SetLabel(isa_name(isa));
}
BENCHMARK(BM_TrainSample)->ArgsProduct({{100, 400}, {0, 1, 2}})->Unit(benchmark::kMicrosecond);

// One inference sample (frozen weights, state reset).
void BM_InferSample(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  snn::Network net = snn::Network::fresh(snn::SnnParams{}, 784, n, 1);
  snn::ModelState m = snn::ModelState::from(net);
  snn::Simulator sim(net.params, m);
  std::vector<int32_t> counts(static_cast<size_t>(n));
  int64_t s = 0;
  for (auto _ : state) {
    RngStream rng(1, 2, static_cast<uint64_t>(s));
    sim.infer_sample(images().image(s % 512), rng, counts, s);
    ++s;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(isa_name(sim.isa()));
}
BENCHMARK(BM_InferSample)->Arg(100)->Arg(400)->Unit(benchmark::kMicrosecond);

// Poisson input of one 350 ms presentation.
void BM_DrawInputSpikes(benchmark::State& state) {
  snn::InputSpikes spikes;
  int64_t s = 0, total = 0;
  for (auto _ : state) {
    RngStream rng(1, 3, static_cast<uint64_t>(s));
    snn::draw_input_spikes(images().image(s % 512), 63.75, 0.5, 700, rng, spikes);
    total += spikes.count();
    ++s;
  }
  state.counters["spikes/presentation"] = static_cast<double>(total) / static_cast<double>(s);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DrawInputSpikes)->Unit(benchmark::kMicrosecond);

// The excitatory layer's step (N = 400) in each kernel variant.
void BM_ExcStep(benchmark::State& state) {
  const auto isa = static_cast<Isa>(state.range(0));
  if (!snn::detail::isa_available(isa)) {
    state.SkipWithError("ISA not available");
    return;
  }
  const int n = 400;
  snn::AlignedVector<float> v(n, -60.0f), ge(n, 0.5f), gi(n, 3.0f), theta(n, 20.0f);
  snn::AlignedVector<int32_t> refr(n, 0), spiked(n, 0);
  snn::detail::ExcStep s;
  s.n = n;
  s.v = v.data();
  s.ge = ge.data();
  s.gi = gi.data();
  s.refr = refr.data();
  s.theta = theta.data();
  s.spiked = spiked.data();
  s.thr_base = -72.0f;
  s.v_rest = -65.0f;
  s.e_inh = -100.0f;
  s.neg_dt_over_tau = -0.005f;
  s.decay_ge = 1.0f;
  s.decay_gi = 1.0f;
  const auto& k = snn::detail::kernels(isa);
  for (auto _ : state) benchmark::DoNotOptimize(k.exc_step_conductance(s));
  state.SetItemsProcessed(state.iterations() * n);
  state.SetLabel(isa_name(isa));
}
BENCHMARK(BM_ExcStep)->DenseRange(0, 2);

}  // namespace

BENCHMARK_MAIN();
