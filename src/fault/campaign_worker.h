// Internal: what one campaign thread owns.
#pragma once

#include <optional>

#include "hardy/fault/propagator.h"
#include "hardy/qnn/int8_executor.h"

namespace hardy::fault {

struct CampaignWorker {
  FaultPropagator propagator;
  /// BER trials on weights: this thread's own copy of the weights to patch.
  std::optional<qnn::Int8Executor> patched;
  qnn::Int8Executor::Workspace ws;

  CampaignWorker(const qnn::Int8Executor& exec, bool own_weights)
      : propagator(exec), ws(exec.make_workspace()) {
    if (own_weights) patched.emplace(exec);
  }
};

}  // namespace hardy::fault
