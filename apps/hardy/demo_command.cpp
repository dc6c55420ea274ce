// `hardy demo`: evaluates the shipped model zoo (fp32 vs int8), then runs fault-injection
// campaigns on the int8 LeNet-5 (every target, statistical ±1% at 95%), its NVF analysis, a
// short selective-hardening comparison ranked by that NVF, and the SparkXD pipeline on its weights
// in reduced-voltage DRAM.
#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "commands.h"
#include "hardy/analysis/nvf.h"
#include "hardy/analysis/nvf_report.h"
#include "hardy/data/dataset.h"
#include "hardy/fault/campaign.h"
#include "hardy/fault/campaign_report.h"
#include "hardy/harden/channel_ranking.h"
#include "hardy/harden/overhead.h"
#include "hardy/harden/passes.h"
#include "hardy/harden/resilience.h"
#include "hardy/qnn/onnx_import.h"
#include "json_output.h"
#include "model_options.h"
#include "number_checks.h"

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

// Split + LCU and TMR of the channels with the most NVF per MAC (30% of the MACs, ranked on the
// NVF images 0–199, corrected after the pools) against no protection: single neuron bit flips,
// ±0.5% at 95%, on test images 5000–5499 (disjoint from the ranking's).
nlohmann::json harden_demo(const qnn::QModel& model, const data::Dataset& test,
                           const analysis::NvfAnalysis& nvf, const analysis::NvfCounts& counts,
                           ThreadPool& pool) {
  const std::string csv = (std::filesystem::temp_directory_path() /
                           ("hardy_demo_nvf_" + std::to_string(::getpid()) + ".csv"))
                              .string();
  analysis::write_neuron_csv(csv, nvf, counts);
  const auto scores =
      harden::nvf_channel_scores(model, csv, "bitflip", harden::NvfAggregate::kPerMac);
  std::filesystem::remove(csv);
  const harden::Selection sel =
      harden::select_channels(model, scores, harden::Budget::parse("30%", false));
  harden::ResilienceOptions o;
  o.campaign.images = 500;
  o.campaign.offset = 5000;
  o.campaign.margin = 0.005;
  fmt::print(
      "\nSelective hardening (30% of the MACs by NVF per MAC, corrected after the pools; neuron "
      "bit flips, test images "
      "5000–5499, ±0.5% at 95%; a small sample, the measured comparison is in "
      "docs/results-hardening.md):\n\n| scheme | extra MACs | critical rate (95% CI) | critical "
      "failures / inference (10⁻⁷ per bit) |\n|---|---:|---|---:|\n");
  nlohmann::json rows = nlohmann::json::array();
  const auto print = [&](const std::string& name, double macs, const harden::Resilience& r) {
    fmt::print("| {} | {:.1f}% | {:.3f}% ({:.3f}–{:.3f}%) | {:.3e} |\n", name, 100 * macs,
               100 * r.critical_sdc_rate, 100 * r.ci95_low, 100 * r.ci95_high,
               r.critical_per_inference);
    std::fflush(stdout);
    nlohmann::json j = r.to_json();
    j["scheme"] = name;
    j["mac_overhead"] = macs;
    rows.push_back(std::move(j));
  };
  print("unprotected", 0.0, harden::measure_resilience(model, test, o, pool));
  for (harden::Scheme s : {harden::Scheme::kSplit, harden::Scheme::kTmr}) {
    const harden::Placement after_pool = harden::Placement::kAfterPool;
    print(
        harden::scheme_name(s),
        harden::hardening_overhead(model, sel, s, after_pool).mac_overhead(),
        harden::measure_resilience(harden::harden_model(model, sel, s, after_pool), test, o, pool));
  }
  return rows;
}

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
  // injection of the same faults), on the first 200 test images.
  analysis::NvfOptions o;
  o.images = 200;
  const analysis::NvfAnalysis nvf(model, test, o, pool);
  analysis::NvfCounts counts = nvf.empty_counts();
  const auto start = std::chrono::steady_clock::now();
  nvf.run(counts, pool, nullptr);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const nlohmann::json v = analysis::nvf_report(nvf, counts, seconds);
  fmt::print(
      "\nNeuron vulnerability (exact NVF analysis, 200 test images, {} neurons, {:.1f} s):\n\n"
      "| layer | bitflip | bitflip2 | stuck0 | stuck1 |\n|---|---:|---:|---:|---:|\n",
      v["neurons"].get<int64_t>(), seconds);
  const auto row = [&](const std::string& name, const nlohmann::json& vf) {
    fmt::print("| {} | {:.3f}% | {:.3f}% | {:.3f}% | {:.3f}% |\n", name,
               100 * vf["bitflip"].get<double>(), 100 * vf["bitflip2"].get<double>(),
               100 * vf["stuck0"].get<double>(), 100 * vf["stuck1"].get<double>());
  };
  for (const auto& l : v["per_layer"]) row(l["layer"].get<std::string>(), l["vf"]);
  row("model VF", v["model_vf"]);
  return {{"campaigns", all}, {"nvf", v}, {"harden", harden_demo(model, test, nvf, counts, pool)}};
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "demo",
      "evaluate the shipped model zoo (fp32 vs int8); inject faults into LeNet-5, analyse, harden "
      "it and put its weights in approximate DRAM");
  auto threads = std::make_shared<int>(1);
  auto images = std::make_shared<int64_t>(0);
  auto models_dir = std::make_shared<std::string>(std::string(HARDY_SOURCE_DIR) + "/models");
  auto json_path = std::make_shared<std::string>();
  cmd->add_option("--threads", *threads, "worker threads")->check(CLI::Range(1, 256));
  cmd->add_option("--images", *images, "test images per model (0 = all)")->check(at_least(0));
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
    // LeNet-5's weights in reduced-voltage DRAM: its stage files in a directory of this run only.
    fmt::print(
        "\nSparkXD on the int8 LeNet-5's weights (DRAM energy at the lowest safe voltage):\n\n");
    std::fflush(stdout);
    const std::filesystem::path work =
        std::filesystem::temp_directory_path() /
        ("hardy-demo-" + std::to_string(static_cast<long long>(::getpid())));
    std::filesystem::remove_all(work);
    nlohmann::json sparkxd;
    try {
      sparkxd = sparkxd_int8_demo(*models_dir + "/lenet5_fmnist.onnx", work.string(), *threads);
    } catch (...) {
      std::filesystem::remove_all(work);
      throw;
    }
    std::filesystem::remove_all(work);
    if (!json_path->empty()) {
      write_json_file(*json_path, {{"results", all},
                                   {"fault_injection", injection["campaigns"]},
                                   {"nvf", injection["nvf"]},
                                   {"harden", injection["harden"]},
                                   {"sparkxd", sparkxd},
                                   {"provenance", provenance(inputs)}});
    }
  });
}

}  // namespace hardy::cli
