// IntervalDense: a Dense node's output bounds over a box of inputs, as two products of the
// sign-split weights on the packed dense loops.
#include "hardy/qnn/interval_dense.h"

#include <algorithm>
#include <cstring>

#include "gemm_kernels.h"
#include "hardy/core/error.h"
#include "hardy/qnn/optimized_kernels.h"

namespace hardy::qnn {

namespace {

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// Packed weight bytes that stay in a core's L1 data cache (32-48 KiB on the x86 CPUs of DESIGN
// §10).
constexpr int64_t kCachedWeights = 32 * 1024;

}  // namespace

bool IntervalDense::applies(const QModel& model, int node) {
  const QNode& n = model.node(node);
  if (n.op != OpKind::kDense) return false;
  if (model.value(n.inputs[0]).shape.elements() != n.reduction_size()) return false;
  // |Σ| ≤ 255 · 128 · K + |bias|: far below 2^31 for K ≤ 2^15.
  if (n.reduction_size() > (int64_t{1} << 15)) return false;
  // The sign-split copy doubles the weights, per thread: not for layers above 8 MiB.
  if (2 * round_up(n.reduction_size(), 4) * round_up(n.weight.shape[0], detail::kDenseLanes) >
      (int64_t{1} << 24))
    return false;
  if (std::any_of(n.bias.begin(), n.bias.end(),
                  [](int32_t b) { return b > (1 << 29) || b < -(1 << 29); }))
    return false;
  return std::all_of(n.multiplier.begin(), n.multiplier.end(),
                     [](const QuantizedMultiplier& m) { return m.multiplier >= 0; });
}

IntervalDense::IntervalDense(const QModel& model, int node, Isa isa)
    : node_(model.node(node)), isa_(gemm_isa(isa)) {
  HARDY_CHECK(applies(model, node));
  k_ = node_.reduction_size();
  k4_ = round_up(k_, 4);
  oc_ = node_.weight.shape[0];
  oc_padded_ = round_up(oc_, detail::kDenseLanes);
  const int64_t k2 = 2 * k4_;
  weights_.assign(static_cast<size_t>(k2 * oc_padded_), 0);
  bias_.assign(static_cast<size_t>(oc_padded_), 0);
  lane_multiplier_.assign(static_cast<size_t>(oc_padded_), 0);
  lane_exponent_.assign(static_cast<size_t>(oc_padded_), 0);
  const int32_t zx = model.value(node_.inputs[0]).quant.zero_point;
  const auto put = [&](int64_t c, int64_t k, int8_t w) {
    weights_[static_cast<size_t>(((k / 4) * oc_padded_ + c) * 4 + k % 4)] = w;
  };
  for (int64_t c = 0; c < oc_; ++c) {
    int32_t sum = 0;
    for (int64_t k = 0; k < k_; ++k) {
      const int8_t w = node_.weight[c * k_ + k];
      put(c, w > 0 ? k : k4_ + k, w);
      sum += w;
    }
    const auto sc = static_cast<size_t>(c);
    bias_[sc] = node_.bias[sc] - zx * sum;
    lane_multiplier_[sc] = node_.multiplier[sc].multiplier;
    lane_exponent_[sc] = -node_.multiplier[sc].shift;
    vector_requant_ = vector_requant_ && node_.multiplier[sc].shift <= 0;
  }
  zero_point_ = model.value(node_.output).quant.zero_point;
  boxes_.assign(static_cast<size_t>(3 * k4_), 0);
  golden_.assign(static_cast<size_t>(oc_padded_), 0);
  partial_.assign(static_cast<size_t>(k4_ / 4 * oc_padded_), 0);
  quad_mark_.assign(static_cast<size_t>(k4_ / 4), 0);
}

void IntervalDense::set_golden(const uint8_t* golden) {
  std::copy(bias_.begin(), bias_.end(), golden_.begin());
  for (int64_t k = 0; k < k_; ++k) {
    int32_t* partial = partial_.data() + k / 4 * oc_padded_;
    for (int64_t c = 0; c < oc_; ++c) {
      const int32_t p = int32_t{node_.weight[c * k_ + k]} * golden[k];
      partial[c] += k % 4 == 0 ? p - partial[c] : p;  // the group's first input resets it
    }
  }
  for (int64_t q = 0; q < k4_ / 4; ++q) {
    for (int64_t c = 0; c < oc_; ++c)
      golden_[static_cast<size_t>(c)] += partial_[static_cast<size_t>(q * oc_padded_ + c)];
  }
}

void IntervalDense::bounds_changed(const uint8_t* lo, const uint8_t* hi,
                                   std::span<const int32_t> changed, uint8_t* out_lo,
                                   uint8_t* out_hi) {
  // The whole box's two products read every weight once, from the L1 cache when they fit (then
  // they are the cheaper way); larger weights pay for reading only the changed inputs' groups
  // (with their golden partials) while those are under half the groups.
  const int64_t groups = k4_ / 4;
  if (static_cast<int64_t>(weights_.size()) <= kCachedWeights ||
      2 * static_cast<int64_t>(changed.size()) >= groups * 4) {
    bounds(lo, hi, out_lo, out_hi);
    return;
  }
  ++call_;
  quads_.clear();
  bool partial_group = false;  // the last group, past the inputs' end
  for (int32_t k : changed) {
    uint64_t& mark = quad_mark_[static_cast<size_t>(k / 4)];
    if (mark == call_) continue;
    mark = call_;
    quads_.push_back(k / 4);
    partial_group = partial_group || k / 4 * 4 + 4 > k_;
  }
  if (2 * static_cast<int64_t>(quads_.size()) >= groups) {
    bounds(lo, hi, out_lo, out_hi);
    return;
  }
  if (partial_group) {  // whole groups are read: the box's last one from a zero-padded copy
    std::memcpy(boxes_.data(), lo, static_cast<size_t>(k_));
    std::memcpy(boxes_.data() + k4_, hi, static_cast<size_t>(k_));
    lo = boxes_.data();
    hi = boxes_.data() + k4_;
  }
  const detail::DenseQuadsArgs a{
      lo,
      hi,
      quads_.data(),
      static_cast<int64_t>(quads_.size()),
      k4_,
      oc_padded_,
      weights_.data(),
      golden_.data(),
      partial_.data(),
      {bias_.data(), node_.multiplier.data(), oc_, zero_point_, node_.out_min, node_.out_max},
      lane_multiplier_.data(),
      lane_exponent_.data(),
      vector_requant_,
      out_lo,
      out_hi};
#if defined(__x86_64__)
  if (isa_ == Isa::kAvx512Vnni) {
    detail::dense_quads_avx512_vnni(a);
    return;
  }
#endif
  detail::dense_quads_portable(a);
}

void IntervalDense::bounds(const uint8_t* lo, const uint8_t* hi, uint8_t* out_lo, uint8_t* out_hi) {
  uint8_t* b = boxes_.data();
  const auto k = static_cast<size_t>(k_);
  std::memcpy(b, lo, k);
  std::memcpy(b + k4_, hi, k);
  std::memcpy(b + 2 * k4_, lo, k);
  const detail::DenseArgs a{
      b,
      2 * k4_,
      oc_padded_,
      weights_.data(),
      {bias_.data(), node_.multiplier.data(), oc_, zero_point_, node_.out_min, node_.out_max},
      lane_multiplier_.data(),
      lane_exponent_.data(),
      vector_requant_,
      out_lo};
#if defined(__x86_64__)
  if (isa_ == Isa::kAvx512Vnni) {
    uint8_t* const outs[2] = {out_lo, out_hi};
    detail::dense_batch_avx512_vnni(a, 2, k4_, outs);  // [lo; hi] and, k4 on, [hi; lo]
    return;
  }
#endif
  detail::dense_portable(a);
  detail::DenseArgs upper = a;
  upper.x = b + k4_;
  upper.y = out_hi;
  detail::dense_portable(upper);
}

}  // namespace hardy::qnn
