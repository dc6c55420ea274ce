// Internal: the dense per-step loops of the simulator, compiled once per instruction set from one
// source (kernels_impl.inc) and chosen at run time. Every variant performs the same IEEE float
// operations in the same order per element (no FMA contraction, no reductions across lanes), so
// all variants give bit-identical results (tests/snn/kernels_test.cpp checks it).
#pragma once

#include <cstdint>
#include <cstring>

#include "hardy/core/isa.h"

namespace hardy::snn::detail {

// Variants: Isa::kGeneric (always built), Isa::kAvx2 and Isa::kAvx512 (with HARDY_SIMD).

/// The best variant built that is not above `isa` (e.g. kAvx512 for kAvx512Vnni).
Isa kernel_isa(Isa isa);
/// True when a variant for exactly `isa` was built and the CPU runs it.
bool isa_available(Isa isa);

/// exp(x) for x ≤ 0 (Cephes expf: range reduction, degree-6 polynomial, ≤ 2 ulp), written with
/// plain float operations so loops using it vectorize and every build rounds the same way.
/// x below −87 is treated as −87 (result ≈ 1.6e−38 instead of smaller).
static inline float exp_neg(float x) {
  x = x < -87.0f ? -87.0f : x;
  const float fx = x * 1.44269504088896341f;
  const float n = (fx + 12582912.0f) - 12582912.0f;  // round to nearest (|fx| < 2^22)
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  const float z = r * r;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * z + r + 1.0f;
  const int32_t e = (static_cast<int32_t>(n) + 127) << 23;
  return y * __builtin_bit_cast(float, e);
}

/// The conductance model's step uses the division-free form of exponential Euler for
/// |x| < kPhiBound (x = g·dt/τ_m), with φ to degree 4 below kPhiBoundLow and to degree 7 above;
/// at or above kPhiBound, the direct form (exc_step_conductance).
inline constexpr float kPhiBoundLow = 0.1f;
inline constexpr float kPhiBound = 0.5f;

/// φ(x) = (1 − e^(−x))/x = Σ_k (−x)^k/(k+1)! in Horner form, to degree 4 for |x| < 0.1 and to
/// degree 7 for |x| < 0.5: the first omitted term is < x⁵/6! ≤ 1.4e-8 resp. x⁸/9! ≤ 1.1e-8
/// relative, a quarter of a float ulp. Plain float operations, so every build rounds the same.
static inline float phi_deg4(float x) {
  float p = 8.33333333e-3f;    // 1/5!
  p = p * x - 4.16666667e-2f;  // −1/4!
  p = p * x + 1.66666667e-1f;  // 1/3!
  p = p * x - 0.5f;
  return p * x + 1.0f;
}
static inline float phi_deg7(float x) {
  float p = -2.48015873e-5f;   // −1/8!
  p = p * x + 1.98412698e-4f;  // 1/7!
  p = p * x - 1.38888889e-3f;  // −1/6!
  p = p * x + 8.33333333e-3f;  // 1/5!
  p = p * x - 4.16666667e-2f;  // −1/4!
  p = p * x + 1.66666667e-1f;  // 1/3!
  p = p * x - 0.5f;
  return p * x + 1.0f;
}

/// One step of the excitatory layer (all arrays have `n` elements, 64-byte aligned, n a multiple
/// of 16). Order per neuron j, mirroring Brian2's schedule (state update, then threshold):
///   refr ← max(refr − 1, 0); refractory = refr > 0
///   conductance model (exponential Euler with ge, gi at the start of the step):
///     g = 1 + ge + gi; v∞ = (v_rest + ge·E_exc + gi·E_inh)/g; v ← v∞ + (v − v∞)·exp(−g·dt/τ),
///     computed for |x| < kPhiBound, x = g·dt/τ, without a division or a range reduction as
///       v ← v + ((v_rest − v) + ge·(E_exc − v) + gi·(E_inh − v))·(dt/τ)·φ(x)
///     (since (v∞ − v)·(1 − e^(−x)) = (v∞ − v)·x·φ and (v∞ − v)·g = the bracket), and directly
///     otherwise. Each
///     neuron's form depends only on its own x; a step whose largest |x| (bounded from max |ge|
///     and max |gi|) is below a form's bound runs a loop without the costlier forms, which
///     gives every neuron the same result.
///   current model: v ← v_rest + (v − v_rest)·exp(−dt/τ) + ge + gi; ge ← gi ← 0
///   (v is left unchanged while refractory; inputs arriving then are dropped in the current model)
///   ge ← ge·decay_ge; gi ← gi·decay_gi
///   spiked[j] = v > thr_base + theta[j]·theta_scale and not refractory
/// Returns the number of spikes.
struct ExcStep {
  int n = 0;
  float* v = nullptr;
  float* ge = nullptr;
  float* gi = nullptr;
  int32_t* refr = nullptr;
  const float* theta = nullptr;
  int32_t* spiked = nullptr;
  float theta_scale = 1.0f;
  float thr_base = 0.0f;  ///< v_thresh − θ_offset
  float v_rest = 0.0f, e_exc = 0.0f, e_inh = 0.0f;
  float neg_dt_over_tau = 0.0f;  ///< −dt/τ_m (conductance model)
  float decay_v = 0.0f;          ///< exp(−dt/τ_m) (current model)
  float decay_ge = 0.0f, decay_gi = 0.0f;
};

struct Kernels {
  int (*exc_step_conductance)(const ExcStep& s);
  int (*exc_step_current)(const ExcStep& s);
  /// ge[j] += w[j] for j < n.
  void (*add_row)(int n, float* ge, const float* w);
  /// ge += rows[0], then ge += rows[1], … (same result as add_row per row, fewer passes).
  void (*add_rows)(int n, float* ge, const float* const* rows, int count);
  /// out[q] = ln(1 − (bits[q] >> 11)·2^−53), the log of an open-interval uniform (0, 1] made
  /// from 64 random bits (as 1 − RngStream::uniform()), within 2 ulp of the exact value.
  void (*log_uniforms)(const uint64_t* bits, double* out, int n);
  /// For each row r in order: ge += rows[r] (as add_rows), then
  /// rows[r][j] = min(max(rows[r][j] − dep[j], 0), w_max) for j < n: STDP depression of the
  /// spiking inputs' rows with the amounts dep (0 where a neuron has no post1 trace, which leaves
  /// w unchanged, or clips a row that normalisation left above w_max).
  void (*add_rows_depress)(int n, float* ge, float* const* rows, int count, const float* dep,
                           float w_max);
  /// w[j] = min(w[j], w_max) (a row that normalisation pushed above w_max, on its next spike).
  void (*clamp_row)(int n, float* w, float w_max);
  /// x[j] += c for j < n.
  void (*add_scalar)(int n, float* x, float c);
  /// sums[j] = Σ_i w[i·stride + j] over i = 0..rows−1 in increasing i (one float accumulator per
  /// column, so the order is fixed).
  void (*column_sums)(int rows, int n, int stride, const float* w, float* sums);
  /// w[i·stride + j] *= factor[j]; row_excess[i] = whether any new w in row i exceeds w_max.
  void (*scale_columns)(int rows, int n, int stride, float* w, const float* factor, float w_max,
                        uint8_t* row_excess);
};

/// The kernels of variant `isa`. Precondition: isa_available(isa).
const Kernels& kernels(Isa isa);
const Kernels& kernels_generic();
const Kernels& kernels_avx2();
const Kernels& kernels_avx512();

}  // namespace hardy::snn::detail
