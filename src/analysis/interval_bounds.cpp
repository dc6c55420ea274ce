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
    case OpKind::kMaximum:
      return true;
    case OpKind::kConcat:
      return std::all_of(n.concat_multiplier.begin(), n.concat_multiplier.end(),
                         [](const QuantizedMultiplier& m) { return m.multiplier >= 0; });
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
      hi_(exec.make_workspace()),
      changed_(model_, plan_),
      add_terms_(qnn::add_terms_by_node(model_)) {
  const size_t nn = model_.nodes.size();
  for (size_t i = 0; i < nn; ++i) {
    lo_io_.push_back(exec_.node_io(static_cast<int>(i), lo_));
    hi_io_.push_back(exec_.node_io(static_cast<int>(i), hi_));
  }
  output_storage_ = plan_.storage(model_.output);
  mac_index_.assign(nn, -1);
  pool_tables_.resize(nn);
  pool_done_.resize(nn);
  for (size_t i = 0; i < nn; ++i) {
    const QNode& n = model_.nodes[i];
    if (n.op == OpKind::kMaxPool || n.op == OpKind::kAveragePool) {
      pool_tables_[i] =
          fault::pool_tables(n, model_.value(n.inputs[0]).shape, model_.value(n.output).shape);
      pool_done_[i].assign(static_cast<size_t>(model_.value(n.output).shape.elements()), 0);
    }
    if (!is_mac(n)) continue;
    mac_index_[i] = static_cast<int>(macs_.size());
    MacBounds m(fault::MacGeometry(model_, static_cast<int>(i)));
    const auto outputs = static_cast<size_t>(m.geo.outputs());
    m.golden_acc.assign(outputs, 0);
    m.slack_lo.assign(outputs, 0);
    m.slack_hi.assign(outputs, 0);
    m.dlo.assign(outputs, 0);
    m.dhi.assign(outputs, 0);
    m.touched_at.assign(static_cast<size_t>(m.geo.positions()), 0);
    m.flags_lo.assign(static_cast<size_t>(m.geo.channels()), 0);
    m.flags_hi.assign(static_cast<size_t>(m.geo.channels()), 0);
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
    const QNode& n = model_.nodes[i];
    m.geo.accumulators(n, golden_.arena.data() + plan_.offset(n.inputs[0]),
                       model_.value(n.inputs[0]).quant.zero_point,
                       model_.value(n.inputs[0]).shape.elements(), m.golden_acc.data());
    m.geo.slack(m.golden_acc.data(), golden_.arena.data() + plan_.offset(n.output),
                m.slack_lo.data(), m.slack_hi.data());
  }
}

uint8_t IntervalBounds::golden_byte(int value, int64_t element) const {
  return exec_.value(golden_, value)[static_cast<size_t>(element)];
}

void IntervalBounds::widen(int value, int64_t element, uint8_t lo, uint8_t hi) {
  const size_t at = plan_.offset(value) + static_cast<size_t>(element);
  lo_.arena[at] = lo;
  hi_.arena[at] = hi;
  if (lo == golden_.arena[at] && hi == golden_.arena[at]) return;
  changed_.add(value, element);
}

void IntervalBounds::propagate_mac(int node) {
  const QNode& n = model_.node(node);
  MacBounds& m = macs_[static_cast<size_t>(mac_index_[static_cast<size_t>(node)])];
  const int64_t channels = m.geo.channels(), positions = m.geo.positions();
  const size_t in_off = plan_.offset(n.inputs[0]);
  for (int32_t e : changed_.of(plan_.storage(n.inputs[0]))) {
    const int32_t g = golden_.arena[in_off + static_cast<size_t>(e)];
    const int32_t dl = lo_.arena[in_off + static_cast<size_t>(e)] - g;
    const int32_t dh = hi_.arena[in_off + static_cast<size_t>(e)] - g;
    m.geo.for_each_tap(e, [&](int64_t p, const int32_t* w, int64_t first, int64_t count) {
      const int64_t at = p * channels + first;
      fault::add_scaled_interval(m.dlo.data() + at, m.dhi.data() + at, w, count, dl, dh);
      if (m.touched_at[static_cast<size_t>(p)] != changed_.epoch()) {
        m.touched_at[static_cast<size_t>(p)] = changed_.epoch();
        m.touched.push_back(static_cast<int32_t>(p));
      }
    });
  }
  const qnn::QValue& out = model_.value(n.output);
  for (int32_t p : m.touched) {
    const auto base = static_cast<size_t>(p * channels);
    int32_t* dlo = m.dlo.data() + base;
    int32_t* dhi = m.dhi.data() + base;
    // Both ends inside the golden byte's range: the output keeps its golden byte.
    const bool lo_out = fault::flag_outside(dlo, m.slack_lo.data() + base, m.slack_hi.data() + base,
                                            m.flags_lo.data(), channels);
    const bool hi_out = fault::flag_outside(dhi, m.slack_lo.data() + base, m.slack_hi.data() + base,
                                            m.flags_hi.data(), channels);
    if (lo_out || hi_out) {
      for (int64_t c = 0; c < channels; ++c) {
        if (!m.flags_lo[static_cast<size_t>(c)] && !m.flags_hi[static_cast<size_t>(c)]) continue;
        const size_t pm = base + static_cast<size_t>(c);
        const QuantizedMultiplier& mult = n.multiplier[static_cast<size_t>(c)];
        uint8_t lo = n.out_min, hi = n.out_max;
        if (mult.multiplier >= 0) {  // requantization is monotone non-decreasing
          lo = qnn::requantize(clamp32(int64_t{m.golden_acc[pm]} + dlo[c]), mult,
                               out.quant.zero_point, n.out_min, n.out_max);
          hi = qnn::requantize(clamp32(int64_t{m.golden_acc[pm]} + dhi[c]), mult,
                               out.quant.zero_point, n.out_min, n.out_max);
        }
        widen(n.output, c * positions + p, lo, hi);
      }
    }
    std::fill(dlo, dlo + channels, 0);
    std::fill(dhi, dhi + channels, 0);
  }
  m.touched.clear();
}

void IntervalBounds::propagate_elementwise(int node) {
  const QNode& n = model_.node(node);
  const bool exact_rule = monotone(n);
  const bool pool = n.op == OpKind::kMaxPool || n.op == OpKind::kAveragePool;
  const int64_t in_width = pool ? model_.value(n.inputs[0]).shape[2] : 0;
  const int32_t pad_value = model_.value(n.inputs[0]).quant.zero_point;
  const size_t in_off = plan_.offset(n.inputs[0]);
  const auto& add = add_terms_[static_cast<size_t>(node)];
  const auto bound = [&](int64_t o) {
    if (!exact_rule) {
      widen(n.output, o, n.out_min, n.out_max);
    } else if (add) {
      const qnn::NodeIo& lo = lo_io_[static_cast<size_t>(node)];
      const qnn::NodeIo& hi = hi_io_[static_cast<size_t>(node)];
      widen(n.output, o, (*add)(lo.x[0][o], lo.x[1][o]), (*add)(hi.x[0][o], hi.x[1][o]));
    } else if (pool) {
      const fault::PoolRect w =
          pool_tables_[static_cast<size_t>(node)].window[static_cast<size_t>(o)];
      widen(n.output, o, fault::pooled_window(n, w, lo_.arena.data() + in_off, in_width, pad_value),
            fault::pooled_window(n, w, hi_.arena.data() + in_off, in_width, pad_value));
    } else {
      widen(n.output, o, qnn::element_reference(n, lo_io_[static_cast<size_t>(node)], o),
            qnn::element_reference(n, hi_io_[static_cast<size_t>(node)], o));
    }
  };
  const int64_t out_width = pool ? model_.value(n.output).shape[2] : 0;
  std::vector<uint64_t>& pool_done = pool_done_[static_cast<size_t>(node)];
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    for (int32_t e : changed_.of(plan_.storage(n.inputs[k]))) {
      if (pool) {
        const fault::PoolRect r =
            pool_tables_[static_cast<size_t>(node)].reach[static_cast<size_t>(e)];
        for (int64_t ry = 0; ry < r.rows; ++ry) {
          for (int64_t rx = 0; rx < r.cols; ++rx) {
            // Each output once per pass, however many of its window's inputs changed.
            const int64_t o = r.first + ry * out_width + rx;
            uint64_t& mark = pool_done[static_cast<size_t>(o)];
            if (mark == changed_.epoch()) continue;
            mark = changed_.epoch();
            bound(o);
          }
        }
      } else {
        bound(qnn::element_output_index(n, lo_io_[static_cast<size_t>(node)], k, e));
      }
    }
  }
}

IntervalBounds::Verdict IntervalBounds::bound(int value, int64_t element, uint8_t lo, uint8_t hi) {
  const int sv = plan_.storage(value);
  changed_.begin();
  widen(sv, element, lo, hi);
  int horizon = changed_.last_reader(sv);
  for (int i : plan_.cone(sv)) {
    if (i > horizon) break;
    const QNode& n = model_.node(i);
    bool fed = false;
    for (int in : n.inputs) fed = fed || !changed_.of(plan_.storage(in)).empty();
    if (!fed) continue;
    const size_t before = changed_.values().size();
    if (is_mac(n)) {
      propagate_mac(i);
    } else {
      propagate_elementwise(i);
    }
    if (changed_.values().size() > before) {
      horizon = std::max(horizon, changed_.last_reader(plan_.storage(n.output)));
    }
  }
  Verdict verdict = Verdict::kKept;
  if (!changed_.of(output_storage_).empty()) {
    const uint8_t* olo = lo_.arena.data() + plan_.offset(output_storage_);
    const uint8_t* ohi = hi_.arena.data() + plan_.offset(output_storage_);
    const int64_t classes = model_.output_elements();
    const int c = golden_top1_;
    bool kept = true, changed = false;
    for (int64_t j = 0; j < classes; ++j) {
      if (j == c) continue;
      // argmax takes the lowest index among equals: a class before c must stay strictly below c
      // for c to win, and wins as soon as it reaches c.
      kept = kept && (j < c ? olo[c] > ohi[j] : olo[c] >= ohi[j]);
      changed = changed || (j < c ? olo[j] >= ohi[c] : olo[j] > ohi[c]);
    }
    verdict = kept ? Verdict::kKept : changed ? Verdict::kChanged : Verdict::kUnknown;
  }
  restore();
  return verdict;
}

void IntervalBounds::restore() {
  changed_.clear([&](int v, int32_t e) {
    const size_t at = plan_.offset(v) + static_cast<size_t>(e);
    lo_.arena[at] = hi_.arena[at] = golden_.arena[at];
  });
}

}  // namespace hardy::analysis
