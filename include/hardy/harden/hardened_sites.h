// Fault sites of a hardened model (DESIGN §5): every copy is its own site; the Correction nodes'
// outputs (the original neurons, rebuilt by the correction logic) are fault-free unless asked.
#pragma once

#include "hardy/fault/site.h"
#include "hardy/qnn/qmodel.h"

namespace hardy::harden {

/// The site filter for a campaign on `model`: for the neuron target without
/// `correction_faultable`, every running node but the Correction nodes; otherwise (and for weights
/// and accumulators, which Correction nodes do not have) no restriction. The engine is unchanged:
/// this is an ordinary layer filter.
fault::SiteFilter hardened_site_filter(const qnn::QModel& model, fault::Target target,
                                       bool correction_faultable);

}  // namespace hardy::harden
