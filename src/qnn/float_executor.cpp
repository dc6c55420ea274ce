// Float32 reference operators.
#include "hardy/qnn/float_executor.h"

#include <algorithm>
#include <cmath>

#include "hardy/core/error.h"

namespace hardy::qnn {
namespace {

float activate(const Node& n, float v) {
  switch (n.activation) {
    case Activation::kNone:
      return v;
    case Activation::kRelu:
      return std::max(v, 0.0f);
    case Activation::kClip:
      return std::min(std::max(v, n.clip_min), n.clip_max);
  }
  return v;
}

// Loops ordered (output channel, input channel, kernel row, kernel column, output row, output
// column) so the innermost loop runs over contiguous outputs; every output still sums its terms in
// the order (input channel, kernel row, kernel column), starting from 0, then adds the bias.
void conv(const Node& n, const Shape& is, const std::vector<float>& x, const Shape& os,
          std::vector<float>& y) {
  const WindowParams& w = n.window;
  const int64_t c_in = is[0], h = is[1], wd = is[2], c_out = os[0], oh = os[1], ow = os[2];
  const int64_t icg = c_in / w.groups, ocg = c_out / w.groups;
  for (int64_t oc = 0; oc < c_out; ++oc) {
    const int64_t g = oc / ocg;
    float* out = y.data() + oc * oh * ow;
    std::fill(out, out + oh * ow, 0.0f);
    for (int64_t ic = 0; ic < icg; ++ic) {
      const float* plane = x.data() + (g * icg + ic) * h * wd;
      for (int64_t ky = 0; ky < w.kernel_h; ++ky) {
        for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
          const float wv = n.weight[((oc * icg + ic) * w.kernel_h + ky) * w.kernel_w + kx];
          // Output columns whose input column ox·stride − pad + kx lies inside [0, wd).
          const int64_t shift = kx - w.pad_left;
          int64_t ox_lo = shift >= 0 ? 0 : (-shift + w.stride_w - 1) / w.stride_w;
          int64_t ox_hi = (wd - 1 - shift) < 0 ? 0 : (wd - 1 - shift) / w.stride_w + 1;
          ox_hi = std::min(ox_hi, ow);
          for (int64_t oy = 0; oy < oh; ++oy) {
            const int64_t iy = oy * w.stride_h - w.pad_top + ky;
            if (iy < 0 || iy >= h) continue;
            const float* in_row = plane + iy * wd;  // column ox reads in_row[ox·stride + shift]
            float* out_row = out + oy * ow;
            if (w.stride_w == 1) {
              for (int64_t ox = ox_lo; ox < ox_hi; ++ox) out_row[ox] += wv * in_row[ox + shift];
            } else {
              for (int64_t ox = ox_lo; ox < ox_hi; ++ox) {
                out_row[ox] += wv * in_row[ox * w.stride_w + shift];
              }
            }
          }
        }
      }
    }
    const float b = n.bias[static_cast<size_t>(oc)];
    for (int64_t i = 0; i < oh * ow; ++i) out[i] = activate(n, out[i] + b);
  }
}

void dense(const Node& n, const std::vector<float>& x, std::vector<float>& y) {
  const int64_t outs = n.weight.shape[0], k = n.weight.shape[1];
  for (int64_t o = 0; o < outs; ++o) {
    float acc = 0.0f;
    for (int64_t i = 0; i < k; ++i) acc += x[static_cast<size_t>(i)] * n.weight[o * k + i];
    y[static_cast<size_t>(o)] = activate(n, acc + n.bias[static_cast<size_t>(o)]);
  }
}

void pool(const Node& n, const Shape& is, const std::vector<float>& x, const Shape& os,
          std::vector<float>& y) {
  const WindowParams& w = n.window;
  const int64_t h = is[1], wd = is[2], oh = os[1], ow = os[2];
  const bool is_max = n.op == OpKind::kMaxPool;
  for (int64_t c = 0; c < is[0]; ++c) {
    for (int64_t oy = 0; oy < oh; ++oy) {
      for (int64_t ox = 0; ox < ow; ++ox) {
        float acc = is_max ? -INFINITY : 0.0f;
        int count = 0;
        for (int64_t ky = 0; ky < w.kernel_h; ++ky) {
          const int64_t iy = oy * w.stride_h - w.pad_top + ky;
          for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
            const int64_t ix = ox * w.stride_w - w.pad_left + kx;
            if (iy < 0 || iy >= h || ix < 0 || ix >= wd) {
              count += w.count_include_pad ? 1 : 0;
              continue;
            }
            const float v = x[static_cast<size_t>((c * h + iy) * wd + ix)];
            acc = is_max ? std::max(acc, v) : acc + v;
            ++count;
          }
        }
        y[static_cast<size_t>((c * oh + oy) * ow + ox)] =
            is_max ? acc : acc / static_cast<float>(count);
      }
    }
  }
}

}  // namespace

std::vector<std::vector<float>> run_float_all(const Graph& graph, std::span<const float> input) {
  std::vector<std::vector<float>> v(graph.values.size());
  const auto in = static_cast<size_t>(graph.input);
  HARDY_CHECK(static_cast<int64_t>(input.size()) == graph.values[in].shape.elements());
  v[in].assign(input.begin(), input.end());
  for (const Node& n : graph.nodes) {
    const Shape& os = graph.values[static_cast<size_t>(n.output)].shape;
    const auto& x = v[static_cast<size_t>(n.inputs[0])];
    const Shape& is = graph.values[static_cast<size_t>(n.inputs[0])].shape;
    auto& y = v[static_cast<size_t>(n.output)];
    y.assign(static_cast<size_t>(os.elements()), 0.0f);
    switch (n.op) {
      case OpKind::kConv:
        conv(n, is, x, os, y);
        break;
      case OpKind::kDense:
        dense(n, x, y);
        break;
      case OpKind::kRelu:
      case OpKind::kClip: {
        const float lo = n.op == OpKind::kRelu ? 0.0f : n.clip_min;
        const float hi = n.op == OpKind::kRelu ? INFINITY : n.clip_max;
        for (size_t i = 0; i < y.size(); ++i) y[i] = std::min(std::max(x[i], lo), hi);
        break;
      }
      case OpKind::kMaxPool:
      case OpKind::kAveragePool:
        pool(n, is, x, os, y);
        break;
      case OpKind::kGlobalAveragePool: {
        const int64_t hw = is[1] * is[2];
        for (int64_t c = 0; c < is[0]; ++c) {
          float s = 0.0f;
          for (int64_t i = 0; i < hw; ++i) s += x[static_cast<size_t>(c * hw + i)];
          y[static_cast<size_t>(c)] = s / static_cast<float>(hw);
        }
        break;
      }
      case OpKind::kFlatten:
        y = x;
        break;
      case OpKind::kAdd: {
        const auto& b = v[static_cast<size_t>(n.inputs[1])];
        for (size_t i = 0; i < y.size(); ++i) y[i] = activate(n, x[i] + b[i]);
        break;
      }
      case OpKind::kConcat: {
        size_t at = 0;
        for (int source : n.inputs) {
          const auto& part = v[static_cast<size_t>(source)];
          std::copy(part.begin(), part.end(), y.begin() + static_cast<std::ptrdiff_t>(at));
          at += part.size();
        }
        break;
      }
      case OpKind::kMinimum:
        y = x;
        for (size_t k = 1; k < n.inputs.size(); ++k) {
          const auto& b = v[static_cast<size_t>(n.inputs[k])];
          for (size_t i = 0; i < y.size(); ++i) y[i] = std::min(y[i], b[i]);
        }
        break;
      case OpKind::kMaximum:
        y = x;
        for (size_t k = 1; k < n.inputs.size(); ++k) {
          const auto& b = v[static_cast<size_t>(n.inputs[k])];
          for (size_t i = 0; i < y.size(); ++i) y[i] = std::max(y[i], b[i]);
        }
        break;
      case OpKind::kSlice: {
        const int64_t per_channel = is.elements() / is[0];
        std::copy(x.begin() + n.slice_start * per_channel, x.begin() + n.slice_end * per_channel,
                  y.begin());
        break;
      }
      case OpKind::kCorrection:  // built only on int8 models (QNode holds its tables)
        HARDY_CHECK(false);
    }
  }
  return v;
}

std::vector<float> run_float(const Graph& graph, std::span<const float> input) {
  return std::move(run_float_all(graph, input)[static_cast<size_t>(graph.output)]);
}

std::vector<float> image_to_float(std::span<const uint8_t> image) {
  std::vector<float> out(image.size());
  for (size_t i = 0; i < image.size(); ++i) out[i] = static_cast<float>(image[i]) / 255.0f;
  return out;
}

}  // namespace hardy::qnn
