// Accuracy and DRAM energy per inference vs supply voltage, with voltage-induced errors in the
// mapped weights of a model (the SparkXD experiment, DESIGN §7–8, for int8 or spiking models).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hardy/core/thread_pool.h"
#include "hardy/dram/error_model.h"
#include "hardy/dram/mapping.h"
#include "hardy/dram/simulator.h"
#include "hardy/dram/voltage.h"
#include "hardy/dram/voltage_study.h"
#include "hardy/sparkxd/weight_segments.h"

namespace hardy::sparkxd {

/// "1.35:1.025:0.025" (start:stop:step, either direction, stop included within step/1000) or
/// "1.35,1.2,1.1". Throws ConfigError naming the text unless every voltage is in (0, 5] V and
/// there are 1…1000 of them.
std::vector<double> parse_voltages(const std::string& text);

/// The memory the weights live in and how errors arise in it.
struct DramConfig {
  dram::MemSpec nominal;
  std::string address_order;     ///< empty: AddressMapping::default_for
  dram::VoltageOptions voltage;  ///< currents table, latency stretch (vdd_v set per point)
  dram::RefreshMode refresh = dram::RefreshMode::kProrate;  ///< steady-state per-inference energy
  dram::SpatialVariation spread;
  uint64_t chip_seed = 1;  ///< the chip's weak regions
  dram::MappingOptions mapping;
  dram::ErrorModelOptions errors;
};

/// The address mapping `config` names (its address order, or AddressMapping::default_for).
dram::AddressMapping address_mapping(const DramConfig& config);

/// One inference's weight reads (every burst of `placement` once, in placement order) simulated
/// on config.nominal at `vdd_v` (0: nominal) by config's voltage rule and refresh mode.
dram::SimulationResult simulate_reads(const DramConfig& config, const dram::AddressMapping& mapping,
                                      const dram::Placement& placement, double vdd_v);

/// Chip BER vs voltage: a voltage-study curve or one fixed rate.
struct BerSource {
  std::optional<dram::BerCurve> curve;
  double fixed_ber = 0;

  std::string name() const { return curve ? curve->name : "fixed"; }
  /// Throws ConfigError where the curve has no data (below its lowest measured voltage).
  double ber_at(double vdd_v) const { return curve ? curve->ber_at(vdd_v) : fixed_ber; }
  bool saturated_at(double vdd_v) const { return curve && curve->saturated_at(vdd_v); }
};

struct SweepOptions {
  std::vector<double> voltages;
  int seeds = 3;      ///< error maps per voltage
  uint64_t seed = 1;  ///< map i uses RngStream key (seed, "sparkxd.error_map", i)
};

/// One voltage. When `note` is set (no BER data at this voltage, or the weights do not fit the
/// regions the mapping may use) only the voltage and the note are meaningful.
struct SweepPoint {
  double vdd_v = 0;
  std::string note;
  double chip_ber = 0;
  bool saturated = false;
  int64_t usable_regions = 0;
  double mean_weight_ber = 0;      ///< BER averaged over the weights' bursts
  std::vector<double> accuracies;  ///< one per error map
  std::vector<int64_t> flips;
  double accuracy_mean = 0, accuracy_sd = 0;
  /// mean ± t(0.975, n−1)·sd/√n over the maps (n ≥ 2), clipped to [0, 1]
  double accuracy_ci_low = 0, accuracy_ci_high = 0;
  dram::EnergyBreakdown energy;  ///< one inference's weight reads
  double time_s = 0;
  dram::AccessStats accesses;
  double energy_saving = 0;  ///< 1 − energy / reference energy
  nlohmann::json to_json() const;
};

struct SweepResult {
  nlohmann::json model, config;
  double clean_accuracy = 0;      ///< no errors
  double reference_energy_j = 0;  ///< baseline mapping at the nominal voltage
  std::vector<SweepPoint> points;
  nlohmann::json to_json() const;
  /// One row per voltage (header: docs/dram.md "hardy dram sweep"). Throws FileError.
  void write_csv(const std::string& path) const;
};

using SweepProgress = std::function<void(int64_t done, int64_t total, const std::string& note)>;

/// For each voltage: the chip BER from `ber`, the memspec at that voltage, the weights mapped by
/// config.mapping (regions from config.chip_seed), the energy of one inference's weight reads
/// (simulated at that voltage), and `options.seeds` error maps, each injected into the clean
/// weights and the accuracy measured. Deterministic for any pool size.
SweepResult dram_sweep(WeightedModel& model, const DramConfig& config, const BerSource& ber,
                       const SweepOptions& options, ThreadPool& pool,
                       const SweepProgress& progress = {});

}  // namespace hardy::sparkxd
