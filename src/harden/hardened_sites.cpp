// The layer filter that keeps fault injection off the Correction nodes.
#include "hardy/harden/hardened_sites.h"

#include "hardy/qnn/execution_plan.h"

namespace hardy::harden {

fault::SiteFilter hardened_site_filter(const qnn::QModel& model, fault::Target target,
                                       bool correction_faultable) {
  fault::SiteFilter filter;
  if (target != fault::Target::kNeurons || correction_faultable) return filter;
  const qnn::ExecutionPlan plan(model);
  bool any = false;
  for (int i : plan.schedule()) {
    if (model.node(i).op == qnn::OpKind::kCorrection) {
      any = true;
    } else {
      filter.layers.push_back(model.node(i).name);
    }
  }
  if (!any) filter.layers.clear();  // nothing to exclude: keep the plain "all layers" filter
  return filter;
}

}  // namespace hardy::harden
