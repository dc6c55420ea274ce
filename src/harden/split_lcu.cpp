// split + LCU: each selected channel computed twice, the Lightweight Correction Unit keeps the
// minimum.
#include "channel_copies.h"
#include "hardy/harden/passes.h"

namespace hardy::harden {

qnn::QModel split_lcu(const qnn::QModel& model, const Selection& selection, Placement placement) {
  return detail::add_channel_copies(model, selection, 1, qnn::CorrectionRule::kMinimum, "lcu",
                                    placement == Placement::kAfterPool);
}

}  // namespace hardy::harden
