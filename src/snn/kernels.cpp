// Run-time choice of the kernel variant.
#include "kernels.h"

#include <cstdlib>
#include <string>

#include "hardy/core/error.h"

namespace hardy::snn::detail {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
    case Isa::kGeneric:
      break;
  }
  return "generic";
}

bool isa_available(Isa isa) {
  switch (isa) {
    case Isa::kGeneric:
      return true;
#ifdef HARDY_SNN_SIMD
    case Isa::kAvx2:
      return __builtin_cpu_supports("avx2");
    case Isa::kAvx512:
      return __builtin_cpu_supports("avx512f");
#else
    default:
      return false;
#endif
  }
  return false;
}

Isa best_isa() {
  if (const char* forced = std::getenv("HARDY_SNN_ISA")) {
    const std::string f = forced;
    for (Isa isa : {Isa::kGeneric, Isa::kAvx2, Isa::kAvx512}) {
      if (f == isa_name(isa)) {
        if (!isa_available(isa)) throw ConfigError("HARDY_SNN_ISA=" + f + ": not available here");
        return isa;
      }
    }
    throw ConfigError("HARDY_SNN_ISA=" + f + ": expected generic, avx2 or avx512");
  }
  if (isa_available(Isa::kAvx512)) return Isa::kAvx512;
  if (isa_available(Isa::kAvx2)) return Isa::kAvx2;
  return Isa::kGeneric;
}

const Kernels& kernels(Isa isa) {
  HARDY_CHECK(isa_available(isa));
#ifdef HARDY_SNN_SIMD
  if (isa == Isa::kAvx512) return kernels_avx512();
  if (isa == Isa::kAvx2) return kernels_avx2();
#endif
  return kernels_generic();
}

}  // namespace hardy::snn::detail
