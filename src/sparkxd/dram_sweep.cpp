// The voltage sweep: map, simulate, inject, measure.
#include "hardy/sparkxd/dram_sweep.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "hardy/core/error.h"
#include "hardy/core/parse_number.h"
#include "hardy/core/rng.h"
#include "hardy/sparkxd/error_maps.h"

namespace hardy::sparkxd {

std::vector<double> parse_voltages(const std::string& text) {
  auto bad = [&](const std::string& why) { return ConfigError("voltages '" + text + "': " + why); };
  std::vector<double> v;
  if (text.find(':') != std::string::npos) {
    std::vector<std::string> parts;
    std::stringstream s(text);
    std::string p;
    while (std::getline(s, p, ':')) parts.push_back(p);
    double start = 0, stop = 0, step = 0;
    if (parts.size() != 3 || !parse_finite_double(parts[0], start) ||
        !parse_finite_double(parts[1], stop) || !parse_finite_double(parts[2], step) || step <= 0) {
      throw bad("expected start:stop:step with step > 0");
    }
    const double dir = stop < start ? -1.0 : 1.0;
    const double n = std::floor(std::abs(stop - start) / step + 1e-3);
    if (n > 999) throw bad("more than 1000 voltages");
    for (int i = 0; i <= static_cast<int>(n); ++i) {
      // Rounded to 1e-9 V so 1.35 − 13·0.025 prints and matches as 1.025.
      v.push_back(std::round((start + dir * i * step) * 1e9) / 1e9);
    }
  } else {
    std::stringstream s(text);
    std::string p;
    while (std::getline(s, p, ',')) {
      double x = 0;
      if (!parse_finite_double(p, x)) throw bad("expected numbers separated by commas");
      v.push_back(x);
    }
  }
  if (v.empty() || v.size() > 1000) throw bad("expected 1 to 1000 voltages");
  for (double x : v) {
    if (!(x > 0 && x <= 5)) throw bad("every voltage must be in (0, 5] V");
  }
  return v;
}

nlohmann::json SweepPoint::to_json() const {
  nlohmann::json j = {{"vdd_v", vdd_v}};
  if (!note.empty()) {
    j["note"] = note;
    return j;
  }
  j.update({{"chip_ber", chip_ber},
            {"saturated", saturated},
            {"usable_regions", usable_regions},
            {"mean_weight_ber", mean_weight_ber},
            {"accuracies", accuracies},
            {"flips", flips},
            {"accuracy_mean", accuracy_mean},
            {"accuracy_sd", accuracy_sd},
            {"accuracy_ci95", {accuracy_ci_low, accuracy_ci_high}},
            {"energy", energy.to_json()},
            {"energy_saving", energy_saving},
            {"time_s", time_s},
            {"accesses", accesses.to_json()}});
  return j;
}

nlohmann::json SweepResult::to_json() const {
  nlohmann::json pts = nlohmann::json::array();
  for (const SweepPoint& p : points) pts.push_back(p.to_json());
  return {{"model", model},
          {"config", config},
          {"clean_accuracy", clean_accuracy},
          {"reference_energy_pj", reference_energy_j * 1e12},
          {"points", pts}};
}

void SweepResult::write_csv(const std::string& path) const {
  std::ofstream out(path);
  if (!out) throw FileError(path, "cannot create file");
  out << "vdd_v,chip_ber,saturated,usable_regions,mean_weight_ber,accuracy_mean,accuracy_sd,"
         "accuracy_ci95_low,accuracy_ci95_high,flips_mean,energy_pj,energy_saving,act_pj,pre_pj,"
         "read_pj,refresh_pj,background_pj,time_s,hits,misses,conflicts,note\n";
  out.precision(10);
  for (const SweepPoint& p : points) {
    out << p.vdd_v << ',';
    if (!p.note.empty()) {
      out << ",,,,,,,,,,,,,,,,,,,,\"" << p.note << "\"\n";
      continue;
    }
    double flips = 0;
    for (int64_t f : p.flips) flips += static_cast<double>(f);
    flips /= static_cast<double>(std::max<size_t>(1, p.flips.size()));
    const auto& e = p.energy;
    out << p.chip_ber << ',' << (p.saturated ? 1 : 0) << ',' << p.usable_regions << ','
        << p.mean_weight_ber << ',' << p.accuracy_mean << ',' << p.accuracy_sd << ','
        << p.accuracy_ci_low << ',' << p.accuracy_ci_high << ',' << flips << ','
        << e.total_j() * 1e12 << ',' << p.energy_saving << ',' << e.act_j * 1e12 << ','
        << e.pre_j * 1e12 << ',' << e.read_j * 1e12 << ',' << e.refresh_j * 1e12 << ','
        << e.background_j() * 1e12 << ',' << p.time_s << ',' << p.accesses.hits << ','
        << p.accesses.misses << ',' << p.accesses.conflicts << ",\n";
  }
  if (!out) throw FileError(path, "write failed");
}

dram::AddressMapping address_mapping(const DramConfig& config) {
  return config.address_order.empty()
             ? dram::AddressMapping::default_for(config.nominal.org)
             : dram::AddressMapping(config.nominal.org, config.address_order);
}

dram::SimulationResult simulate_reads(const DramConfig& config, const dram::AddressMapping& mapping,
                                      const dram::Placement& placement, double vdd_v) {
  dram::SimulatorOptions sim;
  sim.refresh = config.refresh;
  sim.keep_commands = false;
  dram::VoltageOptions vo = config.voltage;
  vo.vdd_v = vdd_v;
  return dram::simulate(dram::at_voltage(config.nominal, vo), mapping,
                        placement.access_trace(mapping), sim);
}

SweepResult dram_sweep(WeightedModel& model, const DramConfig& config, const BerSource& ber,
                       const SweepOptions& options, ThreadPool& pool,
                       const SweepProgress& progress) {
  if (options.seeds < 1 || options.seeds > 10000) {
    throw ConfigError("error maps per voltage: " + std::to_string(options.seeds) +
                      " is outside 1..10000");
  }
  if (options.voltages.empty()) throw ConfigError("no voltages to sweep");
  const dram::AddressMapping mapping = address_mapping(config);
  const dram::WeakRegionMap regions(config.nominal.org, config.spread, config.chip_seed);

  SweepResult result;
  result.model = model.describe();
  result.config = {{"memspec", config.nominal.id},
                   {"memspec_source", config.nominal.source},
                   {"nominal_vdd_v", config.nominal.vdd1_v()},
                   {"address_mapping", mapping.order()},
                   {"refresh", config.refresh == dram::RefreshMode::kProrate ? "prorate"
                               : config.refresh == dram::RefreshMode::kOff   ? "off"
                                                                             : "issue"},
                   {"latency_stretch_per_volt", config.voltage.latency_stretch_per_volt},
                   {"spatial_variation", config.spread.to_json()},
                   {"chip_seed", config.chip_seed},
                   {"mapping", dram::mapping_policy_name(config.mapping.policy)},
                   {"tolerable_ber", config.mapping.tolerable_ber},
                   {"errors", config.errors.to_json()},
                   {"ber_curve", ber.name()},
                   {"seeds", options.seeds},
                   {"seed", options.seed}};
  model.restore();
  result.clean_accuracy = model.accuracy(pool);

  // Reference: baseline mapping at the nominal voltage.
  result.reference_energy_j =
      simulate_reads(config, mapping,
                     dram::map_segments(model.segments(), mapping, regions, 0.0, {}), 0.0)
          .trace.energy.total_j();

  const int64_t total = static_cast<int64_t>(options.voltages.size()) * options.seeds;
  int64_t done = 0;
  for (double v : options.voltages) {
    SweepPoint point;
    point.vdd_v = v;
    dram::Placement placement;
    try {
      point.chip_ber = ber.ber_at(v);
      point.saturated = ber.saturated_at(v);
      placement =
          dram::map_segments(model.segments(), mapping, regions, point.chip_ber, config.mapping);
    } catch (const ConfigError& e) {
      point.note = e.what();
      result.points.push_back(point);
      done += options.seeds;
      if (progress) progress(done, total, "skipped " + std::to_string(v) + " V");
      continue;
    }
    point.usable_regions = placement.usable_regions;
    double ber_sum = 0;
    int64_t bursts = 0;
    for (const auto& s : placement.segments) {
      ber_sum += s.mean_ber * static_cast<double>(s.bursts);
      bursts += s.bursts;
    }
    point.mean_weight_ber = bursts ? ber_sum / static_cast<double>(bursts) : 0;

    const dram::SimulationResult r = simulate_reads(config, mapping, placement, v);
    point.energy = r.trace.energy;
    point.time_s = r.time_s();
    point.accesses = r.stats;
    point.energy_saving = 1.0 - point.energy.total_j() / result.reference_energy_j;

    const MapAccuracy maps =
        measure_error_maps(model, regions, placement, config.errors, options.seeds, options.seed,
                           "sparkxd.error_map", result.clean_accuracy, pool, [&](int, double acc) {
                             ++done;
                             if (progress) {
                               std::ostringstream note;
                               note.precision(4);
                               note << v << " V acc " << 100 * acc << "%";
                               progress(done, total, note.str());
                             }
                           });
    point.accuracies = maps.accuracies;
    point.flips = maps.flips;
    point.accuracy_mean = maps.mean;
    point.accuracy_sd = maps.sd;
    point.accuracy_ci_low = maps.ci_low;
    point.accuracy_ci_high = maps.ci_high;
    result.points.push_back(point);
  }
  return result;
}

}  // namespace hardy::sparkxd
