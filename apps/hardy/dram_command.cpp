// `hardy dram energy|map`: DRAM energy of a trace or of mapped weights, and where weights live.
#include <fmt/core.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "hardy/core/error.h"
#include "hardy/dram/command_trace.h"
#include "hardy/dram/mapping.h"
#include "hardy/dram/simulator.h"
#include "hardy/dram/voltage.h"
#include "hardy/dram/voltage_study.h"
#include "json_output.h"

namespace hardy::cli {
namespace {

namespace fs = std::filesystem;

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
  std::vector<std::string> segments;  // name:bytes[:bits]
};

// A memspec path, or the name of a file in data/dram/ (with or without .json).
std::string resolve_data_file(const std::string& name) {
  if (fs::exists(name) || name.find('/') != std::string::npos) return name;
  const std::string dir = std::string(HARDY_SOURCE_DIR) + "/data/dram/";
  if (fs::exists(dir + name)) return dir + name;
  if (fs::exists(dir + name + ".json")) return dir + name + ".json";
  return name;
}

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
  cmd->add_option("--segment", a.segments,
                  "a weight segment NAME:BYTES[:BITS_PER_WORD] (repeatable)");
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
          {"vdd_v", m.spec.nominal_vdd_v()},
          {"nominal_vdd_v", m.nominal.nominal_vdd_v()},
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
  const std::string path =
      a.study.empty() ? resolve_data_file("voltage_study_faulty_cachelines.csv") : a.study;
  inputs.push_back(path);
  const dram::VoltageStudy study = dram::VoltageStudy::load(path);
  const dram::BerCurve curve =
      !a.dimm.empty()
          ? study.dimm(a.dimm)
          : study.vendor_curve(a.vendor, a.statistic == "worst" ? dram::VendorStatistic::kWorst
                                                                : dram::VendorStatistic::kMedian);
  if (!a.dimm.empty() && !a.vendor.empty() && curve.vendor != a.vendor) {
    throw ConfigError("--dimm " + a.dimm + " is a vendor " + curve.vendor + " DIMM, not " +
                      a.vendor);
  }
  const double ber = curve.ber_at(vdd_v);
  return ChipBer{ber,
                 {{"kind", "voltage study"},
                  {"curve", curve.name},
                  {"vdd_v", vdd_v},
                  {"ber", ber},
                  {"saturated", curve.saturated_at(vdd_v)},
                  {"study", path}}};
}

// Synthetic segments from NAME:BYTES[:BITS] (zero bytes; only their sizes matter for energy).
struct Segments {
  std::vector<std::vector<uint8_t>> storage;
  std::vector<MemorySegment> views;
};
Segments parse_segments(const std::vector<std::string>& specs) {
  Segments s;
  for (const std::string& spec : specs) {
    const auto c1 = spec.find(':');
    const auto c2 = c1 == std::string::npos ? c1 : spec.find(':', c1 + 1);
    long long bytes = 0;
    int bits = 8;
    try {
      if (c1 == std::string::npos || c1 == 0) throw std::invalid_argument("");
      size_t used = 0;
      const std::string b = spec.substr(c1 + 1, c2 == std::string::npos ? c2 : c2 - c1 - 1);
      bytes = std::stoll(b, &used);
      if (used != b.size()) throw std::invalid_argument("");
      if (c2 != std::string::npos) {
        const std::string w = spec.substr(c2 + 1);
        bits = std::stoi(w, &used);
        if (used != w.size()) throw std::invalid_argument("");
      }
    } catch (const std::exception&) {
      throw ConfigError("--segment '" + spec + "': expected NAME:BYTES[:BITS_PER_WORD]");
    }
    if (bytes < 1 || bytes > (int64_t{1} << 34) || bits < 1 || bits > 64) {
      throw ConfigError("--segment '" + spec + "': expected 1 to 2^34 bytes and 1 to 64 bits");
    }
    s.storage.emplace_back(static_cast<size_t>(bytes));
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    const std::string name = specs[i].substr(0, specs[i].find(':'));
    const auto c2 = specs[i].find(':', specs[i].find(':') + 1);
    const int bits = c2 == std::string::npos ? 8 : std::stoi(specs[i].substr(c2 + 1));
    s.views.push_back({name, s.storage[i], bits});
  }
  return s;
}

// Places segments as the options say; a sparkxd mapping needs a chip BER.
dram::Placement place(const Memory& m, const BerArgs& ber_args, const PlacementArgs& pa,
                      std::span<const MemorySegment> segments, std::vector<std::string>& inputs,
                      nlohmann::json& ber_json, std::unique_ptr<dram::WeakRegionMap>& regions) {
  const auto ber = chip_ber(ber_args, m.spec.nominal_vdd_v(), inputs);
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
  std::string trace, write_commands, json;
};

void run_energy(const EnergyArgs& a) {
  Memory m = load_memory(a.memory);
  std::vector<std::string> inputs = m.inputs;
  nlohmann::json out = {{"command", "dram energy"}, {"memory", memory_json(m)}};
  if (!a.trace.empty() == !a.placement.segments.empty()) {
    throw ConfigError("give either --trace or --segment");
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
    Segments segs = parse_segments(a.placement.segments);
    nlohmann::json ber_json;
    std::unique_ptr<dram::WeakRegionMap> regions;
    const dram::Placement p = place(m, a.ber, a.placement, segs.views, inputs, ber_json, regions);
    sim = dram::simulate(m.spec, m.mapping, p.access_trace(m.mapping), m.sim);
    out["input"] = {{"kind", "segments"}, {"segments", a.placement.segments}};
    out["chip_ber"] = ber_json;
    out["placement"] = p.to_json(*regions);
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
  std::string json;
};

void run_map(const MapArgs& a) {
  Memory m = load_memory(a.memory);
  std::vector<std::string> inputs = m.inputs;
  if (a.placement.segments.empty()) throw ConfigError("give at least one --segment");
  Segments segs = parse_segments(a.placement.segments);
  nlohmann::json ber_json;
  std::unique_ptr<dram::WeakRegionMap> regions;
  const dram::Placement p = place(m, a.ber, a.placement, segs.views, inputs, ber_json, regions);
  fmt::print("{} at {:.3f} V, mapping {}, chip BER {:.3g}, {} of {} regions usable\n", m.nominal.id,
             m.spec.nominal_vdd_v(), dram::mapping_policy_name(p.options.policy), p.chip_ber,
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
  add_placement_options(energy, e->placement);
  add_ber_options(energy, e->ber);
  energy->add_option("--write-commands", e->write_commands,
                     "write the simulated command trace (DRAMPower format) here");
  energy->add_option("--json", e->json, "write the result as JSON here");
  energy->callback([e] { run_energy(*e); });

  auto mp = std::make_shared<MapArgs>();
  CLI::App* map = dram->add_subcommand("map", "where each weight segment lives and its BER");
  add_memory_options(map, mp->memory);
  add_placement_options(map, mp->placement);
  add_ber_options(map, mp->ber);
  map->add_option("--json", mp->json, "write the placement as JSON here");
  map->callback([mp] { run_map(*mp); });
}

}  // namespace hardy::cli
