// Command-trace parsing, DRAMPower's state-time accounting, and a timing checker.
#include "hardy/dram/command_trace.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <deque>
#include <fstream>

#include "hardy/core/error.h"
#include "trace_text.h"

namespace hardy::dram {
using detail::in_quotes;
using detail::trim;

namespace {

struct Name {
  const char* text;
  CommandKind kind;
};
constexpr std::array<Name, 10> kNames{{{"ACT", CommandKind::kAct},
                                       {"PRE", CommandKind::kPre},
                                       {"PREA", CommandKind::kPrea},
                                       {"RD", CommandKind::kRd},
                                       {"WR", CommandKind::kWr},
                                       {"RDA", CommandKind::kRda},
                                       {"WRA", CommandKind::kWra},
                                       {"REF", CommandKind::kRef},
                                       {"NOP", CommandKind::kNop},
                                       {"END", CommandKind::kEnd}}};

bool parse_int(const std::string& s, int64_t& out) {
  const char* end = s.data() + s.size();
  auto r = std::from_chars(s.data(), end, out);
  return !s.empty() && r.ec == std::errc() && r.ptr == end;
}

bool is_read(CommandKind k) { return k == CommandKind::kRd || k == CommandKind::kRda; }

// DRAMPower MemCommand::getPrechargeOffset for DDR3 and LPDDR3.
int64_t auto_precharge_offset(const MemSpec& spec, CommandKind kind) {
  const Timing& t = spec.timing;
  const int64_t burst = spec.org.burst_cycles();
  if (spec.type == MemoryType::kDdr3) {
    return is_read(kind) ? t.al + std::max<int64_t>(t.rtp, 4) : burst + t.wl + t.wr;
  }
  return is_read(kind) ? burst + std::max<int64_t>(0, t.rtp - 4) : burst + t.wl + t.wr + 1;
}

// DRAMPower CommandAnalysis::timeToCompletion.
int64_t time_to_completion(const MemSpec& spec, CommandKind kind) {
  const Timing& t = spec.timing;
  switch (kind) {
    case CommandKind::kRd:
    case CommandKind::kRda:
      return t.rl + t.dqsck + 1 + spec.org.burst_cycles();
    case CommandKind::kWr:
    case CommandKind::kWra:
      return t.wl + spec.org.burst_cycles() + t.wr;
    case CommandKind::kAct:
      return t.rcd;
    case CommandKind::kPre:
    case CommandKind::kPrea:
      return t.rp;
    default:
      return 0;
  }
}

std::string where(const Command& c) {
  return c.line > 0 ? "line " + std::to_string(c.line)
                    : "cycle " + std::to_string(c.cycle) + " (generated)";
}

// The state machine of DRAMPower's CommandAnalysis restricted to the commands above.
class Accounting {
 public:
  Accounting(const MemSpec& spec, const std::string& source)
      : spec_(spec), source_(source), open_(static_cast<size_t>(spec.org.banks), false) {}

  void apply(const Command& c) {
    const auto b = static_cast<size_t>(c.bank);
    switch (c.kind) {
      case CommandKind::kAct:
        if (open_[b])
          fail(c, "an ACT to a precharged bank", "bank " + std::to_string(c.bank) + " open");
        ++r_.counts.act;
        if (open_banks() == 0) {
          first_act_cycle_ = c.cycle;
          r_.precharged_cycles += std::max<int64_t>(0, c.cycle - last_pre_cycle_);
        }
        open_[b] = true;
        break;
      case CommandKind::kRd:
      case CommandKind::kWr:
        if (!open_[b]) {
          fail(c, "a column command to an open bank", "bank " + std::to_string(c.bank) + " closed");
        }
        ++(c.kind == CommandKind::kRd ? r_.counts.read : r_.counts.write);
        break;
      case CommandKind::kPre:
        if (!open_[b]) break;  // a PRE to a closed bank is a legal no-op (DRAMPower ignores it)
        ++r_.counts.pre;
        if (open_banks() == 1) {
          r_.active_cycles += std::max<int64_t>(0, c.cycle - first_act_cycle_);
          last_pre_cycle_ = c.cycle;
        }
        open_[b] = false;
        break;
      case CommandKind::kPrea:
        if (open_banks() == 0) break;
        r_.active_cycles += std::max<int64_t>(0, c.cycle - first_act_cycle_);
        last_pre_cycle_ = c.cycle;
        r_.counts.pre += open_banks();
        std::fill(open_.begin(), open_.end(), false);
        break;
      case CommandKind::kRef:
        if (open_banks() != 0) fail(c, "all banks precharged before REF", "a bank open");
        ++r_.counts.refresh;
        r_.precharged_cycles += std::max<int64_t>(0, c.cycle - last_pre_cycle_);
        last_pre_cycle_ = c.cycle + spec_.timing.rfc - spec_.timing.rp;
        r_.active_cycles += spec_.timing.rfc - spec_.timing.rp;
        break;
      case CommandKind::kNop:
      case CommandKind::kEnd:
        if (open_banks() > 0) {
          r_.active_cycles += std::max<int64_t>(0, c.cycle - first_act_cycle_);
          first_act_cycle_ = c.cycle;
        } else {
          r_.precharged_cycles += std::max<int64_t>(0, c.cycle - last_pre_cycle_);
          last_pre_cycle_ = std::max(last_pre_cycle_, c.cycle);
        }
        break;
      case CommandKind::kRda:
      case CommandKind::kWra:
        HARDY_CHECK(false);  // expanded before accounting
    }
  }

  TraceEnergy finish(int rank_multiplier) {
    const CommandEnergies e = command_energies(spec_);
    const double tck = spec_.timing.tck_s();
    EnergyBreakdown& en = r_.energy;
    en.act_j = static_cast<double>(r_.counts.act) * e.act_j;
    en.pre_j = static_cast<double>(r_.counts.pre) * e.pre_j;
    en.read_j = static_cast<double>(r_.counts.read) * e.read_j;
    en.write_j = static_cast<double>(r_.counts.write) * e.write_j;
    en.refresh_j = static_cast<double>(r_.counts.refresh) * e.refresh_j;
    en.act_standby_j =
        rank_multiplier * static_cast<double>(r_.active_cycles) * tck * e.act_standby_w;
    en.pre_standby_j =
        rank_multiplier * static_cast<double>(r_.precharged_cycles) * tck * e.pre_standby_w;
    return r_;
  }

 private:
  [[noreturn]] void fail(const Command& c, const std::string& expected,
                         const std::string& found) const {
    throw FormatError(source_, where(c) + " (" + command_name(c.kind) + ")", expected, found);
  }
  int open_banks() const { return static_cast<int>(std::count(open_.begin(), open_.end(), true)); }

  const MemSpec& spec_;
  const std::string& source_;
  std::vector<bool> open_;
  int64_t first_act_cycle_ = 0, last_pre_cycle_ = 0;
  TraceEnergy r_;
};

}  // namespace

std::string command_name(CommandKind kind) {
  for (const auto& n : kNames) {
    if (n.kind == kind) return n.text;
  }
  return "?";
}

std::vector<Command> parse_command_trace(std::istream& in, const std::string& source,
                                         const Organisation& org) {
  std::vector<Command> out;
  detail::for_each_data_line(
      in, [&](const std::string& line, int64_t line_no, const std::string& loc) {
        std::vector<std::string> fields;
        size_t start = 0;
        while (true) {
          const size_t comma = line.find(',', start);
          fields.push_back(trim(line.substr(start, comma - start)));
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
        if (fields.size() != 3) {
          throw FormatError(source, loc, "<cycle>,<command>,<bank>", in_quotes(line));
        }
        Command c;
        c.line = line_no;
        if (!parse_int(fields[0], c.cycle) || c.cycle < 0) {
          throw FormatError(source, loc, "a cycle (integer >= 0)", in_quotes(fields[0]));
        }
        if (!out.empty() && c.cycle < out.back().cycle) {
          throw FormatError(
              source, loc,
              "cycles in non-decreasing order (previous " + std::to_string(out.back().cycle) + ")",
              std::to_string(c.cycle));
        }
        bool known = false;
        for (const auto& n : kNames) {
          if (fields[1] == n.text) {
            c.kind = n.kind;
            known = true;
          }
        }
        if (!known) {
          throw FormatError(source, loc,
                            "a command among ACT, PRE, PREA, RD, WR, RDA, WRA, REF, NOP, END "
                            "(power-down and self-refresh are not modelled)",
                            in_quotes(fields[1]));
        }
        int64_t bank = 0;
        if (!parse_int(fields[2], bank) || bank < 0 || bank >= org.banks) {
          throw FormatError(source, loc, "a bank in [0, " + std::to_string(org.banks - 1) + "]",
                            in_quotes(fields[2]));
        }
        c.bank = static_cast<int>(bank);
        out.push_back(c);
      });
  if (in.bad()) throw FileError(source, "read failed");
  return out;
}

std::vector<Command> read_command_trace(const std::string& path, const Organisation& org) {
  std::ifstream in(path);
  if (!in) throw FileError(path, "cannot open command trace");
  return parse_command_trace(in, path, org);
}

void write_command_trace(const std::string& path, const std::vector<Command>& commands) {
  std::ofstream out(path);
  if (!out) throw FileError(path, "cannot create file");
  for (const Command& c : commands) {
    out << c.cycle << ',' << command_name(c.kind) << ',' << c.bank << '\n';
  }
  if (!out) throw FileError(path, "write failed");
}

CommandCounts& CommandCounts::operator+=(const CommandCounts& o) {
  act += o.act;
  pre += o.pre;
  read += o.read;
  write += o.write;
  refresh += o.refresh;
  return *this;
}

nlohmann::json CommandCounts::to_json() const {
  return {{"act", act}, {"pre", pre}, {"read", read}, {"write", write}, {"refresh", refresh}};
}

TraceEnergy& TraceEnergy::operator+=(const TraceEnergy& o) {
  counts += o.counts;
  active_cycles += o.active_cycles;
  precharged_cycles += o.precharged_cycles;
  energy += o.energy;
  return *this;
}

nlohmann::json TraceEnergy::to_json(double tck_s) const {
  return {{"commands", counts.to_json()},
          {"active_cycles", active_cycles},
          {"precharged_cycles", precharged_cycles},
          {"cycles", cycles()},
          {"time_s", static_cast<double>(cycles()) * tck_s},
          {"energy", energy.to_json()}};
}

TraceEnergy evaluate_commands(const MemSpec& spec, std::vector<Command> commands,
                              const std::string& source, int64_t end_cycle, int rank_multiplier) {
  if (rank_multiplier < 0) rank_multiplier = spec.org.ranks;
  // Auto-precharge: DRAMPower remembers each bank's last ACT in file order (before sorting).
  std::vector<int64_t> activation(static_cast<size_t>(spec.org.banks), 0);
  const size_t n = commands.size();
  for (size_t i = 0; i < n; ++i) {
    Command c = commands[i];
    if (c.kind == CommandKind::kAct) {
      activation[static_cast<size_t>(c.bank)] = c.cycle;
    } else if (c.kind == CommandKind::kRda || c.kind == CommandKind::kWra) {
      const int64_t pre_cycle = std::max(c.cycle + auto_precharge_offset(spec, c.kind),
                                         activation[static_cast<size_t>(c.bank)] + spec.timing.ras);
      commands[i].kind = c.kind == CommandKind::kRda ? CommandKind::kRd : CommandKind::kWr;
      commands.push_back({pre_cycle, CommandKind::kPre, c.bank, c.line});
    }
  }
  std::stable_sort(commands.begin(), commands.end(), [](const Command& a, const Command& b) {
    if (a.cycle != b.cycle) return a.cycle < b.cycle;
    return a.kind == CommandKind::kPre && b.kind != CommandKind::kPre;
  });
  if (!commands.empty()) {
    const Command& last = commands.back();
    const int64_t end = std::max(last.cycle + time_to_completion(spec, last.kind) - 1, end_cycle);
    commands.push_back({end, CommandKind::kNop, 0, 0});
  }
  Accounting acc(spec, source);
  for (const Command& c : commands) acc.apply(c);
  return acc.finish(rank_multiplier);
}

std::vector<std::string> timing_violations(const MemSpec& spec,
                                           const std::vector<Command>& commands) {
  const Timing& t = spec.timing;
  const int64_t burst = spec.org.burst_cycles();
  constexpr int64_t kNever = INT64_MIN / 4;
  struct Bank {
    bool open = false;
    int64_t act = kNever, pre = kNever, read = kNever, write = kNever;
  };
  std::vector<Bank> banks(static_cast<size_t>(spec.org.banks));
  std::deque<int64_t> acts;  // last four ACTs of the rank
  int64_t last_column = kNever, last_ref = kNever, last_cycle = kNever;
  std::vector<std::string> v;
  auto need = [&](bool ok, const Command& c, const std::string& rule) {
    if (!ok && v.size() < 100) {
      v.push_back("cycle " + std::to_string(c.cycle) + " " + command_name(c.kind) + " bank " +
                  std::to_string(c.bank) + ": " + rule);
    }
  };
  for (const Command& c : commands) {
    Bank& b = banks[static_cast<size_t>(c.bank)];
    need(c.cycle > last_cycle, c, "one command per cycle");
    last_cycle = c.cycle;
    if (c.kind != CommandKind::kNop && c.kind != CommandKind::kEnd) {
      need(c.cycle >= last_ref + t.rfc, c, "tRFC after REF");
    }
    switch (c.kind) {
      case CommandKind::kAct:
        need(c.cycle >= b.pre + t.rp, c, "tRP after PRE");
        need(c.cycle >= b.act + t.rc, c, "tRC after ACT of the bank");
        if (!acts.empty()) need(c.cycle >= acts.back() + t.rrd, c, "tRRD after ACT");
        if (acts.size() == 4) need(c.cycle >= acts.front() + t.faw, c, "tFAW");
        acts.push_back(c.cycle);
        if (acts.size() > 4) acts.pop_front();
        b.act = c.cycle;
        b.open = true;
        break;
      case CommandKind::kRd:
      case CommandKind::kWr:
      case CommandKind::kRda:
      case CommandKind::kWra:
        need(b.open, c, "bank open");
        need(c.cycle >= b.act + t.rcd, c, "tRCD after ACT");
        need(c.cycle >= last_column + t.ccd, c, "tCCD after column command");
        last_column = c.cycle;
        (is_read(c.kind) ? b.read : b.write) = c.cycle;
        if (c.kind == CommandKind::kRda || c.kind == CommandKind::kWra) b.open = false;
        break;
      case CommandKind::kPre:
      case CommandKind::kPrea:
        for (size_t i = 0; i < banks.size(); ++i) {
          Bank& p = banks[i];
          if (c.kind == CommandKind::kPre && &p != &b) continue;
          if (!p.open) continue;
          need(c.cycle >= p.act + t.ras, c, "tRAS after ACT");
          need(c.cycle >= p.read + t.rtp, c, "tRTP after RD");
          need(c.cycle >= p.write + t.wl + burst + t.wr, c, "write recovery after WR");
          p.open = false;
          p.pre = c.cycle;
        }
        break;
      case CommandKind::kRef:
        for (const Bank& p : banks) {
          need(!p.open, c, "all banks precharged");
          need(c.cycle >= p.pre + t.rp, c, "tRP before REF");
        }
        // JEDEC lets a controller postpone up to 8 refreshes: 9 · tREFI between two REFs.
        need(last_ref == kNever || c.cycle - last_ref <= 9 * t.refi, c,
             "at most 9 tREFI between REFs");
        last_ref = c.cycle;
        break;
      case CommandKind::kNop:
      case CommandKind::kEnd:
        break;
    }
  }
  return v;
}

}  // namespace hardy::dram
