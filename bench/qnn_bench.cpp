// Google Benchmark: int8 inference of the zoo models and their conv layers, reference vs
// optimized kernels (shapes taken from the shipped models).
#include <benchmark/benchmark.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <cstdlib>
#include <map>
#include <memory>

#include "hardy/data/dataset.h"
#include "hardy/qnn/int8_executor.h"
#include "hardy/qnn/onnx_import.h"
#include "hardy/qnn/quantize.h"

namespace {

using namespace hardy;

struct Loaded {
  qnn::Graph graph;
  qnn::QModel model;
  data::Dataset test;
};

const Loaded& load(const std::string& name, const std::string& dataset) {
  static std::map<std::string, std::unique_ptr<Loaded>> cache;
  auto& slot = cache[name];
  if (!slot) {
    slot = std::make_unique<Loaded>();
    slot->graph = qnn::import_onnx(std::string(HARDY_SOURCE_DIR) + "/models/" + name + ".onnx");
    ThreadPool pool(1);
    qnn::CalibrationOptions options;
    options.images = 200;
    slot->model =
        qnn::quantize(slot->graph, data::load_dataset(dataset, data::Split::kTrain), options, pool);
    slot->test = data::load_dataset(dataset, data::Split::kTest).head(1000);
  }
  return *slot;
}

void model_inference(benchmark::State& state, const char* name, const char* dataset,
                     qnn::KernelSet kernels) {
  const Loaded& l = load(name, dataset);
  const qnn::Int8Executor exec(l.model, kernels);
  auto ws = exec.make_workspace();
  int64_t i = 0;
  for (auto _ : state) {
    exec.run(l.test.image(i++ % l.test.size()), ws);
    benchmark::DoNotOptimize(ws.arena.data());
  }
  state.counters["images/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// Int8Executor::run_batch: kMaxBatch images per call (what run_dataset does), per image.
void model_batch(benchmark::State& state, const char* name, const char* dataset) {
  const Loaded& l = load(name, dataset);
  const qnn::Int8Executor exec(l.model, qnn::KernelSet::kOptimized);
  std::vector<qnn::Int8Executor::Workspace> ws;
  std::vector<std::span<const uint8_t>> images;
  for (int64_t i = 0; i < qnn::PackedModel::kMaxBatch; ++i) {
    ws.push_back(exec.make_workspace());
    images.push_back(l.test.image(i));
  }
  for (auto _ : state) {
    exec.run_batch(images, ws);
    benchmark::DoNotOptimize(ws[0].arena.data());
  }
  state.counters["images/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * qnn::PackedModel::kMaxBatch),
                         benchmark::Counter::kIsRate);
}

// One node of a model, timed alone on the activations of a real image.
void single_node(benchmark::State& state, const char* name, const char* dataset, size_t node,
                 qnn::KernelSet kernels) {
  const Loaded& l = load(name, dataset);
  if (node >= l.model.nodes.size()) {
    state.SkipWithError("no such node");
    return;
  }
  const qnn::Int8Executor exec(l.model, kernels);
  auto ws = exec.make_workspace();
  exec.run(l.test.image(0), ws);
  const qnn::QNode& n = l.model.nodes[node];
  for (auto _ : state) {
    exec.run_node(static_cast<int>(node), ws);
    benchmark::DoNotOptimize(ws.arena.data());
  }
  state.SetLabel(std::string(qnn::op_name(n.op)) + " " +
                 l.model.value(n.inputs[0]).shape.to_string() + " -> " +
                 l.model.value(n.output).shape.to_string());
}

#if defined(__x86_64__)
// The core's int8 peak: 12 independent vpdpbusd chains (64 MACs each) on registers, nothing else.
// The MAC/s counter is the ceiling the models' rates are compared with (docs/performance.md).
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void vnni_peak(benchmark::State& state) {
  if (!cpu_supports(Isa::kAvx512Vnni)) {
    state.SkipWithError("no AVX-512 VNNI");
    return;
  }
  // 12 accumulators in registers (named: GCC keeps an array of them in memory), one asm block
  // (an asm takes at most 30 operands; 12 chains cover the instruction's latency).
  __m512i a0 = _mm512_set1_epi32(0), a1 = _mm512_set1_epi32(1), a2 = _mm512_set1_epi32(2),
          a3 = _mm512_set1_epi32(3), a4 = _mm512_set1_epi32(4), a5 = _mm512_set1_epi32(5),
          a6 = _mm512_set1_epi32(6), a7 = _mm512_set1_epi32(7), a8 = _mm512_set1_epi32(8),
          a9 = _mm512_set1_epi32(9), a10 = _mm512_set1_epi32(10), a11 = _mm512_set1_epi32(11);
  const __m512i u8 = _mm512_set1_epi32(0x01020304), s8 = _mm512_set1_epi32(0x01ff01ff);
  constexpr int64_t kSteps = 1000;
  for (auto _ : state) {
    for (int64_t i = 0; i < kSteps; ++i) {
      asm volatile(
          "vpdpbusd %13, %12, %0\n\t"
          "vpdpbusd %13, %12, %1\n\t"
          "vpdpbusd %13, %12, %2\n\t"
          "vpdpbusd %13, %12, %3\n\t"
          "vpdpbusd %13, %12, %4\n\t"
          "vpdpbusd %13, %12, %5\n\t"
          "vpdpbusd %13, %12, %6\n\t"
          "vpdpbusd %13, %12, %7\n\t"
          "vpdpbusd %13, %12, %8\n\t"
          "vpdpbusd %13, %12, %9\n\t"
          "vpdpbusd %13, %12, %10\n\t"
          "vpdpbusd %13, %12, %11\n\t"
          : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7),
            "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11)
          : "v"(u8), "v"(s8));
    }
  }
  __m512i sum = a0;
  for (__m512i a : {a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11}) {
    sum = _mm512_add_epi32(sum, a);
  }
  benchmark::DoNotOptimize(sum);
  state.counters["MAC/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * kSteps * 12 * 64, benchmark::Counter::kIsRate);
}
BENCHMARK(vnni_peak);
#endif

}  // namespace

BENCHMARK_CAPTURE(model_inference, lenet5_reference, "lenet5_fmnist", "fashion-mnist",
                  qnn::KernelSet::kReference);
BENCHMARK_CAPTURE(model_inference, lenet5_optimized, "lenet5_fmnist", "fashion-mnist",
                  qnn::KernelSet::kOptimized);
BENCHMARK_CAPTURE(model_inference, mlp_optimized, "mlp_fmnist", "fashion-mnist",
                  qnn::KernelSet::kOptimized);
BENCHMARK_CAPTURE(model_inference, vgg_optimized, "vgg_fmnist", "fashion-mnist",
                  qnn::KernelSet::kOptimized);
BENCHMARK_CAPTURE(model_inference, resnet_optimized, "resnet_fmnist", "fashion-mnist",
                  qnn::KernelSet::kOptimized);
BENCHMARK_CAPTURE(model_batch, lenet5, "lenet5_fmnist", "fashion-mnist");
BENCHMARK_CAPTURE(model_batch, mlp, "mlp_fmnist", "fashion-mnist");
BENCHMARK_CAPTURE(model_batch, vgg, "vgg_fmnist", "fashion-mnist");
BENCHMARK_CAPTURE(model_batch, resnet, "resnet_fmnist", "fashion-mnist");
BENCHMARK_CAPTURE(single_node, lenet5_conv1_reference, "lenet5_fmnist", "fashion-mnist", 0,
                  qnn::KernelSet::kReference);
BENCHMARK_CAPTURE(single_node, lenet5_conv1_optimized, "lenet5_fmnist", "fashion-mnist", 0,
                  qnn::KernelSet::kOptimized);
BENCHMARK_CAPTURE(single_node, lenet5_conv2_reference, "lenet5_fmnist", "fashion-mnist", 2,
                  qnn::KernelSet::kReference);
BENCHMARK_CAPTURE(single_node, lenet5_conv2_optimized, "lenet5_fmnist", "fashion-mnist", 2,
                  qnn::KernelSet::kOptimized);
BENCHMARK_CAPTURE(single_node, vgg_conv2_reference, "vgg_fmnist", "fashion-mnist", 1,
                  qnn::KernelSet::kReference);
BENCHMARK_CAPTURE(single_node, vgg_conv2_optimized, "vgg_fmnist", "fashion-mnist", 1,
                  qnn::KernelSet::kOptimized);

// Every node of LeNet-5, the VGG and the ResNet, optimized: where one image's time goes.
int main(int argc, char** argv) {
  for (const char* model : {"lenet5_fmnist", "vgg_fmnist", "resnet_fmnist"}) {
    const std::string prefix = std::string(model).substr(0, std::string(model).find('_'));
    const size_t nodes = load(model, "fashion-mnist").model.nodes.size();
    for (size_t i = 0; i < nodes; ++i) {
      benchmark::RegisterBenchmark((prefix + "_node/" + std::to_string(i)).c_str(), single_node,
                                   model, "fashion-mnist", i, qnn::KernelSet::kOptimized);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
