// The transformation every harden pass shares: extra output channels + a Correction node.
#pragma once

#include "hardy/harden/selection.h"
#include "hardy/qnn/execution_plan.h"
#include "hardy/qnn/qmodel.h"

namespace hardy::harden::detail {

/// Appends `copies` (1 or 2) copies of each selected output channel of every node with a
/// selection (weights, bias, weight scale and multiplier repeated, in selection order: the copies
/// of the i-th selected channel are extra channels C + copies·i + k), gives the node a new output
/// value "<value>.copies" of C + copies·n channels and inserts after it a Correction node
/// "<node>.<suffix>" (rule `rule`, clamp [0, 255]) that writes the original value. Validates the
/// result. Throws ConfigError for a selected channel out of range or on a non-protectable node.
/// `after_pool`: where a node's output is read by a pooling node alone, that pool runs on the
/// widened value (pooling each copy) and the Correction "<pool>.<suffix>" follows the pool and
/// writes the pool's original output, so a fault in a copy's pooled output is corrected too.
qnn::QModel add_channel_copies(const qnn::QModel& model, const Selection& selection, int copies,
                               qnn::CorrectionRule rule, const char* suffix,
                               bool after_pool = false);

/// The pooling node that alone reads node `node`'s output (`plan`: model's), or −1.
int sole_pool_reader(const qnn::QModel& model, const qnn::ExecutionPlan& plan, int node);

}  // namespace hardy::harden::detail
