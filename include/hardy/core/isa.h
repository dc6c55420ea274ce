// Instruction sets: one enum, ordered by capability, and one run-time detector for every layer.
// Each layer maps the detected Isa to the best kernel variant it built that is not above it.
#pragma once

#include <array>
#include <string>
#include <string_view>

/// Compiles a function for AVX-512 F, AVX2 and baseline x86-64 and calls the best variant this
/// CPU runs, chosen when the program loads (GCC function multiversioning; HARDY_ISA does not
/// apply). Only for functions whose result cannot depend on the variant: integer arithmetic, or
/// floating point in a fixed order.
#if defined(__x86_64__) && defined(__GNUC__)
#define HARDY_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define HARDY_VECTOR_CLONES
#endif

namespace hardy {

/// x86-64 capability levels, each implying the ones before it. Comparisons (<, >=) order them.
enum class Isa {
  kGeneric,     ///< plain C++ (any CPU): the reference every SIMD variant must equal
  kAvx2,        ///< AVX2
  kAvx512,      ///< AVX-512 F (foundation)
  kAvx512Vnni,  ///< AVX-512 F, BW, DQ, VL and VNNI (vpdpbusd: u8×s8 dot products)
};

/// Every Isa, lowest first.
inline constexpr std::array<Isa, 4> kAllIsas = {Isa::kGeneric, Isa::kAvx2, Isa::kAvx512,
                                                Isa::kAvx512Vnni};

/// "generic", "avx2", "avx512", "avx512-vnni" (what parse_isa and HARDY_ISA accept).
const char* isa_name(Isa isa);

/// The Isa called `name` (see isa_name). Throws ConfigError naming the valid names otherwise.
Isa parse_isa(std::string_view name);

/// True when this CPU executes every instruction of `isa` (run-time CPUID; kGeneric always).
/// Thread-safe.
bool cpu_supports(Isa isa);

/// The best Isa this CPU supports, or the one named by the environment variable HARDY_ISA when
/// it is set and not empty (to force a slower path for comparisons and tests). Throws
/// ConfigError if HARDY_ISA names no Isa or one this CPU does not support. Reads the environment
/// on every call; thread-safe as long as nobody changes the environment concurrently.
Isa detect_isa();

}  // namespace hardy
