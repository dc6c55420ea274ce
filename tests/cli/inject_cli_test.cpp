// hardy inject / merge end to end: bad options are one error line; a SIGKILLed campaign resumes to
// the uninterrupted result; shards merged and MPI ranks equal the single run.
#include <nlohmann/json.hpp>

#include "cli_test_support.h"

namespace {

using namespace hardy::cli_testing;

using CliInject = CliTest;

const std::string kModel = std::string(HARDY_SOURCE_DIR) + "/models/lenet5_fmnist.onnx";

std::string inject(const std::string& rest) { return "inject --model " + kModel + " " + rest; }

TEST_F(CliInject, BadOptionsAreOneErrorLine) {
  const std::string out = " --json " + temp("x.json");
  expect_one_error_line(run_hardy(inject("--layers /conv9/Conv" + out)), "/conv9/Conv");
  expect_one_error_line(run_hardy(inject("--bits 8" + out)), "bit 8");
  expect_one_error_line(run_hardy(inject("--fault ber --mode trials --trials 2 --ber 1.5" + out)),
                        "1.5");
  expect_one_error_line(run_hardy(inject("--margin 0" + out)), "margin");
  expect_one_error_line(run_hardy(inject("--shard 2/2" + out)), "2/2");
  expect_one_error_line(run_hardy(inject("--target activations" + out)), "activations");
  expect_one_error_line(run_hardy(inject("--fault ber" + out)), "trials");
  expect_one_error_line(run_hardy(inject("--images 20000" + out)), "20000");
  expect_one_error_line(run_hardy(inject("--images 0" + out)), "--images: must be a number >= 1");
  expect_one_error_line(run_hardy("merge --json " + temp("m.json") + " " + temp("none.json")),
                        "none.json");
}

TEST_F(CliInject, KilledCampaignResumesToTheUninterruptedResult) {
  const std::string args = inject(
      "--images 12 --target weights --layers /conv2/Conv,/fc3/Gemm --mode exhaustive "
      "--threads 2 --checkpoint-every 0 --json ");
  // A checkpoint of another campaign (another seed) is refused.
  auto [a, b] = kill_and_resume(args, 3, "--seed 7", "another campaign");
  EXPECT_EQ(a["counts"], b["counts"]);
  EXPECT_EQ(a["sdc_critical"], b["sdc_critical"]);
}

TEST_F(CliInject, ShardsMergedEqualTheSingleRun) {
  const std::string args =
      inject("--images 40 --mode statistical --faults 12000 --fault bitflip2 --json ");
  ASSERT_EQ(run_hardy(args + temp("single.json") + " --csv " + temp("single.csv")).exit_code, 0);
  std::string shards;
  for (int k = 0; k < 3; ++k) {
    const std::string path = temp("shard" + std::to_string(k) + ".json");
    ASSERT_EQ(run_hardy(args + path + " --shard " + std::to_string(k) + "/3").exit_code, 0);
    shards += " " + path;
  }
  const CliRun m =
      run_hardy("merge --json " + temp("merged.json") + " --csv " + temp("merged.csv") + shards);
  ASSERT_EQ(m.exit_code, 0) << m.err;
  const auto a = read_json(temp("single.json")), b = read_json(temp("merged.json"));
  EXPECT_EQ(a["counts"], b["counts"]);
  EXPECT_EQ(a["ci95"], b["ci95"]);
  EXPECT_EQ(a["per_layer"], b["per_layer"]);
  EXPECT_EQ(read_file(temp("single.csv")), read_file(temp("merged.csv")));
  // Two shards only: a chunk is missing.
  expect_one_error_line(run_hardy("merge --json " + temp("bad.json") + " " + temp("shard0.json") +
                                  " " + temp("shard1.json")),
                        "missing");
}

#ifdef HARDY_MPI_BUILD
TEST_F(CliInject, MpiRanksEqualTheSingleRun) {
  const std::string args = inject("--images 30 --mode statistical --faults 3000 --json ");
  ASSERT_EQ(run_hardy(args + temp("single.json")).exit_code, 0);
  const std::string cmd = "cd " + temp("") +
                          " && mpirun --allow-run-as-root --oversubscribe -np 2 " + HARDY_BIN +
                          " " + args + temp("mpi.json") + " >/dev/null 2>" + temp("mpi.err");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(temp("mpi.err"));
  const auto a = read_json(temp("single.json")), b = read_json(temp("mpi.json"));
  EXPECT_EQ(b["mpi_ranks"], 2);
  EXPECT_EQ(a["counts"], b["counts"]);
  EXPECT_EQ(a["campaign"], b["campaign"]);
}
#endif

}  // namespace
