// Error types: bad input is reported as hardy::Error (one line, exit code 2), broken invariants as
// InternalError via HARDY_CHECK.
#pragma once

#include <stdexcept>
#include <string>

namespace hardy {

/// Base of every user-facing error. what() is one line: "<file>: <problem>" where a file is known.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// A file that cannot be opened or read.
class FileError : public Error {
 public:
  FileError(const std::string& path, const std::string& problem) : Error(path + ": " + problem) {}
};

/// A file whose content does not match its format: names where, what was expected, what was found.
class FormatError : public Error {
 public:
  FormatError(const std::string& path, const std::string& location, const std::string& expected,
              const std::string& found)
      : Error(path + ": " + location + ": expected " + expected + ", found " + found) {}
};

/// A model or configuration that uses something hardy does not implement.
class UnsupportedError : public Error {
 public:
  explicit UnsupportedError(const std::string& message) : Error(message) {}
};

/// An invalid option or configuration value.
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& message) : Error(message) {}
};

/// A violated internal invariant: a bug in hardy, not in the input.
class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& message) : std::logic_error(message) {}
};

[[noreturn]] void check_failed(const char* condition, const char* file, int line);

}  // namespace hardy

/// Internal invariant; throws hardy::InternalError (never used for input validation).
#define HARDY_CHECK(cond) \
  ((cond) ? static_cast<void>(0) : ::hardy::check_failed(#cond, __FILE__, __LINE__))
