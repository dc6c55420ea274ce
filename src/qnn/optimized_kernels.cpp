// PackedModel: weight packing, im2col into the [K/4][P][4] panel, dispatch to the Isa's loops.
#include "hardy/qnn/optimized_kernels.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "gemm_kernels.h"
#include "hardy/core/error.h"

namespace hardy::qnn {
namespace {

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

constexpr int64_t kDenseBlock = 64;  // bytes of input per vpdpbusd

// Fills the [k_padded/4][p_padded][4] panel of one conv group: element (k, p) is the input pixel
// that weight k meets at output position p, or the input zero point where the window hangs over
// the padding (so that its (x − zp) term vanishes after the bias correction).
void im2col_packed(const QNode& node, const NodeIo& io, int64_t group, const PackedModel::Layer& L,
                   uint8_t* col) {
  const WindowParams& w = node.window;
  const Shape &is = io.in[0]->shape, &os = io.out->shape;
  const int64_t h = is[1], wd = is[2], oh = os[1], ow = os[2];
  const int64_t icg = is[0] / w.groups;
  const auto zx = static_cast<uint8_t>(io.in[0]->quant.zero_point);
  std::memset(col, 0, static_cast<size_t>(L.k_padded * L.p_padded));
  for (int64_t k = 0; k < L.k; ++k) {
    const int64_t ic = k / (w.kernel_h * w.kernel_w);
    const int64_t ky = k / w.kernel_w % w.kernel_h, kx = k % w.kernel_w;
    const uint8_t* plane = io.x[0] + (group * icg + ic) * h * wd;
    uint8_t* row = col + (k / 4) * L.p_padded * 4 + (k % 4);
    for (int64_t oy = 0; oy < oh; ++oy) {
      const int64_t iy = oy * w.stride_h - w.pad_top + ky;
      uint8_t* out = row + oy * ow * 4;
      if (iy < 0 || iy >= h) {
        for (int64_t ox = 0; ox < ow; ++ox) out[ox * 4] = zx;
        continue;
      }
      const uint8_t* in_row = plane + iy * wd;
      for (int64_t ox = 0; ox < ow; ++ox) {
        const int64_t ix = ox * w.stride_w - w.pad_left + kx;
        out[ox * 4] = (ix < 0 || ix >= wd) ? zx : in_row[ix];
      }
    }
  }
}

}  // namespace

bool isa_supported(Isa isa) {
  if (isa == Isa::kPortable) return true;
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vnni");
#else
  return false;
#endif
}

Isa detect_isa() {
  const char* forced = std::getenv("HARDY_ISA");
  if (forced && std::string(forced) == "portable") return Isa::kPortable;
  return isa_supported(Isa::kAvx512Vnni) ? Isa::kAvx512Vnni : Isa::kPortable;
}

const char* isa_name(Isa isa) { return isa == Isa::kAvx512Vnni ? "avx512-vnni" : "portable"; }

PackedModel::PackedModel(const QModel& model, Isa isa) : model_(model), isa_(isa) {
  if (!isa_supported(isa)) throw ConfigError(std::string("this CPU lacks ") + isa_name(isa));
  layers_.resize(model.nodes.size());
  for (size_t i = 0; i < model.nodes.size(); ++i) {
    const QNode& node = model.nodes[i];
    if (node.op != OpKind::kConv && node.op != OpKind::kDense) continue;
    Layer& L = layers_[i];
    const int64_t oc = node.weight.shape[0];
    L.k = node.reduction_size();
    const bool conv = node.op == OpKind::kConv;
    L.k_padded = round_up(L.k, conv ? 4 : kDenseBlock);
    L.weights.assign(static_cast<size_t>(oc * L.k_padded), 0);
    L.bias_corrected.resize(static_cast<size_t>(oc));
    const int32_t zx = model.value(node.inputs[0]).quant.zero_point;
    for (int64_t c = 0; c < oc; ++c) {
      int32_t sum = 0;
      for (int64_t k = 0; k < L.k; ++k) {
        const int8_t w = node.weight[c * L.k + k];
        L.weights[static_cast<size_t>(c * L.k_padded + k)] = w;
        sum += w;
      }
      L.bias_corrected[static_cast<size_t>(c)] = node.bias[static_cast<size_t>(c)] - zx * sum;
    }
    for (const auto& m : node.multiplier) L.vector_requant = L.vector_requant && m.shift <= 0;
    size_t scratch = 0;
    if (conv) {
      const Shape& os = model.value(node.output).shape;
      L.p_padded = round_up(os[1] * os[2], detail::kGemmColumnBlock);
      scratch = static_cast<size_t>(L.k_padded * L.p_padded);
    } else {
      scratch = static_cast<size_t>(L.k_padded);
    }
    scratch_bytes_ = std::max(scratch_bytes_, scratch);
  }
}

void PackedModel::run_node(size_t index, const NodeIo& io, uint8_t* scratch) const {
  const QNode& node = model_.nodes[index];
  const Layer& L = layers_[index];
  const bool vnni = isa_ == Isa::kAvx512Vnni;
  if (node.op == OpKind::kConv) {
    const Shape& os = io.out->shape;
    const int64_t groups = node.window.groups, ocg = os[0] / groups, p = os[1] * os[2];
    for (int64_t g = 0; g < groups; ++g) {
      im2col_packed(node, io, g, L, scratch);
      detail::GemmArgs a{scratch,
                         L.k_padded,
                         p,
                         L.p_padded,
                         L.weights.data() + g * ocg * L.k_padded,
                         L.bias_corrected.data() + g * ocg,
                         node.multiplier.data() + g * ocg,
                         ocg,
                         io.out->quant.zero_point,
                         node.out_min,
                         node.out_max,
                         L.vector_requant,
                         io.y + g * ocg * p};
#if defined(__x86_64__)
      if (vnni) {
        detail::gemm_avx512_vnni(a);
        continue;
      }
#endif
      detail::gemm_portable(a);
    }
    return;
  }
  if (node.op == OpKind::kDense) {
    std::memcpy(scratch, io.x[0], static_cast<size_t>(L.k));
    std::memset(scratch + L.k, 0, static_cast<size_t>(L.k_padded - L.k));
    detail::DotArgs a{scratch,           L.k_padded,     L.weights.data(),
                      L.bias_corrected.data(), node.multiplier.data(), node.weight.shape[0],
                      io.out->quant.zero_point, node.out_min, node.out_max, io.y};
#if defined(__x86_64__)
    if (vnni) {
      detail::dense_avx512_vnni(a);
      return;
    }
#endif
    detail::dense_portable(a);
    return;
  }
  run_node_reference(node, io);
}

}  // namespace hardy::qnn
