// Portable inner loops over the packed layout (the fallback, and a second check of the packing).
#include "gemm_kernels.h"
#include "hardy/qnn/reference_kernels.h"

namespace hardy::qnn::detail {

void gemm_portable(const GemmArgs& a) {
  const int64_t k4 = a.k_padded / 4;
  for (int64_t oc = 0; oc < a.out.channels; ++oc) {
    const int8_t* w = a.weights + oc * a.k_padded;
    for (int64_t p = 0; p < a.p_count; ++p) {
      int32_t acc = a.out.bias[oc];
      for (int64_t k = 0; k < k4; ++k) {
        const uint8_t* c = a.col + (k * a.p_padded + p) * 4;
        acc += int32_t{c[0]} * w[4 * k] + int32_t{c[1]} * w[4 * k + 1] +
               int32_t{c[2]} * w[4 * k + 2] + int32_t{c[3]} * w[4 * k + 3];
      }
      a.y[oc * a.p_count + p] =
          requantize(acc, a.out.multiplier[oc], a.out.zero_point, a.out.lo, a.out.hi);
    }
  }
}

void dense_portable(const DotArgs& a) {
  for (int64_t o = 0; o < a.out.channels; ++o) {
    const int8_t* w = a.weights + o * a.k_padded;
    int32_t acc = 0;
    for (int64_t k = 0; k < a.k_padded; ++k) acc += int32_t{a.x[k]} * w[k];
    a.y[o] =
        requantize(acc + a.out.bias[o], a.out.multiplier[o], a.out.zero_point, a.out.lo, a.out.hi);
  }
}

}  // namespace hardy::qnn::detail
