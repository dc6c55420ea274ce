// Fault kind names and the exhaustive fault list of a word.
#include "hardy/fault/fault_model.h"

#include "hardy/core/enum_names.h"
#include "hardy/core/error.h"

namespace hardy::fault {

namespace {
constexpr std::pair<FaultKind, const char*> kFaultKindNames[] = {{FaultKind::kBitFlip, "bitflip"},
                                                                 {FaultKind::kBitFlip2, "bitflip2"},
                                                                 {FaultKind::kStuckAt0, "stuck0"},
                                                                 {FaultKind::kStuckAt1, "stuck1"},
                                                                 {FaultKind::kBer, "ber"}};
}  // namespace

const char* fault_kind_name(FaultKind kind) { return enum_name<FaultKind>(kind, kFaultKindNames); }

FaultKind parse_fault_kind(const std::string& name) {
  return parse_enum<FaultKind>(name, kFaultKindNames, "fault kind");
}

std::vector<WordFault> exhaustive_word_faults(FaultKind kind, const std::vector<int>& bits) {
  HARDY_CHECK(kind != FaultKind::kBer);
  std::vector<WordFault> faults;
  for (size_t i = 0; i < bits.size(); ++i) {
    if (kind != FaultKind::kBitFlip2) {
      faults.push_back({kind, bits[i], -1});
      continue;
    }
    for (size_t j = i + 1; j < bits.size(); ++j) faults.push_back({kind, bits[i], bits[j]});
  }
  return faults;
}

}  // namespace hardy::fault
