// FaultPropagator: golden cache, delta propagation through the cone, early stop, restore.
#include "hardy/fault/propagator.h"

#include <algorithm>
#include <array>
#include <bit>
#include <climits>
#include <cstring>
#include <utility>

#include "hardy/core/error.h"
#include "hardy/qnn/reference_kernels.h"

namespace hardy::fault {

using qnn::OpKind;
using qnn::QNode;

namespace {

bool is_mac(const QNode& n) { return n.op == OpKind::kConv || n.op == OpKind::kDense; }

}  // namespace

FaultPropagator::FaultPropagator(const qnn::Int8Executor& exec)
    : exec_(exec),
      model_(exec.model()),
      plan_(exec.plan()),
      golden_(exec.make_workspace()),
      work_(exec.make_workspace()),
      changed_(model_, plan_),
      add_terms_(qnn::add_terms_by_node(model_)) {
  const size_t nn = model_.nodes.size();
  for (size_t i = 0; i < nn; ++i) {
    golden_io_.push_back(exec_.node_io(static_cast<int>(i), golden_));
    work_io_.push_back(exec_.node_io(static_cast<int>(i), work_));
  }
  output_storage_ = plan_.storage(model_.output);
  // Changed inputs from which running the node's kernel whole is cheaper than following them one
  // by one: a Conv/Dense delta costs the changed inputs' fan-out in int32 lanes, the kernel the
  // node's MACs in int8 VNNI lanes (about 4x denser); element-wise nodes, an eighth of the input.
  dense_threshold_.assign(nn, 0);
  for (size_t i = 0; i < nn; ++i) {
    const QNode& n = model_.nodes[i];
    const int64_t in_elements = model_.value(n.inputs[0]).shape.elements();
    const int64_t out_elements = model_.value(n.output).shape.elements();
    int64_t threshold = in_elements / 8;
    if (is_mac(n)) {
      int64_t fan_out = out_elements;  // Dense: every output
      if (n.op == OpKind::kConv) {
        const qnn::WindowParams& w = n.window;
        fan_out =
            n.weight.shape[0] / w.groups *
            std::max<int64_t>(1, int64_t{w.kernel_h} * w.kernel_w / (w.stride_h * w.stride_w));
      }
      threshold = out_elements * n.reduction_size() / (8 * fan_out);
    }
    dense_threshold_[i] = std::max<int64_t>(1, threshold);
  }
  pool_tables_.resize(nn);
  pooled_channels_.resize(nn);
  for (size_t i = 0; i < nn; ++i) {
    const QNode& n = model_.nodes[i];
    if (n.op == OpKind::kGlobalAveragePool)
      pooled_channels_[i].assign(static_cast<size_t>(model_.value(n.output).shape.elements()), 0);
    if (n.op == OpKind::kMaxPool || n.op == OpKind::kAveragePool) {
      pool_tables_[i] =
          pool_tables(n, model_.value(n.inputs[0]).shape, model_.value(n.output).shape);
    }
  }
  mac_index_.assign(nn, -1);
  for (size_t i = 0; i < nn; ++i) {
    const QNode& n = model_.nodes[i];
    if (!is_mac(n)) continue;
    mac_index_[i] = static_cast<int>(macs_.size());
    MacLayer m(MacGeometry(model_, static_cast<int>(i)));
    const auto outputs = static_cast<size_t>(m.geo.outputs());
    m.delta.assign(outputs, 0);
    m.golden_acc.assign(outputs, 0);
    m.slack_lo.assign(outputs, 0);
    m.slack_hi.assign(outputs, 0);
    m.flags.assign(outputs + 8, 0);  // + 8: read eight at a time
    m.touched_at.assign(static_cast<size_t>(m.geo.positions()), 0);
    macs_.push_back(std::move(m));
  }
}

void FaultPropagator::set_image(std::span<const uint8_t> image) {
  exec_.run(image, golden_);
  std::copy(golden_.arena.begin(), golden_.arena.end(), work_.arena.begin());
  const auto out = golden_output();
  golden_top1_ = qnn::argmax(out.data(), static_cast<int64_t>(out.size()));
  memo_.clear();
  for (MacLayer& m : macs_) {
    m.acc_ready = false;
    m.acc_rent = 0;
  }
}

void FaultPropagator::ensure_golden_accumulators(MacLayer& m, int64_t wanted) {
  if (m.acc_ready) return;
  // Rent or buy: single scalar look-ups (K MACs each) until they would cost about as much as the
  // whole layer computed by vector scatter (outputs · K / 8).
  if ((m.acc_rent + wanted) * 8 < m.geo.outputs()) return;
  const QNode& n = model_.node(m.geo.node());
  m.geo.accumulators(n, golden_.arena.data() + plan_.offset(n.inputs[0]),
                     model_.value(n.inputs[0]).quant.zero_point,
                     model_.value(n.inputs[0]).shape.elements(), m.golden_acc.data());
  m.geo.slack(m.golden_acc.data(), golden_.arena.data() + plan_.offset(n.output), m.slack_lo.data(),
              m.slack_hi.data());
  m.acc_ready = true;
}

int32_t FaultPropagator::golden_acc_pm(MacLayer& m, int64_t position, int64_t channel) {
  if (m.acc_ready) return m.golden_acc[static_cast<size_t>(position * m.geo.channels() + channel)];
  ++m.acc_rent;
  return qnn::accumulator_reference(model_.node(m.geo.node()),
                                    golden_io_[static_cast<size_t>(m.geo.node())],
                                    channel * m.geo.positions() + position);
}

int32_t FaultPropagator::golden_accumulator(int node, int64_t element) {
  MacLayer& m = macs_[static_cast<size_t>(mac_index_[static_cast<size_t>(node)])];
  return golden_acc_pm(m, element % m.geo.positions(), element / m.geo.positions());
}

void FaultPropagator::record_change(int value, int64_t element, uint8_t faulty) {
  work_.arena[plan_.offset(value) + static_cast<size_t>(element)] = faulty;
  changed_.add(value, element);
}

void FaultPropagator::touch_position(MacLayer& m, int64_t position) {
  uint64_t& at = m.touched_at[static_cast<size_t>(position)];
  if (at != changed_.epoch()) {
    at = changed_.epoch();
    m.touched.push_back(static_cast<int32_t>(position));
  }
}

void FaultPropagator::scatter_input(MacLayer& m, int64_t element, int32_t dx) {
  const int64_t channels = m.geo.channels();
  m.geo.for_each_tap(element, [&](int64_t p, const int32_t* w, int64_t first, int64_t count) {
    add_scaled(m.delta.data() + p * channels + first, w, count, dx);
    touch_position(m, p);
  });
}

void FaultPropagator::settle(MacLayer& m, int64_t channels_per_position) {
  const QNode& n = model_.node(m.geo.node());
  const qnn::QValue& out = model_.value(n.output);
  const uint8_t* golden = golden_.arena.data() + plan_.offset(n.output);
  ensure_golden_accumulators(m, static_cast<int64_t>(m.touched.size()) * channels_per_position);
  // The exact rule for one output: requantize golden acc + delta (int64: no wrap-around).
  const auto requantize_changed = [&](int64_t p, int64_t c, int32_t d) {
    const int64_t o = c * m.geo.positions() + p;
    const int64_t acc = int64_t{golden_acc_pm(m, p, c)} + d;
    const uint8_t b = qnn::requantize(
        static_cast<int32_t>(std::clamp<int64_t>(acc, INT32_MIN, INT32_MAX)),
        n.multiplier[static_cast<size_t>(c)], out.quant.zero_point, n.out_min, n.out_max);
    if (b != golden[o]) record_change(n.output, o, b);
  };
  // Touched positions come in runs of consecutive ones (a kernel row): each run is checked as one
  // span of outputs.
  const auto& touched = m.touched;
  for (size_t t = 0; t < touched.size();) {
    size_t end = t + 1;
    while (end < touched.size() && touched[end] == touched[end - 1] + 1) ++end;
    const int64_t first = touched[t], count = static_cast<int64_t>(end - t);
    t = end;
    const size_t base = static_cast<size_t>(first * m.geo.channels());
    const int64_t n_out = count * m.geo.channels();
    int32_t* delta = m.delta.data() + base;
    if (!m.acc_ready) {
      for (int64_t i = 0; i < n_out; ++i) {
        if (delta[i] != 0)
          requantize_changed(first + i / m.geo.channels(), i % m.geo.channels(), delta[i]);
      }
    } else if (flag_outside(delta, m.slack_lo.data() + base, m.slack_hi.data() + base,
                            m.flags.data(), n_out)) {
      // Flags are scanned eight at a time: most words are zero.
      for (int64_t i0 = 0; i0 < n_out; i0 += 8) {
        uint64_t word = 0;
        std::memcpy(&word, m.flags.data() + i0, 8);
        if (n_out - i0 < 8) word &= (uint64_t{1} << (8 * (n_out - i0))) - 1;  // past the span
        for (; word != 0; word &= word - 1) {
          const int64_t i = i0 + std::countr_zero(word) / 8;
          if (delta[i] != 0)
            requantize_changed(first + i / m.geo.channels(), i % m.geo.channels(), delta[i]);
        }
      }
    }
    std::fill(delta, delta + n_out, 0);
  }
  m.touched.clear();
}

void FaultPropagator::recompute_elementwise(int node) {
  // Inputs are final when a node is reached (topological order), so each affected output is
  // recomputed as soon as it is found; one fed by several changed inputs is recomputed again,
  // to the same byte, and listed once by record_change.
  const QNode& n = model_.node(node);
  const uint8_t* golden = golden_.arena.data() + plan_.offset(n.output);
  const qnn::NodeIo& io = work_io_[static_cast<size_t>(node)];
  const auto update = [&](int64_t o, uint8_t b) {
    if (b != golden[o]) record_change(n.output, o, b);
  };
  if (n.op == OpKind::kMaxPool || n.op == OpKind::kAveragePool) {
    recompute_pool(node);
    return;
  }
  if (const auto& add = add_terms_[static_cast<size_t>(node)]) {
    for (size_t k = 0; k < 2; ++k) {
      for (int32_t e : changed_.of(plan_.storage(n.inputs[k])))
        update(e, (*add)(io.x[0][e], io.x[1][e]));
    }
    return;
  }
  if (n.op == OpKind::kGlobalAveragePool) {
    // Many inputs feed one output, which costs a whole channel to recompute: once per fault.
    std::vector<uint64_t>& done = pooled_channels_[static_cast<size_t>(node)];
    for (int32_t e : changed_.of(plan_.storage(n.inputs[0]))) {
      const int64_t o = qnn::element_output_index(n, io, 0, e);
      if (std::exchange(done[static_cast<size_t>(o)], changed_.epoch()) != changed_.epoch())
        update(o, qnn::element_reference(n, io, o));
    }
    return;
  }
  // By input position, not value: one value may be passed twice (Concat, Add, Minimum).
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    for (int32_t e : changed_.of(plan_.storage(n.inputs[k]))) {
      const int64_t o = qnn::element_output_index(n, io, k, e);
      update(o, qnn::element_reference(n, io, o));
    }
  }
}

void FaultPropagator::recompute_pool(int node) {
  const QNode& n = model_.node(node);
  const int64_t in_width = model_.value(n.inputs[0]).shape[2];
  const int64_t out_width = model_.value(n.output).shape[2];
  const uint8_t* golden_in = golden_.arena.data() + plan_.offset(n.inputs[0]);
  const uint8_t* work_in = work_.arena.data() + plan_.offset(n.inputs[0]);
  const uint8_t* golden = golden_.arena.data() + plan_.offset(n.output);
  uint8_t* work = work_.arena.data() + plan_.offset(n.output);
  const PoolTables& tables = pool_tables_[static_cast<size_t>(node)];
  const auto set = [&](int64_t o, uint8_t b) {
    if (b != golden[o]) {
      record_change(n.output, o, b);
    } else {
      work[o] = b;
    }
  };
  const int32_t pad_value = model_.value(n.inputs[0]).quant.zero_point;
  const auto window = [&](int64_t o) {
    return pooled_window(n, tables.window[static_cast<size_t>(o)], work_in, in_width, pad_value);
  };
  const bool max_pool = n.op == OpKind::kMaxPool;
  for (int32_t e : changed_.of(plan_.storage(n.inputs[0]))) {
    const PoolRect r = tables.reach[static_cast<size_t>(e)];
    for (int64_t ry = 0; ry < r.rows; ++ry) {
      for (int64_t rx = 0; rx < r.cols; ++rx) {
        const int64_t o = r.first + ry * out_width + rx;
        if (!max_pool) {
          set(o, window(o));
          continue;
        }
        // The window's maximum changes only by an input rising above it, or by its golden
        // maximum falling; the window is read again only in the second case. Several changed
        // inputs of one window leave the same result in any order (inputs are final here).
        const uint8_t v = work_in[e], g = golden_in[e];
        if (v > work[o]) {
          set(o, v);
        } else if (v < g && g == golden[o]) {
          set(o, window(o));
        }
      }
    }
  }
}

void FaultPropagator::recompute_dense(int node) {
  // The node's optimized kernel over the working arena, then the outputs that differ from golden.
  exec_.run_node(node, work_);
  const int out = model_.node(node).output;
  const size_t off = plan_.offset(out);
  const auto n = static_cast<size_t>(model_.value(out).shape.elements());
  const uint8_t* golden = golden_.arena.data() + off;
  const uint8_t* work = work_.arena.data() + off;
  for (size_t o = 0; o < n; ++o) {
    if (work[o] != golden[o]) record_change(out, static_cast<int64_t>(o), work[o]);
  }
}

uint64_t FaultPropagator::sole_live_change(int after) const {
  uint64_t key = 0;
  for (int v : changed_.values()) {
    if (v == output_storage_) return 0;              // nothing left to propagate
    if (changed_.last_reader(v) <= after) continue;  // dead: no reader left
    const auto& changed = changed_.of(v);
    if (key != 0 || changed.size() != 1) return 0;
    key = OutcomeMemo::key(v, changed[0],
                           work_.arena[plan_.offset(v) + static_cast<size_t>(changed[0])]);
  }
  return key;
}

bool FaultPropagator::recall(int after, Outcome& outcome) {
  if (!memoize_) return false;
  const uint64_t key = sole_live_change(after);
  if (key == 0 || (!memo_keys_.empty() && memo_keys_.back() == key)) return false;
  const OutcomeMemo::Entry* e = memo_.find(key);
  if (e == nullptr || (capture_ && e->output() < 0)) {
    memo_keys_.push_back(key);
    return false;
  }
  outcome = e->outcome();
  if (capture_) {
    const auto out = memo_.output(e->output());
    last_output_.assign(out.begin(), out.end());
  }
  ++memo_hits_;
  restore();
  return true;
}

Outcome FaultPropagator::propagate(int value) {
  memo_keys_.clear();
  Outcome outcome = Outcome::kMasked;
  if (recall(-1, outcome)) return outcome;
  int horizon = -1;
  for (int v : changed_.values()) horizon = std::max(horizon, changed_.last_reader(v));
  for (int i : plan_.cone(value)) {
    if (i > horizon) break;  // no changed value is read from here on: the rest is golden
    const QNode& n = model_.node(i);
    bool fed = false;
    for (int in : n.inputs) fed = fed || !changed_.of(plan_.storage(in)).empty();
    if (!fed) continue;
    const size_t dirty_before = changed_.values().size();
    int64_t changed_inputs = 0;
    for (int in : n.inputs) {
      changed_inputs += static_cast<int64_t>(changed_.of(plan_.storage(in)).size());
    }
    if (changed_inputs >= dense_threshold_[static_cast<size_t>(i)]) {
      recompute_dense(i);
    } else if (is_mac(n)) {
      MacLayer& m = macs_[static_cast<size_t>(mac_index_[static_cast<size_t>(i)])];
      const int sv = plan_.storage(n.inputs[0]);
      const uint8_t* golden_in = golden_.arena.data() + plan_.offset(n.inputs[0]);
      const uint8_t* work_in = work_.arena.data() + plan_.offset(n.inputs[0]);
      for (int32_t e : changed_.of(sv)) {
        const int32_t dx = int32_t{work_in[e]} - int32_t{golden_in[e]};
        if (dx != 0) scatter_input(m, e, dx);
      }
      settle(m, m.geo.channels());
    } else {
      recompute_elementwise(i);
    }
    if (changed_.values().size() > dirty_before) {
      horizon = std::max(horizon, changed_.last_reader(plan_.storage(n.output)));
    }
    if (recall(i, outcome)) return outcome;
  }
  if (!changed_.of(output_storage_).empty()) {
    outcome = classify(golden_output(), exec_.output(work_), golden_top1_);
  }
  if (capture_) {
    const auto out = exec_.output(work_);
    last_output_.assign(out.begin(), out.end());
  }
  for (uint64_t key : memo_keys_) {
    memo_.insert(key, outcome,
                 capture_ ? std::span<const uint8_t>(last_output_) : std::span<const uint8_t>());
  }
  restore();
  return outcome;
}

Outcome FaultPropagator::masked_outcome() {
  if (capture_) {
    const auto out = golden_output();
    last_output_.assign(out.begin(), out.end());
  }
  return Outcome::kMasked;
}

void FaultPropagator::restore() {
  changed_.clear([&](int v, int32_t e) {
    const size_t at = plan_.offset(v) + static_cast<size_t>(e);
    work_.arena[at] = golden_.arena[at];
  });
}

Outcome FaultPropagator::inject_neuron(int value, int64_t element, uint8_t faulty) {
  const int sv = plan_.storage(value);
  changed_.begin();
  if (faulty != golden_byte(sv, element)) record_change(sv, element, faulty);
  return changed_.values().empty() ? masked_outcome() : propagate(sv);
}

Outcome FaultPropagator::inject_weight(int node, int64_t index, int8_t faulty) {
  const QNode& n = model_.node(node);
  HARDY_CHECK(is_mac(n));
  MacLayer& m = macs_[static_cast<size_t>(mac_index_[static_cast<size_t>(node)])];
  const int32_t dw = int32_t{faulty} - int32_t{n.weight[index]};
  changed_.begin();
  if (dw != 0) {
    const uint8_t* x = golden_.arena.data() + plan_.offset(n.inputs[0]);
    const int32_t zx = model_.value(n.inputs[0]).quant.zero_point;
    const int64_t oc = index / n.reduction_size(), r = index % n.reduction_size();
    if (m.geo.dense()) {
      m.delta[static_cast<size_t>(oc)] += dw * (int32_t{x[r]} - zx);
      touch_position(m, 0);
    } else {
      const qnn::WindowParams& w = n.window;
      const Shape &is = model_.value(n.inputs[0]).shape, &os = model_.value(n.output).shape;
      const int64_t h = is[1], wd = is[2], oh = os[1], ow = os[2];
      const int64_t icg = is[0] / w.groups, ocg = m.geo.channels() / w.groups;
      const int64_t cl = r / (w.kernel_h * w.kernel_w), ky = r / w.kernel_w % w.kernel_h,
                    kx = r % w.kernel_w;
      const int64_t ic = oc / ocg * icg + cl;
      for (int64_t oy = 0; oy < oh; ++oy) {
        const int64_t iy = oy * w.stride_h - w.pad_top + ky;
        if (iy < 0 || iy >= h) continue;
        for (int64_t ox = 0; ox < ow; ++ox) {
          const int64_t ix = ox * w.stride_w - w.pad_left + kx;
          if (ix < 0 || ix >= wd) continue;
          const int64_t p = oy * ow + ox;
          m.delta[static_cast<size_t>(p * m.geo.channels() + oc)] +=
              dw * (int32_t{x[(ic * h + iy) * wd + ix]} - zx);
          touch_position(m, p);
        }
      }
    }
    settle(m, 1);  // one channel: one accumulator per position
  }
  return changed_.values().empty() ? masked_outcome() : propagate(n.output);
}

Outcome FaultPropagator::inject_accumulator(int node, int64_t element, int32_t faulty) {
  const QNode& n = model_.node(node);
  HARDY_CHECK(is_mac(n));
  changed_.begin();
  const uint8_t b = qnn::requantize_output(n, model_.value(n.output), element, faulty);
  if (b != golden_byte(n.output, element)) record_change(n.output, element, b);
  return changed_.values().empty() ? masked_outcome() : propagate(n.output);
}

std::vector<uint8_t> reference_faulty_output(qnn::Int8Executor& exec,
                                             std::span<const uint8_t> image,
                                             const ReferenceFault& fault) {
  const qnn::QModel& m = exec.model();
  const qnn::ExecutionPlan& plan = exec.plan();
  auto ws = exec.make_workspace();
  if (fault.where == ReferenceFault::Where::kWeight) {
    const int8_t saved = exec.weight(fault.node, fault.element);
    exec.set_weight(fault.node, fault.element, static_cast<int8_t>(fault.faulty));
    exec.run(image, ws);
    exec.set_weight(fault.node, fault.element, saved);
  } else {
    const int value =
        fault.where == ReferenceFault::Where::kNeuron ? fault.value : m.node(fault.node).output;
    const int writer = plan.writer(value);
    const auto in = exec.value(ws, m.input);
    std::copy(image.begin(), image.end(), in.begin());
    for (int i : plan.schedule()) {
      if (i > writer) break;
      exec.run_node(i, ws);
    }
    auto bytes = exec.value(ws, value);
    if (fault.where == ReferenceFault::Where::kNeuron) {
      bytes[static_cast<size_t>(fault.element)] = static_cast<uint8_t>(fault.faulty);
    } else {
      bytes[static_cast<size_t>(fault.element)] =
          exec.requantize_accumulator(fault.node, fault.element, fault.faulty);
    }
    for (int i : plan.schedule()) {
      if (i > writer) exec.run_node(i, ws);
    }
  }
  const auto out = exec.output(ws);
  return {out.begin(), out.end()};
}

}  // namespace hardy::fault
