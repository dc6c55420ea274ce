// The voltage plan: the chosen voltage is the lowest safe one for each criterion, the savings add
// up, and without spatial variation every criterion is the chip BER.
#include "hardy/sparkxd/voltage_plan.h"

#include <gtest/gtest.h>

#include <cmath>

#include "hardy/core/error.h"
#include "test_data.h"

namespace hardy::sparkxd {
namespace {

using testing::ddr3l;

// A BER curve: 5.8e-11 at 1.35 V falling to `low` at 1.025 V (log-linear between points).
BerSource curve(double at_1100, double at_1050, double at_1025) {
  dram::BerCurve c{"test", "T", {}};
  for (auto [v, b] : std::vector<std::pair<double, double>>{
           {1.025, at_1025}, {1.05, at_1050}, {1.1, at_1100}, {1.35, 5.8e-11}}) {
    dram::StudyPoint p;
    p.vdd_v = v;
    p.ber = b;
    c.points.push_back(p);
  }
  BerSource s;
  s.curve = c;
  return s;
}

struct Weights {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(300000);
  std::vector<MemorySegment> segments() { return {{"w", bytes, 8}}; }
};

DramConfig config(double sigma) {
  DramConfig c;
  c.nominal = ddr3l();
  c.spread = {sigma, sigma};
  return c;
}

const std::vector<double> kVoltages = {1.35, 1.3, 1.25, 1.2, 1.15, 1.1, 1.075, 1.05, 1.025};

TEST(SparkxdVoltagePlan, PicksTheLowestSafeVoltagePerCriterion) {
  Weights w;
  const BerSource ber = curve(1e-9, 1e-6, 1e-3);
  const VoltagePlan p = plan_voltage(w.segments(), config(1.0), ber, kVoltages, 1e-4);
  ASSERT_TRUE(p.sparkxd.found && p.baseline.found && p.uniform.found);
  // No spatial variation: the lowest voltage whose chip BER is ≤ 1e-4 is 1.05 V (1e-6).
  EXPECT_EQ(p.uniform.vdd_v, 1.05);
  // SparkXD: at 1.025 V (chip BER 1e-3) enough regions are 10× stronger than the mean for
  // 300 kB, so the lowest candidate.
  EXPECT_EQ(p.sparkxd.vdd_v, 1.025);
  EXPECT_LE(p.sparkxd.max_weight_ber, 1e-4);
  EXPECT_LT(p.sparkxd.usable_regions, 512);
  // Baseline mapping: its linear regions must all be ≤ BER_max, so never lower than SparkXD.
  EXPECT_GE(p.baseline.vdd_v, p.sparkxd.vdd_v);
  EXPECT_LE(p.baseline.max_weight_ber, 1e-4);
  EXPECT_NEAR(p.saving, p.voltage_saving + p.mapping_saving, 1e-12);
  // Energy ∝ V² (currents ∝ V): the saving at 1.025 V is about 1 − (1.025/1.35)².
  EXPECT_NEAR(p.saving, 1 - std::pow(1.025 / 1.35, 2), 0.01);
  EXPECT_GT(p.energy_nominal_j, p.sparkxd.energy_j);
}

TEST(SparkxdVoltagePlan, WithoutSpatialVariationEveryCriterionIsTheChipBer) {
  Weights w;
  const BerSource ber = curve(1e-9, 1e-6, 1e-3);
  const VoltagePlan p = plan_voltage(w.segments(), config(0.0), ber, kVoltages, 1e-5);
  EXPECT_EQ(p.sparkxd.vdd_v, 1.05);
  EXPECT_EQ(p.baseline.vdd_v, 1.05);
  EXPECT_EQ(p.uniform.vdd_v, 1.05);
  EXPECT_NEAR(p.mapping_saving, 0.0, 1e-12);
  EXPECT_NEAR(p.saving, p.uniform_saving, 1e-12);
}

TEST(SparkxdVoltagePlan, StopsAtTheFirstUnsafeOrUnmeasuredVoltage) {
  Weights w;
  // Nothing tolerable: even the strongest region at the nominal voltage's floor BER (5.8e-11)
  // is above BER_max = 1e-16.
  const VoltagePlan none =
      plan_voltage(w.segments(), config(1.0), curve(1e-9, 1e-6, 1e-3), kVoltages, 1e-16);
  EXPECT_FALSE(none.sparkxd.found);
  EXPECT_FALSE(none.uniform.found);
  EXPECT_EQ(none.saving, 0.0);
  EXPECT_FALSE(none.note.empty());
  // Candidates below the curve's data: the lowest measured voltage is the limit.
  const VoltagePlan low = plan_voltage(w.segments(), config(1.0), curve(1e-9, 1e-6, 1e-3),
                                       {1.35, 1.025, 1.0, 0.95}, 0.5);
  EXPECT_EQ(low.sparkxd.vdd_v, 1.025);
  EXPECT_NE(low.note.find("1.025"), std::string::npos) << low.note;
}

}  // namespace
}  // namespace hardy::sparkxd
