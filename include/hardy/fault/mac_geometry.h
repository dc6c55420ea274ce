// A Conv/Dense node seen from its inputs, for following changes input by input (fault propagation,
// interval bounds): weights transposed so that the outputs one input feeds at one position are
// contiguous channels, outputs position-major ([p · channels + c]), and per channel and byte the
// accumulators that requantize to that byte (requantization is monotone).
#pragma once

#include <cstdint>
#include <vector>

#include "hardy/core/divisor.h"
#include "hardy/core/isa.h"
#include "hardy/qnn/qmodel.h"

namespace hardy::fault {

/// delta[c] += w[c] · dx for c < n (vectorized, chosen for the CPU at load time).
void add_scaled(int32_t* delta, const int32_t* w, int64_t n, int32_t dx);
/// lo[c] += min(w[c]·dl, w[c]·dh), hi[c] += max(w[c]·dl, w[c]·dh) for c < n: the bounds of w·Δx
/// for Δx ∈ [dl, dh].
void add_scaled_interval(int32_t* lo, int32_t* hi, const int32_t* w, int64_t n, int32_t dl,
                         int32_t dh);

/// flags[c] = delta[c] ∉ [lo[c], hi[c]] for c < n; returns whether any is set.
bool flag_outside(const int32_t* delta, const int32_t* lo, const int32_t* hi, uint8_t* flags,
                  int64_t n);

/// out[c] = the byte accumulator acc[c] + delta[c] requantizes to, for c < n: channel c's
/// multiplier is mult[c] ≥ 0 with a right shift rshift[c] ≥ 0 (no left shift), then the zero point
/// and the clamp to [lo, hi]. Bit for bit qnn::requantize (tests/fault), 16 lanes at a time with
/// AVX-512 when detect_isa() reaches Isa::kAvx512 (read once), else a loop the compiler vectorizes.
void requantize_sums(const int32_t* acc, const int32_t* delta, const int32_t* mult,
                     const int32_t* rshift, int32_t zero_point, int32_t lo, int32_t hi,
                     uint8_t* out, int64_t n);
/// The same on the loops for `isa` (Isa::kAvx512 and above: AVX-512; the CPU must support it).
void requantize_sums(const int32_t* acc, const int32_t* delta, const int32_t* mult,
                     const int32_t* rshift, int32_t zero_point, int32_t lo, int32_t hi,
                     uint8_t* out, int64_t n, Isa isa);

/// out[k] = the byte accumulator acc + delta[k] requantizes to, for k < n: requantize_sums with
/// one accumulator and one channel's multiplier (mult ≥ 0, right shift rshift ≥ 0) for every
/// element (the lanes of one output, each its own Δacc).
void requantize_lanes(int32_t acc, const int32_t* delta, int32_t mult, int32_t rshift,
                      int32_t zero_point, int32_t lo, int32_t hi, uint8_t* out, int64_t n);
/// The same on the loops for `isa` (Isa::kAvx512 and above: AVX-512; the CPU must support it).
void requantize_lanes(int32_t acc, const int32_t* delta, int32_t mult, int32_t rshift,
                      int32_t zero_point, int32_t lo, int32_t hi, uint8_t* out, int64_t n, Isa isa);

/// n outputs reached by one changed input Δx ∈ [dl, dh] through weights w[c], with golden
/// accumulators acc[c] whose golden bytes hold for deltas in [slack_lo[c], slack_hi[c]], and
/// requantization as requantize_sums (multipliers ≥ 0, right shifts only).
struct ScaledOutputs {
  const int32_t* w;
  const int32_t* acc;
  const int32_t* slack_lo;
  const int32_t* slack_hi;
  const int32_t* mult;
  const int32_t* rshift;
  int32_t zero_point, lo, hi;
  int64_t n;
};
/// The outputs whose sum acc + w·Δx can leave the slack: listed in moved[0 .. k) (k returned,
/// increasing), out_lo[c] and out_hi[c] the bytes the ends of their sum, acc + min and acc + max
/// of w·dl and w·dh, requantize to (other lanes of out_lo/out_hi unspecified). One fused pass
/// (add_scaled_interval, flag_outside and requantize_sums of one input), 16 lanes at a time with
/// AVX-512 when detect_isa() reaches Isa::kAvx512 (read once).
int64_t bound_scaled_outputs(const ScaledOutputs& outputs, int32_t dl, int32_t dh, uint8_t* out_lo,
                             uint8_t* out_hi, int32_t* moved);
/// The same on the loops for `isa` (the CPU must support it).
int64_t bound_scaled_outputs(const ScaledOutputs& outputs, int32_t dl, int32_t dh, uint8_t* out_lo,
                             uint8_t* out_hi, int32_t* moved, Isa isa);

class MacGeometry {
 public:
  MacGeometry(const qnn::QModel& model, int node);

  int node() const { return node_; }
  bool dense() const { return dense_; }
  int64_t channels() const { return channels_; }
  int64_t positions() const { return positions_; }
  int64_t outputs() const { return channels_ * positions_; }

  /// Calls f(position, row, first channel, count) for every output position that input element
  /// `element` feeds: the outputs there are channels [first, first + count), and their weights for
  /// this input are the row'th group of count in the transposed weights, [row][channel in group]
  /// (for a Dense or an ungrouped Conv, row is the input's index in the node's reduction).
  template <class F>
  void for_each_tap_row(int64_t element, F&& f) const {
    if (dense_) {
      f(int64_t{0}, element, int64_t{0}, channels_);
      return;
    }
    // Without divide instructions: they were a third of the fault propagation's own time.
    const auto el = static_cast<uint32_t>(element);
    const uint32_t c = in_hw_div_.quotient(el), at = el - c * in_hw_div_.divisor();
    const uint32_t iy = in_w_div_.quotient(at), ix = at - iy * in_w_div_.divisor();
    const int64_t g = icg_div_.quotient(c);
    const int64_t taps = int64_t{kh_} * kw_;
    for (int64_t ky = 0; ky < kh_; ++ky) {
      const int64_t ty = iy + pad_top_ - ky;
      if (ty < 0) continue;
      const int64_t oy = stride_h_div_.quotient(static_cast<uint32_t>(ty));
      if (oy * stride_h_ != ty || oy >= out_h_) continue;
      for (int64_t kx = 0; kx < kw_; ++kx) {
        const int64_t tx = ix + pad_left_ - kx;
        if (tx < 0) continue;
        const int64_t ox = stride_w_div_.quotient(static_cast<uint32_t>(tx));
        if (ox * stride_w_ != tx || ox >= out_w_) continue;
        // Tap k = (c − g·icg)·KH·KW + ky·KW + kx of group g.
        f(oy * out_w_ + ox, g * reduction_ + (c - g * icg_) * taps + ky * kw_ + kx, g * ocg_, ocg_);
      }
    }
  }
  /// Calls f(position, weights, first channel, count) for every output position that input
  /// element `element` feeds: the outputs there are channels [first, first + count) and their
  /// weights for this input are weights[0 .. count).
  template <class F>
  void for_each_tap(int64_t element, F&& f) const {
    for_each_tap_row(element, [&](int64_t p, int64_t row, int64_t first, int64_t count) {
      f(p, weights_t_.data() + row * ocg_, first, count);
    });
  }
  /// Convolution groups (1 for a Dense).
  int64_t groups() const { return channels_ / ocg_; }

  /// The golden accumulators, position-major, from the node's input bytes x (zero point zx): the
  /// kernel's integer sum in another order (exact).
  void accumulators(const qnn::QNode& n, const uint8_t* x, int32_t zx, int64_t inputs,
                    int32_t* acc) const;
  /// Per output (position-major): the deltas [lo, hi] that keep its golden byte (`golden` is the
  /// node's output, channel-major); 0 is inside unless the channel has no ranges.
  void slack(const int32_t* acc, const uint8_t* golden, int32_t* lo, int32_t* hi) const;

 private:
  int node_ = -1;
  bool dense_ = false;
  int64_t channels_ = 0, positions_ = 0, reduction_ = 0, ocg_ = 0, icg_ = 0;
  int64_t in_h_ = 1, in_w_ = 1, out_h_ = 1, out_w_ = 1;
  int kh_ = 1, kw_ = 1, stride_h_ = 1, stride_w_ = 1, pad_top_ = 0, pad_left_ = 0;
  Divisor in_hw_div_, in_w_div_, stride_h_div_, stride_w_div_, icg_div_;
  std::vector<int32_t> weights_t_;  // [(g · K + k) · ocg + channel in group]
  // acc ∈ [range_lo, range_hi][c · 256 + b] ⇔ channel c stores byte b.
  std::vector<int32_t> range_lo_, range_hi_;
};

}  // namespace hardy::fault
