// Selective TMR: each selected channel computed three times, a bitwise majority voter.
#include "channel_copies.h"
#include "hardy/harden/passes.h"

namespace hardy::harden {

qnn::QModel selective_tmr(const qnn::QModel& model, const Selection& selection,
                          Placement placement) {
  return detail::add_channel_copies(model, selection, 2, qnn::CorrectionRule::kMajority, "vote",
                                    placement == Placement::kAfterPool);
}

}  // namespace hardy::harden
