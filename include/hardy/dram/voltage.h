// A memspec at a reduced supply voltage: currents scale with V (so energy ∝ V²) unless a table
// overrides them, and an optional latency stretch lengthens tRCD, tRP and tRAS.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hardy/dram/memspec.h"

namespace hardy::dram {

/// Current multipliers (relative to the memspec's nominal currents) measured or assumed at some
/// supply voltages. CSV: header `vdd_v,<current>,…` with currents among idd0, idd2n, idd3n, idd4r,
/// idd4w, idd5, idd2p, idd3p, idd6; one row per voltage, ascending, no duplicates; factors in
/// (0, 10]. Between rows factors interpolate linearly in V; a current without a column keeps the
/// default rule I ∝ V.
struct CurrentScaleTable {
  std::string source;
  std::vector<double> vdd_v;
  std::map<std::string, std::vector<double>> factors;

  /// Factor for `current` at `vdd_v`; std::nullopt when the table has no such column. Throws
  /// ConfigError (naming the table) when vdd_v is outside its rows.
  std::optional<double> factor(const std::string& current, double vdd_v) const;
};

/// Reads a table as above; FileError / FormatError naming the file, line and column.
CurrentScaleTable load_current_scale_table(const std::string& path);

struct VoltageOptions {
  double vdd_v = 0;  ///< supply voltage of rail 1 (V); 0 keeps the nominal
  std::optional<CurrentScaleTable> currents;
  /// Latency stretch: tRCD, tRP and tRAS grow by this fraction per volt below nominal, rounded up
  /// to whole cycles (tRC grows by the tRAS and tRP increments). 0 (default) keeps the timings.
  /// Chang et al. (SIGMETRICS 2017) show that longer tRCD/tRP remove low-voltage errors; hardy
  /// ships no measured curve, so the coefficient is the user's (docs/dram.md "Voltage").
  double latency_stretch_per_volt = 0;
};

/// The memspec at options.vdd_v. Every rail's voltage scales by k = V / VDD1_nominal (for
/// LPDDR3 both rails: an assumption), every current by k or by the table's factor, so each
/// energy scales by k² under the default rule. Throws ConfigError unless
/// 0.5 · nominal ≤ V ≤ 1.5 · nominal and the stretch is in [0, 100] per volt.
MemSpec at_voltage(const MemSpec& nominal, const VoltageOptions& options);

}  // namespace hardy::dram
