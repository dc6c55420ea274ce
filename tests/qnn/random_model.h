// Test helper: single-node QModels with random weights, zero points, multipliers and clamps.
#pragma once

#include <vector>

#include "hardy/core/isa.h"
#include "hardy/core/rng.h"
#include "hardy/qnn/qmodel.h"

namespace hardy::qnn::testing {

struct ConvShape {
  int c_in, h, w, c_out, kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, pad_bottom,
      pad_right, groups;
};

/// Random int8 weights over the full range [−128, 127] (faults create −128), random bias,
/// multipliers in [2^-12, 4) (so some need a left shift), zero points and output clamps.
QModel random_conv_model(const ConvShape& s, RngStream& rng);
QModel random_dense_model(int k, int outs, RngStream& rng);
/// Residual Add of two random-parameter inputs of shape (c, h, w), multipliers as PTQ makes them.
QModel random_add_model(int c, int h, int w, RngStream& rng);
/// MaxPool or AveragePool over (c, h, w) with the given window (input and output share params).
QModel random_pool_model(OpKind op, int c, int h, int w, const WindowParams& window,
                         RngStream& rng);
std::vector<uint8_t> random_bytes(int64_t n, RngStream& rng);

/// The GEMM loops this CPU can run: the portable ones, and the VNNI ones when it has them.
inline std::vector<Isa> available_isas() {
  std::vector<Isa> isas = {Isa::kGeneric};
  if (cpu_supports(Isa::kAvx512Vnni)) isas.push_back(Isa::kAvx512Vnni);
  return isas;
}

}  // namespace hardy::qnn::testing
