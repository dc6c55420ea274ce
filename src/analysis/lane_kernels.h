// Internal: the inner loops of ByteBatch, one byte per lane, rows of kLaneStride lanes.
#pragma once

#include <cstdint>

#include "hardy/core/isa.h"

namespace hardy::analysis::detail {

inline constexpr int kLaneStride = 64;

/// With s(o, k) = Σ_j weights_t[inputs[j] · out_pitch + o] · rows[j][k], one Dense node's sum
/// over its changed inputs with lane k's bytes: deltas[o · kLaneStride + k] = s(o, k) −
/// s(o, lanes − 1) for every output o < outputs and lane k < lanes (a multiple of 16), lane
/// lanes − 1 holding the golden bytes: each lane's Δacc. weights_t is the node's weight matrix
/// transposed, [in + 1][out_pitch] int8 with out_pitch a multiple of 64, whose row `in` (and every
/// column from outputs on) is zero. Returns how many outputs have some lane outside their slack
/// [slack_lo[o], slack_hi[o]], listed in moved[] in increasing order.
struct DenseLaneDeltas {
  const uint8_t* const* rows;
  const int32_t* inputs;
  int64_t count;
  const int8_t* weights_t;
  int64_t in, outputs, out_pitch;
  int lanes;
  int32_t* deltas;
  const int32_t* slack_lo;
  const int32_t* slack_hi;
  int32_t* moved;
};
/// The best variant for `isa` (Isa::kAvx512Vnni: vpdpbusd over four inputs at a time).
int dense_lane_deltas(const DenseLaneDeltas& a, Isa isa);

/// block[c · kLaneStride + k] += w[c] · dx[k] for c < n and lanes k < lanes with dx[k] ≠ 0.
void scatter_lanes(int32_t* block, const int32_t* w, int64_t n, const int32_t* dx, int lanes);

/// Lists in moved[] (returning how many) the channels c < n of a block ([c · kLaneStride + k])
/// with some lane k < lanes outside [lo[c], hi[c]].
int lanes_outside(const int32_t* block, int64_t n, int lanes, const int32_t* lo, const int32_t* hi,
                  int32_t* moved);

}  // namespace hardy::analysis::detail
