// Every bad input to the CLI ends in exactly one `error:` line naming the problem and exit code 2.
// Each test works in a directory of its own (ctest -j runs them in parallel).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli_test_support.h"

namespace {

using namespace hardy::cli_testing;
namespace fs = std::filesystem;

using CliErrors = CliTest;
using CliSnn = CliTest;

TEST_F(CliErrors, MissingModelFile) {
  expect_one_error_line(run_hardy("eval --model /nonexistent/m.onnx"), "/nonexistent/m.onnx");
}

TEST_F(CliErrors, TruncatedOnnx) {
  const std::string good = write_linear_model();
  std::ifstream in(good, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const std::string path = temp("truncated.onnx");
  std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() / 3);
  expect_one_error_line(run_hardy("eval --model " + path), "truncated.onnx");
}

TEST_F(CliErrors, UnsupportedOperator) {
  hardy::qnn::testing::OnnxBuilder b({1, 28, 28});
  b.node("Erf", {"input"}, {"y"});
  const std::string path = temp("erf.onnx");
  std::ofstream(path, std::ios::binary) << b.serialize("y");
  expect_one_error_line(run_hardy("eval --model " + path), "unsupported operator 'Erf'");
}

TEST_F(CliErrors, SoftmaxInsideTheNetworkNamesTheNode) {
  hardy::qnn::testing::OnnxBuilder b({1, 28, 28});
  b.node("Softmax", {"input"}, {"s"});
  b.node("Relu", {"s"}, {"y"});
  const std::string path = temp("softmax.onnx");
  std::ofstream(path, std::ios::binary) << b.serialize("y");
  expect_one_error_line(run_hardy("eval --model " + path), "node 'Softmax_1' (Softmax)");
}

TEST_F(CliErrors, ModelInputDoesNotFitTheImages) {
  hardy::qnn::testing::OnnxBuilder b({1, 32, 32});
  b.initializer("w", {10, 1024}, std::vector<float>(10240, 0.001f));
  b.node("Flatten", {"input"}, {"f"});
  hardy::qnn::testing::OnnxBuilder::int_attr(b.node("Gemm", {"f", "w"}, {"logits"}), "transB", 1);
  const std::string path = temp("input32.onnx");
  std::ofstream(path, std::ios::binary) << b.serialize("logits");
  const std::string root = write_dataset("fit", 0x08, 4);
  expect_one_error_line(run_hardy("eval --model " + path, "HARDY_DATA_DIR=" + root),
                        "does not fit fashion-mnist images");
}

TEST_F(CliErrors, WrongIdxMagic) {
  const std::string root = write_dataset("badmagic", 0x0D, 4);
  expect_one_error_line(run_hardy("eval --model " + write_linear_model(), "HARDY_DATA_DIR=" + root),
                        "magic");
}

TEST_F(CliErrors, MismatchedImageAndLabelCounts) {
  const std::string root = write_dataset("mismatch", 0x08, 3);
  expect_one_error_line(run_hardy("eval --model " + write_linear_model(), "HARDY_DATA_DIR=" + root),
                        "4 labels");
}

TEST_F(CliErrors, MissingDatasetFile) {
  const std::string root = temp("empty_data");
  fs::create_directories(root);
  expect_one_error_line(run_hardy("eval --model " + write_linear_model(), "HARDY_DATA_DIR=" + root),
                        "dataset file not found");
}

TEST_F(CliErrors, BadOptions) {
  expect_one_error_line(run_hardy("eval --model x.onnx --threads 0"), "--threads");
  expect_one_error_line(run_hardy("eval --model x.onnx --dataset cifar"), "--dataset");
  expect_one_error_line(run_hardy("frobnicate"), "frobnicate");
  expect_one_error_line(run_hardy("eval --model x.onnx", "HARDY_ISA=bogus"), "HARDY_ISA");
}

TEST_F(CliErrors, ValidSmallRunSucceeds) {
  const std::string root = write_dataset("good", 0x08, 4);
  const std::string json = temp("out.json");
  const CliRun r = run_hardy("eval --model " + write_linear_model() + " --json " + json,
                             "HARDY_DATA_DIR=" + root);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(json);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  for (const char* key : {"fp32_accuracy", "int8_accuracy", "agreement", "images",
                          "int8_images_per_second", "provenance"}) {
    EXPECT_NE(text.find(key), std::string::npos) << key;
  }
}

TEST_F(CliErrors, SnnTrainAndEvalSucceedWithBothReadouts) {
  const std::string root = write_dataset("snn_good", 0x08, 4);
  const std::string net = train_small_snn(root);
  for (const char* readout : {"vote", "proportion"}) {
    const std::string json = temp(std::string("snn_") + readout + ".json");
    const CliRun r =
        run_hardy("snn eval --net " + net + " --readout " + readout + " --json " + json,
                  "HARDY_DATA_DIR=" + root);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::ifstream in(json);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    for (const char* key :
         {"\"accuracy\"", "\"neurons\"", "\"images\"", "\"samples_per_second\"", "\"readout\""}) {
      EXPECT_NE(text.find(key), std::string::npos) << key;
    }
    EXPECT_NE(text.find(readout), std::string::npos);
  }
}

TEST_F(CliErrors, SnnBadOptionsAndFiles) {
  const std::string root = write_dataset("snn_bad", 0x08, 4);
  const std::string env = "HARDY_DATA_DIR=" + root;
  expect_one_error_line(run_hardy("snn train --neurons 0 --out " + temp("x.snn"), env),
                        "--neurons");
  expect_one_error_line(
      run_hardy("snn train --neurons 16 --set exc.bogus_ms=1 --out " + temp("x.snn"), env),
      "--set: parameter override 'exc.bogus_ms=1': unknown key 'exc.bogus_ms'");
  expect_one_error_line(run_hardy("snn train --neurons 16 --epochs 0 --out " + temp("x.snn"), env),
                        "--epochs must be >= 1, got 0");
  expect_one_error_line(
      run_hardy("snn train --neurons 16 --label-images 5 --out " + temp("x.snn"), env),
      "--label-images 5: the fashion-mnist training split has 4 images");
  expect_one_error_line(run_hardy("snn eval --net /nonexistent/n.snn", env), "/nonexistent/n.snn");
  const std::string net = train_small_snn(root);
  expect_one_error_line(run_hardy("snn eval --net " + net + " --readout best", env), "--readout");
  expect_one_error_line(run_hardy("snn eval --net " + net + " --weight-format q3", env), "q3");
  expect_one_error_line(run_hardy("snn eval --net " + net + " --threads 0", env),
                        "--threads must be >= 1, got 0");
  // A truncated network file names the file.
  std::ifstream in(net, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const std::string cut = temp("cut.snn");
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  expect_one_error_line(run_hardy("snn eval --net " + cut, env), "cut.snn");
  // A damaged checkpoint is an error when resuming, not a crash or a silent fresh start.
  const std::string out = temp("resume.snn");
  std::ofstream(out + ".ckpt", std::ios::binary) << "HARDYCKP garbage";
  // (stderr first has the run's "snn train: N16 on …" line; the error is the last line.)
  const CliRun r = run_hardy("snn train --neurons 16 --resume --out " + out, env);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  const auto last = r.err.rfind('\n', r.err.size() - 2);
  const std::string last_line = r.err.substr(last == std::string::npos ? 0 : last + 1);
  EXPECT_EQ(last_line.rfind("error: ", 0), 0u) << r.err;
  EXPECT_NE(last_line.find("resume.snn.ckpt"), std::string::npos) << r.err;
  fs::remove(out + ".ckpt");
}

// A run SIGKILLed right after a checkpoint reached the disk resumes to the very bytes of an
// uninterrupted run. The kill comes from the CLI's testing hook (HARDY_TEST_KILL_AFTER_CHECKPOINT),
// not from a timer, so it lands at the same sample on any machine.
TEST_F(CliSnn, TrainingKilledAndResumedWritesTheSameNetwork) {
  if (!fs::exists(hardy::data::dataset_directory("fashion-mnist"))) {
    GTEST_SKIP() << "no Fashion-MNIST";
  }
  // 1,500 images: blocks of 500 samples, checkpoints after samples 500 and 1,000.
  const std::string args =
      "snn train --dataset fashion-mnist --neurons 100 --images 1500 "
      "--label-images 200 --checkpoint-every 0 --out ";
  const std::string whole = temp("whole.snn"), resumed = temp("resumed.snn");
  const CliRun w = run_hardy(args + whole);
  ASSERT_EQ(w.exit_code, 0) << w.err;
  EXPECT_FALSE(fs::exists(whole + ".ckpt"));  // removed when training finished

  const CliRun killed = run_hardy(args + resumed, "HARDY_TEST_KILL_AFTER_CHECKPOINT=2");
  ASSERT_EQ(killed.signal, SIGKILL) << killed.exit_code << " " << killed.err;
  ASSERT_TRUE(fs::exists(resumed + ".ckpt"));
  EXPECT_FALSE(fs::exists(resumed));

  const CliRun r = run_hardy(args + resumed + " --resume");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("resumed from " + resumed + ".ckpt at sample 1000"), std::string::npos)
      << r.err;
  const std::string a = read_file(whole), b = read_file(resumed);
  const auto diff = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  EXPECT_TRUE(a == b) << "sizes " << a.size() << " and " << b.size()
                      << ", first difference at byte " << (diff.first - a.begin());
  EXPECT_FALSE(fs::exists(resumed + ".ckpt"));
}

TEST_F(CliSnn, KillAfterCheckpointHookRejectsBadCounts) {
  const std::string root = write_dataset("data", 0x08, 4);
  expect_one_error_line(run_hardy("snn train --neurons 4 --out " + temp("x.snn"),
                                  "HARDY_DATA_DIR=" + root + " HARDY_TEST_KILL_AFTER_CHECKPOINT=0"),
                        "HARDY_TEST_KILL_AFTER_CHECKPOINT=0");
}

}  // namespace
