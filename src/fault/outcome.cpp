// Outcome classification.
#include "hardy/fault/outcome.h"

#include <algorithm>

#include "hardy/qnn/qmodel.h"

namespace hardy::fault {

Outcome classify(std::span<const uint8_t> golden, std::span<const uint8_t> faulty,
                 int golden_top1) {
  if (std::equal(golden.begin(), golden.end(), faulty.begin(), faulty.end())) {
    return Outcome::kMasked;
  }
  const int top1 = qnn::argmax(faulty.data(), static_cast<int64_t>(faulty.size()));
  return top1 == golden_top1 ? Outcome::kSdcBenign : Outcome::kSdcCritical;
}

}  // namespace hardy::fault
