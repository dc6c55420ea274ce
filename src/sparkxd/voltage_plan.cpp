// Lowest safe voltage per criterion (SparkXD mapping, baseline mapping, no spatial variation) and
// the energy of one inference's weight reads there.
#include "hardy/sparkxd/voltage_plan.h"

#include <algorithm>
#include <functional>
#include <optional>

#include "hardy/core/error.h"
#include "hardy/dram/weak_regions.h"

namespace hardy::sparkxd {
namespace {

// The placement at chip BER `chip` if the criterion holds there.
using Criterion = std::function<std::optional<dram::Placement>(double chip)>;

OperatingPoint lowest_safe(const std::vector<double>& descending, const BerSource& ber,
                           const Criterion& safe_placement, std::string& note) {
  OperatingPoint best;
  for (double v : descending) {
    double chip = 0;
    try {
      chip = ber.ber_at(v);
    } catch (const ConfigError& e) {
      if (note.empty()) note = e.what();
      break;
    }
    std::optional<dram::Placement> p = safe_placement(chip);
    if (!p) break;
    best.found = true;
    best.vdd_v = v;
    best.chip_ber = chip;
    best.saturated = ber.saturated_at(v);
    best.placement = std::move(*p);
  }
  return best;
}

void measure(OperatingPoint& point, const DramConfig& config, const dram::AddressMapping& mapping) {
  const dram::Placement& p = point.placement;
  point.usable_regions = p.usable_regions;
  double sum = 0;
  int64_t bursts = 0;
  for (const dram::SegmentSummary& s : p.segments) {
    sum += s.mean_ber * static_cast<double>(s.bursts);
    bursts += s.bursts;
    point.max_weight_ber = std::max(point.max_weight_ber, s.max_region_ber);
  }
  point.mean_weight_ber = bursts ? sum / static_cast<double>(bursts) : 0;
  const dram::SimulationResult r = simulate_reads(config, mapping, p, point.vdd_v);
  point.energy = r.trace.energy;
  point.energy_j = r.trace.energy.total_j();
  point.accesses = r.stats;
  point.time_s = r.time_s();
}

}  // namespace

nlohmann::json OperatingPoint::to_json() const {
  if (!found) return {{"found", false}};
  return {{"found", true},
          {"vdd_v", vdd_v},
          {"chip_ber", chip_ber},
          {"saturated", saturated},
          {"mapping", dram::mapping_policy_name(placement.options.policy)},
          {"usable_regions", usable_regions},
          {"mean_weight_ber", mean_weight_ber},
          {"max_weight_ber", max_weight_ber},
          {"energy_j", energy_j},
          {"energy", energy.to_json()},
          {"accesses", accesses.to_json()},
          {"time_s", time_s}};
}

nlohmann::json VoltagePlan::to_json() const {
  return {{"ber_max", ber_max},
          {"nominal_vdd_v", nominal_vdd_v},
          {"energy_nominal_j", energy_nominal_j},
          {"sparkxd", sparkxd.to_json()},
          {"baseline", baseline.to_json()},
          {"uniform", uniform.to_json()},
          {"saving", saving},
          {"voltage_saving", voltage_saving},
          {"mapping_saving", mapping_saving},
          {"uniform_saving", uniform_saving},
          {"note", note}};
}

VoltagePlan plan_voltage(std::span<const MemorySegment> segments, const DramConfig& config,
                         const BerSource& ber, std::vector<double> voltages, double ber_max) {
  if (voltages.empty()) throw ConfigError("no candidate voltages");
  std::sort(voltages.begin(), voltages.end(), std::greater<>());
  voltages.erase(std::unique(voltages.begin(), voltages.end()), voltages.end());
  const dram::AddressMapping mapping = address_mapping(config);
  const dram::WeakRegionMap regions(config.nominal.org, config.spread, config.chip_seed);
  const dram::WeakRegionMap flat(config.nominal.org, dram::SpatialVariation{0.0, 0.0},
                                 config.chip_seed);
  VoltagePlan plan;
  plan.ber_max = ber_max;
  plan.nominal_vdd_v = config.nominal.vdd1_v();
  OperatingPoint nominal;
  nominal.found = true;
  nominal.vdd_v = 0;  // the memspec's own voltage
  nominal.placement = dram::map_segments(segments, mapping, regions, 0.0, {});
  measure(nominal, config, mapping);
  plan.energy_nominal_j = nominal.energy_j;

  dram::MappingOptions sparkxd_options{dram::MappingPolicy::kSparkXd, ber_max};
  plan.sparkxd = lowest_safe(
      voltages, ber,
      [&](double chip) -> std::optional<dram::Placement> {
        try {
          return dram::map_segments(segments, mapping, regions, chip, sparkxd_options);
        } catch (const ConfigError&) {
          return std::nullopt;  // the regions at or below BER_max cannot hold the weights
        }
      },
      plan.note);
  plan.baseline = lowest_safe(
      voltages, ber,
      [&](double chip) -> std::optional<dram::Placement> {
        dram::Placement p = dram::map_segments(segments, mapping, regions, chip, {});
        for (const dram::SegmentSummary& s : p.segments) {
          if (s.max_region_ber > ber_max) return std::nullopt;
        }
        return p;
      },
      plan.note);
  plan.uniform = lowest_safe(
      voltages, ber,
      [&](double chip) -> std::optional<dram::Placement> {
        if (chip > ber_max) return std::nullopt;
        return dram::map_segments(segments, mapping, flat, chip, {});
      },
      plan.note);
  for (OperatingPoint* p : {&plan.sparkxd, &plan.baseline, &plan.uniform}) {
    if (p->found) {
      measure(*p, config, mapping);
    } else if (plan.note.empty()) {
      plan.note = "no candidate voltage is safe at BER_max " + std::to_string(ber_max);
    }
  }
  auto energy = [&](const OperatingPoint& p) {
    return p.found ? p.energy_j : plan.energy_nominal_j;
  };
  plan.saving = 1.0 - energy(plan.sparkxd) / plan.energy_nominal_j;
  plan.voltage_saving = 1.0 - energy(plan.baseline) / plan.energy_nominal_j;
  plan.mapping_saving = plan.saving - plan.voltage_saving;
  plan.uniform_saving = 1.0 - energy(plan.uniform) / plan.energy_nominal_j;
  return plan;
}

}  // namespace hardy::sparkxd
