// `hardy harden`: selective hardening of the int8 model (split + LCU, split-half, TMR), its
// overhead and its resilience measured by statistical fault injection; --sweep over every scheme ×
// budget × selection (DESIGN §5, docs/hardening.md).
#include <fmt/core.h>

#include <cstdio>
#include <filesystem>
#include <optional>

#include "commands.h"
#include "harden_checkpoint.h"
#include "hardy/analysis/nvf.h"
#include "hardy/analysis/nvf_report.h"
#include "hardy/core/error.h"
#include "hardy/core/progress.h"
#include "hardy/data/dataset.h"
#include "hardy/harden/channel_ranking.h"
#include "hardy/harden/overhead.h"
#include "hardy/harden/passes.h"
#include "hardy/harden/resilience.h"
#include "hardy/qnn/onnx_export.h"
#include "hardy/qnn/onnx_import.h"
#include "json_output.h"
#include "model_options.h"
#include "number_checks.h"
#include "nvf_run.h"
#include "testing_hooks.h"

namespace hardy::cli {
namespace {

struct HardenArgs {
  ModelOptions model;
  bool sweep = false, per_layer = false, fault_correction = false, resume = false;
  bool after_pool = false;  // the Correction after a pool that alone reads the layer
  std::vector<std::string> schemes = {"split"}, selects = {"nvf"};
  std::vector<std::string> budgets = {"10%"};
  uint64_t seed = 1;
  int seeds = 3;
  std::string nvf_csv, nvf_fault = "bitflip";
  int64_t nvf_images = 200, nvf_offset = 0;
  std::string target = "neurons", fault = "bitflip";
  int64_t images = 100, offset = 5000, faults = 0;
  double margin = 0.005, bit_fault_rate = 1e-7;
  uint64_t campaign_seed = 1;
  std::string json, out;
};

const std::vector<std::string> kSweepBudgets = {"0%", "5%", "10%", "20%", "30%", "50%"};

// One selection method with its seed (random) and the channel scores it ranks by.
struct Ranking {
  std::string select;
  uint64_t seed = 0;
  std::vector<harden::ChannelScore> scores;
};

// Writes `csv` with the NVF of every neuron for the NVF images (the ranking's input), checkpointing
// the analysis to CSV.ckpt every 10 s; continues from that checkpoint when `run` was resumed.
void compute_nvf_csv(const HardenArgs& a, const qnn::QModel& model, const data::Dataset& test,
                     ThreadPool& pool, const std::string& csv, const HardenCheckpoint& run) {
  analysis::NvfOptions o;
  o.kinds = {fault::parse_fault_kind(a.nvf_fault)};
  o.images = a.nvf_images;
  o.offset = a.nvf_offset;
  o.validate();
  const analysis::NvfAnalysis nvf(model, test, o, pool);
  const std::string checkpoint = csv + ".ckpt";
  analysis::NvfCounts counts = nvf.empty_counts();
  if (run.resumed() && std::filesystem::exists(checkpoint))
    counts = analysis::load_nvf_checkpoint(checkpoint, nvf);
  run_nvf_checkpointed(nvf, counts, pool, "harden nvf", checkpoint, 10.0,
                       [&] { run.save(); });  // resumable from here on
  analysis::write_neuron_csv(csv, nvf, counts);
  std::filesystem::remove(checkpoint);
}

std::vector<Ranking> rankings(const HardenArgs& a, const qnn::QModel& model,
                              const data::Dataset& test, ThreadPool& pool, nlohmann::json& info,
                              HardenCheckpoint& checkpoint) {
  std::vector<Ranking> out;
  for (const std::string& s : a.selects) {
    if (s == "nvf" || s == "nvf-total" || s == "nvf-per-mac") {
      std::string csv = a.nvf_csv;
      if (csv.empty() && info.contains("nvf")) {
        csv = info["nvf"]["csv"];  // computed for an earlier NVF ranking
      } else if (csv.empty()) {
        if (a.nvf_offset < a.offset + a.images && a.offset < a.nvf_offset + a.nvf_images) {
          throw ConfigError("NVF images " + std::to_string(a.nvf_offset) + ".." +
                            std::to_string(a.nvf_offset + a.nvf_images) +
                            " overlap the evaluation images " + std::to_string(a.offset) + ".." +
                            std::to_string(a.offset + a.images) +
                            ": the ranking must not see the images it is scored on");
        }
        csv = a.json + ".nvf.csv";
        if (!checkpoint.nvf_done() || !std::filesystem::exists(csv)) {
          compute_nvf_csv(a, model, test, pool, csv, checkpoint);
          checkpoint.set_nvf_done();
        }
        info["nvf"] = {{"csv", csv},
                       {"images", a.nvf_images},
                       {"offset", a.nvf_offset},
                       {"fault", a.nvf_fault}};
      } else {
        info["nvf"] = {{"csv", csv}, {"fault", a.nvf_fault}, {"given", true}};
      }
      info["unprotectable_nvf_share"] = harden::unprotectable_nvf_share(model, csv, a.nvf_fault);
      const harden::NvfAggregate how = s == "nvf"         ? harden::NvfAggregate::kMean
                                       : s == "nvf-total" ? harden::NvfAggregate::kTotal
                                                          : harden::NvfAggregate::kPerMac;
      out.push_back({s, 0, harden::nvf_channel_scores(model, csv, a.nvf_fault, how)});
    } else if (s == "magnitude") {
      out.push_back({"magnitude", 0, harden::magnitude_channel_scores(model)});
    } else if (s == "random") {
      const int n = a.sweep ? a.seeds : 1;
      for (int k = 0; k < n; ++k) {
        const uint64_t seed = a.seed + static_cast<uint64_t>(k);
        out.push_back({"random", seed, harden::random_channel_scores(model, seed)});
      }
    }
  }
  return out;
}

// Everything that determines a harden run's rows (a checkpoint is only resumed by the same).
nlohmann::json identity_of(const HardenArgs& a, const qnn::QModel& model,
                           const std::vector<std::string>& schemes,
                           const std::vector<std::string>& budgets) {
  return {{"model", std::to_string(qnn::model_fingerprint(model))},
          {"schemes", schemes},
          {"selects", a.selects},
          {"budgets", budgets},
          {"per_layer", a.per_layer},
          {"after_pool", a.after_pool},
          {"seed", a.seed},
          {"seeds", a.sweep ? a.seeds : 1},
          {"nvf", {a.nvf_csv, a.nvf_fault, a.nvf_images, a.nvf_offset}},
          {"campaign",
           {a.target, a.fault, a.images, a.offset, a.faults, a.margin, a.campaign_seed,
            a.fault_correction, a.bit_fault_rate}}};
}

harden::ResilienceOptions resilience_options(const HardenArgs& a) {
  harden::ResilienceOptions o;
  o.campaign.mode = fault::CampaignMode::kStatistical;
  o.campaign.target = fault::parse_target(a.target);
  o.campaign.kind = fault::parse_fault_kind(a.fault);
  o.campaign.images = a.images;
  o.campaign.offset = a.offset;
  o.campaign.margin = a.margin;
  o.campaign.faults = a.faults;
  o.campaign.seed = a.campaign_seed;
  o.correction_faultable = a.fault_correction;
  o.bit_fault_rate = a.bit_fault_rate;
  o.campaign.validate();
  return o;
}

nlohmann::json row_json(const std::string& scheme, const Ranking* r, const harden::Budget& budget,
                        const std::string& budget_text, const harden::Overhead& o,
                        const harden::Resilience& res, const harden::FaultFreeComparison& ff) {
  nlohmann::json j;
  j["scheme"] = scheme;
  j["select"] = r ? r->select : "none";
  if (r && r->select == "random") j["seed"] = r->seed;
  j["budget"] = budget.count >= 0 ? nlohmann::json(budget.count) : nlohmann::json(budget.mac_share);
  j["budget_text"] = budget_text;
  j["per_layer"] = budget.per_layer;
  j["critical_sdc_rate"] = res.critical_sdc_rate;
  j["ci95"] = {res.ci95_low, res.ci95_high};
  j["critical_per_inference"] = res.critical_per_inference;
  j["critical_per_inference_ci95"] = {res.critical_per_inference_low,
                                      res.critical_per_inference_high};
  j["mac_overhead"] = o.mac_overhead();
  j["param_overhead"] = o.param_overhead();
  j["gate_overhead"] = o.gate_overhead();
  j["neuron_overhead"] = o.neuron_overhead();
  j["overhead"] = o.to_json();
  j["campaign"] = res.to_json();
  j["fault_free"] = ff.to_json();
  return j;
}

void print_row(const nlohmann::json& r) {
  const std::string sel =
      r["select"].get<std::string>() +
      (r.contains("seed") ? "#" + std::to_string(r["seed"].get<uint64_t>()) : "");
  fmt::print("{:<10} {:<11} {:>6} {:>8.2f}% {:>8.3f}% {:>9.4f}% [{:.4f}, {:.4f}] {:>10.3e} {}\n",
             r["scheme"].get<std::string>(), sel, r["budget_text"].get<std::string>(),
             100 * r["mac_overhead"].get<double>(), 100 * r["gate_overhead"].get<double>(),
             100 * r["critical_sdc_rate"].get<double>(), 100 * r["ci95"][0].get<double>(),
             100 * r["ci95"][1].get<double>(), r["critical_per_inference"].get<double>(),
             r["fault_free"]["bit_identical"].get<bool>() ? "" : "(not bit-identical)");
}

void run_harden(const HardenArgs& a) {
  if (a.json.empty()) throw ConfigError("harden needs --json OUT");
  std::vector<harden::Scheme> schemes;
  const std::vector<std::string> scheme_names =
      a.sweep && a.schemes == std::vector<std::string>{"split"}
          ? std::vector<std::string>{"split", "split-half", "tmr"}
          : a.schemes;
  for (const auto& s : scheme_names) schemes.push_back(harden::parse_scheme(s));
  const std::vector<std::string> budget_texts =
      a.sweep && a.budgets == std::vector<std::string>{"10%"} ? kSweepBudgets : a.budgets;
  std::vector<harden::Budget> budgets;
  for (const auto& b : budget_texts) budgets.push_back(harden::Budget::parse(b, a.per_layer));
  if (!a.sweep && (schemes.size() != 1 || budgets.size() != 1 || a.selects.size() != 1)) {
    throw ConfigError("one --scheme, --select and --budget without --sweep");
  }
  if (a.sweep && !a.out.empty())
    throw ConfigError("--out writes one hardened model: not with --sweep");
  const harden::ResilienceOptions ro = resilience_options(a);
  const harden::Placement placement =
      a.after_pool ? harden::Placement::kAfterPool : harden::Placement::kAfterLayer;
  for (const auto& s : a.selects) {
    if (s != "nvf" && s != "nvf-total" && s != "nvf-per-mac" && s != "random" && s != "magnitude") {
      throw ConfigError("selection '" + s +
                        "': expected nvf, nvf-total, nvf-per-mac, random or magnitude");
    }
  }

  const qnn::Graph graph = qnn::import_onnx(a.model.model);
  const data::Dataset train = data::load_dataset(a.model.dataset, data::Split::kTrain);
  const data::Dataset test = data::load_dataset(a.model.dataset, data::Split::kTest);
  ThreadPool pool(a.model.threads);
  const qnn::QModel model = qnn::quantize(graph, train, a.model.calibration_options(), pool);
  HardenCheckpoint checkpoint(a.json + ".ckpt", identity_of(a, model, scheme_names, budget_texts),
                              a.resume);
  if (checkpoint.resumed()) std::fprintf(stderr, "harden: resumed from %s.ckpt\n", a.json.c_str());
  auto after_checkpoint = kill_after_checkpoint_hook();  // testing hook (docs/cli.md)
  nlohmann::json result;
  const std::vector<Ranking> ranks = rankings(a, model, test, pool, result, checkpoint);

  int64_t campaigns = 1;
  for (const auto& b : budgets) {
    const bool zero = b.count == 0 || (b.count < 0 && b.mac_share == 0);
    if (!zero) campaigns += static_cast<int64_t>(schemes.size() * ranks.size());
  }
  Progress progress("harden", campaigns, "campaigns");
  int64_t done = 0;
  fmt::print("{:<10} {:<11} {:>6} {:>9} {:>9} {:>10} {:>18} {:>10}\n", "scheme", "select", "budget",
             "MACs+", "gates+", "crit SDC", "95% interval", "crit/inf");
  harden::Resilience unprotected;
  if (const auto saved = checkpoint.unprotected()) {
    unprotected = harden::Resilience::from_json(*saved, a.json + ".ckpt");
  } else {
    unprotected = harden::measure_resilience(model, test, ro, pool);
    checkpoint.set_unprotected(unprotected.to_json());
    after_checkpoint();
  }
  progress.update(++done, "unprotected");
  const harden::FaultFreeComparison identical =
      harden::compare_fault_free(model, model, test, a.offset, a.images, pool);
  nlohmann::json rows = nlohmann::json::array();
  for (harden::Scheme scheme : schemes) {
    for (size_t bi = 0; bi < budgets.size(); ++bi) {
      const harden::Budget& b = budgets[bi];
      const bool zero = b.count == 0 || (b.count < 0 && b.mac_share == 0);
      if (zero) {  // the unprotected model (one campaign for every scheme)
        rows.push_back(row_json(harden::scheme_name(scheme), nullptr, b, budget_texts[bi],
                                harden::hardening_overhead(model, {}, scheme), unprotected,
                                identical));
        print_row(rows.back());
        continue;
      }
      for (const Ranking& r : ranks) {
        const std::string key = std::string(harden::scheme_name(scheme)) + " " + budget_texts[bi] +
                                " " + r.select + " " + std::to_string(r.seed);
        const harden::Selection sel = harden::select_channels(model, r.scores, b);
        if (const nlohmann::json* saved = checkpoint.row(key)) {
          rows.push_back(*saved);
        } else {
          const qnn::QModel h = harden::harden_model(model, sel, scheme, placement);
          const harden::Resilience res = harden::measure_resilience(h, test, ro, pool);
          const harden::FaultFreeComparison ff =
              harden::compare_fault_free(model, h, test, a.offset, a.images, pool);
          rows.push_back(row_json(harden::scheme_name(scheme), &r, b, budget_texts[bi],
                                  harden::hardening_overhead(model, sel, scheme, placement), res,
                                  ff));
          rows.back()["correction_after_pool"] = harden::corrects_after_pool(scheme, placement);
          checkpoint.set_row(key, rows.back());
          after_checkpoint();
        }
        if (!a.out.empty()) {
          // The float graph's nodes are the int8 model's (quantize keeps them in order).
          HARDY_CHECK(graph.nodes.size() == model.nodes.size());
          qnn::export_onnx(harden::harden_graph(graph, sel, scheme, placement), a.out);
          rows.back()["onnx"] = a.out;
        }
        progress.update(++done, std::string(harden::scheme_name(scheme)) + " " + budget_texts[bi] +
                                    " " + r.select);
        print_row(rows.back());
      }
    }
  }
  progress.finish();
  result["unprotected"] = unprotected.to_json();
  result["bit_fault_rate"] = a.bit_fault_rate;
  result["evaluation"] = {{"images", a.images},      {"offset", a.offset},
                          {"target", a.target},      {"fault", a.fault},
                          {"margin", a.margin},      {"faults", a.faults},
                          {"seed", a.campaign_seed}, {"correction_faultable", a.fault_correction}};
  result["gates"] = {{"lcu", harden::kLcuGates},
                     {"voter", harden::kVoterGates},
                     {"half_sum", harden::kHalfSumGates},
                     {"half_check_offset", harden::kHalfCheckOffsetGates},
                     {"average_pool_step", harden::kAveragePoolStepGates},
                     {"max_pool_step", harden::kMaxPoolStepGates},
                     {"mac", harden::kMacGates}};
  result["threads"] = a.model.threads;
  result["provenance"] = a.model.provenance_of(model);
  if (a.sweep) {
    result["rows"] = rows;
  } else {
    for (auto& [k, v] : rows[0].items()) result[k] = v;
  }
  write_json_file(a.json, result);
  checkpoint.remove();
}

}  // namespace

void add_harden_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "harden", "selective hardening (split + LCU, split-half, TMR): overhead and resilience");
  auto a = std::make_shared<HardenArgs>();
  a->model.add_to(*cmd, true, false);
  cmd->add_option("--scheme", a->schemes, "split | split-half | tmr (--sweep: a list; all)")
      ->delimiter(',');
  cmd->add_option("--select", a->selects,
                  "nvf | nvf-total | nvf-per-mac | random | magnitude (--sweep: a list)")
      ->delimiter(',');
  cmd->add_option("--budget", a->budgets,
                  "share of MACs (10%, 0.1) or a channel count (--sweep: a list; 0,5,10,20,30,50%)")
      ->delimiter(',');
  cmd->add_flag("--per-layer", a->per_layer, "apply the budget in every layer");
  cmd->add_flag("--correct-after-pool", a->after_pool,
                "split, tmr: correct after a pooling node that alone reads the layer (the pool "
                "runs on every copy, its outputs are protected too)");
  cmd->add_flag("--sweep", a->sweep, "every scheme × budget × selection");
  cmd->add_option("--seed", a->seed, "random selection: seed (the sweep uses --seeds from it)");
  cmd->add_option("--seeds", a->seeds, "random selection in a sweep: seeds")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--nvf", a->nvf_csv,
                  "per-neuron NVF CSV (hardy nvf --csv) computed on other images than --offset");
  cmd->add_option("--nvf-images", a->nvf_images, "NVF ranking: test images (when no --nvf)")
      ->check(at_least(1));
  cmd->add_option("--nvf-offset", a->nvf_offset, "NVF ranking: first test image")
      ->check(at_least(0));
  cmd->add_option("--nvf-fault", a->nvf_fault, "NVF ranking: fault model (column nvf_<fault>)");
  cmd->add_option("--target", a->target, "campaign: neurons | weights | accumulators");
  cmd->add_option("--fault", a->fault, "campaign: bitflip | bitflip2 | stuck0 | stuck1");
  cmd->add_option("--images", a->images, "campaign: test images (from --offset)")
      ->check(at_least(1));
  cmd->add_option("--offset", a->offset, "campaign: first test image")->check(at_least(0));
  cmd->add_option("--margin", a->margin, "campaign: error margin of the sample size (95%)");
  cmd->add_option("--faults", a->faults, "campaign: sample size instead of --margin");
  cmd->add_option("--campaign-seed", a->campaign_seed, "campaign: seed of the sampled faults");
  cmd->add_option("--bit-fault-rate", a->bit_fault_rate,
                  "per-bit fault probability per inference (critical_per_inference)");
  cmd->add_flag("--fault-correction", a->fault_correction,
                "inject into the LCU / voter outputs too (fault-free by default)");
  cmd->add_option("--json", a->json, "result JSON (required); checkpoints go to OUT.ckpt");
  cmd->add_flag("--resume", a->resume, "continue the run checkpointed in OUT.ckpt");
  cmd->add_option("--out", a->out,
                  "write the hardened model as standard float ONNX (Min / Add / median via Min, "
                  "Max)");
  cmd->callback([a] { run_harden(*a); });
}

}  // namespace hardy::cli
