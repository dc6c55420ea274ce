// `hardy dram energy|map`: DRAM energy of a trace or of mapped weights, and where weights live.
#include <fmt/core.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "dram_options.h"
#include "hardy/core/error.h"
#include "hardy/core/progress.h"
#include "hardy/data/dataset.h"
#include "hardy/dram/command_trace.h"
#include "hardy/dram/mapping.h"
#include "hardy/dram/simulator.h"
#include "hardy/dram/voltage.h"
#include "hardy/dram/voltage_study.h"
#include "hardy/qnn/onnx_import.h"
#include "hardy/qnn/quantize.h"
#include "hardy/snn/network.h"
#include "hardy/snn/weight_store.h"
#include "hardy/sparkxd/dram_sweep.h"
#include "hardy/sparkxd/weight_segments.h"
#include "json_output.h"
#include "model_options.h"

namespace hardy::cli {
namespace {

struct MemoryArgs {
  std::string memspec;
  double voltage = 0;
  std::string current_table;
  double latency_stretch = 0;
  std::string address_mapping;
  std::string refresh = "issue";
};

struct BerArgs {
  std::string study;
  std::string vendor, dimm, statistic = "median";
  double ber = -1;
  double bank_sigma = 1.0, subarray_sigma = 1.0;
  uint64_t seed = 1;
};

struct PlacementArgs {
  std::string mapping = "baseline";
  double tolerable_ber = -1;
};

void add_memory_options(CLI::App* cmd, MemoryArgs& a) {
  cmd->add_option("--memspec", a.memspec,
                  "memspec JSON (DRAMPower names), or a file name in data/dram/")
      ->required();
  cmd->add_option("--voltage", a.voltage, "supply voltage in V (default: the memspec's nominal)");
  cmd->add_option("--current-table", a.current_table,
                  "CSV of current factors vs voltage overriding I ∝ V (docs/dram.md)");
  cmd->add_option("--latency-stretch", a.latency_stretch,
                  "fractional growth of tRCD/tRP/tRAS per volt below nominal (default 0)");
  cmd->add_option("--address-mapping", a.address_mapping,
                  "address bit order, most significant first (default row,bank,column)");
  cmd->add_option("--refresh", a.refresh, "issue | prorate | off")
      ->check(CLI::IsMember({"issue", "prorate", "off"}))
      ->capture_default_str();
}

void add_ber_options(CLI::App* cmd, BerArgs& a) {
  cmd->add_option("--ber", a.ber, "chip bit error rate (instead of the voltage study)");
  cmd->add_option("--vendor", a.vendor, "voltage-study vendor A, B or C");
  cmd->add_option("--dimm", a.dimm, "voltage-study DIMM (e.g. B7) instead of a vendor curve");
  cmd->add_option("--vendor-statistic", a.statistic, "median | worst DIMM of the vendor")
      ->check(CLI::IsMember({"median", "worst"}))
      ->capture_default_str();
  cmd->add_option("--study", a.study, "voltage-study CSV (default data/dram/'s copy)");
  cmd->add_option("--bank-sigma", a.bank_sigma, "log-normal spread of bank weakness")
      ->capture_default_str();
  cmd->add_option("--subarray-sigma", a.subarray_sigma, "log-normal spread of subarray weakness")
      ->capture_default_str();
  cmd->add_option("--seed", a.seed, "seed of the chip's weak regions")->capture_default_str();
}

void add_placement_options(CLI::App* cmd, PlacementArgs& a) {
  cmd->add_option("--mapping", a.mapping, "baseline | sparkxd")
      ->check(CLI::IsMember({"baseline", "sparkxd"}))
      ->capture_default_str();
  cmd->add_option("--tolerable-ber", a.tolerable_ber,
                  "sparkxd: use only regions with BER at most this");
}

struct Memory {
  std::string memspec_path;
  dram::MemSpec nominal, spec;  // spec: at the requested voltage
  dram::AddressMapping mapping;
  dram::SimulatorOptions sim;
  std::vector<std::string> inputs;
};

Memory load_memory(const MemoryArgs& a) {
  const std::string path = resolve_data_file(a.memspec);
  dram::MemSpec nominal = dram::load_memspec(path);
  dram::VoltageOptions vo;
  vo.vdd_v = a.voltage;
  vo.latency_stretch_per_volt = a.latency_stretch;
  std::vector<std::string> inputs = {path};
  if (!a.current_table.empty()) {
    vo.currents = dram::load_current_scale_table(a.current_table);
    inputs.push_back(a.current_table);
  }
  dram::MemSpec spec = dram::at_voltage(nominal, vo);
  dram::AddressMapping mapping = a.address_mapping.empty()
                                     ? dram::AddressMapping::default_for(spec.org)
                                     : dram::AddressMapping(spec.org, a.address_mapping);
  dram::SimulatorOptions sim;
  sim.refresh = a.refresh == "prorate" ? dram::RefreshMode::kProrate
                : a.refresh == "off"   ? dram::RefreshMode::kOff
                                       : dram::RefreshMode::kIssue;
  return {path, std::move(nominal), std::move(spec), std::move(mapping), sim, inputs};
}

nlohmann::json memory_json(const Memory& m) {
  return {{"memspec", m.nominal.to_json()},
          {"vdd_v", m.spec.vdd1_v()},
          {"nominal_vdd_v", m.nominal.vdd1_v()},
          {"timing_at_voltage_ck",
           {{"rcd", m.spec.timing.rcd},
            {"rp", m.spec.timing.rp},
            {"ras", m.spec.timing.ras},
            {"rc", m.spec.timing.rc}}},
          {"address_mapping", m.mapping.order()},
          {"command_energies", dram::command_energies(m.spec).to_json()}};
}

// The chip BER at the memory's voltage, from --ber or the voltage study; nullopt if neither.
struct ChipBer {
  double ber = 0;
  nlohmann::json source;
};
std::optional<ChipBer> chip_ber(const BerArgs& a, double vdd_v, std::vector<std::string>& inputs) {
  if (a.ber >= 0) {
    if (a.ber > 0.5) throw ConfigError("--ber " + std::to_string(a.ber) + ": expected at most 0.5");
    if (!a.vendor.empty() || !a.dimm.empty()) {
      throw ConfigError("--ber excludes --vendor and --dimm");
    }
    return ChipBer{a.ber, {{"kind", "fixed"}, {"ber", a.ber}}};
  }
  if (a.vendor.empty() && a.dimm.empty()) return std::nullopt;
  const dram::BerCurve curve = load_ber_curve(a.study, a.vendor, a.dimm, a.statistic, inputs);
  const std::string path = inputs.back();
  const double ber = curve.ber_at(vdd_v);
  return ChipBer{ber,
                 {{"kind", "voltage study"},
                  {"curve", curve.name},
                  {"vdd_v", vdd_v},
                  {"ber", ber},
                  {"saturated", curve.saturated_at(vdd_v)},
                  {"study", path}}};
}

// Where the weights come from: an ONNX model (quantized to int8), a spiking network (.snn,
// stored as fp32 or q<k>), or synthetic NAME:BYTES[:BITS] segments (zero bytes; only sizes matter
// for energy and mapping).
struct ModelArgs {
  ModelOptions qnn;
  std::string net, weight_format = "fp32";
  std::vector<std::string> segments;
};

void add_model_options(CLI::App* cmd, ModelArgs& a, bool evaluation) {
  a.qnn.add_to(*cmd, false, evaluation);
  cmd->add_option("--net", a.net, "spiking network (.snn) whose input weights live in DRAM");
  cmd->add_option("--weight-format", a.weight_format, "--net storage: fp32 or q4..q16")
      ->capture_default_str();
  if (!evaluation) {
    cmd->add_option("--segment", a.segments,
                    "a weight segment NAME:BYTES[:BITS_PER_WORD] (repeatable)");
  }
}

struct WeightSource {
  std::string kind;
  std::vector<std::string> inputs;
  std::optional<qnn::QModel> qmodel;
  std::optional<snn::WeightStore> store;
  std::vector<std::vector<uint8_t>> storage;
  std::vector<MemorySegment> views;
  nlohmann::json describe;
};

int exactly_one_source(const ModelArgs& a) {
  const int n = !a.qnn.model.empty() + !a.net.empty() + !a.segments.empty();
  if (n != 1) throw ConfigError("give exactly one of --model, --net and --segment");
  return n;
}

qnn::QModel load_int8_model(const ModelOptions& o, std::vector<std::string>& inputs) {
  const qnn::Graph graph = qnn::import_onnx(o.model);
  const data::Dataset train = data::load_dataset(o.dataset, data::Split::kTrain);
  ThreadPool pool(o.threads);
  inputs.push_back(o.model);
  return qnn::quantize(graph, train, o.calibration_options(), pool);
}

WeightSource load_weights(const ModelArgs& a) {
  WeightSource w;
  if (!a.qnn.model.empty()) {
    w.kind = "int8 model";
    w.qmodel = load_int8_model(a.qnn, w.inputs);
    w.views = sparkxd::int8_weight_segments(*w.qmodel);
  } else if (!a.net.empty()) {
    w.kind = "spiking network";
    const snn::Network net = snn::load_network(a.net);
    w.inputs.push_back(a.net);
    w.store.emplace(snn::WeightFormat::parse(a.weight_format), static_cast<float>(net.params.w_max),
                    net.weights);
    w.views.push_back(sparkxd::snn_weight_segment(*w.store));
  } else {
    w.kind = "segments";
    std::vector<int> bits;
    for (const std::string& spec : a.segments) {
      const auto c1 = spec.find(':');
      const auto c2 = c1 == std::string::npos ? c1 : spec.find(':', c1 + 1);
      long long bytes = 0;
      int b = 8;
      try {
        if (c1 == std::string::npos || c1 == 0) throw std::invalid_argument("");
        size_t used = 0;
        const std::string n = spec.substr(c1 + 1, c2 == std::string::npos ? c2 : c2 - c1 - 1);
        bytes = std::stoll(n, &used);
        if (used != n.size()) throw std::invalid_argument("");
        if (c2 != std::string::npos) {
          const std::string k = spec.substr(c2 + 1);
          b = std::stoi(k, &used);
          if (used != k.size()) throw std::invalid_argument("");
        }
      } catch (const std::exception&) {
        throw ConfigError("--segment '" + spec + "': expected NAME:BYTES[:BITS_PER_WORD]");
      }
      if (bytes < 1 || bytes > (int64_t{1} << 34) || b < 1 || b > 64) {
        throw ConfigError("--segment '" + spec + "': expected 1 to 2^34 bytes and 1 to 64 bits");
      }
      w.storage.emplace_back(static_cast<size_t>(bytes));
      bits.push_back(b);
    }
    for (size_t i = 0; i < a.segments.size(); ++i) {
      w.views.push_back({a.segments[i].substr(0, a.segments[i].find(':')), w.storage[i], bits[i]});
    }
  }
  w.describe = {{"kind", w.kind}, {"segments", nlohmann::json::array()}};
  for (const MemorySegment& s : w.views) {
    w.describe["segments"].push_back(
        {{"name", s.name}, {"bytes", s.size_bytes()}, {"bits_per_word", s.bits_per_word}});
  }
  return w;
}

// Places segments as the options say; a sparkxd mapping needs a chip BER.
dram::Placement place(const Memory& m, const BerArgs& ber_args, const PlacementArgs& pa,
                      std::span<const MemorySegment> segments, std::vector<std::string>& inputs,
                      nlohmann::json& ber_json, std::unique_ptr<dram::WeakRegionMap>& regions) {
  const auto ber = chip_ber(ber_args, m.spec.vdd1_v(), inputs);
  dram::MappingOptions mo;
  mo.policy = dram::parse_mapping_policy(pa.mapping);
  if (mo.policy == dram::MappingPolicy::kSparkXd) {
    if (!ber) throw ConfigError("--mapping sparkxd needs --vendor, --dimm or --ber");
    if (pa.tolerable_ber < 0) throw ConfigError("--mapping sparkxd needs --tolerable-ber");
    mo.tolerable_ber = pa.tolerable_ber;
  } else if (pa.tolerable_ber >= 0) {
    throw ConfigError("--tolerable-ber applies to --mapping sparkxd only");
  }
  regions = std::make_unique<dram::WeakRegionMap>(
      m.spec.org, dram::SpatialVariation{ber_args.bank_sigma, ber_args.subarray_sigma},
      ber_args.seed);
  ber_json = ber ? ber->source : nlohmann::json(nullptr);
  return dram::map_segments(segments, m.mapping, *regions, ber ? ber->ber : 0.0, mo);
}

// The weights of --model / --net / --segment loaded and placed in the memory (energy and map).
struct PlacedWeights {
  WeightSource weights;
  nlohmann::json chip_ber;
  std::unique_ptr<dram::WeakRegionMap> regions;
  dram::Placement placement;
};

PlacedWeights load_and_place(const Memory& m, const ModelArgs& model, const BerArgs& ber,
                             const PlacementArgs& pa, std::vector<std::string>& inputs) {
  exactly_one_source(model);
  PlacedWeights r{load_weights(model), {}, {}, {}};
  inputs.insert(inputs.end(), r.weights.inputs.begin(), r.weights.inputs.end());
  r.placement = place(m, ber, pa, r.weights.views, inputs, r.chip_ber, r.regions);
  return r;
}

void print_energy(const dram::TraceEnergy& t, double tck_s, const dram::AccessStats* stats) {
  const auto& e = t.energy;
  fmt::print("energy by command (pJ): ACT {:.1f}  PRE {:.1f}  RD {:.1f}  WR {:.1f}  REF {:.1f}\n",
             e.act_j * 1e12, e.pre_j * 1e12, e.read_j * 1e12, e.write_j * 1e12, e.refresh_j * 1e12);
  fmt::print("background (pJ):        active {:.1f}  precharged {:.1f}\n", e.act_standby_j * 1e12,
             e.pre_standby_j * 1e12);
  fmt::print("total                   {:.2f} nJ over {} cycles ({:.3f} us)\n", e.total_j() * 1e9,
             t.cycles(), static_cast<double>(t.cycles()) * tck_s * 1e6);
  fmt::print("commands                ACT {}  PRE {}  RD {}  WR {}  REF {}\n", t.counts.act,
             t.counts.pre, t.counts.read, t.counts.write, t.counts.refresh);
  if (stats) {
    fmt::print("accesses                {} ({} hits, {} misses, {} conflicts)\n", stats->accesses,
               stats->hits, stats->misses, stats->conflicts);
  }
}

struct EnergyArgs {
  MemoryArgs memory;
  BerArgs ber;
  PlacementArgs placement;
  ModelArgs model;
  std::string trace, write_commands, json;
};

void run_energy(const EnergyArgs& a) {
  Memory m = load_memory(a.memory);
  std::vector<std::string> inputs = m.inputs;
  nlohmann::json out = {{"command", "dram energy"}, {"memory", memory_json(m)}};
  const bool weights =
      !a.model.qnn.model.empty() || !a.model.net.empty() || !a.model.segments.empty();
  if (!a.trace.empty() == weights) {
    throw ConfigError("give either --trace or one of --model, --net, --segment");
  }
  std::optional<dram::SimulationResult> sim;
  if (!a.trace.empty()) {
    inputs.push_back(a.trace);
    if (dram::is_command_trace(a.trace)) {
      if (!a.write_commands.empty()) {
        throw ConfigError("--write-commands needs an access trace, not a command trace");
      }
      const auto commands = dram::read_command_trace(a.trace, m.spec.org);
      const dram::TraceEnergy t = dram::evaluate_commands(m.spec, commands, a.trace);
      out["input"] = {{"kind", "command trace"}, {"path", a.trace}, {"commands", commands.size()}};
      out["result"] = t.to_json(m.spec.timing.tck_s());
      print_energy(t, m.spec.timing.tck_s(), nullptr);
    } else {
      const auto accesses = dram::read_access_trace(a.trace);
      sim = dram::simulate(m.spec, m.mapping, accesses, m.sim);
      out["input"] = {{"kind", "access trace"}, {"path", a.trace}};
    }
  } else {
    const PlacedWeights placed = load_and_place(m, a.model, a.ber, a.placement, inputs);
    sim = dram::simulate(m.spec, m.mapping, placed.placement.access_trace(m.mapping), m.sim);
    out["input"] = placed.weights.describe;
    out["chip_ber"] = placed.chip_ber;
    out["placement"] = placed.placement.to_json(*placed.regions);
    fmt::print(
        "one inference: every weight read once, {} bytes in {} segments\n",
        [&] {
          int64_t b = 0;
          for (const auto& v : placed.weights.views) b += v.size_bytes();
          return b;
        }(),
        placed.weights.views.size());
  }
  if (sim) {
    out["result"] = sim->to_json();
    print_energy(sim->trace, m.spec.timing.tck_s(), &sim->stats);
    if (!a.write_commands.empty()) {
      if (sim->device_commands.size() != 1) {
        throw ConfigError("--write-commands needs a memspec with one channel and one rank");
      }
      dram::write_command_trace(a.write_commands, sim->device_commands[0]);
    }
  }
  if (!a.json.empty()) {
    out["provenance"] = provenance(inputs);
    write_json_file(a.json, out);
  }
}

struct MapArgs {
  MemoryArgs memory;
  BerArgs ber;
  PlacementArgs placement;
  ModelArgs model;
  std::string json;
};

void run_map(const MapArgs& a) {
  Memory m = load_memory(a.memory);
  std::vector<std::string> inputs = m.inputs;
  const PlacedWeights placed = load_and_place(m, a.model, a.ber, a.placement, inputs);
  const WeightSource& w = placed.weights;
  const nlohmann::json& ber_json = placed.chip_ber;
  const std::unique_ptr<dram::WeakRegionMap>& regions = placed.regions;
  const dram::Placement& p = placed.placement;
  fmt::print("{} at {:.3f} V, mapping {}, chip BER {:.3g}, {} of {} regions usable\n", m.nominal.id,
             m.spec.vdd1_v(), dram::mapping_policy_name(p.options.policy), p.chip_ber,
             p.usable_regions, regions->regions());
  fmt::print("{:<24} {:>12} {:>8} {:>8} {:>12} {:>12} {:>14}\n", "segment", "bytes", "bursts",
             "regions", "max BER", "mean BER", "first address");
  for (const auto& s : p.segments) {
    fmt::print("{:<24} {:>12} {:>8} {:>8} {:>12.3g} {:>12.3g} {:>#14x}\n", s.name, s.bytes,
               s.bursts, s.regions, s.max_region_ber, s.mean_ber, s.first_address);
  }
  if (!a.json.empty()) {
    nlohmann::json out = {{"command", "dram map"},
                          {"memory", memory_json(m)},
                          {"input", w.describe},
                          {"chip_ber", ber_json},
                          {"spatial_variation",
                           {{"bank_sigma", a.ber.bank_sigma},
                            {"subarray_sigma", a.ber.subarray_sigma},
                            {"seed", a.ber.seed}}},
                          {"placement", p.to_json(*regions)},
                          {"provenance", provenance(inputs)}};
    write_json_file(a.json, out);
  }
}

struct SweepArgs {
  MemoryArgs memory;
  BerArgs ber;
  PlacementArgs placement;
  ModelArgs model;
  std::string voltages = "1.35:1.025:0.025";
  int seeds = 3;
  uint64_t error_seed = 1;
  int error_model = 0;
  double weak_line_fraction = 0.05, one_to_zero_share = 1.0;
  uint64_t input_seed = 1;
  std::string json, csv;
};

void run_sweep(const SweepArgs& a) {
  if (a.memory.voltage != 0) throw ConfigError("dram sweep takes --voltages, not --voltage");
  if (a.ber.vendor.empty() && a.ber.dimm.empty() && a.ber.ber < 0) {
    throw ConfigError("dram sweep needs --vendor, --dimm or --ber");
  }
  if (a.model.qnn.model.empty() == a.model.net.empty()) {
    throw ConfigError("give exactly one of --model and --net");
  }
  Memory m = load_memory(a.memory);
  std::vector<std::string> inputs = m.inputs;

  sparkxd::BerSource ber;
  nlohmann::json ber_json;
  if (a.ber.ber >= 0) {
    if (!a.ber.vendor.empty() || !a.ber.dimm.empty()) {
      throw ConfigError("--ber excludes --vendor and --dimm");
    }
    ber.fixed_ber = a.ber.ber;
  } else {
    ber.curve = load_ber_curve(a.ber.study, a.ber.vendor, a.ber.dimm, a.ber.statistic, inputs);
  }

  sparkxd::DramConfig config;
  config.nominal = m.nominal;
  config.address_order = a.memory.address_mapping;
  if (!a.memory.current_table.empty()) {
    config.voltage.currents = dram::load_current_scale_table(a.memory.current_table);
  }
  config.voltage.latency_stretch_per_volt = a.memory.latency_stretch;
  config.refresh = a.memory.refresh == "issue" ? dram::RefreshMode::kIssue
                   : a.memory.refresh == "off" ? dram::RefreshMode::kOff
                                               : dram::RefreshMode::kProrate;
  config.spread = {a.ber.bank_sigma, a.ber.subarray_sigma};
  config.chip_seed = a.ber.seed;
  config.mapping.policy = dram::parse_mapping_policy(a.placement.mapping);
  if (config.mapping.policy == dram::MappingPolicy::kSparkXd) {
    if (a.placement.tolerable_ber < 0) throw ConfigError("--mapping sparkxd needs --tolerable-ber");
    config.mapping.tolerable_ber = a.placement.tolerable_ber;
  } else if (a.placement.tolerable_ber >= 0) {
    throw ConfigError("--tolerable-ber applies to --mapping sparkxd only");
  }
  config.errors.model = dram::error_model_from_index(a.error_model);
  config.errors.weak_line_fraction = a.weak_line_fraction;
  config.errors.one_to_zero_share = a.one_to_zero_share;

  sparkxd::SweepOptions so;
  so.voltages = sparkxd::parse_voltages(a.voltages);
  so.seeds = a.seeds;
  so.seed = a.error_seed;

  const ModelOptions& q = a.model.qnn;
  const data::Dataset test = data::load_dataset(q.dataset, data::Split::kTest);
  std::unique_ptr<sparkxd::WeightedModel> model;
  if (!q.model.empty()) {
    model = std::make_unique<sparkxd::Int8Model>(load_int8_model(q, inputs), test, q.images,
                                                 q.kernel_set());
  } else {
    snn::InferenceOptions io;
    io.images = q.images;
    io.seed = a.input_seed;
    inputs.push_back(a.model.net);
    model = std::make_unique<sparkxd::SnnModel>(
        snn::load_network(a.model.net), snn::WeightFormat::parse(a.model.weight_format), test, io);
  }
  ThreadPool pool(q.threads);
  Progress progress("dram sweep", static_cast<int64_t>(so.voltages.size()) * so.seeds, "maps");
  const sparkxd::SweepResult r = sparkxd::dram_sweep(
      *model, config, ber, so, pool,
      [&](int64_t done, int64_t, const std::string& note) { progress.update(done, note); });
  progress.finish();

  fmt::print("{} ({}), {} mapping, {} errors, BER curve {}, clean accuracy {:.2f}%\n", m.nominal.id,
             q.model.empty() ? a.model.net : q.model,
             dram::mapping_policy_name(config.mapping.policy),
             dram::error_model_name(config.errors.model), ber.name(), 100 * r.clean_accuracy);
  fmt::print("{:>7} {:>10} {:>9} {:>17} {:>12} {:>8}\n", "V", "chip BER", "acc %", "95% CI",
             "energy nJ", "saving");
  for (const auto& p : r.points) {
    if (!p.note.empty()) {
      fmt::print("{:>7.3f}  {}\n", p.vdd_v, p.note);
      continue;
    }
    fmt::print("{:>7.3f} {:>10.2e} {:>9.2f} [{:>6.2f}, {:>6.2f}] {:>12.3f} {:>7.1f}%{}\n", p.vdd_v,
               p.chip_ber, 100 * p.accuracy_mean, 100 * p.accuracy_ci_low, 100 * p.accuracy_ci_high,
               p.energy.total_j() * 1e9, 100 * p.energy_saving,
               p.saturated ? "  (BER a lower bound: saturated)" : "");
  }
  nlohmann::json out = r.to_json();
  out["command"] = "dram sweep";
  out["options"] = {{"voltages", a.voltages},
                    {"seeds", a.seeds},
                    {"error_seed", a.error_seed},
                    {"chip_seed", a.ber.seed},
                    {"vendor", a.ber.vendor},
                    {"dimm", a.ber.dimm},
                    {"vendor_statistic", a.ber.statistic},
                    {"ber", a.ber.ber},
                    {"dataset", q.dataset},
                    {"images", q.images},
                    {"threads", q.threads},
                    {"weight_format", a.model.weight_format},
                    {"input_seed", a.input_seed}};
  out["memory"] = memory_json(m);
  out["provenance"] = provenance(inputs);
  if (!a.json.empty()) write_json_file(a.json, out);
  if (!a.csv.empty()) r.write_csv(a.csv);
}

}  // namespace

void add_dram_command(CLI::App& app) {
  CLI::App* dram = app.add_subcommand("dram", "approximate DRAM: energy, weight mapping, errors");
  dram->require_subcommand(1);

  auto e = std::make_shared<EnergyArgs>();
  CLI::App* energy = dram->add_subcommand(
      "energy", "DRAM energy by command and time of a trace or of one inference's weight reads");
  add_memory_options(energy, e->memory);
  energy->add_option("--trace", e->trace,
                     "access trace (<address> <R|W> [cycle]) or DRAMPower command trace "
                     "(<cycle>,<command>,<bank>)");
  add_model_options(energy, e->model, false);
  add_placement_options(energy, e->placement);
  add_ber_options(energy, e->ber);
  energy->add_option("--write-commands", e->write_commands,
                     "write the simulated command trace (DRAMPower format) here");
  energy->add_option("--json", e->json, "write the result as JSON here");
  energy->callback([e] { run_energy(*e); });

  auto mp = std::make_shared<MapArgs>();
  CLI::App* map = dram->add_subcommand("map", "where each weight segment lives and its BER");
  add_memory_options(map, mp->memory);
  add_model_options(map, mp->model, false);
  add_placement_options(map, mp->placement);
  add_ber_options(map, mp->ber);
  map->add_option("--json", mp->json, "write the placement as JSON here");
  map->callback([mp] { run_map(*mp); });

  auto sw = std::make_shared<SweepArgs>();
  CLI::App* sweep = dram->add_subcommand(
      "sweep", "accuracy and DRAM energy per inference vs supply voltage, errors in the weights");
  add_memory_options(sweep, sw->memory);
  add_model_options(sweep, sw->model, true);
  add_placement_options(sweep, sw->placement);
  add_ber_options(sweep, sw->ber);
  sweep->add_option("--voltages", sw->voltages, "start:stop:step or a comma list, volts")
      ->capture_default_str();
  sweep->add_option("--seeds", sw->seeds, "error maps per voltage")->capture_default_str();
  sweep->add_option("--error-seed", sw->error_seed, "seed of the error maps")
      ->capture_default_str();
  sweep
      ->add_option("--error-model", sw->error_model,
                   "0 uniform, 1 bitline, 2 wordline, 3 data-dependent")
      ->capture_default_str();
  sweep
      ->add_option("--weak-line-fraction", sw->weak_line_fraction,
                   "models 1 and 2: fraction of weak bitlines / wordlines")
      ->capture_default_str();
  sweep
      ->add_option("--one-to-zero-share", sw->one_to_zero_share,
                   "model 3: share of errors that are 1->0")
      ->capture_default_str();
  sweep->add_option("--input-seed", sw->input_seed, "--net: seed of the input spike trains")
      ->capture_default_str();
  sweep->add_option("--json", sw->json, "write the sweep as JSON here");
  sweep->add_option("--csv", sw->csv, "write one row per voltage here");
  sweep->callback([sw] { run_sweep(*sw); });
}

}  // namespace hardy::cli
