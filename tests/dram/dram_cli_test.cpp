// `hardy dram …` from the outside: bad memspecs, traces and mapping requests give one `error:`
// line and exit code 2; good runs write their JSON.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "hardy/snn/network.h"
#include "test_util.h"

namespace hardy::dram {
namespace {

using testing::data_file;
using testing::TempDir;

struct CliRun {
  int exit_code;
  std::string out, err;
};

CliRun run_hardy(const TempDir& dir, const std::string& args) {
  const std::string out = dir.file("stdout.txt"), err = dir.file("stderr.txt");
  const std::string cmd = std::string(HARDY_BIN) + " " + args + " >" + out + " 2>" + err;
  const int status = std::system(cmd.c_str());
  auto slurp = [](const std::string& p) {
    std::ifstream in(p);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  };
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

void expect_one_error_line(const CliRun& r, const std::string& mentions) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(mentions), std::string::npos) << r.err;
}

TEST(DramCli, BadMemspecIsOneErrorLine) {
  TempDir dir;
  std::ifstream in(data_file(testing::kDdr3));
  auto doc = nlohmann::json::parse(in);
  doc["memtimingspec"]["tFAW"] = 20;
  const std::string path = dir.write("bad.json", doc.dump());
  expect_one_error_line(run_hardy(dir, "dram energy --memspec " + path + " --segment w:100"),
                        path + ": memtimingspec.tFAW");
  expect_one_error_line(
      run_hardy(dir, "dram energy --memspec " + dir.file("none.json") + " --segment w:100"),
      "none.json");
}

TEST(DramCli, MalformedTracesAreOneErrorLine) {
  TempDir dir;
  const std::string cmd = dir.write("c.trace", "0,ACT,0\n15,READ,0\n");
  expect_one_error_line(
      run_hardy(dir, "dram energy --memspec " + data_file(testing::kDdr3) + " --trace " + cmd),
      cmd + ": line 2");
  const std::string acc = dir.write("a.trace", "0x0 R\n0x40 Q\n");
  expect_one_error_line(
      run_hardy(dir, "dram energy --memspec " + data_file(testing::kDdr3) + " --trace " + acc),
      acc + ": line 2");
}

TEST(DramCli, MappingRequestsThatCannotBeMetAreOneErrorLine) {
  TempDir dir;
  const std::string spec = data_file(testing::kDdr3l);
  expect_one_error_line(
      run_hardy(dir, "dram map --memspec " + spec + " --segment w:1000 --mapping sparkxd"),
      "needs --vendor");
  expect_one_error_line(run_hardy(dir, "dram map --memspec " + spec +
                                           " --segment w:100000000 --vendor B --voltage 1.025 "
                                           "--mapping sparkxd --tolerable-ber 1e-8"),
                        "the weights need");
  expect_one_error_line(
      run_hardy(dir, "dram map --memspec " + spec + " --segment w:1000 --dimm B10 --voltage 1.025"),
      "1.05 V only");
  expect_one_error_line(run_hardy(dir, "dram map --memspec " + spec + " --segment w:x"),
                        "NAME:BYTES");
  expect_one_error_line(
      run_hardy(dir, "dram map --memspec " + spec + " --segment w:64 --address-mapping row,col"),
      "address mapping");
  expect_one_error_line(
      run_hardy(dir, "dram energy --memspec " + spec + " --segment w:64 --voltage 0.3"), "outside");
}

TEST(DramCli, EnergyOfSegmentsAndOfTheWrittenCommandTraceAgree) {
  TempDir dir;
  const std::string spec = data_file(testing::kDdr3l);
  const CliRun r =
      run_hardy(dir, "dram energy --memspec " + spec +
                         " --segment conv:600 --segment fc:60000 --voltage 1.1 --json " +
                         dir.file("e.json") + " --write-commands " + dir.file("c.trace"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(dir.file("e.json"));
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["result"]["accesses"]["accesses"], 10 + 938);
  EXPECT_DOUBLE_EQ(j["memory"]["vdd_v"].get<double>(), 1.1);
  EXPECT_TRUE(j["provenance"]["inputs"].contains(spec));
  const double total = j["result"]["energy"]["total_pj"].get<double>();
  EXPECT_GT(total, 0);
  // The command trace it wrote gives the same energy when read back as a trace.
  const CliRun again = run_hardy(dir, "dram energy --memspec " + spec + " --voltage 1.1 --trace " +
                                          dir.file("c.trace") + " --json " + dir.file("c.json"));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  std::ifstream in2(dir.file("c.json"));
  const auto j2 = nlohmann::json::parse(in2);
  EXPECT_NEAR(j2["result"]["energy"]["total_pj"].get<double>(), total, total * 1e-12);
  EXPECT_EQ(j2["input"]["kind"], "command trace");
}

TEST(DramCli, SweepAndModelInputs) {
  TempDir dir;
  const std::string spec = data_file(testing::kDdr3l);
  const std::string lenet = std::string(HARDY_SOURCE_DIR) + "/models/lenet5_fmnist.onnx";
  const std::string base = "dram sweep --memspec " + spec + " --model " + lenet +
                           " --images 100 --calibration-images 100 ";
  expect_one_error_line(run_hardy(dir, base + "--vendor D"), "vendor 'D'");
  expect_one_error_line(run_hardy(dir, base + "--vendor B --voltages 1.35:x"), "voltages");
  expect_one_error_line(run_hardy(dir, base + "--vendor B --error-model 7"), "error model 7");
  expect_one_error_line(run_hardy(dir, "dram sweep --memspec " + spec + " --vendor B"),
                        "--model and --net");
  expect_one_error_line(
      run_hardy(dir, "dram energy --memspec " + spec + " --model " + dir.file("none.onnx")),
      "none.onnx");
  const CliRun ok = run_hardy(dir, base + "--vendor B --voltages 1.35,1.025 --seeds 2 --json " +
                                       dir.file("s.json") + " --csv " + dir.file("s.csv"));
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  std::ifstream in(dir.file("s.json"));
  const auto j = nlohmann::json::parse(in);
  ASSERT_EQ(j["points"].size(), 2u);
  EXPECT_EQ(j["points"][1]["accuracies"].size(), 2u);
  EXPECT_GT(j["points"][1]["energy_saving"].get<double>(), 0.4);
  EXPECT_TRUE(j["provenance"]["inputs"].contains(lenet));
  std::ifstream csv(dir.file("s.csv"));
  const std::string text((std::istreambuf_iterator<char>(csv)), {});
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
  EXPECT_EQ(text.rfind("vdd_v,chip_ber,", 0), 0u);
}

TEST(DramCli, SpikingNetworkWeightsMapAndCostEnergy) {
  TempDir dir;
  snn::Network net = snn::Network::fresh(snn::SnnParams{}, 784, 16, 2);
  const std::string path = dir.file("n.snn");
  snn::save_network(net, path);
  const std::string spec = data_file(testing::kDdr3l);
  const CliRun r = run_hardy(dir, "dram map --memspec " + spec + " --net " + path +
                                      " --weight-format q6 --json " + dir.file("m.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(dir.file("m.json"));
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["input"]["segments"][0]["bytes"], 784 * 16 * 6 / 8);  // packed 6-bit codes
  EXPECT_EQ(j["input"]["segments"][0]["bits_per_word"], 6);
  const CliRun e = run_hardy(dir, "dram energy --memspec " + spec + " --net " + path +
                                      " --voltage 1.2 --json " + dir.file("e.json"));
  ASSERT_EQ(e.exit_code, 0) << e.err;
  std::ifstream in2(dir.file("e.json"));
  const auto je = nlohmann::json::parse(in2);
  EXPECT_EQ(je["result"]["accesses"]["accesses"], (784 * 16 * 4 + 63) / 64);  // fp32
  expect_one_error_line(
      run_hardy(dir, "dram map --memspec " + spec + " --net " + path + " --weight-format q99"),
      "q99");
}

}  // namespace
}  // namespace hardy::dram
