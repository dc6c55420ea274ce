// `hardy sparkxd` from the outside: every bad input is one error line and exit code 2; a small
// pipeline writes the documented fields, and a run killed during training and resumed ends with
// the result of an uninterrupted one.
#include <nlohmann/json.hpp>

#include "../cli/cli_test_support.h"

namespace {

using namespace hardy::cli_testing;
using CliResult = CliRun;

class SparkxdCli : public CliTest {
 protected:
  CliResult hardy(const std::string& args, const std::string& env = "") const {
    return run_hardy("sparkxd " + args, env);
  }
  nlohmann::json read_json(const std::string& name) const {
    std::ifstream in(temp(name));
    return nlohmann::json::parse(in);
  }
};

bool have_fashion() { return fs::exists(hardy::data::dataset_directory("fashion-mnist")); }

// Small enough for CI: N20 on 1,200 training samples, 100 test images, 2 BERs.
const std::string kSmall =
    "--dataset fashion-mnist --neurons 20 --train-images 600 --epochs 2 --label-images 300 "
    "--images 100 --bers 1e-4,1e-2 --fat-bers 1e-4,1e-3 --fat-interval 100 --vendor B "
    "--voltages 1.35:1.025:0.05 --threads 2 ";

TEST_F(SparkxdCli, BadInputIsOneErrorLine) {
  const std::string j = " --json " + temp("o.json");
  expect_one_error_line(hardy("--dataset fashion-mnist --neurons 20" + j), "--vendor");
  expect_one_error_line(hardy("--neurons 20 --model x.onnx --vendor B" + j), "either");
  expect_one_error_line(hardy("--neurons 20,abc --vendor B" + j), "--neurons");
  expect_one_error_line(hardy("--neurons 0 --vendor B" + j), "--neurons");
  expect_one_error_line(hardy("--neurons 20 --vendor B --bers 1e-2,1e-4" + j), "ascending");
  expect_one_error_line(hardy("--neurons 20 --vendor B --fat-bers 1e-3,1e-5" + j), "curriculum");
  expect_one_error_line(hardy("--neurons 20 --vendor B --error-model 7" + j), "error model");
  expect_one_error_line(hardy("--neurons 20 --vendor Z" + j), "Z");
  expect_one_error_line(hardy("--neurons 20 --dimm X99" + j), "X99");
  expect_one_error_line(hardy("--neurons 20 --vendor B --memspec nope.json" + j), "nope.json");
  expect_one_error_line(hardy("--neurons 20 --vendor B --voltages 1.35:x" + j), "voltages");
  expect_one_error_line(hardy("--neurons 20 --vendor B --bank-sigma 9" + j), "sigma");
  expect_one_error_line(hardy("--neurons 20 --vendor B --weight-format q3" + j), "q3");
  expect_one_error_line(hardy("--neurons 20 --vendor B --config nope.yaml" + j), "nope.yaml");
  expect_one_error_line(hardy("--neurons 20 --vendor B --seeds 0" + j), "--seeds");
  expect_one_error_line(hardy("--neurons 20 --vendor B --dataset cifar" + j), "cifar");
  expect_one_error_line(hardy("--neurons 20 --vendor B"), "--json");
}

nlohmann::json comparable(nlohmann::json row) {
  row.erase("seconds");
  row.erase("training");  // timings
  row["network"].erase("files");
  return row;
}

TEST_F(SparkxdCli, AKilledRunResumesToTheUninterruptedResult) {
  if (!have_fashion()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const CliResult full = hardy(kSmall + "--weight-format q8 --json " + temp("full.json"));
  ASSERT_EQ(full.exit_code, 0) << full.err;
  const nlohmann::json f = read_json("full.json");
  ASSERT_EQ(f["sizes"].size(), 1u);
  const nlohmann::json& row = f["sizes"][0];
  for (const char* key :
       {"baseline_accuracy", "fat_accuracy", "ber_max", "ber_max_fat", "voltage_v",
        "energy_nominal_j", "energy_sparkxd_j", "saving", "voltage_saving", "mapping_saving",
        "accuracy_at_voltage", "no_spatial_variation", "spread_sensitivity", "tolerance"}) {
    EXPECT_TRUE(row.contains(key)) << key;
  }
  EXPECT_TRUE(f.contains("provenance"));
  EXPECT_TRUE(f["complete"].get<bool>());
  EXPECT_GT(row["energy_nominal_j"].get<double>(), row["energy_sparkxd_j"].get<double>());
  EXPECT_NEAR(row["saving"].get<double>(),
              row["voltage_saving"].get<double>() + row["mapping_saving"].get<double>(), 1e-12);
  // Killed right after the first training checkpoint (the plain and the FAT network train side by
  // side on the two threads; each checkpoints at sample 500 of 1,200), then resumed.
  const std::string args =
      kSmall + "--weight-format q8 --checkpoint-every 0 --json " + temp("resumed.json");
  const CliResult killed = hardy(args, "HARDY_TEST_KILL_AFTER_CHECKPOINT=1");
  EXPECT_EQ(killed.signal, SIGKILL) << killed.err;
  const CliResult resumed = hardy(args + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resumed from its checkpoint"), std::string::npos) << resumed.err;
  EXPECT_EQ(comparable(read_json("resumed.json")["sizes"][0]), comparable(row));
  // Everything finished: a second --resume reuses every stage.
  const CliResult again = hardy(args + " --resume");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("reusing"), std::string::npos) << again.err;
  EXPECT_EQ(comparable(read_json("resumed.json")["sizes"][0]), comparable(row));
}

// With two threads the plain and the FAT network train side by side, with one one after the other:
// the same networks, so the same row.
TEST_F(SparkxdCli, TrainingSideBySideGivesTheSameResultAsOneAfterTheOther) {
  if (!have_fashion()) GTEST_SKIP() << "Fashion-MNIST not installed";
  std::string one_thread = kSmall;
  const std::string two_threads = "--threads 2 ";
  one_thread.replace(one_thread.find(two_threads), two_threads.size(), "--threads 1 ");
  const CliResult a = hardy(kSmall + "--json " + temp("two.json"));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const CliResult b = hardy(one_thread + "--json " + temp("one.json"));
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const nlohmann::json two = read_json("two.json")["sizes"][0];
  const nlohmann::json one = read_json("one.json")["sizes"][0];
  EXPECT_EQ(two["training"]["fat"]["side_by_side"], true);
  EXPECT_EQ(one["training"]["fat"]["side_by_side"], false);
  EXPECT_EQ(comparable(one), comparable(two));
}

}  // namespace
