// In-order open-page controller: access trace → commands → DRAMPower-exact energy.
#include "hardy/dram/simulator.h"

#include <algorithm>
#include <deque>

#include "hardy/core/error.h"

namespace hardy::dram {
namespace {

constexpr int64_t kNever = INT64_MIN / 4;

struct BankState {
  int64_t open_row = -1;
  int64_t act_ready = 0;  // earliest ACT (tRP after PRE, tRC after ACT, tRFC after REF)
  int64_t col_ready = 0;  // earliest RD/WR (tRCD after ACT)
  int64_t pre_ready = 0;  // earliest PRE (tRAS, tRTP, write recovery)
};

struct RankState {
  std::vector<BankState> banks;
  std::deque<int64_t> recent_acts;  // last four ACTs, for tFAW
  int64_t last_act = kNever;
  int64_t wtr_ready = 0;  // earliest RD after the last write's data (tWTR)
  int64_t ref_ready = 0;  // end of the last refresh (tRFC)
  int64_t next_refresh = 0;
  std::vector<Command> commands;
};

struct ChannelState {
  int64_t next_command = 0;  // one command per cycle, in order
  int64_t column_ready = 0;  // tCCD after the last column command
  int64_t data_free = 0;     // data bus free from this cycle
  std::vector<RankState> ranks;
};

class Controller {
 public:
  Controller(const MemSpec& spec, const SimulatorOptions& options)
      : spec_(spec), t_(spec.timing), options_(options) {
    channels_.resize(static_cast<size_t>(spec.org.channels));
    for (auto& ch : channels_) {
      ch.ranks.resize(static_cast<size_t>(spec.org.ranks));
      for (auto& rk : ch.ranks) {
        rk.banks.resize(static_cast<size_t>(spec.org.banks));
        rk.next_refresh = t_.refi;
      }
    }
  }

  void access(const Access& a, const DramAddress& d) {
    ChannelState& ch = channels_[static_cast<size_t>(d.channel)];
    if (options_.refresh == RefreshMode::kIssue) {
      for (auto& rk : ch.ranks) {
        while (rk.next_refresh <= std::max(ch.next_command, a.arrival_cycle)) refresh(ch, rk);
      }
    }
    RankState& rk = ch.ranks[static_cast<size_t>(d.rank)];
    BankState& bk = rk.banks[static_cast<size_t>(d.bank)];
    ++stats_.accesses;
    ++(a.write ? stats_.writes : stats_.reads);
    const int64_t earliest = a.arrival_cycle;
    if (bk.open_row == d.row) {
      ++stats_.hits;
    } else {
      if (bk.open_row >= 0) {
        ++stats_.conflicts;
        precharge(ch, rk, d.bank, earliest);
      } else {
        ++stats_.misses;
      }
      int64_t act = std::max({earliest, bk.act_ready, rk.last_act + t_.rrd, rk.ref_ready});
      if (rk.recent_acts.size() == 4) act = std::max(act, rk.recent_acts.front() + t_.faw);
      act = issue(ch, rk, CommandKind::kAct, d.bank, act);
      bk.open_row = d.row;
      bk.col_ready = act + t_.rcd;
      bk.pre_ready = act + t_.ras;
      bk.act_ready = act + t_.rc;
      rk.last_act = act;
      rk.recent_acts.push_back(act);
      if (rk.recent_acts.size() > 4) rk.recent_acts.pop_front();
    }
    const int64_t burst = spec_.org.burst_cycles();
    int64_t data_end = 0;
    if (!a.write) {
      int64_t rd =
          std::max({earliest, bk.col_ready, ch.column_ready, rk.wtr_ready, ch.data_free - t_.rl});
      rd = issue(ch, rk, CommandKind::kRd, d.bank, rd);
      data_end = rd + t_.rl + burst;
      bk.pre_ready = std::max(bk.pre_ready, rd + t_.rtp);
      ch.column_ready = rd + t_.ccd;
    } else {
      int64_t wr = std::max({earliest, bk.col_ready, ch.column_ready, ch.data_free - t_.wl});
      wr = issue(ch, rk, CommandKind::kWr, d.bank, wr);
      data_end = wr + t_.wl + burst;
      bk.pre_ready = std::max(bk.pre_ready, data_end + t_.wr);
      rk.wtr_ready = data_end + t_.wtr;
      ch.column_ready = wr + t_.ccd;
    }
    ch.data_free = data_end;
    completion_ = std::max(completion_, data_end);
  }

  SimulationResult finish() {
    SimulationResult r;
    r.stats = stats_;
    r.tck_s = t_.tck_s();
    r.completion_cycle = completion_;
    const bool one_device = channels_.size() == 1 && channels_[0].ranks.size() == 1;
    for (auto& ch : channels_) {
      for (auto& rk : ch.ranks) {
        std::vector<Command> commands = rk.commands;
        if (commands.empty()) commands.push_back({completion_, CommandKind::kNop, 0, 0});
        r.trace +=
            evaluate_commands(spec_, commands, "simulated trace", one_device ? 0 : completion_, 1);
        if (options_.keep_commands) r.device_commands.push_back(std::move(rk.commands));
      }
    }
    if (options_.refresh == RefreshMode::kProrate) {
      const double devices = static_cast<double>(spec_.org.channels) * spec_.org.ranks;
      r.trace.energy.refresh_j += devices * static_cast<double>(completion_) /
                                  static_cast<double>(t_.refi) * command_energies(spec_).refresh_j;
    }
    return r;
  }

 private:
  int64_t issue(ChannelState& ch, RankState& rk, CommandKind kind, int bank, int64_t earliest) {
    const int64_t cycle = std::max(earliest, ch.next_command);
    ch.next_command = cycle + 1;
    rk.commands.push_back({cycle, kind, bank, 0});
    return cycle;
  }

  void precharge(ChannelState& ch, RankState& rk, int bank, int64_t earliest) {
    BankState& bk = rk.banks[static_cast<size_t>(bank)];
    const int64_t pre = issue(ch, rk, CommandKind::kPre, bank, std::max(earliest, bk.pre_ready));
    bk.open_row = -1;
    bk.act_ready = std::max(bk.act_ready, pre + t_.rp);
  }

  // All banks closed, then one all-bank REF; banks wait tRFC.
  void refresh(ChannelState& ch, RankState& rk) {
    const int64_t due = rk.next_refresh;
    int64_t ref = std::max(due, rk.ref_ready);
    for (int b = 0; b < spec_.org.banks; ++b) {
      BankState& bk = rk.banks[static_cast<size_t>(b)];
      if (bk.open_row >= 0) precharge(ch, rk, b, due);
      // tRP after the PRE (act_ready holds it; it may also hold tRC after an ACT: a slightly
      // conservative wait).
      ref = std::max(ref, bk.act_ready);
    }
    ref = issue(ch, rk, CommandKind::kRef, 0, ref);
    for (auto& bk : rk.banks) bk.act_ready = std::max(bk.act_ready, ref + t_.rfc);
    rk.ref_ready = ref + t_.rfc;
    rk.next_refresh += t_.refi;
  }

  const MemSpec& spec_;
  const Timing& t_;
  SimulatorOptions options_;
  std::vector<ChannelState> channels_;
  AccessStats stats_;
  int64_t completion_ = 0;
};

}  // namespace

nlohmann::json AccessStats::to_json() const {
  return {{"accesses", accesses}, {"reads", reads},   {"writes", writes},
          {"hits", hits},         {"misses", misses}, {"conflicts", conflicts}};
}

double SimulationResult::bandwidth_bytes_per_s(int64_t burst_bytes) const {
  const double t = time_s();
  return t > 0 ? static_cast<double>(stats.accesses * burst_bytes) / t : 0.0;
}

nlohmann::json SimulationResult::to_json() const {
  nlohmann::json j = trace.to_json(tck_s);
  j["accesses"] = stats.to_json();
  j["completion_cycle"] = completion_cycle;
  j["completion_time_s"] = time_s();
  return j;
}

SimulationResult simulate(const MemSpec& spec, const AddressMapping& mapping,
                          std::span<const Access> accesses, const SimulatorOptions& options) {
  Controller c(spec, options);
  for (size_t i = 0; i < accesses.size(); ++i) {
    const Access& a = accesses[i];
    if (a.address >= mapping.capacity_bytes()) {
      throw ConfigError("access " + std::to_string(i) + ": address " + std::to_string(a.address) +
                        " beyond the memory's " + std::to_string(mapping.capacity_bytes()) +
                        " bytes (" + spec.id + ")");
    }
    c.access(a, mapping.decode(a.address));
  }
  return c.finish();
}

}  // namespace hardy::dram
