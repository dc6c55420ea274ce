// `hardy inject` (fault-injection campaigns) and `hardy merge` (shard results → one result).
#include <fmt/core.h>

#include <filesystem>
#include <fstream>

#include "commands.h"
#include "hardy/core/error.h"
#include "hardy/core/progress.h"
#include "hardy/data/dataset.h"
#include "hardy/fault/campaign.h"
#include "hardy/fault/campaign_report.h"
#include "hardy/qnn/onnx_import.h"
#include "json_output.h"
#include "model_options.h"
#include "mpi_ranks.h"
#include "number_checks.h"
#include "testing_hooks.h"

namespace hardy::cli {
namespace {

struct InjectArgs {
  ModelOptions model;
  int64_t images = 100, offset = 0, faults = 0, trials = 0;
  bool correct_only = false, resume = false;
  std::string target = "neurons", fault = "bitflip", mode = "statistical", shard = "0/1";
  double margin = 0.01, confidence = 0.95, ber = 0, checkpoint_every = 10.0;
  std::vector<std::string> layers;
  std::vector<int> bits;
  std::vector<int64_t> channels;
  uint64_t seed = 1;
  std::string json, csv;
};

std::pair<int, int> parse_shard(const std::string& s) {
  const auto slash = s.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    size_t used_k = 0, used_n = 0;
    const int k = std::stoi(s.substr(0, slash), &used_k);
    const int n = std::stoi(s.substr(slash + 1), &used_n);
    if (used_k != slash || used_n != s.size() - slash - 1) throw std::invalid_argument("junk");
    if (n < 1 || k < 0 || k >= n) throw std::out_of_range("range");
    return {k, n};
  } catch (const std::logic_error&) {
    throw ConfigError("--shard '" + s + "': expected K/N with 0 <= K < N");
  }
}

fault::CampaignOptions campaign_options(const InjectArgs& a) {
  fault::CampaignOptions o;
  o.target = fault::parse_target(a.target);
  o.kind = fault::parse_fault_kind(a.fault);
  o.mode = fault::parse_campaign_mode(a.mode);
  o.filter.layers = a.layers;
  o.filter.bits = a.bits;
  o.filter.channels = a.channels;
  o.images = a.images;
  o.offset = a.offset;
  o.correct_only = a.correct_only;
  o.margin = a.margin;
  o.confidence = a.confidence;
  o.faults = a.faults;
  o.ber = a.ber;
  o.trials = a.trials;
  o.seed = a.seed;
  std::tie(o.shard_index, o.shard_count) = parse_shard(a.shard);
  return o;
}

void print_summary(const nlohmann::json& r) {
  const auto ci = r["ci95"];
  fmt::print("faults           {}\nmasked           {}\nsdc-benign       {}\nsdc-critical     {}\n",
             r["faults"].get<int64_t>(), r["masked"].get<int64_t>(), r["sdc_benign"].get<int64_t>(),
             r["sdc_critical"].get<int64_t>());
  fmt::print("critical rate    {:.4f}% (95% interval {:.4f}–{:.4f}%, {})\n",
             100 * r["critical_sdc_rate"].get<double>(), 100 * ci[0].get<double>(),
             100 * ci[1].get<double>(), r["ci95_method"].get<std::string>());
  if (r.contains("accuracy_mean")) {
    fmt::print("accuracy         {:.2f}% (95% interval {:.2f}–{:.2f}%)\n",
               100 * r["accuracy_mean"].get<double>(), 100 * r["accuracy_ci95"][0].get<double>(),
               100 * r["accuracy_ci95"][1].get<double>());
  }
  fmt::print("speed            {:.0f} faults/s ({:.1f} s)\n", r["faults_per_second"].get<double>(),
             r["seconds"].get<double>());
}

void run_inject(const InjectArgs& a, const MpiRanks& ranks) {
  if (a.json.empty()) throw ConfigError("inject needs --json OUT (its checkpoint is OUT.ckpt)");
  fault::CampaignOptions options = campaign_options(a);
  if (ranks.size > 1) {
    if (options.shard_count != 1) throw ConfigError("--shard cannot be combined with mpirun");
    options.shard_index = ranks.rank;
    options.shard_count = ranks.size;
  }
  options.validate();
  const bool root = ranks.rank == 0;
  const qnn::Graph graph = qnn::import_onnx(a.model.model);
  const data::Dataset train = data::load_dataset(a.model.dataset, data::Split::kTrain);
  const data::Dataset test = data::load_dataset(a.model.dataset, data::Split::kTest);
  ThreadPool pool(a.model.threads);
  const qnn::QModel model = qnn::quantize(graph, train, a.model.calibration_options(), pool);
  const fault::Campaign campaign(model, test, options, pool);
  const std::string checkpoint =
      a.json + (ranks.size > 1 ? ".rank" + std::to_string(ranks.rank) : "") + ".ckpt";
  fault::CampaignCounts counts = campaign.empty_counts();
  if (std::filesystem::exists(checkpoint)) {
    if (!a.resume) {
      throw ConfigError(checkpoint + " exists: continue that campaign with --resume, or delete it");
    }
    counts = fault::load_checkpoint(checkpoint, campaign);
  }
  int64_t done_before = -1;
  Progress progress("inject", 0, "faults");
  auto last_save = std::chrono::steady_clock::now();
  auto after_checkpoint = kill_after_checkpoint_hook();  // testing hook (docs/cli.md)
  const auto start = std::chrono::steady_clock::now();
  campaign.run(counts, pool, [&](const fault::CampaignCounts& c, int64_t done, int64_t total) {
    if (done_before < 0) {
      done_before = done;
      progress = Progress(ranks.size > 1 ? "inject rank " + std::to_string(ranks.rank) : "inject",
                          total, "faults");
      progress.resumed_at(done);
      if (done > 0) std::fprintf(stderr, "inject: resumed from %s\n", checkpoint.c_str());
      return;
    }
    if (root) progress.update(done);
    const auto now = std::chrono::steady_clock::now();
    if (std::chrono::duration<double>(now - last_save).count() >= a.checkpoint_every) {
      fault::save_checkpoint(checkpoint, campaign, c);
      last_save = now;
      after_checkpoint();
    }
  });
  if (root) progress.finish();
  if (ranks.size > 1) {
    std::vector<int64_t> v = counts.to_vector();
    mpi_sum_to_root(v);
    if (root) counts = fault::CampaignCounts::from_vector(v, campaign.empty_counts());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::filesystem::remove(checkpoint);
  if (!root) return;
  nlohmann::json campaign_json = fault::describe_campaign(campaign);
  campaign_json["shard"] = {
      {"index", options.shard_count > 1 && ranks.size == 1 ? options.shard_index : 0},
      {"count", ranks.size > 1 ? 1 : options.shard_count}};
  nlohmann::json r = fault::campaign_report(campaign_json, counts, seconds);
  if (done_before > 0) r["resumed"] = true;
  r["threads"] = a.model.threads;
  r["mpi_ranks"] = ranks.size;
  r["provenance"] = a.model.provenance_of(model);
  write_json_file(a.json, r);
  if (!a.csv.empty()) fault::write_site_csv(a.csv, campaign_json, counts);
  print_summary(r);
}

}  // namespace

void add_inject_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("inject", "fault-injection campaign on the int8 model");
  auto a = std::make_shared<InjectArgs>();
  a->model.add_to(*cmd, true, false);
  cmd->add_option("--images", a->images, "test images (from --offset)")->check(at_least(1));
  cmd->add_option("--offset", a->offset, "first test image")->check(at_least(0));
  cmd->add_flag("--correct-only", a->correct_only,
                "only images the golden int8 model classifies correctly");
  cmd->add_option("--target", a->target, "neurons | weights | accumulators");
  cmd->add_option("--fault", a->fault, "bitflip | bitflip2 | stuck0 | stuck1 | ber");
  cmd->add_option("--mode", a->mode, "exhaustive | statistical | trials");
  cmd->add_option("--margin", a->margin, "statistical: error margin (Leveugle sample size)");
  cmd->add_option("--confidence", a->confidence, "confidence of the sample size and intervals");
  cmd->add_option("--faults", a->faults, "statistical: sample size instead of --margin");
  cmd->add_option("--ber", a->ber, "trials: per-bit error probability");
  cmd->add_option("--trials", a->trials, "trials: number of fault maps");
  cmd->add_option("--layers", a->layers, "only these layers (node names)")->delimiter(',');
  cmd->add_option("--bits", a->bits, "only these bit positions")->delimiter(',');
  cmd->add_option("--channels", a->channels, "only these output channels")->delimiter(',');
  cmd->add_option("--seed", a->seed, "seed of the sampled faults and error maps");
  cmd->add_option("--shard", a->shard, "run shard K of N (0-based), merge with hardy merge");
  cmd->add_flag("--resume", a->resume, "continue from OUT.ckpt (same result as uninterrupted)");
  cmd->add_option("--checkpoint-every", a->checkpoint_every, "seconds between checkpoints")
      ->check(at_least(0));
  cmd->add_option("--json", a->json, "result JSON (required); checkpoints go to OUT.ckpt");
  cmd->add_option("--csv", a->csv, "per-site CSV (one row per word)");
  cmd->callback([a] {
    const MpiRanks ranks = mpi_start();
    try {
      run_inject(*a, ranks);
    } catch (const Error& e) {
      if (!mpi_active()) throw;
      std::fprintf(stderr, "error: %s\n", e.what());  // one rank failed: stop them all
      mpi_abort(2);
    }
    mpi_finish();
  });
}

void add_merge_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("merge", "combine the shard results of one campaign");
  auto inputs = std::make_shared<std::vector<std::string>>();
  auto json = std::make_shared<std::string>();
  auto csv = std::make_shared<std::string>();
  cmd->add_option("results", *inputs, "shard result JSON files")->required();
  cmd->add_option("--json", *json, "merged result JSON")->required();
  cmd->add_option("--csv", *csv, "per-site CSV of the merged result");
  cmd->callback([inputs, json, csv] {
    std::vector<nlohmann::json> docs;
    for (const auto& path : *inputs) {
      std::ifstream in(path);
      if (!in) throw FileError(path, "cannot open shard result");
      try {
        docs.push_back(nlohmann::json::parse(in));
      } catch (const nlohmann::json::exception& e) {
        throw FormatError(path, "JSON", "a hardy inject result", e.what());
      }
    }
    nlohmann::json merged = fault::merge_results(docs, *inputs);
    merged["provenance"] = provenance(*inputs);
    write_json_file(*json, merged);
    if (!csv->empty()) {
      fault::write_site_csv(*csv, merged["campaign"],
                            fault::counts_from_json(merged["counts"], *json));
    }
    print_summary(merged);
  });
}

}  // namespace hardy::cli
