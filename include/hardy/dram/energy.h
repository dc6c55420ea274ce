// DRAMPower's legacy per-command energies (src/MemoryPowerModel.cc on branch `develop`), one
// small function per datasheet formula and rail, and the energy breakdown results sum into.
#pragma once

#include <nlohmann/json.hpp>

#include "hardy/dram/memspec.h"

namespace hardy::dram {

// Per rail. Each command's current is counted above the background current the device draws
// anyway in that state; the background itself is accounted by time (standby energies below).

/// E_ACT = VDD · (IDD0 − IDD3N) · tRAS.
double act_energy_j(const Rail& rail, const Timing& t);
/// E_PRE = VDD · (IDD0 − IDD2N) · (tRC − tRAS).
double pre_energy_j(const Rail& rail, const Timing& t);
/// E_RD = VDD · (IDD4R − IDD3N) · (BL / dataRate) · tCK: one burst.
double read_energy_j(const Rail& rail, const Timing& t, const Organisation& org);
/// E_WR = VDD · (IDD4W − IDD3N) · (BL / dataRate) · tCK: one burst.
double write_energy_j(const Rail& rail, const Timing& t, const Organisation& org);
/// E_REF = VDD · (IDD5 − IDD3N) · tRFC: one all-bank auto-refresh.
double refresh_energy_j(const Rail& rail, const Timing& t);
/// P_act_standby = VDD · IDD3N: at least one bank open.
double act_standby_power_w(const Rail& rail);
/// P_pre_standby = VDD · IDD2N: all banks precharged.
double pre_standby_power_w(const Rail& rail);

/// The per-command energies and standby powers of a device, summed over its rails.
struct CommandEnergies {
  double act_j = 0, pre_j = 0, read_j = 0, write_j = 0, refresh_j = 0;
  double act_standby_w = 0, pre_standby_w = 0;
  nlohmann::json to_json() const;
};
CommandEnergies command_energies(const MemSpec& spec);

/// Energy by command and background state (joules). Sums itself; total_j() is the sum of the
/// fields, the same sum as DRAMPower's "Total Trace Energy" without I/O and power-down terms.
struct EnergyBreakdown {
  double act_j = 0, pre_j = 0, read_j = 0, write_j = 0, refresh_j = 0;
  double act_standby_j = 0, pre_standby_j = 0;

  double command_j() const { return act_j + pre_j + read_j + write_j + refresh_j; }
  double background_j() const { return act_standby_j + pre_standby_j; }
  double total_j() const { return command_j() + background_j(); }
  EnergyBreakdown& operator+=(const EnergyBreakdown& o);
  EnergyBreakdown operator*(double k) const;
  /// Fields in picojoules (DRAMPower's print unit) and the totals.
  nlohmann::json to_json() const;
};

}  // namespace hardy::dram
