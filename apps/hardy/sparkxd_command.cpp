// `hardy sparkxd`: the SparkXD pipeline per network size (spiking networks) or for an int8 model:
// FAT, tolerance analysis, BER_max, lowest safe voltage, mapping, energy and end-to-end accuracy.
#include <fmt/core.h>

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"
#include "dram_options.h"
#include "hardy/core/error.h"
#include "hardy/core/progress.h"
#include "hardy/data/dataset.h"
#include "hardy/dram/memspec.h"
#include "hardy/qnn/onnx_import.h"
#include "hardy/qnn/quantize.h"
#include "hardy/snn/params.h"
#include "hardy/sparkxd/pipeline.h"
#include "json_output.h"
#include "model_options.h"
#include "testing_hooks.h"

namespace hardy::cli {
namespace {

struct SparkxdArgs {
  ModelOptions model;  // --model (int8 row), --dataset, --images (test), --threads, calibration
  std::string neurons;
  std::string config;
  std::vector<std::string> sets;
  int epochs = 1;
  int64_t train_images = 0, label_images = -1;
  uint64_t seed = 1;
  std::string weight_format = "fp32";
  std::string memspec = "HARDY_2GB_DDR3L-1600_64bit_SODIMM";
  std::string vendor, dimm, statistic = "median", study;
  std::string voltages = "1.35:1.025:0.025";
  std::string bers = "1e-8:1e-2:2";
  int seeds = 3;
  uint64_t error_seed = 1;
  int error_model = 0;
  double weak_line_fraction = 0.05, one_to_zero_share = 1.0;
  std::string fat_bers = "1e-5,1e-4,1e-3";
  int64_t fat_interval = 1000;
  double bank_sigma = 1.0, subarray_sigma = 1.0;
  uint64_t chip_seed = 1;
  std::string spread_sigmas = "0,0.5,1,2";
  double latency_stretch = 0;
  std::string current_table, refresh = "prorate", address_mapping;
  double margin_points = 1.0;
  double checkpoint_every = 10.0;
  std::string work, json, csv;
  bool resume = false;
};

std::vector<double> parse_list(const std::string& text, const std::string& what) {
  std::vector<double> out;
  std::stringstream s(text);
  std::string p;
  while (std::getline(s, p, ',')) {
    try {
      size_t used = 0;
      out.push_back(std::stod(p, &used));
      if (used != p.size()) throw std::invalid_argument("");
    } catch (const std::exception&) {
      throw ConfigError(what + " '" + text + "': expected numbers separated by commas");
    }
  }
  if (out.empty()) throw ConfigError(what + " '" + text + "': expected at least one number");
  return out;
}

std::vector<int> parse_sizes(const std::string& text) {
  std::vector<int> sizes;
  for (double x : parse_list(text, "--neurons")) {
    if (x != static_cast<int>(x) || x < 1 || x > 65536) {
      throw ConfigError("--neurons '" + text + "': every size must be a whole number in 1..65536");
    }
    sizes.push_back(static_cast<int>(x));
  }
  return sizes;
}

// Progress of the pipeline's stages on stderr.
class CliReporter : public sparkxd::PipelineReporter {
 public:
  void begin(const std::string& stage, int64_t total, const std::string& unit,
             int64_t already) override {
    progress_ = std::make_unique<Progress>("sparkxd " + stage, total, unit);
    if (already > 0) {
      progress_->resumed_at(already);
      fmt::print(stderr, "sparkxd {}: resumed, {} of {} {} done\n", stage, already, total, unit);
    }
  }
  void update(int64_t done, const std::string& note) override {
    if (progress_) progress_->update(done, note);
  }
  void resumed_at(int64_t done) override {
    if (progress_) progress_->resumed_at(done);
  }
  void end(const std::string& note) override {
    if (progress_) progress_->finish(note);
    progress_.reset();
  }
  void message(const std::string& text) override { fmt::print(stderr, "sparkxd: {}\n", text); }

 private:
  std::unique_ptr<Progress> progress_;
};

std::string sci(const nlohmann::json& x) {
  return x.is_null() ? "-" : fmt::format("{:.2g}", x.get<double>());
}
std::string pct(const nlohmann::json& x) {
  return x.is_null() ? "-" : fmt::format("{:.2f}", 100 * x.get<double>());
}

void print_table(const std::vector<nlohmann::json>& rows, const std::string& curve) {
  fmt::print("BER curve {}; accuracy in %, energy = one inference's weight reads\n", curve);
  fmt::print(
      "| network | baseline acc | FAT acc | BER_max | BER_max FAT | V | E nominal nJ | "
      "E SparkXD nJ | saving (voltage + mapping) | no spatial variation V / saving | "
      "acc at V |\n");
  fmt::print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|\n");
  for (const auto& r : rows) {
    const auto& n = r["network"];
    const std::string name =
        n["kind"] == "snn"
            ? fmt::format("N{} {} {}", n["neurons"].get<int>(), n["dataset"].get<std::string>(),
                          n["weight_format"].get<std::string>())
            : fmt::format("int8 {}", n["source"].get<std::string>());
    fmt::print(
        "| {} | {} | {} | {} | {} | {:.3f} | {:.1f} | {:.1f} | {:.1f}% ({:.1f} + {:.1f}) | "
        "{:.3f} / {:.1f}% | {} |\n",
        name, pct(r["baseline_accuracy"]), pct(r["fat_accuracy"]), sci(r["ber_max"]),
        sci(r["ber_max_fat"]), r["voltage_v"].get<double>(),
        r["energy_nominal_j"].get<double>() * 1e9, r["energy_sparkxd_j"].get<double>() * 1e9,
        100 * r["saving"].get<double>(), 100 * r["voltage_saving"].get<double>(),
        100 * r["mapping_saving"].get<double>(),
        r["no_spatial_variation"]["voltage_v"].get<double>(),
        100 * r["no_spatial_variation"]["saving"].get<double>(), pct(r["accuracy_at_voltage"]));
  }
}

void write_csv(const std::string& path, const std::vector<nlohmann::json>& rows) {
  std::ofstream out(path);
  if (!out) throw FileError(path, "cannot create file");
  out << "kind,dataset,neurons,weight_format,baseline_accuracy,fat_accuracy,ber_max,ber_max_fat,"
         "deployed,voltage_v,energy_nominal_j,energy_sparkxd_j,saving,voltage_saving,"
         "mapping_saving,no_variation_voltage_v,no_variation_saving,accuracy_at_voltage,"
         "accuracy_at_voltage_baseline_mapping\n";
  out.precision(10);
  auto v = [](const nlohmann::json& x) { return x.is_null() ? std::string() : x.dump(); };
  for (const auto& r : rows) {
    const auto& n = r["network"];
    out << n["kind"].get<std::string>() << ',' << n["dataset"].get<std::string>() << ','
        << v(n.value("neurons", nlohmann::json(nullptr))) << ','
        << n["weight_format"].get<std::string>() << ',' << v(r["baseline_accuracy"]) << ','
        << v(r["fat_accuracy"]) << ',' << v(r["ber_max"]) << ',' << v(r["ber_max_fat"]) << ','
        << r["deployed"].get<std::string>() << ',' << v(r["voltage_v"]) << ','
        << v(r["energy_nominal_j"]) << ',' << v(r["energy_sparkxd_j"]) << ',' << v(r["saving"])
        << ',' << v(r["voltage_saving"]) << ',' << v(r["mapping_saving"]) << ','
        << v(r["no_spatial_variation"]["voltage_v"]) << ','
        << v(r["no_spatial_variation"]["saving"]) << ',' << v(r["accuracy_at_voltage"]) << ','
        << v(r["accuracy_at_voltage_baseline_mapping"]) << '\n';
  }
  if (!out) throw FileError(path, "write failed");
}

// Runs the pipeline as the options say; returns the per-size rows (also written to --json).
std::vector<nlohmann::json> run(const SparkxdArgs& a) {
  const bool int8 = !a.model.model.empty();
  if (int8 == !a.neurons.empty()) {
    throw ConfigError("give either --neurons (spiking networks) or --model (an int8 ONNX model)");
  }
  if (int8 && (!a.config.empty() || !a.sets.empty())) {
    throw ConfigError("--config and --set apply to spiking networks (--neurons), not --model");
  }
  if (a.vendor.empty() && a.dimm.empty()) throw ConfigError("give --vendor A|B|C or --dimm NAME");
  if (a.json.empty()) throw ConfigError("--json is required");
  std::vector<std::string> inputs;

  sparkxd::PipelineOptions o;
  o.threads = a.model.threads;
  o.resume = a.resume;
  o.work_dir = a.work.empty() ? a.json + ".work" : a.work;
  o.checkpoint_seconds = a.checkpoint_every;
  o.on_checkpoint = kill_after_checkpoint_hook();  // testing hook (docs/cli.md)
  if (!(a.checkpoint_every >= 0)) throw ConfigError("--checkpoint-every must be >= 0 seconds");
  if (!(a.margin_points >= 0 && a.margin_points <= 100)) {
    throw ConfigError("--margin must be in [0, 100] accuracy points");
  }
  o.margin = a.margin_points / 100.0;
  if (a.seeds < 1 || a.seeds > 1000) throw ConfigError("--seeds must be in 1..1000");
  o.tolerance.bers = sparkxd::parse_bers(a.bers);
  o.tolerance.maps = a.seeds;
  o.tolerance.seed = a.error_seed;
  o.tolerance.errors.model = dram::error_model_from_index(a.error_model);
  o.tolerance.errors.weak_line_fraction = a.weak_line_fraction;
  o.tolerance.errors.one_to_zero_share = a.one_to_zero_share;
  o.fat.bers = parse_list(a.fat_bers, "--fat-bers");
  o.fat.interval = a.fat_interval;
  o.fat.seed = a.error_seed;
  o.fat.errors = o.tolerance.errors;
  o.fat.validate();
  o.voltages = sparkxd::parse_voltages(a.voltages);
  o.spread_sigmas = parse_list(a.spread_sigmas, "--spread-sigmas");

  const std::string memspec_path = resolve_data_file(a.memspec);
  inputs.push_back(memspec_path);
  o.dram.nominal = dram::load_memspec(memspec_path);
  o.dram.address_order = a.address_mapping;
  if (!a.current_table.empty()) {
    o.dram.voltage.currents = dram::load_current_scale_table(a.current_table);
    inputs.push_back(a.current_table);
  }
  o.dram.voltage.latency_stretch_per_volt = a.latency_stretch;
  o.dram.refresh = a.refresh == "issue" ? dram::RefreshMode::kIssue
                   : a.refresh == "off" ? dram::RefreshMode::kOff
                                        : dram::RefreshMode::kProrate;
  o.dram.spread = {a.bank_sigma, a.subarray_sigma};
  o.dram.chip_seed = a.chip_seed;
  o.dram.errors = o.tolerance.errors;
  o.ber.curve = load_ber_curve(a.study, a.vendor, a.dimm, a.statistic, inputs);
  // Bad memory settings fail here, before any training.
  (void)dram::WeakRegionMap(o.dram.nominal.org, o.dram.spread, o.dram.chip_seed);
  (void)sparkxd::address_mapping(o.dram);
  {
    dram::VoltageOptions vo = o.dram.voltage;
    for (double v : o.voltages) {
      vo.vdd_v = v;
      (void)dram::at_voltage(o.dram.nominal, vo);
    }
  }

  const data::Dataset test = data::load_dataset(a.model.dataset, data::Split::kTest);
  if (a.model.images > test.size()) {
    throw ConfigError("--images " + std::to_string(a.model.images) + ": the " + a.model.dataset +
                      " test split has " + std::to_string(test.size()) + " images");
  }
  CliReporter reporter;
  std::vector<nlohmann::json> rows;
  nlohmann::json settings = {{"dataset", a.model.dataset},
                             {"test_images", a.model.images},
                             {"ber_curve", o.ber.curve->to_json()},
                             {"memspec", o.dram.nominal.id},
                             {"voltages", o.voltages},
                             {"tolerance", o.tolerance.to_json()},
                             {"margin", o.margin},
                             {"spatial_variation", o.dram.spread.to_json()},
                             {"chip_seed", o.dram.chip_seed},
                             {"latency_stretch_per_volt", a.latency_stretch},
                             {"refresh", a.refresh},
                             {"spread_sigmas", o.spread_sigmas},
                             {"threads", o.threads},
                             {"work_dir", o.work_dir}};
  if (int8) {
    const qnn::Graph graph = qnn::import_onnx(a.model.model);
    inputs.push_back(a.model.model);
    const data::Dataset train = data::load_dataset(a.model.dataset, data::Split::kTrain);
    ThreadPool pool(a.model.threads);
    const qnn::QModel q = qnn::quantize(graph, train, a.model.calibration_options(), pool);
    rows.push_back(
        sparkxd::run_int8_pipeline(q, test, a.model.images, a.model.kernel_set(), o, reporter));
  } else {
    const std::vector<int> sizes = parse_sizes(a.neurons);
    snn::SnnParams params;
    if (!a.config.empty()) {
      params = snn::load_params(a.config);
      inputs.push_back(a.config);
    }
    for (const auto& s : a.sets) {
      try {
        params = snn::apply_override(params, s);
      } catch (const ConfigError& e) {
        throw ConfigError(std::string("--set: ") + e.what());
      }
    }
    const snn::WeightFormat format = snn::WeightFormat::parse(a.weight_format);
    const data::Dataset train = data::load_dataset(a.model.dataset, data::Split::kTrain);
    if (a.train_images < 0 || a.train_images > train.size() || a.label_images > train.size()) {
      throw ConfigError("--train-images / --label-images: the " + a.model.dataset +
                        " training split has " + std::to_string(train.size()) + " images");
    }
    if (a.epochs < 1) throw ConfigError("--epochs must be >= 1");
    settings["fault_aware_training"] = o.fat.to_json();
    for (int n : sizes) {
      sparkxd::SnnRun run;
      run.dataset = a.model.dataset;
      run.neurons = n;
      run.params = params;
      run.config_name = a.config.empty() ? "original" : a.config;
      run.epochs = a.epochs;
      run.train_images = a.train_images;
      run.label_images = a.label_images;
      run.test_images = a.model.images;
      run.seed = a.seed;
      run.format = format;
      rows.push_back(sparkxd::run_snn_pipeline(run, train, test, o, reporter));
      // The JSON so far after every size, so finished sizes are on disk whatever happens next.
      write_json_file(a.json, {{"command", "sparkxd"},
                               {"settings", settings},
                               {"sizes", rows},
                               {"complete", false},
                               {"provenance", provenance(inputs)}});
    }
  }
  print_table(rows, o.ber.name());
  write_json_file(a.json, {{"command", "sparkxd"},
                           {"settings", settings},
                           {"sizes", rows},
                           {"complete", true},
                           {"provenance", provenance(inputs)}});
  if (!a.csv.empty()) write_csv(a.csv, rows);
  return rows;
}

}  // namespace

nlohmann::json sparkxd_int8_demo(const std::string& model, const std::string& work_dir,
                                 int threads) {
  SparkxdArgs a;
  a.model.model = model;
  a.model.images = 1000;
  a.model.threads = threads;
  a.vendor = "B";
  a.seeds = 2;
  a.bers = "1e-6:1e-3:1";
  a.work = work_dir;
  a.json = work_dir + "/sparkxd.json";
  return run(a).front();
}

void add_sparkxd_command(CLI::App& app) {
  auto a = std::make_shared<SparkxdArgs>();
  CLI::App* cmd = app.add_subcommand(
      "sparkxd",
      "SparkXD pipeline: fault-aware training, tolerable BER, lowest safe DRAM voltage, mapping "
      "and energy per network size (or for an int8 model)");
  a->model.add_to(*cmd, false, true);
  cmd->add_option("--neurons", a->neurons, "spiking network sizes, e.g. 100,400,900");
  cmd->add_option("--config", a->config, "spiking-network parameter YAML (configs/snn/)");
  cmd->add_option("--set", a->sets, "override one spiking-network parameter, key=value");
  cmd->add_option("--epochs", a->epochs, "training epochs")->capture_default_str();
  cmd->add_option("--train-images", a->train_images, "first K training images (0: all)")
      ->capture_default_str();
  cmd->add_option("--label-images", a->label_images,
                  "training images of the labelling pass (default: as --train-images)");
  cmd->add_option("--seed", a->seed, "network and input-spike seed")->capture_default_str();
  cmd->add_option("--weight-format", a->weight_format, "stored weights: fp32 or q4..q16")
      ->capture_default_str();
  cmd->add_option("--memspec", a->memspec, "memspec JSON or a file name in data/dram/")
      ->capture_default_str();
  cmd->add_option("--vendor", a->vendor, "voltage-study vendor A, B or C");
  cmd->add_option("--dimm", a->dimm, "one voltage-study DIMM (e.g. B7) instead of a vendor curve");
  cmd->add_option("--vendor-statistic", a->statistic, "median | worst DIMM of the vendor")
      ->check(CLI::IsMember({"median", "worst"}))
      ->capture_default_str();
  cmd->add_option("--study", a->study, "voltage-study CSV (default data/dram/'s copy)");
  cmd->add_option("--voltages", a->voltages, "candidate voltages, start:stop:step or a list")
      ->capture_default_str();
  cmd->add_option("--bers", a->bers, "tolerance grid, from:to:per-decade or a list")
      ->capture_default_str();
  cmd->add_option("--seeds", a->seeds, "error maps per BER (and at the chosen voltage)")
      ->capture_default_str();
  cmd->add_option("--error-seed", a->error_seed, "seed of every error map (FAT too)")
      ->capture_default_str();
  cmd->add_option("--error-model", a->error_model,
                  "0 uniform, 1 bitline, 2 wordline, 3 data-dependent")
      ->capture_default_str();
  cmd->add_option("--weak-line-fraction", a->weak_line_fraction, "error models 1 and 2")
      ->capture_default_str();
  cmd->add_option("--one-to-zero-share", a->one_to_zero_share, "error model 3")
      ->capture_default_str();
  cmd->add_option("--fat-bers", a->fat_bers, "FAT curriculum, ascending BERs (equal steps)")
      ->capture_default_str();
  cmd->add_option("--fat-interval", a->fat_interval, "FAT: samples between error maps")
      ->capture_default_str();
  cmd->add_option("--bank-sigma", a->bank_sigma, "weak-region spread over banks")
      ->capture_default_str();
  cmd->add_option("--subarray-sigma", a->subarray_sigma, "weak-region spread over subarrays")
      ->capture_default_str();
  cmd->add_option("--chip-seed", a->chip_seed, "seed of the chip's weak regions")
      ->capture_default_str();
  cmd->add_option("--spread-sigmas", a->spread_sigmas, "sensitivity: spreads to try")
      ->capture_default_str();
  cmd->add_option("--latency-stretch", a->latency_stretch,
                  "growth of tRCD/tRP/tRAS per volt below nominal")
      ->capture_default_str();
  cmd->add_option("--current-table", a->current_table, "CSV of current factors vs voltage");
  cmd->add_option("--refresh", a->refresh, "prorate | issue | off")
      ->check(CLI::IsMember({"issue", "prorate", "off"}))
      ->capture_default_str();
  cmd->add_option("--address-mapping", a->address_mapping, "address bit order");
  cmd->add_option("--margin", a->margin_points, "BER_max: accuracy points below error-free")
      ->capture_default_str();
  cmd->add_option("--checkpoint-every", a->checkpoint_every, "seconds between training checkpoints")
      ->capture_default_str();
  cmd->add_option("--work", a->work, "stage files (default: JSON path + .work)");
  cmd->add_flag("--resume", a->resume, "reuse finished stages, resume interrupted training");
  cmd->add_option("--json", a->json, "write the per-size results here")->required();
  cmd->add_option("--csv", a->csv, "write one row per network here");
  cmd->callback([a] { (void)run(*a); });
}

}  // namespace hardy::cli
