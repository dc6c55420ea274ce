// What the DRAM-facing commands (dram, sparkxd) share: shipped data files by name and the BER
// curve of a vendor or a DIMM from the voltage study.
#pragma once

#include <string>
#include <vector>

#include "hardy/dram/voltage_study.h"

namespace hardy::cli {

/// A path as given, or the name of a file in data/dram/ (with or without .json).
std::string resolve_data_file(const std::string& name);

/// The BER curve of one DIMM (`dimm` non-empty) or of a vendor's median / worst DIMM
/// (`statistic` "median" or "worst") from the voltage-study CSV (`study`, default data/dram/'s
/// copy, appended to `inputs`). A DIMM of another vendor than a given `vendor` is a ConfigError.
dram::BerCurve load_ber_curve(const std::string& study, const std::string& vendor,
                              const std::string& dimm, const std::string& statistic,
                              std::vector<std::string>& inputs);

}  // namespace hardy::cli
