// Shipped DRAM data files and voltage-study curves for the CLI.
#include "dram_options.h"

#include <filesystem>

#include "hardy/core/error.h"

namespace hardy::cli {

std::string resolve_data_file(const std::string& name) {
  namespace fs = std::filesystem;
  if (fs::exists(name) || name.find('/') != std::string::npos) return name;
  const std::string dir = std::string(HARDY_SOURCE_DIR) + "/data/dram/";
  if (fs::exists(dir + name)) return dir + name;
  if (fs::exists(dir + name + ".json")) return dir + name + ".json";
  return name;
}

dram::BerCurve load_ber_curve(const std::string& study, const std::string& vendor,
                              const std::string& dimm, const std::string& statistic,
                              std::vector<std::string>& inputs) {
  const std::string path =
      study.empty() ? resolve_data_file("voltage_study_faulty_cachelines.csv") : study;
  inputs.push_back(path);
  const dram::VoltageStudy s = dram::VoltageStudy::load(path);
  dram::BerCurve curve =
      !dimm.empty() ? s.dimm(dimm)
                    : s.vendor_curve(vendor, statistic == "worst" ? dram::VendorStatistic::kWorst
                                                                  : dram::VendorStatistic::kMedian);
  if (!dimm.empty() && !vendor.empty() && curve.vendor != vendor) {
    throw ConfigError("--dimm " + dimm + " is a vendor " + curve.vendor + " DIMM, not " + vendor);
  }
  return curve;
}

}  // namespace hardy::cli
