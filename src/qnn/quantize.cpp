// Post-training quantization (calibration, weight and bias quantization, multipliers).
#include "hardy/qnn/quantize.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "hardy/core/error.h"
#include "hardy/qnn/float_executor.h"

namespace hardy::qnn {
namespace {

constexpr int kHistogramBins = 4096;

struct Range {
  float lo = std::numeric_limits<float>::infinity();
  float hi = -std::numeric_limits<float>::infinity();
};

// Runs the float graph over the first n images; calls visit(worker, values) for each.
template <class Visit>
void for_each_activation(const Graph& graph, const data::Dataset& images, int64_t n,
                         ThreadPool& pool, Visit visit) {
  pool.parallel_for(n, [&](int64_t b, int64_t e, int worker) {
    for (int64_t i = b; i < e; ++i) {
      visit(worker, run_float_all(graph, image_to_float(images.image(i))));
    }
  });
}

std::vector<Range> measure_ranges(const Graph& graph, const data::Dataset& images, int64_t n,
                                  const CalibrationOptions& options, ThreadPool& pool) {
  const size_t nv = graph.values.size();
  std::vector<std::vector<Range>> per_worker(static_cast<size_t>(pool.threads()),
                                             std::vector<Range>(nv));
  for_each_activation(graph, images, n, pool, [&](int w, const auto& values) {
    auto& r = per_worker[static_cast<size_t>(w)];
    for (size_t v = 0; v < nv; ++v) {
      for (float x : values[v]) {
        r[v].lo = std::min(r[v].lo, x);
        r[v].hi = std::max(r[v].hi, x);
      }
    }
  });
  std::vector<Range> ranges(nv);
  for (const auto& r : per_worker) {
    for (size_t v = 0; v < nv; ++v) {
      ranges[v].lo = std::min(ranges[v].lo, r[v].lo);
      ranges[v].hi = std::max(ranges[v].hi, r[v].hi);
    }
  }
  if (options.method == CalibrationMethod::kMinMax) return ranges;

  // Percentile: a histogram over [lo, hi] per value (integer counts merge exactly).
  using Histogram = std::vector<int64_t>;
  std::vector<std::vector<Histogram>> hist(static_cast<size_t>(pool.threads()),
                                           std::vector<Histogram>(nv, Histogram(kHistogramBins)));
  auto bin_of = [&](size_t v, float x) {
    const float width = ranges[v].hi - ranges[v].lo;
    if (!(width > 0)) return 0;
    const int b = static_cast<int>((x - ranges[v].lo) / width * kHistogramBins);
    return std::clamp(b, 0, kHistogramBins - 1);
  };
  for_each_activation(graph, images, n, pool, [&](int w, const auto& values) {
    for (size_t v = 0; v < nv; ++v) {
      for (float x : values[v])
        ++hist[static_cast<size_t>(w)][v][static_cast<size_t>(bin_of(v, x))];
    }
  });
  for (size_t v = 0; v < nv; ++v) {
    Histogram total(kHistogramBins);
    int64_t count = 0;
    for (const auto& h : hist) {
      for (int b = 0; b < kHistogramBins; ++b)
        total[static_cast<size_t>(b)] += h[v][static_cast<size_t>(b)];
    }
    for (int64_t c : total) count += c;
    if (count == 0) continue;
    const double tail = static_cast<double>(count) * (1.0 - options.percentile / 100.0);
    const float width = (ranges[v].hi - ranges[v].lo) / kHistogramBins;
    int64_t seen = 0;
    int lo_bin = 0, hi_bin = kHistogramBins - 1;
    while (lo_bin < kHistogramBins - 1 &&
           static_cast<double>(seen + total[static_cast<size_t>(lo_bin)]) <= tail) {
      seen += total[static_cast<size_t>(lo_bin++)];
    }
    seen = 0;
    while (hi_bin > lo_bin &&
           static_cast<double>(seen + total[static_cast<size_t>(hi_bin)]) <= tail) {
      seen += total[static_cast<size_t>(hi_bin--)];
    }
    const float lo = ranges[v].lo + width * static_cast<float>(lo_bin);
    const float hi = ranges[v].lo + width * static_cast<float>(hi_bin + 1);
    ranges[v] = {lo, hi};
  }
  return ranges;
}

QuantParams params_for_range(Range r) {
  const float lo = std::min(r.lo, 0.0f), hi = std::max(r.hi, 0.0f);
  if (!(hi > lo) || !std::isfinite(hi - lo)) return {1.0f, 0};
  QuantParams q;
  q.scale = (hi - lo) / 255.0f;
  q.zero_point = std::clamp(static_cast<int32_t>(std::lround(-lo / q.scale)), 0, 255);
  return q;
}

void quantize_weights(const Node& n, const QuantParams& in, const QuantParams& out, QNode& q) {
  const int64_t oc = n.weight.shape[0], k = n.weight.size() / oc;
  q.weight = Tensor<int8_t>(n.weight.shape);
  q.weight_scale.resize(static_cast<size_t>(oc));
  q.bias.resize(static_cast<size_t>(oc));
  q.multiplier.resize(static_cast<size_t>(oc));
  for (int64_t c = 0; c < oc; ++c) {
    float max_abs = 0.0f;
    for (int64_t i = 0; i < k; ++i) max_abs = std::max(max_abs, std::abs(n.weight[c * k + i]));
    const float ws = max_abs > 0 ? max_abs / 127.0f : 1.0f;
    q.weight_scale[static_cast<size_t>(c)] = ws;
    for (int64_t i = 0; i < k; ++i) {
      const long r = std::lround(n.weight[c * k + i] / ws);
      q.weight[c * k + i] = static_cast<int8_t>(std::clamp(r, -127L, 127L));
    }
    const double bias_scale = static_cast<double>(in.scale) * ws;
    const double b = std::round(n.bias[static_cast<size_t>(c)] / bias_scale);
    q.bias[static_cast<size_t>(c)] = static_cast<int32_t>(
        std::clamp(b, static_cast<double>(INT32_MIN), static_cast<double>(INT32_MAX)));
    const double multiplier = bias_scale / out.scale;
    if (!std::isfinite(multiplier)) {
      throw UnsupportedError(n.name +
                             ": requantization multiplier is not finite (weights or "
                             "activations out of float range)");
    }
    q.multiplier[static_cast<size_t>(c)] = quantize_multiplier(multiplier);
  }
}

void set_activation_clamp(Activation act, float lo, float hi, const QuantParams& out, QNode& q) {
  if (act == Activation::kNone) return;
  q.out_min = std::max<uint8_t>(q.out_min, out.quantize(lo));
  if (std::isfinite(hi)) q.out_max = std::min<uint8_t>(q.out_max, out.quantize(hi));
}

// Input scale s rescaled to the output's: (q − zp) << kAddLeftShift times this is q_out − zp_out.
QuantizedMultiplier rescale_multiplier(const QuantParams& in, const QuantParams& out) {
  return quantize_multiplier(in.scale /
                             (static_cast<double>(1 << QNode::kAddLeftShift) * out.scale));
}

bool same_quantization(const QuantParams& a, const QuantParams& b) {
  return a.scale == b.scale && a.zero_point == b.zero_point;
}

// A minimum of raw integers is the minimum of the reals only on one common scale. When a
// Minimum/Maximum's inputs share one, its output keeps it (the rule is exact); otherwise the
// output keeps its own calibrated range and each input on another scale is first rescaled to it
// by a one-input Concat "<node>/rescale<k>" (an int8 accelerator's requantizer). Rescaling is
// monotone and so is its clamp, so the extremum of the rescaled bytes is the rescaled extremum.
void rescale_extremum_inputs(QModel& m, QNode& q) {
  const int out = q.output;
  bool shared = true;
  for (int v : q.inputs)
    shared = shared && same_quantization(m.value(v).quant, m.value(q.inputs[0]).quant);
  if (shared) {
    m.values[static_cast<size_t>(out)].quant = m.value(q.inputs[0]).quant;
    return;
  }
  for (size_t k = 0; k < q.inputs.size(); ++k) {
    const int v = q.inputs[k];
    if (same_quantization(m.value(v).quant, m.value(out).quant)) continue;
    QNode r;
    r.op = OpKind::kConcat;
    r.name = q.name + "/rescale" + std::to_string(k);
    r.inputs = {v};
    r.output = static_cast<int>(m.values.size());
    r.concat_multiplier = {rescale_multiplier(m.value(v).quant, m.value(out).quant)};
    m.values.push_back({r.name, m.value(v).shape, m.value(out).quant});
    q.inputs[k] = r.output;
    m.nodes.push_back(std::move(r));
  }
}

}  // namespace

uint8_t QuantParams::quantize(float real) const {
  const double q = std::round(static_cast<double>(real) / scale) + zero_point;
  return static_cast<uint8_t>(std::clamp(q, 0.0, 255.0));
}

int argmax(const uint8_t* v, int64_t n) { return static_cast<int>(std::max_element(v, v + n) - v); }
int argmax(const float* v, int64_t n) { return static_cast<int>(std::max_element(v, v + n) - v); }

QModel quantize(const Graph& graph, const data::Dataset& calibration,
                const CalibrationOptions& options, ThreadPool& pool) {
  if (options.images < 1) throw ConfigError("calibration needs at least 1 image");
  if (options.method == CalibrationMethod::kPercentile &&
      !(options.percentile > 50.0 && options.percentile <= 100.0)) {
    throw ConfigError("calibration percentile must be in (50, 100], got " +
                      std::to_string(options.percentile));
  }
  check_input_matches(graph, calibration.rows, calibration.cols, calibration.name);
  const int64_t count = std::min<int64_t>(options.images, calibration.size());
  const std::vector<Range> ranges = measure_ranges(graph, calibration, count, options, pool);

  QModel m;
  m.source = graph.source;
  m.input = graph.input;
  m.output = graph.output;
  for (size_t v = 0; v < graph.values.size(); ++v) {
    m.values.push_back({graph.values[v].name, graph.values[v].shape, params_for_range(ranges[v])});
  }
  m.values[static_cast<size_t>(graph.input)].quant = {1.0f / 255.0f, 0};

  for (const Node& n : graph.nodes) {
    QNode q;
    q.op = n.op;
    q.name = n.name;
    q.inputs = n.inputs;
    q.output = n.output;
    q.window = n.window;
    const QuantParams& in = m.values[static_cast<size_t>(n.inputs[0])].quant;
    QuantParams& out = m.values[static_cast<size_t>(n.output)].quant;
    switch (n.op) {
      case OpKind::kConv:
      case OpKind::kDense:
        quantize_weights(n, in, out, q);
        set_activation_clamp(n.activation, n.clip_min, n.clip_max, out, q);
        break;
      case OpKind::kAdd: {
        const QuantParams& in_b = m.values[static_cast<size_t>(n.inputs[1])].quant;
        const double twice_max = 2.0 * std::max(in.scale, in_b.scale);
        q.add_input_multiplier = {quantize_multiplier(in.scale / twice_max),
                                  quantize_multiplier(in_b.scale / twice_max)};
        q.add_output_multiplier = quantize_multiplier(
            twice_max / (static_cast<double>(1 << QNode::kAddLeftShift) * out.scale));
        set_activation_clamp(n.activation, n.clip_min, n.clip_max, out, q);
        break;
      }
      case OpKind::kRelu:
      case OpKind::kClip:
        out = in;  // a clamp in the input's own integer domain
        set_activation_clamp(Activation::kClip, n.op == OpKind::kRelu ? 0.0f : n.clip_min,
                             n.op == OpKind::kRelu ? INFINITY : n.clip_max, out, q);
        break;
      case OpKind::kMaxPool:
      case OpKind::kAveragePool:
      case OpKind::kGlobalAveragePool:
      case OpKind::kFlatten:
        out = in;  // these ops work on raw integers and keep the input's scale and zero point
        break;
      case OpKind::kConcat:  // each input rescaled to the output (below)
        break;
      case OpKind::kSlice:
        throw UnsupportedError(graph.source + ": node '" + n.name +
                               "' (Slice): int8 models hold copied channels as Correction nodes");
      case OpKind::kMinimum:
      case OpKind::kMaximum:
        rescale_extremum_inputs(m, q);  // may grow m.values: `in` and `out` are stale after it
        break;
      case OpKind::kCorrection:  // built only on int8 models (QNode holds its tables)
        HARDY_CHECK(false);
    }
    if (n.op == OpKind::kConcat) {
      for (int v : n.inputs) {
        q.concat_multiplier.push_back(rescale_multiplier(m.value(v).quant, out));
      }
    }
    m.nodes.push_back(std::move(q));
  }
  return m;
}

}  // namespace hardy::qnn
