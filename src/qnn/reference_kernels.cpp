// Scalar reference int8 kernels (the definition of hardy's int8 arithmetic).
#include "hardy/qnn/reference_kernels.h"

#include "hardy/core/error.h"

namespace hardy::qnn {

int32_t accumulator_reference(const QNode& node, const NodeIo& io, int64_t index) {
  const int32_t zx = io.in[0]->quant.zero_point;
  if (node.op == OpKind::kDense) {
    const int64_t k = node.weight.shape[1];
    int32_t acc = node.bias[static_cast<size_t>(index)];
    for (int64_t i = 0; i < k; ++i) {
      acc += (int32_t{io.x[0][i]} - zx) * int32_t{node.weight[index * k + i]};
    }
    return acc;
  }
  HARDY_CHECK(node.op == OpKind::kConv);
  const WindowParams& w = node.window;
  const Shape &is = io.in[0]->shape, &os = io.out->shape;
  const int64_t h = is[1], wd = is[2], oh = os[1], ow = os[2];
  const int64_t icg = is[0] / w.groups, ocg = os[0] / w.groups;
  const int64_t oc = index / (oh * ow), oy = index / ow % oh, ox = index % ow, g = oc / ocg;
  int32_t acc = node.bias[static_cast<size_t>(oc)];
  for (int64_t ic = 0; ic < icg; ++ic) {
    for (int64_t ky = 0; ky < w.kernel_h; ++ky) {
      const int64_t iy = oy * w.stride_h - w.pad_top + ky;
      if (iy < 0 || iy >= h) continue;
      for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
        const int64_t ix = ox * w.stride_w - w.pad_left + kx;
        if (ix < 0 || ix >= wd) continue;
        acc += (int32_t{io.x[0][((g * icg + ic) * h + iy) * wd + ix]} - zx) *
               int32_t{node.weight[((oc * icg + ic) * w.kernel_h + ky) * w.kernel_w + kx]};
      }
    }
  }
  return acc;
}

uint8_t pool_window_reference(const QNode& node, const NodeIo& io, int64_t c, int64_t oy,
                              int64_t ox) {
  // Raw uint8 values: the output's scale and zero point equal the input's.
  const WindowParams& w = node.window;
  const Shape& is = io.in[0]->shape;
  const int64_t h = is[1], wd = is[2];
  const int32_t pad_value = io.in[0]->quant.zero_point;  // real 0
  int32_t best = 0, sum = 0, count = 0;
  for (int64_t ky = 0; ky < w.kernel_h; ++ky) {
    const int64_t iy = oy * w.stride_h - w.pad_top + ky;
    for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
      const int64_t ix = ox * w.stride_w - w.pad_left + kx;
      if (iy < 0 || iy >= h || ix < 0 || ix >= wd) {
        if (w.count_include_pad) {
          sum += pad_value;
          ++count;
        }
        continue;
      }
      const int32_t v = io.x[0][(c * h + iy) * wd + ix];
      best = std::max(best, v);
      sum += v;
      ++count;
    }
  }
  return static_cast<uint8_t>(node.op == OpKind::kMaxPool ? best : (sum + count / 2) / count);
}

int64_t concat_offset(const NodeIo& io, size_t k) {
  int64_t offset = 0;
  for (size_t i = 0; i < k; ++i) offset += io.in[i]->shape.elements();
  return offset;
}

uint8_t concat_byte(const QNode& node, const QValue& input, const QValue& output, size_t k,
                    uint8_t q) {
  const int32_t v = multiply_by_quantized_multiplier(
      (int32_t{q} - input.quant.zero_point) * (1 << QNode::kAddLeftShift),
      node.concat_multiplier[k]);
  return static_cast<uint8_t>(
      std::clamp<int64_t>(int64_t{v} + output.quant.zero_point, node.out_min, node.out_max));
}

AddTerms::AddTerms(const QNode& node, const QValue& a, const QValue& b, const QValue& out)
    : multiplier_(node.add_output_multiplier),
      zero_point_(out.quant.zero_point),
      lo_(node.out_min),
      hi_(node.out_max) {
  for (int q = 0; q < 256; ++q) {
    terms_[0][static_cast<size_t>(q)] =
        add_term(node, 0, static_cast<uint8_t>(q), a.quant.zero_point);
    terms_[1][static_cast<size_t>(q)] =
        add_term(node, 1, static_cast<uint8_t>(q), b.quant.zero_point);
  }
}

std::vector<std::optional<AddTerms>> add_terms_by_node(const QModel& model) {
  std::vector<std::optional<AddTerms>> terms(model.nodes.size());
  for (size_t i = 0; i < model.nodes.size(); ++i) {
    const QNode& n = model.nodes[i];
    if (n.op != OpKind::kAdd) continue;
    terms[i].emplace(n, model.value(n.inputs[0]), model.value(n.inputs[1]), model.value(n.output));
  }
  return terms;
}

int64_t element_output_index(const QNode& node, const NodeIo& io, size_t k, int64_t element) {
  switch (node.op) {
    case OpKind::kGlobalAveragePool:
      return element / (io.in[k]->shape[1] * io.in[k]->shape[2]);
    case OpKind::kConcat:
      return concat_offset(io, k) + element;
    case OpKind::kCorrection: {
      const int64_t per_channel = io.in[0]->shape.elements() / io.in[0]->shape[0];
      return int64_t{node.correction_owner[static_cast<size_t>(element / per_channel)]} *
                 per_channel +
             element % per_channel;
    }
    default:
      return element;
  }
}

std::pair<size_t, int64_t> concat_source(const NodeIo& io, int64_t index) {
  size_t k = 0;
  while (k + 1 < io.in.size() && index >= io.in[k]->shape.elements()) {
    index -= io.in[k]->shape.elements();
    ++k;
  }
  return {k, index};
}

uint8_t element_reference(const QNode& node, const NodeIo& io, int64_t index) {
  switch (node.op) {
    case OpKind::kConv:
    case OpKind::kDense:
      return requantize_output(node, *io.out, index, accumulator_reference(node, io, index));
    case OpKind::kMaxPool:
    case OpKind::kAveragePool: {
      const Shape& os = io.out->shape;
      const int64_t oh = os[1], ow = os[2];
      return pool_window_reference(node, io, index / (oh * ow), index / ow % oh, index % ow);
    }
    case OpKind::kGlobalAveragePool: {
      const Shape& is = io.in[0]->shape;
      const int64_t hw = is[1] * is[2];
      int32_t sum = 0;
      for (int64_t i = 0; i < hw; ++i) sum += io.x[0][index * hw + i];
      return static_cast<uint8_t>((sum + static_cast<int32_t>(hw / 2)) / static_cast<int32_t>(hw));
    }
    case OpKind::kAdd: {
      const int32_t a = add_term(node, 0, io.x[0][index], io.in[0]->quant.zero_point);
      const int32_t b = add_term(node, 1, io.x[1][index], io.in[1]->quant.zero_point);
      return requantize(a + b, node.add_output_multiplier, io.out->quant.zero_point, node.out_min,
                        node.out_max);
    }
    case OpKind::kRelu:
    case OpKind::kClip:
    case OpKind::kFlatten:
      return std::clamp(io.x[0][index], node.out_min, node.out_max);
    case OpKind::kConcat: {
      const auto [k, e] = concat_source(io, index);
      return concat_byte(node, *io.in[k], *io.out, k, io.x[k][e]);
    }
    case OpKind::kMinimum: {
      uint8_t m = io.x[0][index];
      for (size_t k = 1; k < io.x.size(); ++k) m = std::min(m, io.x[k][index]);
      return std::clamp(m, node.out_min, node.out_max);
    }
    case OpKind::kMaximum: {
      uint8_t m = io.x[0][index];
      for (size_t k = 1; k < io.x.size(); ++k) m = std::max(m, io.x[k][index]);
      return std::clamp(m, node.out_min, node.out_max);
    }
    case OpKind::kSlice:  // never in an int8 model (quantize refuses it)
      break;
    case OpKind::kCorrection: {
      const int64_t per_channel = io.out->shape.elements() / io.out->shape[0];
      const auto c = static_cast<size_t>(index / per_channel);
      const int64_t at = index % per_channel;
      const int32_t j1 = node.correction_copies[2 * c], j2 = node.correction_copies[2 * c + 1];
      const uint8_t a = io.x[0][index];
      int32_t v = a;
      if (j1 >= 0 && j2 >= 0) {
        v = majority_of_three(a, io.x[0][j1 * per_channel + at], io.x[0][j2 * per_channel + at]);
      } else if (j1 >= 0) {
        v = correct_pair(node.correction_rule, a, io.x[0][j1 * per_channel + at],
                         io.out->quant.zero_point);
      }
      return static_cast<uint8_t>(std::clamp<int32_t>(v, node.out_min, node.out_max));
    }
  }
  HARDY_CHECK(false);
}

void run_node_reference(const QNode& node, const NodeIo& io) {
  const int64_t n = io.out->shape.elements();
  for (int64_t i = 0; i < n; ++i) io.y[i] = element_reference(node, io, i);
}

}  // namespace hardy::qnn
