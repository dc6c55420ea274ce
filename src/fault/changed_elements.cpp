// ChangedElements: per-value lists sized from the plan.
#include "hardy/fault/changed_elements.h"

namespace hardy::fault {

ChangedElements::ChangedElements(const qnn::QModel& model, const qnn::ExecutionPlan& plan) {
  const size_t nv = model.values.size();
  changes_.resize(nv);
  marked_.resize(nv);
  last_reader_.assign(nv, -1);
  for (size_t v = 0; v < nv; ++v) {
    if (plan.storage(static_cast<int>(v)) != static_cast<int>(v)) continue;
    marked_[v].assign(static_cast<size_t>(model.values[v].shape.elements()), 0);
    const auto& readers = plan.readers(static_cast<int>(v));
    if (!readers.empty()) last_reader_[v] = readers.back();
  }
}

}  // namespace hardy::fault
