// Helpers for the dram tests: a fresh temporary directory per test and the shipped data files.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace hardy::dram::testing {

/// A directory of its own for the running test, removed when the object goes.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("hardy_dram_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
             std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }
  /// Writes `text` to a file in the directory and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(file(name)) << text;
    return file(name);
  }

 private:
  std::filesystem::path path_;
};

inline std::string data_file(const std::string& name) {
  return std::string(HARDY_SOURCE_DIR) + "/data/dram/" + name;
}
inline const char* kLpddr3 = "MICRON_4Gb_LPDDR3-1600_32bit_A.json";
inline const char* kDdr3 = "MICRON_1Gb_DDR3-1600_8bit_G.json";
inline const char* kDdr3l = "HARDY_2GB_DDR3L-1600_64bit_SODIMM.json";

}  // namespace hardy::dram::testing
