// `hardy nvf`: analytical neuron vulnerability factors for several fault models at once.
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <sstream>

#include "commands.h"
#include "hardy/analysis/nvf.h"
#include "hardy/analysis/nvf_report.h"
#include "hardy/core/error.h"
#include "hardy/core/progress.h"
#include "hardy/data/dataset.h"
#include "hardy/qnn/onnx_import.h"
#include "json_output.h"
#include "model_options.h"
#include "number_checks.h"
#include "nvf_run.h"
#include "testing_hooks.h"

namespace hardy::cli {
namespace {

struct NvfArgs {
  ModelOptions model;
  int64_t images = 100, offset = 0;
  bool correct_only = false, resume = false, no_bounds = false, cev = false;
  std::vector<std::string> faults = {"bitflip", "bitflip2", "stuck0", "stuck1"};
  std::vector<std::string> layers;
  std::vector<int> bits;
  std::vector<int64_t> channels;
  double checkpoint_every = 10.0;
  std::string json, csv;
};

void print_summary(const nlohmann::json& r) {
  fmt::print("{:<10} {:>14} {:>12} {:>10}\n", "fault", "faults", "critical", "model VF");
  for (const auto& name : r["fault_models"]) {
    const std::string n = name.get<std::string>();
    fmt::print("{:<10} {:>14} {:>12} {:>9.4f}%\n", n, r["faults"][n].get<int64_t>(),
               r["critical"][n].get<int64_t>(), 100 * r["model_vf"][n].get<double>());
  }
  fmt::print(
      "bytes: {} by bounds, {} simulated, {} trivial; (neuron, image) pairs: {} by bounds, "
      "{} simulated\n",
      r["decided_by_bounds"].get<int64_t>(), r["simulated"].get<int64_t>(),
      r["decided_trivially"].get<int64_t>(), r["pairs"]["decided_by_bounds"].get<int64_t>(),
      r["pairs"]["simulated"].get<int64_t>());
  fmt::print("time             {:.1f} s\n", r["seconds"].get<double>());
}

void run_nvf(const NvfArgs& a) {
  if (a.json.empty()) throw ConfigError("nvf needs --json OUT (its checkpoint is OUT.ckpt)");
  analysis::NvfOptions options;
  options.kinds.clear();
  for (const std::string& f : a.faults) options.kinds.push_back(fault::parse_fault_kind(f));
  options.filter.layers = a.layers;
  options.filter.bits = a.bits;
  options.filter.channels = a.channels;
  options.images = a.images;
  options.offset = a.offset;
  options.correct_only = a.correct_only;
  options.bounds = !a.no_bounds;
  options.cev = a.cev;
  options.validate();
  const qnn::Graph graph = qnn::import_onnx(a.model.model);
  const data::Dataset train = data::load_dataset(a.model.dataset, data::Split::kTrain);
  const data::Dataset test = data::load_dataset(a.model.dataset, data::Split::kTest);
  ThreadPool pool(a.model.threads);
  const qnn::QModel model = qnn::quantize(graph, train, a.model.calibration_options(), pool);
  const analysis::NvfAnalysis nvf(model, test, options, pool);
  const std::string checkpoint = a.json + ".ckpt";
  analysis::NvfCounts counts = nvf.empty_counts();
  if (std::filesystem::exists(checkpoint)) {
    if (!a.resume) {
      throw ConfigError(checkpoint + " exists: continue that analysis with --resume, or delete it");
    }
    counts = analysis::load_nvf_checkpoint(checkpoint, nvf);
  }
  const bool resumed =
      std::find(counts.image_done.begin(), counts.image_done.end(), 1) != counts.image_done.end();
  auto after_checkpoint = kill_after_checkpoint_hook();  // testing hook (docs/cli.md)
  const auto start = std::chrono::steady_clock::now();
  run_nvf_checkpointed(nvf, counts, pool, "nvf", checkpoint, a.checkpoint_every, after_checkpoint);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::filesystem::remove(checkpoint);
  nlohmann::json r = analysis::nvf_report(nvf, counts, seconds);
  if (resumed) r["resumed"] = true;  // `seconds` are then this sitting's only
  r["threads"] = a.model.threads;
  r["image_offset"] = a.offset;
  r["correct_only"] = a.correct_only;
  r["provenance"] = a.model.provenance_of(model);
  write_json_file(a.json, r);
  if (!a.csv.empty()) analysis::write_neuron_csv(a.csv, nvf, counts);
  print_summary(r);
}

}  // namespace

void add_nvf_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "nvf", "neuron vulnerability factors of the int8 model (exact, all fault models at once)");
  auto a = std::make_shared<NvfArgs>();
  a->model.add_to(*cmd, true, false);
  cmd->add_option("--images", a->images, "test images (from --offset)")->check(at_least(1));
  cmd->add_option("--offset", a->offset, "first test image")->check(at_least(0));
  cmd->add_flag("--correct-only", a->correct_only,
                "only images the golden int8 model classifies correctly");
  cmd->add_option("--faults", a->faults, "fault models: bitflip,bitflip2,stuck0,stuck1")
      ->delimiter(',');
  cmd->add_option("--layers", a->layers, "only these layers (node names)")->delimiter(',');
  cmd->add_option("--bits", a->bits, "only these bit positions")->delimiter(',');
  cmd->add_option("--channels", a->channels, "only these output channels")->delimiter(',');
  cmd->add_flag("--no-bounds", a->no_bounds, "simulate every faulty byte (the plain path)");
  cmd->add_flag("--cev", a->cev,
                "decide every byte of every neuron: critical error values per layer (slower)");
  cmd->add_flag("--resume", a->resume, "continue from OUT.ckpt (same result as uninterrupted)");
  cmd->add_option("--checkpoint-every", a->checkpoint_every, "seconds between checkpoints")
      ->check(at_least(0));
  cmd->add_option("--json", a->json, "result JSON (required); checkpoints go to OUT.ckpt");
  cmd->add_option("--csv", a->csv, "per-neuron CSV (NVF per fault model)");
  cmd->callback([a] { run_nvf(*a); });
}

}  // namespace hardy::cli
