// DRAM command traces in DRAMPower's `<cycle>,<command>,<bank>` format and their energy by
// DRAMPower's legacy accounting (CommandAnalysis + MemoryPowerModel on branch `develop`), so that
// hardy and DRAMPower give the same totals for the same trace.
#pragma once

#include <cstdint>
#include <istream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hardy/dram/energy.h"
#include "hardy/dram/memspec.h"

namespace hardy::dram {

/// The commands hardy reads and writes. RDA/WRA are RD/WR with auto-precharge; NOP and END
/// mark time (DRAMPower accepts both). Power-down and self-refresh commands are not modelled.
enum class CommandKind { kAct, kPre, kPrea, kRd, kWr, kRda, kWra, kRef, kNop, kEnd };

/// DRAMPower's spelling: "ACT", "PRE", "PREA", "RD", "WR", "RDA", "WRA", "REF", "NOP", "END".
std::string command_name(CommandKind kind);

struct Command {
  int64_t cycle = 0;  ///< clock cycle the command is issued in
  CommandKind kind = CommandKind::kNop;
  int bank = 0;
  int64_t line = 0;  ///< line in the file it came from (0: generated)
};

/// Parses a command trace: one `<cycle>,<command>,<bank>` per line (blank lines and lines
/// starting with '#' skipped). Cycles must not decrease; bank < org.banks. Throws FormatError
/// naming `source`, the line and what was expected.
std::vector<Command> parse_command_trace(std::istream& in, const std::string& source,
                                         const Organisation& org);
/// Reads a command trace file (FileError if unreadable, else as parse_command_trace).
std::vector<Command> read_command_trace(const std::string& path, const Organisation& org);
/// Writes commands in the same format (DRAMPower reads it with -c). Throws FileError.
void write_command_trace(const std::string& path, const std::vector<Command>& commands);

struct CommandCounts {
  int64_t act = 0, pre = 0, read = 0, write = 0, refresh = 0;
  CommandCounts& operator+=(const CommandCounts& o);
  nlohmann::json to_json() const;
};

/// Energy and state time of a command trace by DRAMPower's rules:
/// - RDA/WRA add a PRE at max(issue + auto-precharge offset, ACT + tRAS);
/// - commands sort by cycle, a PRE before other commands of the same cycle;
/// - the trace ends at last command + its completion time − 1 (RD: RL + DQSCK + 1 + BL/DR;
///   WR: WL + BL/DR + WR; ACT: RCD; PRE: RP; REF: 0), or at `end_cycle` if that is later;
/// - active cycles run from the ACT that opens the first bank to the PRE that closes the last;
///   a REF counts tRFC − tRP active cycles and precharged cycles resume after it;
/// - background energy (IDD3N / IDD2N over those cycles) is multiplied by nbrOfRanks.
struct TraceEnergy {
  CommandCounts counts;
  int64_t active_cycles = 0, precharged_cycles = 0;
  EnergyBreakdown energy;

  int64_t cycles() const { return active_cycles + precharged_cycles; }
  TraceEnergy& operator+=(const TraceEnergy& o);
  nlohmann::json to_json(double tck_s) const;
};

/// Evaluates a trace (any order of equal-cycle commands is accepted as DRAMPower sorts them).
/// Stricter than DRAMPower, which warns and continues: an ACT to an open bank, RD/WR to a
/// closed bank and REF with a bank open throw FormatError naming `source` and the line.
/// `rank_multiplier` scales the background (DRAMPower: nbrOfRanks; 1 for one rank's trace).
TraceEnergy evaluate_commands(const MemSpec& spec, std::vector<Command> commands,
                              const std::string& source, int64_t end_cycle = 0,
                              int rank_multiplier = -1);

/// Timing rules a command trace of one rank breaks (tRCD, tRAS, tRP, tRC, tRRD, tFAW, tCCD,
/// tRTP, write recovery, tRFC, refresh interval); empty when it keeps all of them. DRAMPower
/// does not check timing; hardy uses this to test its own simulator.
std::vector<std::string> timing_violations(const MemSpec& spec,
                                           const std::vector<Command>& commands);

}  // namespace hardy::dram
