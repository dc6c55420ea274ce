// Run-time choice of the kernel variant.
#include "kernels.h"

#include "hardy/core/error.h"

namespace hardy::snn::detail {

namespace {

bool built(Isa isa) {
#ifdef HARDY_SNN_SIMD
  return isa == Isa::kGeneric || isa == Isa::kAvx2 || isa == Isa::kAvx512;
#else
  return isa == Isa::kGeneric;
#endif
}

}  // namespace

Isa kernel_isa(Isa isa) {
  Isa best = Isa::kGeneric;
  for (Isa v : kAllIsas) {
    if (v <= isa && built(v)) best = v;
  }
  return best;
}

bool isa_available(Isa isa) { return built(isa) && cpu_supports(isa); }

const Kernels& kernels(Isa isa) {
  HARDY_CHECK(isa_available(isa));
#ifdef HARDY_SNN_SIMD
  if (isa == Isa::kAvx512) return kernels_avx512();
  if (isa == Isa::kAvx2) return kernels_avx2();
#endif
  return kernels_generic();
}

}  // namespace hardy::snn::detail
