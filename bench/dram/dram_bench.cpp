// Throughput of the access simulator and of error injection, on the LeNet-5 weight footprint
// (61,470 bytes) and on a 4 MB segment, DDR3L module.
#include <benchmark/benchmark.h>

#include "hardy/dram/error_model.h"
#include "hardy/dram/simulator.h"

namespace hardy::dram {
namespace {

const MemSpec& ddr3l() {
  static const MemSpec kSpec = load_memspec(std::string(HARDY_SOURCE_DIR) +
                                            "/data/dram/HARDY_2GB_DDR3L-1600_64bit_SODIMM.json");
  return kSpec;
}

void BM_SimulateWeightReads(benchmark::State& state) {
  const MemSpec& spec = ddr3l();
  const AddressMapping mapping = AddressMapping::default_for(spec.org);
  std::vector<uint8_t> bytes(static_cast<size_t>(state.range(0)));
  std::vector<MemorySegment> segs = {{"w", bytes, 8}};
  const WeakRegionMap regions(spec.org, {}, 1);
  const Placement p = map_segments(segs, mapping, regions, 1e-6, {MappingPolicy::kSparkXd, 1e-6});
  const auto trace = p.access_trace(mapping);
  SimulatorOptions o;
  o.keep_commands = false;
  for (auto _ : state) benchmark::DoNotOptimize(simulate(spec, mapping, trace, o));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(trace.size()));
  state.SetLabel("bursts");
}
BENCHMARK(BM_SimulateWeightReads)->Arg(61470)->Arg(4 << 20)->Unit(benchmark::kMicrosecond);

void BM_InjectErrors(benchmark::State& state) {
  const MemSpec& spec = ddr3l();
  const AddressMapping mapping = AddressMapping::default_for(spec.org);
  std::vector<uint8_t> bytes(4 << 20);
  std::vector<MemorySegment> segs = {{"w", bytes, 8}};
  const WeakRegionMap regions(spec.org, {}, 1);
  const Placement p = map_segments(segs, mapping, regions, 1e-3, {});
  ErrorModelOptions o;
  o.model = static_cast<ErrorModel>(state.range(0));
  ThreadPool pool(1);
  uint64_t seed = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ErrorInjector(regions, o, ++seed).inject(segs, p, pool));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
  state.SetLabel(error_model_name(o.model) + ", BER 1e-3");
}
BENCHMARK(BM_InjectErrors)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hardy::dram

BENCHMARK_MAIN();
