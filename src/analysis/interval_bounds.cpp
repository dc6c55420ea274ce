// IntervalBounds: interval bound propagation through the downstream cone of one neuron.
#include "hardy/analysis/interval_bounds.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <utility>

#include "hardy/core/isa.h"
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

// The lower end of Σ a_k·Δ_k over Δ_k ∈ [dl_k, dh_k]: Σ min(a_k·dl_k, a_k·dh_k), summed in eight
// fixed lanes, so every variant gives the same double.
HARDY_VECTOR_CLONES double interval_dot_low(const double* __restrict a, const double* __restrict dl,
                                            const double* __restrict dh, int64_t n) {
  std::array<double, 8> lane{};
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) {
    for (size_t i = 0; i < 8; ++i) {
      const int64_t x = k + static_cast<int64_t>(i);
      lane[i] += std::min(a[x] * dl[x], a[x] * dh[x]);
    }
  }
  for (; k < n; ++k) lane[static_cast<size_t>(k & 7)] += std::min(a[k] * dl[k], a[k] * dh[k]);
  return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

// y[k] −= e · x[k] for k < n.
HARDY_VECTOR_CLONES void subtract_scaled(double* __restrict y, const double* __restrict x, double e,
                                         int64_t n) {
  for (int64_t k = 0; k < n; ++k) y[k] -= e * x[k];
}

}  // namespace

IntervalBounds::IntervalBounds(const qnn::Int8Executor& exec, bool margins)
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
  beaten_.assign(static_cast<size_t>(model_.output_elements()), 0);
  margin_.assign(static_cast<size_t>(model_.output_elements()), 0.0);
  mac_index_.assign(nn, -1);
  pool_tables_.resize(nn);
  pool_done_.resize(nn);
  dense_.resize(nn);
  for (size_t i = 0; i < nn; ++i) {
    if (qnn::IntervalDense::applies(model_, static_cast<int>(i)))
      dense_[i].emplace(model_, static_cast<int>(i), exec_.isa());
    const QNode& n = model_.nodes[i];
    if (n.op == OpKind::kMaxPool || n.op == OpKind::kAveragePool) {
      pool_tables_[i] =
          fault::pool_tables(n, model_.value(n.inputs[0]).shape, model_.value(n.output).shape);
    }
    if (n.op == OpKind::kMaxPool || n.op == OpKind::kAveragePool ||
        n.op == OpKind::kGlobalAveragePool)
      pool_done_[i].assign(static_cast<size_t>(model_.value(n.output).shape.elements()), 0);
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
    m.flagged.assign(static_cast<size_t>(m.geo.channels()), 0);
    m.vector_requant = std::all_of(n.multiplier.begin(), n.multiplier.end(), plain_scaling);
    for (const QuantizedMultiplier& mult : n.multiplier) {
      m.mult.push_back(mult.multiplier);
      m.rshift.push_back(-mult.shift);
    }
    m.bytes_lo.assign(static_cast<size_t>(m.geo.channels()), 0);
    m.bytes_hi.assign(static_cast<size_t>(m.geo.channels()), 0);
    macs_.push_back(std::move(m));
  }
  // The logits' node and the hidden node before it, when they are Dense nodes whose
  // requantization is a plain scaling: margins can be bounded through them.
  const auto plain_dense = [&](int node) {
    if (node < 0 || model_.node(node).op != OpKind::kDense) return false;
    const auto& mults = model_.node(node).multiplier;
    return std::all_of(mults.begin(), mults.end(), plain_scaling);
  };
  const auto scales = [&](int node, std::vector<double>& scale, std::vector<double>& rounding) {
    for (const QuantizedMultiplier& mult : model_.node(node).multiplier) {
      scale.push_back(real_multiplier(mult));
      rounding.push_back(multiply_rounding_bound(mult));
    }
  };
  const int last = plan_.writer(model_.output);
  if (!margins || !plain_dense(last)) return;
  margin_node_ = last;
  scales(last, margin_scale_, margin_rounding_);
  const QNode& n = model_.node(last);
  double abs_weights = 0;
  for (int8_t w : n.weight.data) abs_weights += std::abs(static_cast<double>(w));
  margin_abs_bound_ =
      2 * *std::max_element(margin_scale_.begin(), margin_scale_.end()) * 255 * abs_weights;
  const int hidden = plan_.writer(n.inputs[0]);
  if (!plain_dense(hidden)) return;
  hidden_node_ = hidden;
  scales(hidden, hidden_scale_, hidden_rounding_);
  const std::vector<int8_t>& w = model_.node(hidden).weight.data;
  hidden_weights_.assign(w.begin(), w.end());
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
  for (size_t i = 0; i < dense_.size(); ++i) {
    if (dense_[i] && plan_.runs(static_cast<int>(i)))
      dense_[i]->set_golden(golden_.arena.data() + plan_.offset(model_.nodes[i].inputs[0]));
  }
  if (margin_node_ >= 0) prepare_margins();
}

void IntervalBounds::prepare_margins() {
  // Per class j ≠ c: the margin's coefficient per logits input, M_c·w_c − M_j·w_j, and its golden
  // value less the two roundings and the slack for floating-point sums (far above their rounding
  // error, far below 1).
  const QNode& out = model_.node(margin_node_);
  const MacBounds& mo = macs_[static_cast<size_t>(mac_index_[static_cast<size_t>(margin_node_)])];
  const int64_t classes = out.weight.shape[0], units = out.reduction_size();
  const int c = golden_top1_;
  const double mc = margin_scale_[static_cast<size_t>(c)];
  margin_coef_.assign(static_cast<size_t>(classes * units), 0.0);
  margin_base_.assign(static_cast<size_t>(classes), 0.0);
  for (int64_t j = 0; j < classes; ++j) {
    if (j == c) continue;
    const auto sj = static_cast<size_t>(j);
    const double mj = margin_scale_[sj];
    for (int64_t l = 0; l < units; ++l) {
      margin_coef_[static_cast<size_t>(j * units + l)] =
          mc * out.weight.data[static_cast<size_t>(c * units + l)] -
          mj * out.weight.data[static_cast<size_t>(j * units + l)];
    }
    const double golden = mc * mo.golden_acc[static_cast<size_t>(c)] - mj * mo.golden_acc[sj];
    margin_base_[sj] = golden - 1e-6 * (1.0 + std::abs(golden) + margin_abs_bound_) -
                       margin_rounding_[static_cast<size_t>(c)] - margin_rounding_[sj];
  }
  if (hidden_node_ < 0) return;
  const QNode& h = model_.node(hidden_node_);
  const MacBounds& mh = macs_[static_cast<size_t>(mac_index_[static_cast<size_t>(hidden_node_)])];
  const int64_t inputs = h.reduction_size();
  const uint8_t* g2 = golden_.arena.data() + plan_.offset(h.output);
  const int32_t zp2 = model_.value(h.output).quant.zero_point;
  hidden_linear_.assign(static_cast<size_t>(units), 0);
  hidden_rho_.assign(static_cast<size_t>(units), 0.0);
  hidden_const_.assign(static_cast<size_t>(classes), 0.0);
  through_hidden_.assign(static_cast<size_t>(classes * inputs), 0.0);
  for (int64_t l = 0; l < units; ++l) {
    const auto sl = static_cast<size_t>(l);
    hidden_linear_[sl] = g2[l] > h.out_min && g2[l] < h.out_max;
    hidden_rho_[sl] = mh.golden_acc[sl] * hidden_scale_[sl] + zp2 - g2[l];
  }
  for (int64_t j = 0; j < classes; ++j) {
    if (j == c) continue;
    double* row = through_hidden_.data() + j * inputs;
    for (int64_t l = 0; l < units; ++l) {
      if (!hidden_linear_[static_cast<size_t>(l)]) continue;
      const double coef = margin_coef_[static_cast<size_t>(j * units + l)];
      hidden_const_[static_cast<size_t>(j)] +=
          coef * hidden_rho_[static_cast<size_t>(l)] -
          std::abs(coef) * hidden_rounding_[static_cast<size_t>(l)];
      const double scaled = coef * hidden_scale_[static_cast<size_t>(l)];
      const int8_t* w2 = h.weight.data.data() + l * inputs;
      for (int64_t k = 0; k < inputs; ++k) row[k] += scaled * w2[k];
    }
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

void IntervalBounds::widen_outside(const QNode& n, MacBounds& m, int64_t p, int64_t first,
                                   int64_t count, const int32_t* dlo, const int32_t* dhi) {
  const auto base = static_cast<size_t>(p * m.geo.channels() + first);
  // Both ends inside the golden byte's range: the output keeps its golden byte.
  const bool lo_out = fault::flag_outside(dlo, m.slack_lo.data() + base, m.slack_hi.data() + base,
                                          m.flags_lo.data(), count);
  const bool hi_out = fault::flag_outside(dhi, m.slack_lo.data() + base, m.slack_hi.data() + base,
                                          m.flags_hi.data(), count);
  if (!lo_out && !hi_out) return;
  const qnn::QValue& out = model_.value(n.output);
  // The flagged channels, listed without a branch per channel (about half are flagged: a branch
  // would mispredict often).
  int32_t* flagged = m.flagged.data();
  int64_t n_flagged = 0;
  for (int64_t k = 0; k < count; ++k) {
    flagged[n_flagged] = static_cast<int32_t>(k);
    n_flagged += m.flags_lo[static_cast<size_t>(k)] | m.flags_hi[static_cast<size_t>(k)];
  }
  if (m.vector_requant && n_flagged >= 4) {
    const int32_t* acc = m.golden_acc.data() + base;
    const auto f0 = static_cast<size_t>(first);
    fault::requantize_sums(acc, dlo, m.mult.data() + f0, m.rshift.data() + f0, out.quant.zero_point,
                           n.out_min, n.out_max, m.bytes_lo.data(), count);
    fault::requantize_sums(acc, dhi, m.mult.data() + f0, m.rshift.data() + f0, out.quant.zero_point,
                           n.out_min, n.out_max, m.bytes_hi.data(), count);
    for (int64_t f = 0; f < n_flagged; ++f) {
      const auto k = static_cast<size_t>(flagged[f]);
      widen(n.output, (first + flagged[f]) * m.geo.positions() + p, m.bytes_lo[k], m.bytes_hi[k]);
    }
    return;
  }
  for (int64_t f = 0; f < n_flagged; ++f) {
    const int64_t k = flagged[f];
    const size_t pm = base + static_cast<size_t>(k);
    const int64_t c = first + k;
    const QuantizedMultiplier& mult = n.multiplier[static_cast<size_t>(c)];
    uint8_t lo = n.out_min, hi = n.out_max;
    if (mult.multiplier >= 0) {  // requantization is monotone non-decreasing
      lo = qnn::requantize(clamp32(int64_t{m.golden_acc[pm]} + dlo[k]), mult, out.quant.zero_point,
                           n.out_min, n.out_max);
      hi = qnn::requantize(clamp32(int64_t{m.golden_acc[pm]} + dhi[k]), mult, out.quant.zero_point,
                           n.out_min, n.out_max);
    }
    widen(n.output, c * m.geo.positions() + p, lo, hi);
  }
}

void IntervalBounds::propagate_dense(int node, qnn::IntervalDense& dense) {
  const QNode& n = model_.node(node);
  const size_t in_off = plan_.offset(n.inputs[0]), out_off = plan_.offset(n.output);
  uint8_t* lo = lo_.arena.data() + out_off;
  uint8_t* hi = hi_.arena.data() + out_off;
  dense.bounds_changed(lo_.arena.data() + in_off, hi_.arena.data() + in_off,
                       changed_.of(plan_.storage(n.inputs[0])), lo, hi);
  const uint8_t* golden = golden_.arena.data() + out_off;
  const int out = plan_.storage(n.output);
  for (int64_t o = 0; o < dense.outputs(); ++o) {
    if (lo[o] != golden[o] || hi[o] != golden[o]) changed_.add(out, o);
  }
}

void IntervalBounds::propagate_mac(int node) {
  const QNode& n = model_.node(node);
  const std::vector<int32_t>& inputs = changed_.of(plan_.storage(n.inputs[0]));
  // Several changed inputs of a Dense node: all outputs at once, from the changed inputs' groups
  // of 4 on the packed dot products (qnn::IntervalDense; about a quarter of the instructions of
  // bounding input by input, which remains the way for a single input).
  auto& dense = dense_[static_cast<size_t>(node)];
  if (dense && inputs.size() > 1) {
    propagate_dense(node, *dense);
    return;
  }
  MacBounds& m = macs_[static_cast<size_t>(mac_index_[static_cast<size_t>(node)])];
  const int64_t channels = m.geo.channels();
  const size_t in_off = plan_.offset(n.inputs[0]);
  if (inputs.size() == 1 && m.vector_requant) {
    // One changed input (the neuron itself, or a single change reaching this node): each output
    // position's bounds straight from its taps, no sums to gather first.
    const int32_t e = inputs[0];
    const int32_t g = golden_.arena[in_off + static_cast<size_t>(e)];
    const int32_t dl = lo_.arena[in_off + static_cast<size_t>(e)] - g;
    const int32_t dh = hi_.arena[in_off + static_cast<size_t>(e)] - g;
    const qnn::QValue& out = model_.value(n.output);
    m.geo.for_each_tap(e, [&](int64_t p, const int32_t* w, int64_t first, int64_t count) {
      const auto base = static_cast<size_t>(p * channels + first);
      const auto f0 = static_cast<size_t>(first);
      const fault::ScaledOutputs outputs{w,
                                         m.golden_acc.data() + base,
                                         m.slack_lo.data() + base,
                                         m.slack_hi.data() + base,
                                         m.mult.data() + f0,
                                         m.rshift.data() + f0,
                                         out.quant.zero_point,
                                         n.out_min,
                                         n.out_max,
                                         count};
      const int64_t moved = fault::bound_scaled_outputs(outputs, dl, dh, m.bytes_lo.data(),
                                                        m.bytes_hi.data(), m.flagged.data());
      for (int64_t f = 0; f < moved; ++f) {
        const auto c = static_cast<size_t>(m.flagged[static_cast<size_t>(f)]);
        widen(n.output, (first + static_cast<int64_t>(c)) * m.geo.positions() + p, m.bytes_lo[c],
              m.bytes_hi[c]);
      }
    });
    return;
  }
  for (int32_t e : inputs) {
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
  for (int32_t p : m.touched) {
    const auto base = static_cast<size_t>(p * channels);
    int32_t* dlo = m.dlo.data() + base;
    int32_t* dhi = m.dhi.data() + base;
    widen_outside(n, m, p, 0, channels, dlo, dhi);
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
  if (pool) {
    // Each output once per pass, however many of its window's inputs changed: the outputs are
    // listed first, without a branch per input (which output is new is not predictable).
    const int64_t out_width = model_.value(n.output).shape[2];
    std::vector<uint64_t>& pool_done = pool_done_[static_cast<size_t>(node)];
    const fault::PoolTables& tables = pool_tables_[static_cast<size_t>(node)];
    // One slot more than the outputs: every candidate is written before it is counted, so the
    // candidates after the last new output still write one past the listed ones.
    pooled_.resize(pool_done.size() + 1);
    size_t listed = 0;
    for (int32_t e : changed_.of(plan_.storage(n.inputs[0]))) {
      const fault::PoolRect r = tables.reach[static_cast<size_t>(e)];
      for (int64_t ry = 0; ry < r.rows; ++ry) {
        for (int64_t rx = 0; rx < r.cols; ++rx) {
          const auto o = static_cast<int32_t>(r.first + ry * out_width + rx);
          uint64_t& mark = pool_done[static_cast<size_t>(o)];
          pooled_[listed] = o;
          listed += mark != changed_.epoch() ? 1 : 0;
          mark = changed_.epoch();
        }
      }
    }
    // Each listed output's bounds go into the arenas (golden bytes where it keeps them, a no-op);
    // the ones that changed are then listed, again without a branch each.
    const fault::PoolTables& windows = pool_tables_[static_cast<size_t>(node)];
    const size_t out_off = plan_.offset(n.output);
    const uint8_t* lo_in = lo_.arena.data() + in_off;
    const uint8_t* hi_in = hi_.arena.data() + in_off;
    size_t moved = 0;
    for (size_t i = 0; i < listed; ++i) {
      const int32_t o = pooled_[i];
      const fault::PoolRect w = windows.window[static_cast<size_t>(o)];
      const uint8_t lo = fault::pooled_window(n, w, lo_in, in_width, pad_value);
      const uint8_t hi = fault::pooled_window(n, w, hi_in, in_width, pad_value);
      const size_t at = out_off + static_cast<size_t>(o);
      lo_.arena[at] = lo;
      hi_.arena[at] = hi;
      pooled_[moved] = o;
      moved += (lo != golden_.arena[at]) | (hi != golden_.arena[at]);
    }
    for (size_t i = 0; i < moved; ++i) changed_.add(n.output, pooled_[i]);
    return;
  }
  if (n.op == OpKind::kGlobalAveragePool) {
    // Many inputs feed one output, which costs a whole channel to bound: once per pass.
    std::vector<uint64_t>& done = pool_done_[static_cast<size_t>(node)];
    for (int32_t e : changed_.of(plan_.storage(n.inputs[0]))) {
      const int64_t o = qnn::element_output_index(n, lo_io_[static_cast<size_t>(node)], 0, e);
      if (std::exchange(done[static_cast<size_t>(o)], changed_.epoch()) != changed_.epoch())
        bound(o);
    }
    return;
  }
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    for (int32_t e : changed_.of(plan_.storage(n.inputs[k])))
      bound(qnn::element_output_index(n, lo_io_[static_cast<size_t>(node)], k, e));
  }
}

IntervalBounds::Verdict IntervalBounds::bound(int value, int64_t element, uint8_t lo, uint8_t hi) {
  const int sv = plan_.storage(value);
  changed_.begin();
  widen(sv, element, lo, hi);
  int horizon = changed_.last_reader(sv);
  bool logits_computed = false;  // the logits' node ran: their changes all come from its inputs
  bool hidden_computed = false;  // likewise the hidden layer before it
  for (int i : plan_.cone(sv)) {
    if (i > horizon) break;
    const QNode& n = model_.node(i);
    bool fed = false;
    for (int in : n.inputs) fed = fed || !changed_.of(plan_.storage(in)).empty();
    if (!fed) continue;
    const size_t before = changed_.values().size();
    if (is_mac(n)) {
      propagate_mac(i);
      logits_computed = logits_computed || i == margin_node_;
      hidden_computed = hidden_computed || i == hidden_node_;
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
      const bool below = j < c ? olo[c] > ohi[j] : olo[c] >= ohi[j];
      beaten_[static_cast<size_t>(j)] = below;
      kept = kept && below;
      changed = changed || (j < c ? olo[j] >= ohi[c] : olo[j] > ohi[c]);
    }
    if (!kept && !changed && logits_computed) kept = margins_keep_top1(olo, ohi, hidden_computed);
    verdict = kept ? Verdict::kKept : changed ? Verdict::kChanged : Verdict::kUnknown;
  }
  restore();
  return verdict;
}

bool IntervalBounds::margins_keep_top1(const uint8_t* olo, const uint8_t* ohi,
                                       bool through_hidden) {
  const QNode& n = model_.node(margin_node_);
  const MacBounds& m = macs_[static_cast<size_t>(mac_index_[static_cast<size_t>(margin_node_)])];
  const int64_t classes = m.geo.channels();
  const int c = golden_top1_;
  // The logits' real values u_x = acc_x · M_x + zp are within ε_x = multiply_rounding_bound of
  // their rounded bytes r_x, and clamping is monotone: if u_c − u_j > ε_c + ε_j over the whole
  // box, r_c > r_j, so q_c ≥ q_j, and q_c > q_j unless both clamp to the same end, which the
  // intervals exclude (j's upper end below out_max, c's lower end above out_min). For a class
  // after c, u_c − u_j > ε_c + ε_j − 1 gives r_c ≥ r_j, enough.
  const int64_t units = n.reduction_size();
  input_deltas(n.inputs[0], units);
  const double *dl = delta_lo_.data(), *dh = delta_hi_.data();
  for (int64_t j = 0; j < classes; ++j) {
    if (beaten_[static_cast<size_t>(j)] || j == c) continue;
    margin_[static_cast<size_t>(j)] =
        interval_dot_low(margin_coef_.data() + j * units, dl, dh, units);
  }
  // Marks the classes whose margin bound now keeps them below c; whether any is left.
  const auto beat = [&]() {
    bool left = false;
    for (int64_t j = 0; j < classes; ++j) {
      const auto sj = static_cast<size_t>(j);
      if (beaten_[sj] || j == c) continue;
      const double low = margin_base_[sj] + margin_[sj];
      beaten_[sj] = j < c ? low > 0.0 && ohi[j] < n.out_max && olo[c] > n.out_min : low > -1.0;
      left = left || !beaten_[sj];
    }
    return left;
  };
  if (!beat()) return true;
  if (!through_hidden || hidden_node_ < 0) return false;
  hidden_margins(classes);  // only for the classes left
  return !beat();
}

void IntervalBounds::hidden_margins(int64_t classes) {
  const QNode& h = model_.node(hidden_node_);
  const int64_t units = h.weight.shape[0], inputs = h.reduction_size();
  const int c = golden_top1_;
  const size_t h_off = plan_.offset(h.output);
  // Units that leave the linear relation in this pass (clamped somewhere in their interval), and
  // units outside it from the start that changed: both bounded by their intervals instead.
  box_units_.clear();
  exceptions_.clear();
  for (int32_t l : changed_.of(plan_.storage(h.output))) {
    const uint8_t lo = lo_.arena[h_off + static_cast<size_t>(l)];
    const uint8_t hi = hi_.arena[h_off + static_cast<size_t>(l)];
    if (hidden_linear_[static_cast<size_t>(l)] && (lo == h.out_min || hi == h.out_max))
      exceptions_.push_back(l);
    if (!hidden_linear_[static_cast<size_t>(l)] || lo == h.out_min || hi == h.out_max)
      box_units_.push_back(l);
  }
  input_deltas(h.inputs[0], inputs);
  const double *dl = delta_lo_.data(), *dh = delta_hi_.data();
  // Per class left: its coefficient per hidden input, through the linear units less the
  // exceptions.
  const auto left = [&](int64_t j) { return !beaten_[static_cast<size_t>(j)] && j != c; };
  if (!exceptions_.empty()) {
    coef_rows_.resize(static_cast<size_t>(classes * inputs));
    for (int64_t j = 0; j < classes; ++j) {
      if (!left(j)) continue;
      std::copy(through_hidden_.data() + j * inputs, through_hidden_.data() + (j + 1) * inputs,
                coef_rows_.data() + j * inputs);
    }
    for (int32_t l : exceptions_) {
      const double* w = hidden_weights_.data() + static_cast<int64_t>(l) * inputs;
      for (int64_t j = 0; j < classes; ++j) {
        if (!left(j)) continue;
        subtract_scaled(coef_rows_.data() + j * inputs, w,
                        margin_coef_[static_cast<size_t>(j * units + l)] *
                            hidden_scale_[static_cast<size_t>(l)],
                        inputs);
      }
    }
  }
  for (int64_t j = 0; j < classes; ++j) {
    if (!left(j)) continue;
    const double* coef = margin_coef_.data() + j * units;
    const double* row =
        (exceptions_.empty() ? through_hidden_.data() : coef_rows_.data()) + j * inputs;
    double low = hidden_const_[static_cast<size_t>(j)] + interval_dot_low(row, dl, dh, inputs);
    for (int32_t l : exceptions_)
      low -= coef[l] * hidden_rho_[static_cast<size_t>(l)] -
             std::abs(coef[l]) * hidden_rounding_[static_cast<size_t>(l)];
    for (int32_t l : box_units_) {
      const int32_t g = golden_.arena[h_off + static_cast<size_t>(l)];
      const double el = lo_.arena[h_off + static_cast<size_t>(l)] - g;
      const double eh = hi_.arena[h_off + static_cast<size_t>(l)] - g;
      low += std::min(coef[l] * el, coef[l] * eh);
    }
    margin_[static_cast<size_t>(j)] = std::max(margin_[static_cast<size_t>(j)], low);
  }
}

void IntervalBounds::input_deltas(int value, int64_t n) {
  const size_t off = plan_.offset(value);
  delta_lo_.resize(static_cast<size_t>(n));
  delta_hi_.resize(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) {
    const int32_t g = golden_.arena[off + static_cast<size_t>(k)];
    delta_lo_[static_cast<size_t>(k)] = lo_.arena[off + static_cast<size_t>(k)] - g;
    delta_hi_[static_cast<size_t>(k)] = hi_.arena[off + static_cast<size_t>(k)] - g;
  }
}

void IntervalBounds::restore() {
  changed_.clear([&](int v, int32_t e) {
    const size_t at = plan_.offset(v) + static_cast<size_t>(e);
    lo_.arena[at] = hi_.arena[at] = golden_.arena[at];
  });
}

}  // namespace hardy::analysis
