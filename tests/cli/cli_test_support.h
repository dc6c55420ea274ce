// Test support for CLI tests: each test runs hardy in a temporary directory of its own.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "../qnn/onnx_builder.h"
#include "hardy/data/dataset.h"
#include "hardy/data/idx.h"

namespace hardy::cli_testing {

namespace fs = std::filesystem;

struct CliRun {
  int exit_code;  ///< −1 when the process did not exit normally
  int signal;     ///< the signal that ended it (0: none)
  std::string err;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

inline void expect_one_error_line(const CliRun& r, const std::string& mentions) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(mentions), std::string::npos) << r.err;
}

// Gives each test a fresh directory hardy_cli_<suite>_<test>_<pid> under the system temporary
// directory, removed when the test ends; every file a test writes lives there.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("hardy_cli_" + std::string(info->test_suite_name()) + "_" +
                                        info->name() + "_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  /// A path inside this test's directory.
  std::string temp(const std::string& name) const { return (dir_ / name).string(); }

  /// Runs hardy with `args` under environment assignments `env`; stdout is discarded.
  CliRun run_hardy(const std::string& args, const std::string& env = "") const {
    const std::string err_path = temp("stderr.txt");
    // exec: the shell's child is hardy itself, so a signal that ends it shows in the status.
    const std::string cmd =
        "exec env " + env + " " + HARDY_BIN + " " + args + " >/dev/null 2>" + err_path;
    const int status = std::system(cmd.c_str());
    const int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    const int signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return {exit_code, signal, read_file(err_path)};
  }

  /// A valid 784 → 10 linear model.
  std::string write_linear_model() const {
    hardy::qnn::testing::OnnxBuilder b({1, 28, 28});
    b.initializer("w", {10, 784}, std::vector<float>(7840, 0.001f));
    b.node("Flatten", {"input"}, {"f"});
    hardy::qnn::testing::OnnxBuilder::int_attr(b.node("Gemm", {"f", "w"}, {"logits"}), "transB", 1);
    const std::string path = temp("linear.onnx");
    std::ofstream(path, std::ios::binary) << b.serialize("logits");
    return path;
  }

  /// A dataset directory "<dir>/fashion-mnist" with train/test files of 4 images and `labels`
  /// labels, the images' IDX type byte set to `magic_type`.
  std::string write_dataset(const std::string& dir, uint8_t magic_type, uint32_t labels) const {
    const std::string root = temp(dir);
    fs::create_directories(root + "/fashion-mnist");
    for (const char* split : {"train", "t10k"}) {
      hardy::data::IdxArray images{{4, 28, 28}, std::vector<uint8_t>(4 * 784, 7)};
      hardy::data::IdxArray lab{{labels}, std::vector<uint8_t>(labels, 1)};
      const std::string base = root + "/fashion-mnist/" + split;
      hardy::data::write_idx(base + "-images-idx3-ubyte", images);
      hardy::data::write_idx(base + "-labels-idx1-ubyte", lab);
      if (magic_type != 0x08) {
        std::fstream f(base + "-images-idx3-ubyte",
                       std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(2);
        f.put(static_cast<char>(magic_type));
      }
    }
    return root;
  }

  /// A small spiking network trained and labelled on the 4-image dataset under `root`.
  std::string train_small_snn(const std::string& root) const {
    const std::string net = temp("small.snn");
    const CliRun r = run_hardy("snn train --dataset fashion-mnist --neurons 16 --out " + net,
                               "HARDY_DATA_DIR=" + root);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return net;
  }

  /// The kill-and-resume protocol of a command that checkpoints to OUT.ckpt and writes JSON OUT:
  /// `args` + whole.json runs uninterrupted; `args` + resumed.json is SIGKILLed right after its
  /// `kill_after`-th checkpoint (the CLI's testing hook), then refused without --resume and with
  /// the `other_options` of another run (an error mentioning `other_error`), then resumed (it
  /// says "resumed from" and removes its checkpoint). Returns the two JSON results (null after a
  /// failure already reported).
  std::pair<nlohmann::json, nlohmann::json> kill_and_resume(const std::string& args, int kill_after,
                                                            const std::string& other_options,
                                                            const std::string& other_error) const;

  fs::path dir_;
};

/// The JSON file a command wrote (a test failure if it cannot be opened).
inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return nlohmann::json::parse(in);
}

inline std::pair<nlohmann::json, nlohmann::json> CliTest::kill_and_resume(
    const std::string& args, int kill_after, const std::string& other_options,
    const std::string& other_error) const {
  const CliRun w = run_hardy(args + temp("whole.json"));
  EXPECT_EQ(w.exit_code, 0) << w.err;
  const std::string resumed = temp("resumed.json");
  const CliRun killed =
      run_hardy(args + resumed, "HARDY_TEST_KILL_AFTER_CHECKPOINT=" + std::to_string(kill_after));
  EXPECT_EQ(killed.signal, SIGKILL) << killed.err;
  if (w.exit_code != 0 || !fs::exists(resumed + ".ckpt")) {
    ADD_FAILURE() << "no checkpoint " << resumed << ".ckpt to resume from";
    return {};
  }
  // Without --resume an existing checkpoint is an error, not a silent restart; a checkpoint of
  // another run is refused.
  expect_one_error_line(run_hardy(args + resumed), "--resume");
  expect_one_error_line(run_hardy(args + resumed + " --resume " + other_options), other_error);
  const CliRun r = run_hardy(args + resumed + " --resume");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("resumed from"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(resumed + ".ckpt"));
  if (r.exit_code != 0) return {};
  return {read_json(temp("whole.json")), read_json(resumed)};
}

}  // namespace hardy::cli_testing
