// hardy nvf end to end: bad options are one error line; a SIGKILLed analysis resumes to the
// uninterrupted result; its counts equal the injection campaigns'.
#include <nlohmann/json.hpp>

#include "cli_test_support.h"

namespace {

using namespace hardy::cli_testing;

using CliNvf = CliTest;

const std::string kModel = std::string(HARDY_SOURCE_DIR) + "/models/lenet5_fmnist.onnx";

std::string nvf(const std::string& rest) { return "nvf --model " + kModel + " " + rest; }

TEST_F(CliNvf, BadOptionsAreOneErrorLine) {
  const std::string out = " --json " + temp("x.json");
  expect_one_error_line(run_hardy(nvf("--faults bitflip,flip3" + out)), "flip3");
  expect_one_error_line(run_hardy(nvf("--faults ber" + out)), "ber");
  expect_one_error_line(run_hardy(nvf("--faults bitflip,bitflip" + out)), "twice");
  expect_one_error_line(run_hardy(nvf("--layers /conv9/Conv" + out)), "/conv9/Conv");
  expect_one_error_line(run_hardy(nvf("--bits 9" + out)), "bit 9");
  expect_one_error_line(run_hardy(nvf("--images 20000" + out)), "20000");
  expect_one_error_line(run_hardy(nvf("--images 2")), "--json");
  expect_one_error_line(run_hardy(nvf("--images 0" + out)), "--images: must be a number >= 1");
  expect_one_error_line(run_hardy(nvf("--offset -4" + out)), "--offset: must be a number >= 0");
}

TEST_F(CliNvf, KilledAnalysisResumesToTheUninterruptedResultWhichEqualsInjection) {
  const std::string args =
      nvf("--images 6 --layers /pool2/AveragePool,/fc1/Gemm --threads 2 --checkpoint-every 0 "
          "--json ");
  auto [a, b] = kill_and_resume(args, 2, "--bits 7", "another analysis");
  EXPECT_EQ(a["critical"], b["critical"]);
  EXPECT_EQ(a["per_layer"], b["per_layer"]);
  EXPECT_EQ(a["per_bit"], b["per_bit"]);
  // The resumed result says so (its seconds are the last sitting's only).
  EXPECT_FALSE(a.contains("resumed"));
  EXPECT_EQ(b.value("resumed", false), true);
  // The same faults injected exhaustively: the same critical count.
  const CliRun inj = run_hardy(
      "inject --model " + kModel +
      " --images 6 --layers /pool2/AveragePool,/fc1/Gemm --target neurons --fault bitflip2 "
      "--mode exhaustive --json " +
      temp("inject.json"));
  ASSERT_EQ(inj.exit_code, 0) << inj.err;
  EXPECT_EQ(read_json(temp("inject.json"))["sdc_critical"], a["critical"]["bitflip2"]);
}

}  // namespace
