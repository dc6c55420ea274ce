// Voltage scaling of energy and timing, and the BER(V) curves against the study's CSV.
#include "hardy/dram/voltage.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "hardy/core/error.h"
#include "hardy/dram/energy.h"
#include "hardy/dram/voltage_study.h"
#include "test_util.h"

namespace hardy::dram {
namespace {

using testing::data_file;
using testing::TempDir;

const char* kStudy = "voltage_study_faulty_cachelines.csv";

TEST(Voltage, EnergyScalesWithTheSquareOfTheSupply) {
  const MemSpec nominal = load_memspec(data_file(testing::kDdr3l));
  const CommandEnergies e0 = command_energies(nominal);
  for (double v : {1.35, 1.2, 1.05, 1.025}) {
    VoltageOptions o;
    o.vdd_v = v;
    const CommandEnergies e = command_energies(at_voltage(nominal, o));
    const double k2 = (v / 1.35) * (v / 1.35);
    EXPECT_NEAR(e.act_j, e0.act_j * k2, e0.act_j * 1e-12) << v;
    EXPECT_NEAR(e.read_j, e0.read_j * k2, e0.read_j * 1e-12) << v;
    EXPECT_NEAR(e.pre_standby_w, e0.pre_standby_w * k2, e0.pre_standby_w * 1e-12) << v;
  }
  // REFERENCES.md: 1.35 → 1.05 V saves ≈ 39.5%, → 1.025 V ≈ 42.4%.
  VoltageOptions o;
  o.vdd_v = 1.05;
  EXPECT_NEAR(1 - command_energies(at_voltage(nominal, o)).act_j / e0.act_j, 0.395, 0.001);
  o.vdd_v = 1.025;
  EXPECT_NEAR(1 - command_energies(at_voltage(nominal, o)).act_j / e0.act_j, 0.424, 0.001);
}

TEST(Voltage, TableOverridesTheCurrentsItNames) {
  TempDir dir;
  const MemSpec nominal = load_memspec(data_file(testing::kDdr3l));
  const auto table =
      load_current_scale_table(dir.write("t.csv", "vdd_v,idd0,idd3n\n1.0,0.5,0.5\n1.35,1.0,1.0\n"));
  VoltageOptions o;
  o.vdd_v = 1.175;  // halfway: factor 0.75 for the two tabled currents
  o.currents = table;
  const MemSpec s = at_voltage(nominal, o);
  const double k = 1.175 / 1.35;
  EXPECT_NEAR(s.rails[0].idd0_a, nominal.rails[0].idd0_a * 0.75, 1e-12);
  EXPECT_NEAR(s.rails[0].idd3n_a, nominal.rails[0].idd3n_a * 0.75, 1e-12);
  EXPECT_NEAR(s.rails[0].idd4r_a, nominal.rails[0].idd4r_a * k, 1e-12);  // not in the table
  EXPECT_NEAR(s.rails[0].vdd_v, 1.175, 1e-12);
  o.vdd_v = 0.9;
  EXPECT_THROW(at_voltage(nominal, o), ConfigError);  // outside the table
  for (const char* bad : {"vdd,idd0\n1.0,1\n", "vdd_v,idd9\n1.0,1\n", "vdd_v,idd0\n1.2,1\n1.1,1\n",
                          "vdd_v,idd0\n1.2,-1\n", "vdd_v,idd0\n1.2\n"}) {
    const std::string path = dir.write("bad.csv", bad);
    try {
      load_current_scale_table(path);
      ADD_FAILURE() << bad;
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    }
  }
}

TEST(Voltage, LatencyStretchLengthensRowTimingsAndRejectsBadVoltages) {
  const MemSpec nominal = load_memspec(data_file(testing::kDdr3l));
  VoltageOptions o;
  o.vdd_v = 1.1;
  o.latency_stretch_per_volt = 1.0;  // +25% at 0.25 V below nominal
  const MemSpec s = at_voltage(nominal, o);
  EXPECT_EQ(s.timing.rcd, static_cast<int64_t>(std::ceil(10 * 1.25)));
  EXPECT_EQ(s.timing.rp, static_cast<int64_t>(std::ceil(10 * 1.25)));
  EXPECT_EQ(s.timing.ras, 35);
  EXPECT_EQ(s.timing.rc, nominal.timing.rc + (35 - 28) + (13 - 10));
  o.latency_stretch_per_volt = 0;
  EXPECT_EQ(at_voltage(nominal, o).timing.rcd, nominal.timing.rcd);
  o.vdd_v = 0.5;
  EXPECT_THROW(at_voltage(nominal, o), ConfigError);
}

// The test's own reading of the CSV: (dimm, vdd, vendor, percent).
struct Row {
  std::string dimm, vendor;
  double vdd, percent;
};
std::vector<Row> read_rows() {
  std::ifstream in(data_file(kStudy));
  std::string line;
  std::getline(in, line);
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    std::stringstream s(line);
    Row r;
    std::string vdd, pct;
    std::getline(s, r.dimm, ',');
    std::getline(s, vdd, ',');
    std::getline(s, r.vendor, ',');
    std::getline(s, pct, ',');
    r.vdd = std::stod(vdd);
    r.percent = std::stod(pct);
    rows.push_back(r);
  }
  return rows;
}

TEST(VoltageStudy, CurvesReproduceEveryRowOfTheSourceCsv) {
  const VoltageStudy study = VoltageStudy::load(data_file(kStudy));
  const auto rows = read_rows();
  ASSERT_EQ(rows.size(), 212u);
  EXPECT_EQ(study.dimms().size(), 30u);
  EXPECT_EQ(study.vendors(), (std::vector<std::string>{"A", "B", "C"}));
  const double floor = 1 - std::pow(1 - 1.0 / 33554432.0, 1.0 / 512);
  EXPECT_NEAR(no_error_floor_ber(), floor, floor * 1e-6);  // pow() loses ~1e-8 here
  EXPECT_NEAR(no_error_floor_ber(), 5.82e-11, 0.01e-11);
  for (const Row& r : rows) {
    const double expected = r.percent == 0 ? floor : 1 - std::pow(1 - r.percent / 100, 1.0 / 512);
    const double got = study.dimm(r.dimm).ber_at(r.vdd);
    EXPECT_NEAR(got, expected, expected * 1e-6) << r.dimm << " " << r.vdd;
    EXPECT_EQ(study.dimm(r.dimm).vendor, r.vendor);
  }
}

TEST(VoltageStudy, VendorBFourDimmsAtTheLowestVoltage) {
  const VoltageStudy study = VoltageStudy::load(data_file(kStudy));
  // DESIGN §7 / issue 15: BER 7.3e-8, 3.6e-5, 4.4e-4, 1.6e-3 at 1.025 V (two digits).
  std::vector<double> bers;
  for (const BerCurve& c : study.dimms()) {
    if (c.vendor == "B" && c.min_vdd_v() <= 1.025 + 1e-9) bers.push_back(c.ber_at(1.025));
  }
  std::sort(bers.begin(), bers.end());
  ASSERT_EQ(bers.size(), 4u);
  const double expected[] = {7.3e-8, 3.6e-5, 4.4e-4, 1.6e-3};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(bers[i], expected[i], expected[i] * 0.02) << i;
}

TEST(VoltageStudy, VendorMediansMatchTheDesignTable) {
  const VoltageStudy study = VoltageStudy::load(data_file(kStudy));
  const BerCurve b = study.vendor_curve("B", VendorStatistic::kMedian);
  EXPECT_DOUBLE_EQ(b.ber_at(1.10), no_error_floor_ber());  // 6 of 11 error-free
  EXPECT_NEAR(b.ber_at(1.075), 5.8e-9, 0.1e-9);
  EXPECT_NEAR(b.ber_at(1.05), 5.3e-7, 0.1e-7);
  EXPECT_NEAR(b.ber_at(1.025), 2.4e-4, 0.05e-4);  // mean of the middle two of four
  EXPECT_EQ(b.points.front().dimms, 4);
  const BerCurve a = study.vendor_curve("A", VendorStatistic::kMedian);
  EXPECT_NEAR(a.ber_at(1.10), 1.8e-4, 0.05e-4);
  EXPECT_DOUBLE_EQ(a.ber_at(1.125), no_error_floor_ber());
  const BerCurve c = study.vendor_curve("C", VendorStatistic::kMedian);
  EXPECT_NEAR(c.ber_at(1.25), 4.2e-7, 0.1e-7);
  EXPECT_NEAR(c.ber_at(1.20), 4.4e-4, 0.05e-4);
  EXPECT_TRUE(c.saturated_at(1.10));
  EXPECT_TRUE(study.dimm("C5").saturated_at(1.125));   // 50.007%: the plateau
  EXPECT_FALSE(study.dimm("B7").saturated_at(1.025));  // 56.4%: above it, a measurement
  EXPECT_FALSE(study.dimm("A7").saturated_at(1.10));   // 89.6%
  EXPECT_FALSE(b.saturated_at(1.05));
  const BerCurve worst = study.vendor_curve("A", VendorStatistic::kWorst);
  EXPECT_NEAR(worst.ber_at(1.10), 4.4e-3, 0.05e-3);  // REFERENCES.md: max 4.4e-3
  for (const char* v : {"A", "B", "C"}) {
    EXPECT_DOUBLE_EQ(study.vendor_curve(v, VendorStatistic::kMedian).ber_at(1.35),
                     no_error_floor_ber());
  }
  EXPECT_THROW(study.vendor_curve("D", VendorStatistic::kMedian), ConfigError);
  EXPECT_THROW(study.dimm("B6"), ConfigError);  // B6 is only in the spatial figures
}

TEST(VoltageStudy, LogLinearInterpolationAndRange) {
  const VoltageStudy study = VoltageStudy::load(data_file(kStudy));
  const BerCurve& b7 = study.dimm("B7");
  const double lo = b7.ber_at(1.025), hi = b7.ber_at(1.05);
  EXPECT_NEAR(b7.ber_at(1.0375), std::sqrt(lo * hi), std::sqrt(lo * hi) * 1e-9);
  const double quarter = b7.ber_at(1.03125);
  EXPECT_NEAR(std::log(quarter), 0.75 * std::log(lo) + 0.25 * std::log(hi), 1e-9);
  EXPECT_DOUBLE_EQ(b7.ber_at(1.40), b7.ber_at(1.35));
  EXPECT_THROW(b7.ber_at(1.0), ConfigError);
  EXPECT_THROW(study.dimm("B10").ber_at(1.025), ConfigError);  // measured down to 1.05 V
}

TEST(VoltageStudy, MalformedCsvIsRejected) {
  TempDir dir;
  const std::string header = "dimm_name,vdd,vendor,error_cacheline_percent\n";
  for (const std::string& body :
       {std::string("A1,1.1,A\n"), std::string("A1,x,A,0\n"), std::string("A1,1.1,a,0\n"),
        std::string("A1,1.1,A,101\n"), std::string("A1,1.1,A,0\nA1,1.1,A,0\n"),
        std::string("A1,1.1,A,0\nA1,1.2,B,0\n")}) {
    const std::string path = dir.write("s.csv", header + body);
    EXPECT_THROW(VoltageStudy::load(path), FormatError) << body;
  }
  EXPECT_THROW(VoltageStudy::load(dir.write("h.csv", "dimm,vdd\n")), FormatError);
}

}  // namespace
}  // namespace hardy::dram
