// Fault kind names and the exhaustive fault list of a word.
#include "hardy/fault/fault_model.h"

#include "hardy/core/error.h"

namespace hardy::fault {

const char* fault_kind_name(FaultKind kind) {
  switch (kind) {
    case FaultKind::kBitFlip:
      return "bitflip";
    case FaultKind::kBitFlip2:
      return "bitflip2";
    case FaultKind::kStuckAt0:
      return "stuck0";
    case FaultKind::kStuckAt1:
      return "stuck1";
    case FaultKind::kBer:
      return "ber";
  }
  return "?";
}

FaultKind parse_fault_kind(const std::string& name) {
  for (FaultKind k : {FaultKind::kBitFlip, FaultKind::kBitFlip2, FaultKind::kStuckAt0,
                      FaultKind::kStuckAt1, FaultKind::kBer}) {
    if (name == fault_kind_name(k)) return k;
  }
  throw ConfigError("fault kind '" + name + "': expected bitflip, bitflip2, stuck0, stuck1 or ber");
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
