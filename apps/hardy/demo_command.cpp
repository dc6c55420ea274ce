// `hardy demo`: evaluates the shipped model zoo (fp32 vs int8), then runs fault-injection
// campaigns on the int8 LeNet-5 (every target, statistical ±1% at 95%) and its NVF analysis.
#include <fmt/core.h>

#include <chrono>
#include <filesystem>

#include "commands.h"
#include "hardy/analysis/nvf.h"
#include "hardy/analysis/nvf_report.h"
#include "hardy/data/dataset.h"
#include "hardy/fault/campaign.h"
#include "hardy/fault/campaign_report.h"
#include "hardy/qnn/onnx_import.h"
#include "json_output.h"
#include "model_options.h"

namespace hardy::cli {

namespace {

struct ZooEntry {
  const char* file;
  const char* dataset;
};
constexpr ZooEntry kZoo[] = {{"lenet5_fmnist.onnx", "fashion-mnist"},
                             {"mlp_fmnist.onnx", "fashion-mnist"},
                             {"vgg_fmnist.onnx", "fashion-mnist"},
                             {"resnet_fmnist.onnx", "fashion-mnist"},
                             {"lenet5_mnist.onnx", "mnist"}};

// Statistical single-bit-flip campaigns (Leveugle, ±1% at 95%) on the first 200 test images,
// then the exact NVF analysis of every neuron.
nlohmann::json fault_injection_demo(const std::string& model_path, int threads) {
  const qnn::Graph graph = qnn::import_onnx(model_path);
  const data::Dataset train = data::load_dataset("fashion-mnist", data::Split::kTrain);
  const data::Dataset test = data::load_dataset("fashion-mnist", data::Split::kTest);
  ThreadPool pool(threads);
  const qnn::QModel model = qnn::quantize(graph, train, qnn::CalibrationOptions{}, pool);
  nlohmann::json all = nlohmann::json::array();
  fmt::print(
      "\nFault injection, int8 {} (200 test images, single bit flips, statistical "
      "±1% at 95%):\n\n",
      std::filesystem::path(model_path).filename().string());
  fmt::print(
      "| target | faults | masked | SDC-benign | SDC-critical | critical rate (95% CI) | "
      "faults/s |\n|---|---:|---:|---:|---:|---|---:|\n");
  for (fault::Target target :
       {fault::Target::kNeurons, fault::Target::kWeights, fault::Target::kAccumulators}) {
    fault::CampaignOptions o;
    o.target = target;
    o.images = 200;
    const fault::Campaign campaign(model, test, o, pool);
    fault::CampaignCounts counts = campaign.empty_counts();
    const auto start = std::chrono::steady_clock::now();
    campaign.run(counts, pool, nullptr);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    nlohmann::json r = fault::campaign_report(fault::describe_campaign(campaign), counts, seconds);
    fmt::print("| {} | {} | {} | {} | {} | {:.3f}% ({:.3f}–{:.3f}%) | {:.0f} |\n",
               fault::target_name(target), r["faults"].get<int64_t>(), r["masked"].get<int64_t>(),
               r["sdc_benign"].get<int64_t>(), r["sdc_critical"].get<int64_t>(),
               100 * r["critical_sdc_rate"].get<double>(), 100 * r["ci95"][0].get<double>(),
               100 * r["ci95"][1].get<double>(), r["faults_per_second"].get<double>());
    std::fflush(stdout);
    r.erase("counts");
    all.push_back(std::move(r));
  }
  // The analytical NVF of every neuron for the four fault models (exact: equal to exhaustive
  // injection of the same faults), on the first 20 test images.
  analysis::NvfOptions o;
  o.images = 20;
  const analysis::NvfAnalysis nvf(model, test, o, pool);
  analysis::NvfCounts counts = nvf.empty_counts();
  const auto start = std::chrono::steady_clock::now();
  nvf.run(counts, pool, nullptr);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const nlohmann::json v = analysis::nvf_report(nvf, counts, seconds);
  fmt::print(
      "\nNeuron vulnerability (exact NVF analysis, 20 test images, {} neurons, {:.1f} s):\n\n"
      "| layer | bitflip | bitflip2 | stuck0 | stuck1 |\n|---|---:|---:|---:|---:|\n",
      v["neurons"].get<int64_t>(), seconds);
  const auto row = [&](const std::string& name, const nlohmann::json& vf) {
    fmt::print("| {} | {:.3f}% | {:.3f}% | {:.3f}% | {:.3f}% |\n", name,
               100 * vf["bitflip"].get<double>(), 100 * vf["bitflip2"].get<double>(),
               100 * vf["stuck0"].get<double>(), 100 * vf["stuck1"].get<double>());
  };
  for (const auto& l : v["per_layer"]) row(l["layer"].get<std::string>(), l["vf"]);
  row("model VF", v["model_vf"]);
  return {{"campaigns", all}, {"nvf", v}};
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "demo", "evaluate the shipped model zoo (fp32 vs int8) and inject faults into LeNet-5");
  auto threads = std::make_shared<int>(1);
  auto images = std::make_shared<int64_t>(0);
  auto models_dir = std::make_shared<std::string>(std::string(HARDY_SOURCE_DIR) + "/models");
  auto json_path = std::make_shared<std::string>();
  cmd->add_option("--threads", *threads, "worker threads")->check(CLI::Range(1, 256));
  cmd->add_option("--images", *images, "test images per model (0 = all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--models-dir", *models_dir, "directory of the zoo's .onnx files");
  cmd->add_option("--json", *json_path, "write all results as JSON");
  cmd->callback([=] {
    nlohmann::json all = nlohmann::json::array();
    std::vector<std::string> inputs;
    fmt::print("| model | dataset | images | fp32 acc | int8 acc | agreement | int8 images/s |\n");
    fmt::print("|---|---|---:|---:|---:|---:|---:|\n");
    for (const ZooEntry& z : kZoo) {
      ModelOptions o;
      o.model = *models_dir + "/" + z.file;
      o.dataset = z.dataset;
      o.threads = *threads;
      o.images = *images;
      nlohmann::json r = evaluate_model(o);
      fmt::print("| {} | {} | {} | {:.2f}% | {:.2f}% | {:.2f}% | {:.0f} |\n", z.file, z.dataset,
                 r["images"].get<int64_t>(), 100 * r["fp32_accuracy"].get<double>(),
                 100 * r["int8_accuracy"].get<double>(), 100 * r["agreement"].get<double>(),
                 r["int8_images_per_second"].get<double>());
      std::fflush(stdout);
      inputs.push_back(o.model);
      all.push_back(std::move(r));
    }
    const nlohmann::json injection =
        fault_injection_demo(*models_dir + "/lenet5_fmnist.onnx", *threads);
    if (!json_path->empty()) {
      write_json_file(*json_path, {{"results", all},
                                   {"fault_injection", injection["campaigns"]},
                                   {"nvf", injection["nvf"]},
                                   {"provenance", provenance(inputs)}});
    }
  });
}

}  // namespace hardy::cli
