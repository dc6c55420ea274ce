// The lowest safe supply voltage for weights that tolerate BER_max, their SparkXD mapping, and the
// DRAM energy per inference saved against nominal voltage with the baseline mapping (DESIGN §8).
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "hardy/core/memory_segment.h"
#include "hardy/dram/mapping.h"
#include "hardy/dram/simulator.h"
#include "hardy/sparkxd/dram_sweep.h"

namespace hardy::sparkxd {

/// One safe operating point: the voltage, how the weights were placed there and what one
/// inference's weight reads cost.
struct OperatingPoint {
  bool found = false;  ///< false: not even the highest candidate voltage was safe
  double vdd_v = 0;
  double chip_ber = 0;
  bool saturated = false;
  int64_t usable_regions = 0;
  double mean_weight_ber = 0;  ///< BER averaged over the weights' bursts
  double max_weight_ber = 0;   ///< highest BER of a region holding weights
  double energy_j = 0;         ///< one inference's weight reads
  dram::EnergyBreakdown energy;
  dram::AccessStats accesses;
  double time_s = 0;
  dram::Placement placement;
  nlohmann::json to_json() const;
};

/// Voltages, safe points and savings. Candidates are tried from the highest down; a voltage is
/// safe when the curve has data there and the criterion holds; the chosen one is the lowest
/// voltage such that it and every higher candidate are safe.
struct VoltagePlan {
  double ber_max = 0;
  double nominal_vdd_v = 0;
  double energy_nominal_j = 0;  ///< baseline mapping at the nominal voltage
  /// SparkXD: the regions whose BER is ≤ BER_max hold all weights; weights mapped into them.
  OperatingPoint sparkxd;
  /// Baseline mapping: every region the linear placement uses has BER ≤ BER_max.
  OperatingPoint baseline;
  /// No spatial variation (one BER for the whole chip): chip BER ≤ BER_max; any mapping.
  OperatingPoint uniform;
  /// 1 − E(sparkxd)/E(nominal) = voltage part + mapping part, where the voltage part is
  /// 1 − E(baseline point)/E(nominal) (what lowering V with the weights left where the baseline
  /// puts them gives) and the mapping part is (E(baseline point) − E(sparkxd))/E(nominal) (what
  /// placing them in the strong regions adds: a lower voltage, minus any access-pattern cost).
  double saving = 0, voltage_saving = 0, mapping_saving = 0;
  double uniform_saving = 0;  ///< 1 − E(uniform point)/E(nominal)
  std::string note;           ///< why a point was not found, if one was not
  nlohmann::json to_json() const;
};

/// Plans the voltage for `segments` (sizes only) in config's memory (config.spread and chip_seed
/// give the weak regions; config.mapping is ignored: each point uses its own policy) with chip
/// BER from `ber`, over `voltages` (any order, duplicates ignored). Energies are simulated from
/// the access trace at each point's voltage (commands, background, refresh per config.refresh,
/// latency stretch per config.voltage).
VoltagePlan plan_voltage(std::span<const MemorySegment> segments, const DramConfig& config,
                         const BerSource& ber, std::vector<double> voltages, double ber_max);

}  // namespace hardy::sparkxd
