// Memspec loading and validation, and the per-command energies against DRAMPower's goldens.
#include "hardy/dram/memspec.h"

#include <gtest/gtest.h>

#include <fstream>

#include "hardy/core/error.h"
#include "hardy/dram/energy.h"
#include "test_util.h"

namespace hardy::dram {
namespace {

using testing::data_file;
using testing::TempDir;

nlohmann::json shipped(const char* name) {
  std::ifstream in(data_file(name));
  return nlohmann::json::parse(in);
}

// Loads `doc` from a file and returns the error message (empty if it loaded).
std::string load_error(const TempDir& dir, const nlohmann::json& doc) {
  const std::string path = dir.write("spec.json", doc.dump(2));
  try {
    load_memspec(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

void expect_error(const TempDir& dir, const nlohmann::json& doc, const std::string& mentions) {
  const std::string msg = load_error(dir, doc);
  EXPECT_NE(msg.find(dir.file("spec.json")), std::string::npos) << msg;
  EXPECT_NE(msg.find(mentions), std::string::npos) << msg;
}

// DRAMPower (legacy `develop`, built from source) prints these for MICRON_4Gb_LPDDR3-1600_32bit_A:
// a trace with one ACT, one PRE and one RD gives ACT 2943.00, PRE 1107.00, RD 1317.00 pJ.
TEST(Energy, Lpddr3GoldenPerCommandEnergies) {
  const MemSpec spec = load_memspec(data_file(testing::kLpddr3));
  ASSERT_EQ(spec.rails.size(), 2u);
  const CommandEnergies e = command_energies(spec);
  EXPECT_NEAR(e.act_j * 1e12, 2943.0, 2943.0 * 1e-3);
  EXPECT_NEAR(e.pre_j * 1e12, 1107.0, 1107.0 * 1e-3);
  EXPECT_NEAR(e.read_j * 1e12, 1317.0, 1317.0 * 1e-3);
}

// Hand arithmetic from REFERENCES.md for the single-rail DDR3-1600 x8 part (1.5 V, tCK 1.25 ns):
// ACT 1.5·(70−45) mA·28 ck, PRE 1.5·(70−45) mA·10 ck, RD 1.5·(140−45) mA·4 ck,
// WR 1.5·(145−45) mA·4 ck, REF 1.5·(170−45) mA·88 ck.
TEST(Energy, Ddr3SingleRailMatchesDatasheetArithmetic) {
  const MemSpec spec = load_memspec(data_file(testing::kDdr3));
  ASSERT_EQ(spec.rails.size(), 1u);
  const double tck = 1.25e-9;
  const CommandEnergies e = command_energies(spec);
  EXPECT_DOUBLE_EQ(spec.timing.tck_s(), tck);
  EXPECT_NEAR(e.act_j, 1.5 * 25e-3 * 28 * tck, 1e-18);
  EXPECT_NEAR(e.pre_j, 1.5 * 25e-3 * 10 * tck, 1e-18);
  EXPECT_NEAR(e.read_j, 1.5 * 95e-3 * 4 * tck, 1e-18);
  EXPECT_NEAR(e.write_j, 1.5 * 100e-3 * 4 * tck, 1e-18);
  EXPECT_NEAR(e.refresh_j, 1.5 * 125e-3 * 88 * tck, 1e-18);
  EXPECT_NEAR(e.act_standby_w, 1.5 * 45e-3, 1e-15);
  EXPECT_NEAR(e.pre_standby_w, 1.5 * 45e-3, 1e-15);
}

TEST(Energy, PerRailFunctionsSumToTheDeviceTotals) {
  const MemSpec spec = load_memspec(data_file(testing::kLpddr3));
  double act = 0, rd = 0;
  for (const Rail& r : spec.rails) {
    act += act_energy_j(r, spec.timing);
    rd += read_energy_j(r, spec.timing, spec.org);
  }
  const CommandEnergies e = command_energies(spec);
  EXPECT_DOUBLE_EQ(e.act_j, act);
  EXPECT_DOUBLE_EQ(e.read_j, rd);
  // VDD1 of LPDDR3 carries a small share: (15 − 2) mA · 1.8 V · 45 ns = 1053 pJ of the 2943.
  EXPECT_NEAR(act_energy_j(spec.rails[0], spec.timing) * 1e12, 1053.0, 1e-6);
}

TEST(Energy, BreakdownSumsItself) {
  EnergyBreakdown a{1, 2, 3, 4, 5, 6, 7}, b{10, 20, 30, 40, 50, 60, 70};
  a += b;
  EXPECT_DOUBLE_EQ(a.total_j(), 308.0);
  EXPECT_DOUBLE_EQ(a.command_j(), 165.0);
  EXPECT_DOUBLE_EQ((a * 2).total_j(), 616.0);
  EXPECT_DOUBLE_EQ(a.to_json()["total_pj"].get<double>(), 308e12);
}

TEST(Memspec, ShippedFilesLoadWithTheirOrganisation) {
  const MemSpec lp = load_memspec(data_file(testing::kLpddr3));
  EXPECT_EQ(lp.type, MemoryType::kLpddr3);
  EXPECT_EQ(lp.org.burst_bytes(), 32);
  EXPECT_EQ(lp.org.capacity_bytes(), int64_t{512} << 20);  // 4 Gb
  const MemSpec d3 = load_memspec(data_file(testing::kDdr3));
  EXPECT_EQ(d3.org.capacity_bytes(), int64_t{128} << 20);  // 1 Gb
  const MemSpec d3l = load_memspec(data_file(testing::kDdr3l));
  EXPECT_EQ(d3l.type, MemoryType::kDdr3);
  EXPECT_DOUBLE_EQ(d3l.vdd1_v(), 1.35);
  EXPECT_EQ(d3l.org.burst_bytes(), 64);                        // one cache line per burst
  EXPECT_EQ(d3l.org.capacity_bytes() / 64, int64_t{1} << 25);  // the study's 2^25 lines
  EXPECT_EQ(d3l.org.rows_per_subarray(), 512);
  EXPECT_TRUE(d3l.assumptions.count("mempowerspec.idd01"));
  EXPECT_TRUE(d3l.assumptions.count("memtimingspec.RFC"));
}

TEST(Memspec, UnknownKeysAreErrorsNamingFileAndKey) {
  TempDir dir;
  auto doc = shipped(testing::kDdr3);
  doc["memtimingspec"]["tRCD"] = 10;
  expect_error(dir, doc, "memtimingspec.tRCD");
  doc = shipped(testing::kDdr3);
  doc["extra"] = 1;
  expect_error(dir, doc, "'extra'");
}

TEST(Memspec, OutOfRangeAndMissingValuesAreErrors) {
  TempDir dir;
  auto doc = shipped(testing::kDdr3);
  doc["memtimingspec"]["RCD"] = 0;
  expect_error(dir, doc, "memtimingspec.RCD");
  doc = shipped(testing::kDdr3);
  doc["memtimingspec"]["RCD"] = 10.5;
  expect_error(dir, doc, "an integer");
  doc = shipped(testing::kDdr3);
  doc["mempowerspec"]["vdd1"] = "1.5";
  expect_error(dir, doc, "mempowerspec.vdd1");
  doc = shipped(testing::kDdr3);
  doc["memarchitecturespec"].erase("nbrOfRows");
  expect_error(dir, doc, "memarchitecturespec.nbrOfRows");
  doc = shipped(testing::kDdr3);
  doc["memarchitecturespec"]["nbrOfRows"] = 1000;
  expect_error(dir, doc, "power of two");
  doc = shipped(testing::kDdr3);
  doc["memtimingspec"]["RC"] = 20;  // < RAS 28: E_PRE would be negative
  expect_error(dir, doc, "at least RAS");
  doc = shipped(testing::kDdr3);
  doc["mempowerspec"]["idd4r"] = 10.0;  // below IDD3N
  expect_error(dir, doc, "mempowerspec.idd4r");
  doc = shipped(testing::kDdr3);
  doc["memoryType"] = "DDR5";
  expect_error(dir, doc, "DDR3 or LPDDR3");
}

TEST(Memspec, SecondRailKeysBelongToTwoRailTypesOnly) {
  TempDir dir;
  auto doc = shipped(testing::kDdr3);
  doc["mempowerspec"]["vdd2"] = 1.2;
  expect_error(dir, doc, "mempowerspec.vdd2");
  doc = shipped(testing::kLpddr3);
  doc["mempowerspec"].erase("idd3n2");
  expect_error(dir, doc, "mempowerspec.idd3n2");
}

TEST(Memspec, AssumptionsMustNameKeysOfTheFile) {
  TempDir dir;
  auto doc = shipped(testing::kDdr3);
  doc["assumptions"]["memtimingspec.XYZ"] = "why";
  expect_error(dir, doc, "assumptions.memtimingspec.XYZ");
  doc = shipped(testing::kDdr3);
  doc["assumptions"]["memtimingspec.RCD"] = "";
  expect_error(dir, doc, "non-empty string");
}

TEST(Memspec, MalformedJsonAndMissingFileAreErrors) {
  TempDir dir;
  const std::string path = dir.write("bad.json", "{\"memoryId\": ");
  EXPECT_THROW(load_memspec(path), FormatError);
  EXPECT_THROW(load_memspec(dir.file("absent.json")), FileError);
}

}  // namespace
}  // namespace hardy::dram
