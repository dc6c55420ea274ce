// Instruction-set names and run-time detection (GCC's __builtin_cpu_supports).
#include "hardy/core/isa.h"

#include <cstdlib>

#include "hardy/core/error.h"

namespace hardy {
namespace {

std::string valid_names() {
  std::string s;
  for (Isa isa : kAllIsas) s += std::string(s.empty() ? "" : ", ") + isa_name(isa);
  return s;
}

// The highest level whose instructions this CPU has.
Isa detect_best() {
  Isa best = Isa::kGeneric;
  for (Isa isa : kAllIsas) {
    if (cpu_supports(isa)) best = isa;
  }
  return best;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kGeneric:
      return "generic";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
    case Isa::kAvx512Vnni:
      return "avx512-vnni";
  }
  return "generic";
}

Isa parse_isa(std::string_view name) {
  for (Isa isa : kAllIsas) {
    if (name == isa_name(isa)) return isa;
  }
  throw ConfigError("unknown instruction set '" + std::string(name) + "': expected one of " +
                    valid_names());
}

bool cpu_supports(Isa isa) {
  if (isa == Isa::kGeneric) return true;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  switch (isa) {
    case Isa::kGeneric:
      return true;
    case Isa::kAvx2:
      return __builtin_cpu_supports("avx2");
    case Isa::kAvx512:
      return __builtin_cpu_supports("avx512f");
    case Isa::kAvx512Vnni:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vnni");
  }
#endif
  return false;
}

Isa detect_isa() {
  const char* forced = std::getenv("HARDY_ISA");
  if (forced != nullptr && *forced != '\0') {
    Isa isa = Isa::kGeneric;
    try {
      isa = parse_isa(forced);
    } catch (const ConfigError& e) {
      throw ConfigError(std::string("HARDY_ISA: ") + e.what());
    }
    if (!cpu_supports(isa)) {
      throw ConfigError(std::string("HARDY_ISA=") + forced + ": this CPU does not support " +
                        isa_name(isa) + " (best here: " + isa_name(detect_best()) + ")");
    }
    return isa;
  }
  return detect_best();
}

}  // namespace hardy
