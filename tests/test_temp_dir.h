// Test helper: a temporary directory per test, <tmp>/hardy_<suite>_<test>_<pid>, so tests run in
// parallel (ctest -j) or from several build trees at once never share a file. Created on first
// use and removed, with everything in it, when the test ends.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <string>
#include <system_error>

namespace hardy::testing {

namespace detail {

// Removes the directory of each test that used one, after the test.
class TempDirRemover : public ::testing::EmptyTestEventListener {
 public:
  void OnTestEnd(const ::testing::TestInfo&) override {
    if (dir_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    dir_.clear();
  }
  std::filesystem::path dir_;
};

inline TempDirRemover& remover() {
  // Owned by gtest's listener list once appended (it deletes it at exit).
  static TempDirRemover* r = [] {
    auto* l = new TempDirRemover;
    ::testing::UnitTest::GetInstance()->listeners().Append(l);
    return l;
  }();
  return *r;
}

}  // namespace detail

/// The running test's own directory (created if needed). Call only from inside a test.
inline std::filesystem::path test_temp_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string name = info ? std::string(info->test_suite_name()) + "_" + info->name()
                                : std::string("outside_tests");
  std::string safe;
  for (char c : name) safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  const auto dir =
      std::filesystem::temp_directory_path() / ("hardy_" + safe + "_" + std::to_string(::getpid()));
  auto& r = detail::remover();
  if (r.dir_ != dir) {
    std::filesystem::create_directories(dir);
    r.dir_ = dir;
  }
  return dir;
}

/// A path named `name` inside the running test's directory.
inline std::string test_temp_path(const std::string& name) {
  return (test_temp_dir() / name).string();
}

}  // namespace hardy::testing
