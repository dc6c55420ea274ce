// Access-trace simulator: an in-order open-page controller turns byte accesses into DRAM
// commands under the timing rules that bound throughput, classifies each access as row hit,
// miss or conflict, and evaluates the commands' energy by DRAMPower's accounting.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

#include "hardy/dram/address_mapping.h"
#include "hardy/dram/command_trace.h"
#include "hardy/dram/memspec.h"

namespace hardy::dram {

enum class RefreshMode {
  kIssue,    ///< REF commands every tREFI per rank (banks closed first), counted like any command
  kProrate,  ///< no REF commands; refresh energy = elapsed time / tREFI · E_REF per rank
  kOff,      ///< no refresh (for traces compared with a refresh-free reference)
};

struct SimulatorOptions {
  RefreshMode refresh = RefreshMode::kIssue;
  bool keep_commands = true;  ///< keep each device's command list in the result
};

struct AccessStats {
  int64_t accesses = 0, reads = 0, writes = 0;
  int64_t hits = 0;       ///< row already open in its bank
  int64_t misses = 0;     ///< bank precharged: ACT first
  int64_t conflicts = 0;  ///< another row open: PRE, ACT first
  nlohmann::json to_json() const;
};

struct SimulationResult {
  AccessStats stats;
  TraceEnergy trace;             ///< commands, state cycles and energy, summed over devices
  int64_t completion_cycle = 0;  ///< cycle after the last data transfer ends
  double tck_s = 0;
  /// Commands per device (channel · ranks + rank), when kept.
  std::vector<std::vector<Command>> device_commands;

  double time_s() const { return static_cast<double>(completion_cycle) * tck_s; }
  /// Data moved per second of completion time.
  double bandwidth_bytes_per_s(int64_t burst_bytes) const;
  nlohmann::json to_json() const;
};

/// Simulates `accesses` in order. The controller model (docs/dram.md "Simulator"):
/// - one command per cycle per channel, issued in request order at the first cycle all
///   constraints allow; no request reordering or early activation (FCFS, open page: rows stay
///   open until a conflict or a refresh needs the bank);
/// - bank: tRCD ACT→RD/WR, tRAS ACT→PRE, tRP PRE→ACT, tRC ACT→ACT, tRTP RD→PRE,
///   WL + BL/DR + tWR WR→PRE; rank: tRRD ACT→ACT, tFAW (4 ACTs), tWTR write data→RD,
///   tRFC after REF; channel: tCCD between column commands, the data bus one burst at a time;
/// - refresh per `options.refresh`; a REF is due every tREFI from cycle tREFI.
/// Energy: each device's commands by evaluate_commands (one rank's background each; with one
/// device exactly what DRAMPower computes for the written command trace). Addresses must be
/// < mapping.capacity_bytes() (ConfigError otherwise). Deterministic; not thread-safe.
SimulationResult simulate(const MemSpec& spec, const AddressMapping& mapping,
                          std::span<const Access> accesses, const SimulatorOptions& options = {});

}  // namespace hardy::dram
