// Fault kinds (DESIGN §3) and what each does to one stored word.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hardy::fault {

enum class FaultKind {
  kBitFlip,   ///< one bit inverted (transient: one inference)
  kBitFlip2,  ///< two distinct bits of one word inverted
  kStuckAt0,  ///< the bit reads 0 (permanent: every image)
  kStuckAt1,  ///< the bit reads 1
  kBer,       ///< every stored bit flips independently with probability p
};

/// "bitflip", "bitflip2", "stuck0", "stuck1", "ber".
const char* fault_kind_name(FaultKind kind);
/// The inverse of fault_kind_name; anything else is a ConfigError listing the names.
FaultKind parse_fault_kind(const std::string& name);

/// One fault on one word: `bit` (and `bit2` for kBitFlip2, bit2 > bit).
struct WordFault {
  FaultKind kind = FaultKind::kBitFlip;
  int bit = 0;
  int bit2 = -1;

  /// The word after the fault. Precondition: kind is not kBer.
  uint32_t apply(uint32_t word) const {
    const uint32_t m = uint32_t{1} << bit;
    switch (kind) {
      case FaultKind::kBitFlip:
        return word ^ m;
      case FaultKind::kBitFlip2:
        return word ^ m ^ (uint32_t{1} << bit2);
      case FaultKind::kStuckAt0:
        return word & ~m;
      case FaultKind::kStuckAt1:
        return word | m;
      case FaultKind::kBer:
        break;
    }
    return word;
  }
};

/// The faults an exhaustive campaign applies to each word whose selected bits are `bits`
/// (ascending): one per bit, or one per pair of bits (bit < bit2) for kBitFlip2 (28 per byte).
std::vector<WordFault> exhaustive_word_faults(FaultKind kind, const std::vector<int>& bits);

}  // namespace hardy::fault
