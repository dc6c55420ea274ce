// Scheme names and dispatch to the passes.
#include "hardy/core/enum_names.h"
#include "hardy/harden/passes.h"

namespace hardy::harden {

namespace {
constexpr std::pair<Scheme, const char*> kSchemeNames[] = {
    {Scheme::kSplit, "split"}, {Scheme::kSplitHalf, "split-half"}, {Scheme::kTmr, "tmr"}};
}  // namespace

Scheme parse_scheme(const std::string& name) {
  return parse_enum<Scheme>(name, kSchemeNames, "hardening scheme");
}

const char* scheme_name(Scheme scheme) { return enum_name<Scheme>(scheme, kSchemeNames); }

int extra_copies(Scheme scheme) { return scheme == Scheme::kTmr ? 2 : 1; }

bool corrects_after_pool(Scheme scheme, Placement placement) {
  return placement == Placement::kAfterPool && scheme != Scheme::kSplitHalf;
}

qnn::QModel harden_model(const qnn::QModel& model, const Selection& selection, Scheme scheme,
                         Placement placement) {
  switch (scheme) {
    case Scheme::kSplit:
      return split_lcu(model, selection, placement);
    case Scheme::kSplitHalf:
      return split_half(model, selection);
    case Scheme::kTmr:
      return selective_tmr(model, selection, placement);
  }
  return split_lcu(model, selection, placement);
}

}  // namespace hardy::harden
