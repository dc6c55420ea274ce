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

}  // namespace

bool IntervalDense::applies(const QModel& model, int node) {
  const QNode& n = model.node(node);
  if (n.op != OpKind::kDense) return false;
  if (model.value(n.inputs[0]).shape.elements() != n.reduction_size()) return false;
  // |Σ| ≤ 255 · 128 · K + |bias|: far below 2^31 for K ≤ 2^15.
  if (n.reduction_size() > (int64_t{1} << 15)) return false;
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
