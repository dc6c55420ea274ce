// IntervalBounds: interval bound propagation through the downstream cone of one neuron.
#include "hardy/analysis/interval_bounds.h"

#include <algorithm>
#include <climits>

#include "hardy/qnn/reference_kernels.h"

namespace hardy::analysis {

using qnn::OpKind;
using qnn::QNode;

namespace {

bool is_mac(const QNode& n) { return n.op == OpKind::kConv || n.op == OpKind::kDense; }

int32_t clamp32(int64_t v) {
  return static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX));
}

// Calls f(output element, weight) for every output of Conv/Dense node n that input element e
// feeds (outputs channel-major: c · positions + p).
template <typename F>
void for_each_fanout(const QNode& n, const Shape& is, const Shape& os, int64_t e, F&& f) {
  const int64_t channels = n.weight.shape[0], k = n.reduction_size();
  if (n.op == OpKind::kDense) {
    for (int64_t c = 0; c < channels; ++c) f(c, n.weight[c * k + e]);
    return;
  }
  const qnn::WindowParams& w = n.window;
  const int64_t h = is[1], wd = is[2], oh = os[1], ow = os[2], positions = oh * ow;
  const int64_t icg = is[0] / w.groups, ocg = channels / w.groups;
  const int64_t ic = e / (h * wd), iy = e / wd % h, ix = e % wd, g = ic / icg;
  const int64_t taps = int64_t{w.kernel_h} * w.kernel_w;
  for (int64_t ky = 0; ky < w.kernel_h; ++ky) {
    const int64_t ty = iy + w.pad_top - ky;
    if (ty < 0 || ty % w.stride_h) continue;
    const int64_t oy = ty / w.stride_h;
    if (oy >= oh) continue;
    for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
      const int64_t tx = ix + w.pad_left - kx;
      if (tx < 0 || tx % w.stride_w) continue;
      const int64_t ox = tx / w.stride_w;
      if (ox >= ow) continue;
      const int64_t tap = (ic - g * icg) * taps + ky * w.kernel_w + kx;
      for (int64_t c = g * ocg; c < (g + 1) * ocg; ++c) {
        f(c * positions + oy * ow + ox, n.weight[c * k + tap]);
      }
    }
  }
}

// Operators whose output is monotone non-decreasing in every input: their bounds are the rule
// applied to the inputs' lower and upper bounds.
bool monotone(const QNode& n) {
  switch (n.op) {
    case OpKind::kMaxPool:
    case OpKind::kAveragePool:
    case OpKind::kGlobalAveragePool:
    case OpKind::kRelu:
    case OpKind::kClip:
    case OpKind::kFlatten:
    case OpKind::kMinimum:
      return true;
    case OpKind::kAdd:
      return n.add_input_multiplier[0].multiplier >= 0 &&
             n.add_input_multiplier[1].multiplier >= 0 && n.add_output_multiplier.multiplier >= 0;
    default:
      return false;
  }
}

}  // namespace

IntervalBounds::IntervalBounds(const qnn::Int8Executor& exec)
    : exec_(exec),
      model_(exec.model()),
      plan_(exec.plan()),
      golden_(exec.make_workspace()),
      lo_(exec.make_workspace()),
      hi_(exec.make_workspace()) {
  const size_t nv = model_.values.size(), nn = model_.nodes.size();
  for (size_t i = 0; i < nn; ++i) {
    lo_io_.push_back(exec_.node_io(static_cast<int>(i), lo_));
    hi_io_.push_back(exec_.node_io(static_cast<int>(i), hi_));
  }
  output_storage_ = plan_.storage(model_.output);
  changes_.resize(nv);
  marked_.resize(nv);
  last_reader_.assign(nv, -1);
  for (size_t v = 0; v < nv; ++v) {
    if (plan_.storage(static_cast<int>(v)) != static_cast<int>(v)) continue;
    marked_[v].assign(static_cast<size_t>(model_.values[v].shape.elements()), 0);
    const auto& readers = plan_.readers(static_cast<int>(v));
    if (!readers.empty()) last_reader_[v] = readers.back();
  }
  mac_index_.assign(nn, -1);
  pool_tables_.resize(nn);
  for (size_t i = 0; i < nn; ++i) {
    const QNode& n = model_.nodes[i];
    if (n.op == OpKind::kMaxPool || n.op == OpKind::kAveragePool) {
      pool_tables_[i] =
          fault::pool_tables(n, model_.value(n.inputs[0]).shape, model_.value(n.output).shape);
    }
    if (!is_mac(n)) continue;
    mac_index_[i] = static_cast<int>(macs_.size());
    const auto outputs = static_cast<size_t>(model_.value(n.output).shape.elements());
    MacBounds m;
    m.golden_acc.assign(outputs, 0);
    m.dlo.assign(outputs, 0);
    m.dhi.assign(outputs, 0);
    m.touched_at.assign(outputs, 0);
    macs_.push_back(std::move(m));
  }
}

void IntervalBounds::set_image(std::span<const uint8_t> image) {
  exec_.run(image, golden_);
  std::copy(golden_.arena.begin(), golden_.arena.end(), lo_.arena.begin());
  std::copy(golden_.arena.begin(), golden_.arena.end(), hi_.arena.begin());
  const auto out = exec_.output(golden_);
  golden_top1_ = qnn::argmax(out.data(), static_cast<int64_t>(out.size()));
  for (size_t i = 0; i < model_.nodes.size(); ++i) {
    if (mac_index_[i] < 0 || !plan_.runs(static_cast<int>(i))) continue;
    MacBounds& m = macs_[static_cast<size_t>(mac_index_[i])];
    for (size_t o = 0; o < m.golden_acc.size(); ++o) {
      m.golden_acc[o] = exec_.accumulator(static_cast<int>(i), static_cast<int64_t>(o), golden_);
    }
  }
}

uint8_t IntervalBounds::golden_byte(int value, int64_t element) const {
  return exec_.value(golden_, value)[static_cast<size_t>(element)];
}

void IntervalBounds::widen(int value, int64_t element, uint8_t lo, uint8_t hi) {
  const auto v = static_cast<size_t>(value);
  const size_t at = plan_.offset(value) + static_cast<size_t>(element);
  lo_.arena[at] = lo;
  hi_.arena[at] = hi;
  if (lo == golden_.arena[at] && hi == golden_.arena[at]) return;
  if (changes_[v].empty()) dirty_values_.push_back(value);
  if (marked_[v][static_cast<size_t>(element)] != epoch_) {
    marked_[v][static_cast<size_t>(element)] = epoch_;
    changes_[v].push_back(static_cast<int32_t>(element));
  }
}

void IntervalBounds::propagate_mac(int node) {
  const QNode& n = model_.node(node);
  MacBounds& m = macs_[static_cast<size_t>(mac_index_[static_cast<size_t>(node)])];
  const Shape &is = model_.value(n.inputs[0]).shape, &os = model_.value(n.output).shape;
  const size_t in_off = plan_.offset(n.inputs[0]);
  for (int32_t e : changes_[static_cast<size_t>(plan_.storage(n.inputs[0]))]) {
    const int32_t g = golden_.arena[in_off + static_cast<size_t>(e)];
    const int32_t dlo = lo_.arena[in_off + static_cast<size_t>(e)] - g;
    const int32_t dhi = hi_.arena[in_off + static_cast<size_t>(e)] - g;
    for_each_fanout(n, is, os, e, [&](int64_t o, int8_t w8) {
      const int64_t w = w8;
      const auto oi = static_cast<size_t>(o);
      m.dlo[oi] += w >= 0 ? w * dlo : w * dhi;
      m.dhi[oi] += w >= 0 ? w * dhi : w * dlo;
      if (m.touched_at[oi] != epoch_) {
        m.touched_at[oi] = epoch_;
        m.touched.push_back(static_cast<int32_t>(o));
      }
    });
  }
  const qnn::QValue& out = model_.value(n.output);
  const int64_t positions = os.elements() / n.weight.shape[0];
  for (int32_t o : m.touched) {
    const auto oi = static_cast<size_t>(o);
    const QuantizedMultiplier& mult = n.multiplier[static_cast<size_t>(o / positions)];
    uint8_t lo = n.out_min, hi = n.out_max;
    if (mult.multiplier >= 0) {  // requantization is monotone non-decreasing
      lo = qnn::requantize(clamp32(int64_t{m.golden_acc[oi]} + m.dlo[oi]), mult,
                           out.quant.zero_point, n.out_min, n.out_max);
      hi = qnn::requantize(clamp32(int64_t{m.golden_acc[oi]} + m.dhi[oi]), mult,
                           out.quant.zero_point, n.out_min, n.out_max);
    }
    widen(n.output, o, lo, hi);
    m.dlo[oi] = m.dhi[oi] = 0;
  }
  m.touched.clear();
}

void IntervalBounds::propagate_elementwise(int node) {
  const QNode& n = model_.node(node);
  const bool exact_rule = monotone(n);
  const auto bound = [&](int64_t o) {
    if (!exact_rule) {
      widen(n.output, o, n.out_min, n.out_max);
      return;
    }
    widen(n.output, o, qnn::element_reference(n, lo_io_[static_cast<size_t>(node)], o),
          qnn::element_reference(n, hi_io_[static_cast<size_t>(node)], o));
  };
  const bool pool = n.op == OpKind::kMaxPool || n.op == OpKind::kAveragePool;
  const int64_t out_width = pool ? model_.value(n.output).shape[2] : 0;
  for (int in : n.inputs) {
    for (int32_t e : changes_[static_cast<size_t>(plan_.storage(in))]) {
      if (pool) {
        const fault::PoolRect r =
            pool_tables_[static_cast<size_t>(node)].reach[static_cast<size_t>(e)];
        for (int64_t ry = 0; ry < r.rows; ++ry) {
          for (int64_t rx = 0; rx < r.cols; ++rx) bound(r.first + ry * out_width + rx);
        }
      } else if (n.op == OpKind::kGlobalAveragePool) {
        bound(e / (model_.value(in).shape[1] * model_.value(in).shape[2]));
      } else {
        bound(e);
      }
    }
  }
}

bool IntervalBounds::keeps_top1(int value, int64_t element, uint8_t lo, uint8_t hi) {
  const int sv = plan_.storage(value);
  ++epoch_;
  const uint8_t g = golden_byte(sv, element);
  widen(sv, element, std::min(lo, g), std::max(hi, g));
  // Only the perturbed interval [lo, hi] matters, but including the golden byte keeps every
  // bound an interval around golden (no loss: each output's bounds already contain golden when
  // lo ≤ g ≤ hi; otherwise the extra width is what makes one pass cover the whole side).
  int horizon = last_reader_[static_cast<size_t>(sv)];
  for (int i : plan_.cone(sv)) {
    if (i > horizon) break;
    const QNode& n = model_.node(i);
    bool fed = false;
    for (int in : n.inputs) fed = fed || !changes_[static_cast<size_t>(plan_.storage(in))].empty();
    if (!fed) continue;
    const size_t before = dirty_values_.size();
    if (is_mac(n)) {
      propagate_mac(i);
    } else {
      propagate_elementwise(i);
    }
    if (dirty_values_.size() > before) {
      horizon = std::max(horizon, last_reader_[static_cast<size_t>(plan_.storage(n.output))]);
    }
  }
  bool kept = true;
  if (!changes_[static_cast<size_t>(output_storage_)].empty()) {
    const uint8_t* olo = lo_.arena.data() + plan_.offset(output_storage_);
    const uint8_t* ohi = hi_.arena.data() + plan_.offset(output_storage_);
    const int64_t classes = model_.output_elements();
    const int c = golden_top1_;
    for (int64_t j = 0; j < classes && kept; ++j) {
      if (j == c) continue;
      // argmax takes the lowest index among equals: a class before c must stay strictly below.
      kept = j < c ? olo[c] > ohi[j] : olo[c] >= ohi[j];
    }
  }
  restore();
  return kept;
}

void IntervalBounds::restore() {
  for (int v : dirty_values_) {
    const size_t off = plan_.offset(v);
    for (int32_t e : changes_[static_cast<size_t>(v)]) {
      lo_.arena[off + static_cast<size_t>(e)] = golden_.arena[off + static_cast<size_t>(e)];
      hi_.arena[off + static_cast<size_t>(e)] = golden_.arena[off + static_cast<size_t>(e)];
    }
    changes_[static_cast<size_t>(v)].clear();
  }
  dirty_values_.clear();
}

}  // namespace hardy::analysis
