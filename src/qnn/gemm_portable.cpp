// Portable inner loops over the packed layout (the fallback, and a second check of the packing).
#include "gemm_kernels.h"
#include "hardy/qnn/reference_kernels.h"

namespace hardy::qnn::detail {

void gemm_portable(const GemmArgs& a) {
  const int64_t k_padded = 4 * a.k_groups;
  for (int64_t oc = 0; oc < a.out.channels; ++oc) {
    const int8_t* w = a.weights + oc * k_padded;
    uint8_t* y = a.y + oc * a.y_channel_stride;
    for (int64_t p = 0; p < a.p_end; ++p) {
      const int64_t row = p / a.row_pitch, x = p % a.row_pitch;
      if (x >= a.row_width) continue;
      int32_t acc = a.out.bias[oc];
      for (int64_t g = 0; g < a.k_groups; ++g) {
        const uint8_t* c = a.col + a.k_offsets[g] + p * 4;
        acc += int32_t{c[0]} * w[4 * g] + int32_t{c[1]} * w[4 * g + 1] +
               int32_t{c[2]} * w[4 * g + 2] + int32_t{c[3]} * w[4 * g + 3];
      }
      y[row * a.row_width + x] =
          requantize(acc, a.out.multiplier[oc], a.out.zero_point, a.out.lo, a.out.hi);
    }
  }
}

void dense_portable(const DenseArgs& a) {
  for (int64_t o = 0; o < a.out.channels; ++o) {
    int32_t acc = a.out.bias[o];
    for (int64_t k4 = 0; k4 < a.k_padded / 4; ++k4) {
      const int8_t* w = a.weights + (k4 * a.oc_padded + o) * 4;
      const uint8_t* x = a.x + 4 * k4;
      acc +=
          int32_t{x[0]} * w[0] + int32_t{x[1]} * w[1] + int32_t{x[2]} * w[2] + int32_t{x[3]} * w[3];
    }
    a.y[o] = requantize(acc, a.out.multiplier[o], a.out.zero_point, a.out.lo, a.out.hi);
  }
}

void dense_quads_portable(const DenseQuadsArgs& a) {
  const int64_t negative = a.k4 / 4;  // group index of w⁻_0
  for (int64_t o = 0; o < a.out.channels; ++o) {
    int32_t lo = a.golden[o], hi = a.golden[o];
    for (int64_t i = 0; i < a.n_quads; ++i) {
      const int64_t q = a.quads[i];
      const int8_t* wp = a.weights + (q * a.oc_padded + o) * 4;
      const int8_t* wn = a.weights + ((negative + q) * a.oc_padded + o) * 4;
      const uint8_t* xl = a.lo4 + 4 * q;
      const uint8_t* xh = a.hi4 + 4 * q;
      const int32_t partial = a.partial[q * a.oc_padded + o];
      for (int j = 0; j < 4; ++j) {
        lo += int32_t{xl[j]} * wp[j] + int32_t{xh[j]} * wn[j];
        hi += int32_t{xh[j]} * wp[j] + int32_t{xl[j]} * wn[j];
      }
      lo -= partial;
      hi -= partial;
    }
    a.lo[o] = requantize(lo, a.out.multiplier[o], a.out.zero_point, a.out.lo, a.out.hi);
    a.hi[o] = requantize(hi, a.out.multiplier[o], a.out.zero_point, a.out.lo, a.out.hi);
  }
}

}  // namespace hardy::qnn::detail
