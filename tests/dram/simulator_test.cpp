// Command traces (parsing, DRAMPower's accounting), address mapping and the access simulator on
// synthetic traces with known hits, misses and conflicts.
#include "hardy/dram/simulator.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "hardy/core/error.h"
#include "hardy/core/rng.h"
#include "test_util.h"

namespace hardy::dram {
namespace {

using testing::data_file;
using testing::TempDir;

MemSpec lpddr3() { return load_memspec(data_file(testing::kLpddr3)); }
MemSpec ddr3() { return load_memspec(data_file(testing::kDdr3)); }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CommandTrace, ParsesDrampowerFormat) {
  TempDir dir;
  const std::string path =
      dir.write("t.trace", "# comment\n0,ACT,0\n15,RD,0\n\n19,RDA,0\n60,REF,0\n");
  const auto c = read_command_trace(path, lpddr3().org);
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[1].kind, CommandKind::kRd);
  EXPECT_EQ(c[2].kind, CommandKind::kRda);
  EXPECT_EQ(c[2].line, 5);
  EXPECT_EQ(c[3].cycle, 60);
  write_command_trace(dir.file("out.trace"), c);
  const auto again = read_command_trace(dir.file("out.trace"), lpddr3().org);
  ASSERT_EQ(again.size(), 4u);
  EXPECT_EQ(again[2].kind, CommandKind::kRda);
}

TEST(CommandTrace, MalformedLinesNameFileLineAndExpectation) {
  TempDir dir;
  const Organisation org = lpddr3().org;
  struct Case {
    const char* text;
    const char* mentions;
  } cases[] = {{"0,ACT\n", "<cycle>,<command>,<bank>"}, {"0,ACT,0\nx,RD,0\n", "line 2"},
               {"0,ACTIVATE,0\n", "a command among"},   {"0,PDN_F_ACT,0\n", "not modelled"},
               {"0,ACT,8\n", "a bank in [0, 7]"},       {"10,ACT,0\n5,RD,0\n", "non-decreasing"},
               {"-1,ACT,0\n", "integer >= 0"}};
  for (const auto& c : cases) {
    const std::string path = dir.write("bad.trace", c.text);
    const std::string msg = error_of([&] { read_command_trace(path, org); });
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.mentions), std::string::npos) << c.text << " -> " << msg;
  }
}

// DRAMPower (legacy `develop`, built from source) on MICRON_4Gb_LPDDR3-1600_32bit_A with the
// trace 0,ACT,0 / 15,RD,0 / 19,RD,0 / 36,PRE,0 prints: ACT 2943.00, PRE 1107.00, RD 2634.00,
// ACT Stdby 2592.00, PRE Stdby 861.00, total 10137.00 pJ, 50 cycles.
TEST(CommandTrace, MatchesDrampowerOnASmallTrace) {
  const MemSpec spec = lpddr3();
  const std::vector<Command> cmds = {{0, CommandKind::kAct, 0, 1},
                                     {15, CommandKind::kRd, 0, 2},
                                     {19, CommandKind::kRd, 0, 3},
                                     {36, CommandKind::kPre, 0, 4}};
  const TraceEnergy e = evaluate_commands(spec, cmds, "t");
  EXPECT_EQ(e.cycles(), 50);
  EXPECT_EQ(e.active_cycles, 36);
  EXPECT_NEAR(e.energy.act_standby_j * 1e12, 2592.0, 0.01);
  EXPECT_NEAR(e.energy.pre_standby_j * 1e12, 861.0, 0.01);
  EXPECT_NEAR(e.energy.read_j * 1e12, 2634.0, 0.01);
  EXPECT_NEAR(e.energy.total_j() * 1e12, 10137.0, 0.01);
}

TEST(CommandTrace, AutoPrechargeAddsThePrechargeDrampowerWould) {
  const MemSpec spec = ddr3();
  // DDR3 RDA: PRE at max(RD + AL + max(RTP, 4), ACT + RAS) = max(10 + 6, 28) = 28.
  const TraceEnergy auto_pre =
      evaluate_commands(spec, {{0, CommandKind::kAct, 0, 1}, {10, CommandKind::kRda, 0, 2}}, "t");
  const TraceEnergy explicit_pre = evaluate_commands(
      spec,
      {{0, CommandKind::kAct, 0, 1}, {10, CommandKind::kRd, 0, 2}, {28, CommandKind::kPre, 0, 3}},
      "t");
  EXPECT_EQ(auto_pre.counts.pre, 1);
  EXPECT_EQ(auto_pre.active_cycles, 28);
  EXPECT_DOUBLE_EQ(auto_pre.energy.total_j(), explicit_pre.energy.total_j());
}

TEST(CommandTrace, RefreshCountsItsActiveTimeAndEnergy) {
  const MemSpec spec = ddr3();
  const TraceEnergy e = evaluate_commands(spec, {{100, CommandKind::kRef, 0, 1}}, "t");
  const CommandEnergies ce = command_energies(spec);
  EXPECT_EQ(e.counts.refresh, 1);
  EXPECT_EQ(e.active_cycles, spec.timing.rfc - spec.timing.rp);
  EXPECT_EQ(e.precharged_cycles, 100);
  EXPECT_DOUBLE_EQ(e.energy.refresh_j, ce.refresh_j);
}

TEST(CommandTrace, ProtocolErrorsAreRejected) {
  const MemSpec spec = ddr3();
  EXPECT_NE(error_of([&] {
              evaluate_commands(spec, {{0, CommandKind::kAct, 0, 1}, {40, CommandKind::kAct, 0, 2}},
                                "x.trace");
            }).find("x.trace: line 2"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              evaluate_commands(spec, {{5, CommandKind::kRd, 3, 7}}, "x.trace");
            }).find("line 7"),
            std::string::npos);
  EXPECT_THROW(
      evaluate_commands(spec, {{0, CommandKind::kAct, 0, 1}, {50, CommandKind::kRef, 0, 2}}, "x"),
      FormatError);
}

TEST(CommandTrace, TimingCheckerFindsViolations) {
  const MemSpec spec = ddr3();
  auto violations = [&](std::vector<Command> c) { return timing_violations(spec, c).size(); };
  EXPECT_EQ(violations({{0, CommandKind::kAct, 0}, {10, CommandKind::kRd, 0}}), 0u);
  EXPECT_EQ(violations({{0, CommandKind::kAct, 0}, {9, CommandKind::kRd, 0}}), 1u);    // tRCD
  EXPECT_EQ(violations({{0, CommandKind::kAct, 0}, {27, CommandKind::kPre, 0}}), 1u);  // tRAS
  EXPECT_EQ(
      violations(
          {{0, CommandKind::kAct, 0}, {28, CommandKind::kPre, 0}, {37, CommandKind::kAct, 0}}),
      2u);                                                                            // tRP and tRC
  EXPECT_EQ(violations({{0, CommandKind::kAct, 0}, {4, CommandKind::kAct, 1}}), 1u);  // tRRD
  EXPECT_EQ(violations({{0, CommandKind::kAct, 0},
                        {5, CommandKind::kAct, 1},
                        {10, CommandKind::kAct, 2},
                        {15, CommandKind::kAct, 3},
                        {20, CommandKind::kAct, 4}}),
            1u);  // tFAW 24
  EXPECT_EQ(
      violations({{0, CommandKind::kAct, 0}, {10, CommandKind::kRd, 0}, {13, CommandKind::kRd, 0}}),
      1u);  // tCCD
}

TEST(AddressMapping, DecodeEncodeRoundTripAndFieldOrder) {
  const Organisation org = ddr3().org;  // 8 B bursts, 128 per row, 8 banks, 16384 rows
  const AddressMapping rbc = AddressMapping::default_for(org);
  EXPECT_EQ(rbc.order(), "row,bank,column");
  EXPECT_EQ(rbc.capacity_bytes(), static_cast<uint64_t>(org.capacity_bytes()));
  EXPECT_EQ(rbc.decode(8).column, 1);
  EXPECT_EQ(rbc.decode(static_cast<uint64_t>(org.row_bytes())).bank, 1);
  EXPECT_EQ(rbc.decode(static_cast<uint64_t>(org.row_bytes() * org.banks)).row, 1);
  const AddressMapping brc(org, "bank, row, column");
  EXPECT_EQ(brc.decode(static_cast<uint64_t>(org.row_bytes())).row, 1);
  RngStream rng(1, stream_tag("test"), 0);
  for (int i = 0; i < 1000; ++i) {
    const uint64_t a = rng.uniform_below(rbc.capacity_bytes()) & ~uint64_t{7};
    EXPECT_EQ(rbc.encode(rbc.decode(a)), a);
    EXPECT_EQ(brc.encode(brc.decode(a)), a);
  }
  EXPECT_THROW(AddressMapping(org, "row,column"), ConfigError);            // bank missing
  EXPECT_THROW(AddressMapping(org, "row,bank,bank,column"), ConfigError);  // twice
  EXPECT_THROW(AddressMapping(org, "row,bank,col"), ConfigError);          // unknown
}

TEST(AccessTrace, ParsesAndRejects) {
  TempDir dir;
  const auto a = read_access_trace(dir.write("a.trace", "0x40 R\n128,W,1000\n# c\n\t64\tr\n"));
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].address, 0x40u);
  EXPECT_TRUE(a[1].write);
  EXPECT_EQ(a[1].arrival_cycle, 1000);
  for (const char* bad : {"0x40\n", "zz R\n", "64 X\n", "64 R 1 2\n"}) {
    const std::string path = dir.write("bad.trace", bad);
    const std::string msg = error_of([&] { read_access_trace(path); });
    EXPECT_NE(msg.find(path + ": line 1"), std::string::npos) << msg;
  }
  EXPECT_TRUE(is_command_trace(dir.write("c.trace", "0,ACT,0\n")));
  EXPECT_FALSE(is_command_trace(dir.write("d.trace", "0,R\n")));
  EXPECT_FALSE(is_command_trace(dir.write("e.trace", "0x40 R\n")));
}

// Addresses of bursts at (bank, row, column) under a mapping.
std::vector<Access> reads(const AddressMapping& m,
                          const std::vector<std::tuple<int, int64_t, int64_t>>& where) {
  std::vector<Access> out;
  for (auto [bank, row, column] : where) {
    DramAddress d;
    d.bank = bank;
    d.row = row;
    d.column = column;
    out.push_back({m.encode(d), false, 0});
  }
  return out;
}

TEST(Simulator, StreamingHitsTakeOneBurstEachAfterTheFirstActivate) {
  const MemSpec spec = ddr3();
  const AddressMapping m = AddressMapping::default_for(spec.org);
  const int n = 128;  // one whole row
  std::vector<Access> acc;
  for (int i = 0; i < n; ++i) acc.push_back({static_cast<uint64_t>(i) * 8, false, 0});
  const SimulationResult r = simulate(spec, m, acc);
  EXPECT_EQ(r.stats.misses, 1);
  EXPECT_EQ(r.stats.hits, n - 1);
  EXPECT_EQ(r.stats.conflicts, 0);
  // ACT at 0, RD at tRCD then every tCCD (= BL/2 = 4); data ends RL + 4 after the last RD.
  const Timing& t = spec.timing;
  EXPECT_EQ(r.completion_cycle, t.rcd + (n - 1) * t.ccd + t.rl + 4);
  const CommandEnergies e = command_energies(spec);
  // The bank stays open to the end: every cycle is active standby.
  EXPECT_EQ(r.trace.active_cycles, r.completion_cycle);
  EXPECT_EQ(r.trace.precharged_cycles, 0);
  const double expected = e.act_j + n * e.read_j +
                          static_cast<double>(r.completion_cycle) * t.tck_s() * e.act_standby_w;
  EXPECT_NEAR(r.trace.energy.total_j(), expected, expected * 1e-12);
  EXPECT_TRUE(timing_violations(spec, r.device_commands[0]).empty());
}

TEST(Simulator, KnownHitsMissesAndConflictsGiveTheExpectedCommandsEnergyAndTime) {
  const MemSpec spec = ddr3();
  const Timing& t = spec.timing;
  const AddressMapping m = AddressMapping::default_for(spec.org);
  // bank 0 row 0 (miss), 3 hits, bank 0 row 1 (conflict), bank 1 row 0 (miss), bank 0 row 1 (hit),
  // bank 1 row 5 (conflict).
  const auto acc = reads(
      m, {{0, 0, 0}, {0, 0, 1}, {0, 0, 2}, {0, 0, 3}, {0, 1, 0}, {1, 0, 0}, {0, 1, 1}, {1, 5, 0}});
  const SimulationResult r = simulate(spec, m, acc);
  EXPECT_EQ(r.stats.hits, 4);
  EXPECT_EQ(r.stats.misses, 2);
  EXPECT_EQ(r.stats.conflicts, 2);
  EXPECT_EQ(r.trace.counts.act, 4);
  EXPECT_EQ(r.trace.counts.pre, 2);
  EXPECT_EQ(r.trace.counts.read, 8);
  const auto& c = r.device_commands[0];
  ASSERT_EQ(c.size(), 14u);
  // RDs at 10, 14, 18, 22; the conflict's PRE waits for tRAS (28) after ACT 0, its ACT for tRP
  // and tRC (38), its RD for tRCD.
  EXPECT_EQ(c[5].kind, CommandKind::kPre);
  EXPECT_EQ(c[5].cycle, t.ras);
  EXPECT_EQ(c[6].cycle, std::max(t.ras + t.rp, t.rc));
  EXPECT_EQ(c[7].cycle, c[6].cycle + t.rcd);
  EXPECT_TRUE(timing_violations(spec, c).empty());
  const CommandEnergies e = command_energies(spec);
  const double commands = 4 * e.act_j + 2 * e.pre_j + 8 * e.read_j;
  EXPECT_NEAR(r.trace.energy.command_j(), commands, commands * 1e-12);
  const double background =
      static_cast<double>(r.trace.active_cycles) * t.tck_s() * e.act_standby_w +
      static_cast<double>(r.trace.precharged_cycles) * t.tck_s() * e.pre_standby_w;
  EXPECT_NEAR(r.trace.energy.background_j(), background, background * 1e-12);
}

TEST(Simulator, RandomTracesKeepEveryTimingRuleAndRefresh) {
  for (const char* name : {testing::kDdr3, testing::kLpddr3, testing::kDdr3l}) {
    const MemSpec spec = load_memspec(data_file(name));
    const AddressMapping m = AddressMapping::default_for(spec.org);
    RngStream rng(7, stream_tag("sim"), 0);
    std::vector<Access> acc;
    uint64_t a = 0;
    for (int i = 0; i < 20000; ++i) {
      // Mostly sequential with jumps, so hits, misses and conflicts all occur.
      if (rng.bernoulli(0.05)) a = rng.uniform_below(m.capacity_bytes() / 64) * 64;
      acc.push_back({a % m.capacity_bytes(), rng.bernoulli(0.3), 0});
      a += static_cast<uint64_t>(spec.org.burst_bytes());
    }
    const SimulationResult r = simulate(spec, m, acc);
    EXPECT_GT(r.stats.hits, 0) << name;
    EXPECT_GT(r.stats.misses + r.stats.conflicts, 100) << name;
    const auto v = timing_violations(spec, r.device_commands[0]);
    EXPECT_TRUE(v.empty()) << name << ": " << (v.empty() ? "" : v[0]);
    // One REF per tREFI elapsed (the last one may not be due yet).
    const int64_t due = r.completion_cycle / spec.timing.refi;
    EXPECT_GE(r.trace.counts.refresh, due - 1) << name;
    EXPECT_LE(r.trace.counts.refresh, due) << name;
    // The written trace reads back to the same energy.
    const TraceEnergy again = evaluate_commands(spec, r.device_commands[0], "again");
    EXPECT_DOUBLE_EQ(again.energy.total_j(), r.trace.energy.total_j());
  }
}

TEST(Simulator, ProratedRefreshChargesTimeOverRefi) {
  const MemSpec spec = ddr3();
  const AddressMapping m = AddressMapping::default_for(spec.org);
  std::vector<Access> acc;
  for (int i = 0; i < 50000; ++i) acc.push_back({static_cast<uint64_t>(i) * 8, false, 0});
  SimulatorOptions o;
  o.refresh = RefreshMode::kProrate;
  const SimulationResult r = simulate(spec, m, acc, o);
  EXPECT_EQ(r.trace.counts.refresh, 0);
  EXPECT_NEAR(r.trace.energy.refresh_j,
              static_cast<double>(r.completion_cycle) / static_cast<double>(spec.timing.refi) *
                  command_energies(spec).refresh_j,
              1e-18);
  o.refresh = RefreshMode::kOff;
  EXPECT_EQ(simulate(spec, m, acc, o).trace.energy.refresh_j, 0.0);
}

TEST(Simulator, ArrivalGapsAreIdleTimeWithRefreshes) {
  const MemSpec spec = ddr3();
  const AddressMapping m = AddressMapping::default_for(spec.org);
  const int64_t gap = 5 * spec.timing.refi + 100;
  const std::vector<Access> acc = {{0, false, 0}, {1 << 20, false, gap}};
  const SimulationResult r = simulate(spec, m, acc);
  EXPECT_EQ(r.trace.counts.refresh, 5);
  EXPECT_GE(r.completion_cycle, gap);
  EXPECT_TRUE(timing_violations(spec, r.device_commands[0]).empty());
}

TEST(Simulator, AddressBeyondCapacityIsAnError) {
  const MemSpec spec = ddr3();
  const AddressMapping m = AddressMapping::default_for(spec.org);
  const std::vector<Access> acc = {{m.capacity_bytes(), false, 0}};
  EXPECT_THROW(simulate(spec, m, acc), ConfigError);
}

TEST(Simulator, ChannelsAndRanksAreSeparateDevicesSharingTheirChannel) {
  std::ifstream in(data_file(testing::kDdr3));
  auto doc = nlohmann::json::parse(in);
  doc["memarchitecturespec"]["nbrOfRanks"] = 2;
  doc["memarchitecturespec"]["nbrOfChannels"] = 2;
  const MemSpec spec = parse_memspec(doc, "two-by-two");
  const MemSpec one = ddr3();
  // Sequential reads, consecutive bursts alternating between the channels.
  const AddressMapping interleaved(spec.org, "row,rank,bank,column,channel");
  const AddressMapping single = AddressMapping::default_for(one.org);
  std::vector<Access> acc;
  for (int i = 0; i < 4096; ++i) acc.push_back({static_cast<uint64_t>(i) * 8, false, 0});
  SimulatorOptions o;
  o.refresh = RefreshMode::kOff;
  const SimulationResult r2 = simulate(spec, interleaved, acc, o);
  const SimulationResult r1 = simulate(one, single, acc, o);
  ASSERT_EQ(r2.device_commands.size(), 4u);  // 2 channels × 2 ranks
  // 16 KB per channel = 16 rows of 1 KB: all 8 banks of both ranks.
  for (const auto& cmds : r2.device_commands) EXPECT_FALSE(cmds.empty());
  EXPECT_EQ(r2.stats.accesses, 4096);
  // Two channels stream in parallel: about half the time of one.
  EXPECT_LT(static_cast<double>(r2.completion_cycle),
            static_cast<double>(r1.completion_cycle) * 0.55);
  int64_t reads = 0;
  for (const auto& cmds : r2.device_commands) {
    EXPECT_TRUE(timing_violations(spec, cmds).empty());
    for (const Command& c : cmds) reads += c.kind == CommandKind::kRd;
  }
  EXPECT_EQ(reads, 4096);
  // Energy: the devices' sum; idle devices still draw precharged standby until completion.
  TraceEnergy sum;
  for (const auto& cmds : r2.device_commands) {
    std::vector<Command> c = cmds;
    if (c.empty()) c.push_back({r2.completion_cycle, CommandKind::kNop, 0, 0});
    sum += evaluate_commands(spec, c, "device", r2.completion_cycle, 1);
  }
  EXPECT_DOUBLE_EQ(sum.energy.total_j(), r2.trace.energy.total_j());
  EXPECT_GT(r2.trace.energy.pre_standby_j, 0.0);
}

}  // namespace
}  // namespace hardy::dram
