// Shared inputs of the sparkxd tests: small Fashion-MNIST slices and the DDR3L module's memspec.
#pragma once

#include <filesystem>
#include <string>

#include "hardy/data/dataset.h"
#include "hardy/dram/memspec.h"

namespace hardy::sparkxd::testing {

inline bool have_fashion() {
  return std::filesystem::exists(data::dataset_directory("fashion-mnist"));
}
inline const data::Dataset& fashion_train() {
  static const data::Dataset d = data::load_dataset("fashion-mnist", data::Split::kTrain).head(600);
  return d;
}
inline const data::Dataset& fashion_test() {
  static const data::Dataset d = data::load_dataset("fashion-mnist", data::Split::kTest).head(200);
  return d;
}
inline const dram::MemSpec& ddr3l() {
  static const dram::MemSpec m = dram::load_memspec(
      std::string(HARDY_SOURCE_DIR) + "/data/dram/HARDY_2GB_DDR3L-1600_64bit_SODIMM.json");
  return m;
}

}  // namespace hardy::sparkxd::testing
