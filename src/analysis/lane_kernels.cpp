// The portable lane loops (vectorized by the compiler for the CPU it runs on) and the dispatch.
#include "lane_kernels.h"

namespace hardy::analysis::detail {

int dense_lane_deltas_vnni(const DenseLaneDeltas& a);

namespace {

HARDY_VECTOR_CLONES int dense_lane_deltas_portable(const DenseLaneDeltas& a) {
  for (int64_t o = 0; o < a.outputs; ++o) {
    int32_t* s = a.deltas + o * kLaneStride;
    for (int k = 0; k < a.lanes; ++k) s[k] = 0;
  }
  for (int64_t j = 0; j < a.count; ++j) {
    const int8_t* w = a.weights_t + a.inputs[j] * a.out_pitch;
    const uint8_t* __restrict x = a.rows[j];
    for (int64_t o = 0; o < a.outputs; ++o) {
      const int32_t wo = w[o];
      if (wo == 0) continue;
      int32_t* __restrict s = a.deltas + o * kLaneStride;
      for (int k = 0; k < a.lanes; ++k) s[k] += wo * int32_t{x[k]};
    }
  }
  for (int64_t o = 0; o < a.outputs; ++o) {
    int32_t* s = a.deltas + o * kLaneStride;
    const int32_t golden = s[a.lanes - 1];
    for (int k = 0; k < a.lanes; ++k) s[k] -= golden;
  }
  return lanes_outside(a.deltas, a.outputs, a.lanes, a.slack_lo, a.slack_hi, a.moved);
}

}  // namespace

int dense_lane_deltas(const DenseLaneDeltas& a, Isa isa) {
#if defined(__x86_64__)
  if (isa >= Isa::kAvx512Vnni) return dense_lane_deltas_vnni(a);
#endif
  (void)isa;
  return dense_lane_deltas_portable(a);
}

HARDY_VECTOR_CLONES void scatter_lanes(int32_t* __restrict block, const int32_t* __restrict w,
                                       int64_t n, const int32_t* __restrict dx, int lanes) {
  for (int64_t c = 0; c < n; ++c) {
    int32_t* __restrict b = block + c * kLaneStride;
    const int32_t wc = w[c];
    for (int k = 0; k < lanes; ++k) b[k] += wc * dx[k];
  }
}

HARDY_VECTOR_CLONES int lanes_outside(const int32_t* __restrict block, int64_t n, int lanes,
                                      const int32_t* __restrict lo, const int32_t* __restrict hi,
                                      int32_t* __restrict moved) {
  int count = 0;
  for (int64_t c = 0; c < n; ++c) {
    const int32_t* d = block + c * kLaneStride;
    int32_t low = d[0], high = d[0];
    for (int k = 1; k < lanes; ++k) {
      low = d[k] < low ? d[k] : low;
      high = d[k] > high ? d[k] : high;
    }
    if (low < lo[c] || high > hi[c]) moved[count++] = static_cast<int32_t>(c);
  }
  return count;
}

}  // namespace hardy::analysis::detail
