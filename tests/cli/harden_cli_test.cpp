// hardy harden end to end: bad options are one error line; a small sweep writes every row with
// the fields, the unprotected rows equal a plain `hardy inject` of the same sample, and
// split / TMR stay bit-identical fault-free; a killed sweep resumes to the uninterrupted rows.
#include <nlohmann/json.hpp>

#include "cli_test_support.h"

namespace {

using namespace hardy::cli_testing;

using CliHarden = CliTest;

const std::string kModel = std::string(HARDY_SOURCE_DIR) + "/models/lenet5_fmnist.onnx";

std::string harden(const std::string& rest) { return "harden --model " + kModel + " " + rest; }

TEST_F(CliHarden, BadOptionsAreOneErrorLine) {
  const std::string out = " --json " + temp("x.json");
  expect_one_error_line(run_hardy(harden("--scheme quad --select random" + out)), "quad");
  expect_one_error_line(run_hardy(harden("--select best" + out)), "best");
  expect_one_error_line(run_hardy(harden("--select random --budget 150%" + out)), "150%");
  expect_one_error_line(run_hardy(harden("--select random --budget ten" + out)), "ten");
  expect_one_error_line(run_hardy(harden("--select random --scheme split,tmr" + out)), "--sweep");
  expect_one_error_line(run_hardy(harden("--select random")), "--json");
  expect_one_error_line(run_hardy(harden("--select nvf --nvf-offset 4990" + out)), "overlap");
  expect_one_error_line(run_hardy(harden("--select nvf --nvf " + temp("none.csv") + out)),
                        "none.csv");
  expect_one_error_line(run_hardy(harden("--select random --images 9000" + out)), "9000");
  expect_one_error_line(run_hardy(harden("--select random --target bias" + out)), "bias");
}

TEST_F(CliHarden, SweepRowsAndTheUnprotectedBaseline) {
  const std::string json = temp("sweep.json");
  const CliRun r = run_hardy(
      harden("--sweep --select nvf,random --seeds 2 --budget 0,20% --nvf-images 10 --images 20 "
             "--faults 3000 --threads 2 --json " +
             json));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = read_json(json);
  // 3 schemes × (budget 0 + budget 20% × (nvf + 2 random seeds)).
  ASSERT_EQ(j["rows"].size(), 3u * (1 + 3));
  for (const auto& row : j["rows"]) {
    for (const char* key : {"scheme", "budget", "critical_sdc_rate", "ci95", "mac_overhead",
                            "param_overhead", "gate_overhead", "critical_per_inference"}) {
      EXPECT_TRUE(row.contains(key)) << key;
    }
    const double rate = row["critical_sdc_rate"];
    EXPECT_LE(row["ci95"][0].get<double>(), rate);
    EXPECT_GE(row["ci95"][1].get<double>(), rate);
    if (row["budget"] == 0) {
      EXPECT_EQ(row["mac_overhead"], 0.0);
      EXPECT_EQ(row["campaign"]["sdc_critical"], j["unprotected"]["sdc_critical"]);
    } else {
      const double macs = row["mac_overhead"];
      EXPECT_NEAR(macs, row["scheme"] == "tmr" ? 0.4 : 0.2, 0.01) << row["scheme"];
      if (row["scheme"] != "split-half") {
        EXPECT_TRUE(row["fault_free"]["bit_identical"]);
      }
    }
  }
  EXPECT_GT(j["unprotectable_nvf_share"].get<double>(), 0.0);
  // The unprotected campaign is an ordinary `hardy inject` of the same sample.
  const CliRun inj =
      run_hardy("inject --model " + kModel + " --images 20 --offset 5000 --faults 3000 --json " +
                temp("inject.json"));
  ASSERT_EQ(inj.exit_code, 0) << inj.err;
  EXPECT_EQ(read_json(temp("inject.json"))["sdc_critical"], j["unprotected"]["sdc_critical"]);
}

// The rows without their timings (the only fields a resumed run may change).
nlohmann::json untimed(nlohmann::json rows) {
  for (auto& r : rows) r["campaign"].erase("seconds");
  return rows;
}

TEST_F(CliHarden, KilledSweepResumesToTheUninterruptedRows) {
  const std::string args = harden(
      "--sweep --scheme split,tmr --select nvf-total,random --seeds 1 --budget 0,20% "
      "--nvf-images 4 --images 20 --faults 2000 --threads 2 --json ");
  // Checkpoints: the NVF ranking, the unprotected campaign, then one per row: killed after the
  // first hardened row.
  auto [a, b] = kill_and_resume(args, 3, "--campaign-seed 2", "another harden");
  ASSERT_EQ(a["rows"].size(), 2u * (1 + 2));
  EXPECT_EQ(untimed(a["rows"]), untimed(b["rows"]));
  EXPECT_EQ(a["unprotected"]["sdc_critical"], b["unprotected"]["sdc_critical"]);
  EXPECT_EQ(a["unprotectable_nvf_share"], b["unprotectable_nvf_share"]);
}

}  // namespace
