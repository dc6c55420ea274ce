// FaultPropagator: golden cache, delta propagation through the cone, early stop, restore.
#include "hardy/fault/propagator.h"

#include <algorithm>

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
      work_(exec.make_workspace()) {
  const size_t nv = model_.values.size(), nn = model_.nodes.size();
  for (size_t i = 0; i < nn; ++i) {
    golden_io_.push_back(exec_.node_io(static_cast<int>(i), golden_));
    work_io_.push_back(exec_.node_io(static_cast<int>(i), work_));
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
  golden_acc_.resize(nn);
  acc_ready_.assign(nn, 0);
  acc_rent_.assign(nn, 0);
  delta_.resize(nn);
  for (size_t i = 0; i < nn; ++i) {
    if (!is_mac(model_.nodes[i])) continue;
    const auto outputs = static_cast<size_t>(model_.value(model_.nodes[i].output).shape.elements());
    golden_acc_[i].assign(outputs, 0);
    delta_[i].assign(outputs, 0);
  }
}

void FaultPropagator::set_image(std::span<const uint8_t> image) {
  exec_.run(image, golden_);
  std::copy(golden_.arena.begin(), golden_.arena.end(), work_.arena.begin());
  const auto out = golden_output();
  golden_top1_ = qnn::argmax(out.data(), static_cast<int64_t>(out.size()));
  std::fill(acc_ready_.begin(), acc_ready_.end(), 0);
  std::fill(acc_rent_.begin(), acc_rent_.end(), 0);
}

void FaultPropagator::ensure_golden_accumulators(int node, int64_t wanted) {
  const auto i = static_cast<size_t>(node);
  if (acc_ready_[i]) return;
  const QNode& n = model_.nodes[i];
  const auto outputs = static_cast<int64_t>(golden_acc_[i].size());
  // Rent or buy: single look-ups until they would cost as much as the whole layer.
  if ((acc_rent_[i] + wanted) * n.reduction_size() < outputs * n.reduction_size()) return;
  for (int64_t o = 0; o < outputs; ++o) {
    golden_acc_[i][static_cast<size_t>(o)] = qnn::accumulator_reference(n, golden_io_[i], o);
  }
  acc_ready_[i] = 1;
}

int32_t FaultPropagator::golden_accumulator(int node, int64_t element) {
  const auto i = static_cast<size_t>(node);
  if (acc_ready_[i]) return golden_acc_[i][static_cast<size_t>(element)];
  ++acc_rent_[i];
  return qnn::accumulator_reference(model_.nodes[i], golden_io_[i], element);
}

void FaultPropagator::record_change(int value, int64_t element, uint8_t faulty) {
  const auto v = static_cast<size_t>(value);
  work_.arena[plan_.offset(value) + static_cast<size_t>(element)] = faulty;
  if (changes_[v].empty()) dirty_values_.push_back(value);
  if (marked_[v][static_cast<size_t>(element)] != epoch_) {
    marked_[v][static_cast<size_t>(element)] = epoch_;
    changes_[v].push_back(static_cast<int32_t>(element));
  }
}

void FaultPropagator::touch(int node, int64_t output, int32_t delta) {
  int32_t& d = delta_[static_cast<size_t>(node)][static_cast<size_t>(output)];
  // A zero delta may still be a touched output; touched_ may hold duplicates, settled once.
  if (d == 0) touched_.push_back(static_cast<int32_t>(output));
  d += delta;
}

void FaultPropagator::add_input_delta(int node, int64_t element, int32_t dx) {
  const QNode& n = model_.node(node);
  if (n.op == OpKind::kDense) {
    const int64_t k = n.weight.shape[1], outs = n.weight.shape[0];
    const int8_t* w = n.weight.data.data() + element;
    for (int64_t o = 0; o < outs; ++o) touch(node, o, int32_t{w[o * k]} * dx);
    return;
  }
  const qnn::WindowParams& win = n.window;
  const Shape &is = model_.value(n.inputs[0]).shape, &os = model_.value(n.output).shape;
  const int64_t h = is[1], wd = is[2], oh = os[1], ow = os[2];
  const int64_t icg = is[0] / win.groups, ocg = os[0] / win.groups;
  const int64_t c = element / (h * wd), iy = element / wd % h, ix = element % wd;
  const int64_t g = c / icg, cl = c % icg;
  for (int64_t ky = 0; ky < win.kernel_h; ++ky) {
    const int64_t ty = iy + win.pad_top - ky;
    if (ty < 0 || ty % win.stride_h) continue;
    const int64_t oy = ty / win.stride_h;
    if (oy >= oh) continue;
    for (int64_t kx = 0; kx < win.kernel_w; ++kx) {
      const int64_t tx = ix + win.pad_left - kx;
      if (tx < 0 || tx % win.stride_w) continue;
      const int64_t ox = tx / win.stride_w;
      if (ox >= ow) continue;
      for (int64_t oc = g * ocg; oc < (g + 1) * ocg; ++oc) {
        const int8_t w = n.weight[((oc * icg + cl) * win.kernel_h + ky) * win.kernel_w + kx];
        touch(node, (oc * oh + oy) * ow + ox, int32_t{w} * dx);
      }
    }
  }
}

void FaultPropagator::settle_mac_outputs(int node) {
  const auto i = static_cast<size_t>(node);
  const QNode& n = model_.nodes[i];
  const qnn::QValue& out = model_.value(n.output);
  const uint8_t* golden = golden_.arena.data() + plan_.offset(n.output);
  ensure_golden_accumulators(node, static_cast<int64_t>(touched_.size()));
  for (int32_t o : touched_) {
    int32_t& d = delta_[i][static_cast<size_t>(o)];
    if (d == 0) continue;  // cancelled out, or a duplicate already settled
    const int32_t acc = golden_accumulator(node, o) + d;
    d = 0;
    const uint8_t b = qnn::requantize_output(n, out, o, acc);
    if (b != golden[o]) record_change(n.output, o, b);
  }
  touched_.clear();
}

void FaultPropagator::recompute_elementwise(int node) {
  const QNode& n = model_.node(node);
  const auto out_v = static_cast<size_t>(n.output);
  const Shape& os = model_.value(n.output).shape;
  const uint8_t* golden = golden_.arena.data() + plan_.offset(n.output);
  // Affected outputs are listed in touched_ (deduplicated with the output value's marks, which
  // this node's output cannot have yet: it is written only here).
  const uint64_t stamp = ++epoch_;
  auto& mark = marked_[out_v];
  const auto add = [&](int64_t o) {
    if (mark[static_cast<size_t>(o)] != stamp) {
      mark[static_cast<size_t>(o)] = stamp;
      touched_.push_back(static_cast<int32_t>(o));
    }
  };
  for (int in : n.inputs) {
    const auto sv = static_cast<size_t>(plan_.storage(in));
    for (int32_t e : changes_[sv]) {
      if (n.op == OpKind::kMaxPool || n.op == OpKind::kAveragePool) {
        const qnn::WindowParams& w = n.window;
        const Shape& is = model_.value(in).shape;
        const int64_t h = is[1], wd = is[2], oh = os[1], ow = os[2];
        const int64_t c = e / (h * wd), iy = e / wd % h, ix = e % wd;
        // oy·stride − pad ≤ iy ≤ oy·stride − pad + kernel − 1
        const int64_t ty = iy + w.pad_top, tx = ix + w.pad_left;
        const int64_t oy0 = std::max<int64_t>(0, (ty - w.kernel_h + w.stride_h) / w.stride_h);
        const int64_t oy1 = std::min<int64_t>(oh - 1, ty / w.stride_h);
        const int64_t ox0 = std::max<int64_t>(0, (tx - w.kernel_w + w.stride_w) / w.stride_w);
        const int64_t ox1 = std::min<int64_t>(ow - 1, tx / w.stride_w);
        for (int64_t oy = oy0; oy <= oy1; ++oy) {
          for (int64_t ox = ox0; ox <= ox1; ++ox) add((c * oh + oy) * ow + ox);
        }
      } else if (n.op == OpKind::kGlobalAveragePool) {
        const Shape& is = model_.value(in).shape;
        add(e / (is[1] * is[2]));
      } else {
        add(e);
      }
    }
  }
  // The output value's marks now hold `stamp`; record_change must not mistake them for this
  // fault's listing, so changes are recorded with a fresh epoch afterwards.
  std::vector<int32_t> outputs;
  outputs.swap(touched_);
  ++epoch_;
  for (int32_t o : outputs) {
    const uint8_t b = qnn::element_reference(n, work_io_[static_cast<size_t>(node)], o);
    if (b != golden[o]) record_change(n.output, o, b);
  }
  outputs.clear();
  touched_.swap(outputs);
}

Outcome FaultPropagator::propagate(int value) {
  int horizon = -1;
  for (int v : dirty_values_) horizon = std::max(horizon, last_reader_[static_cast<size_t>(v)]);
  for (int i : plan_.cone(value)) {
    if (i > horizon) break;  // no changed value is read from here on: the rest is golden
    const QNode& n = model_.node(i);
    bool fed = false;
    for (int in : n.inputs) fed = fed || !changes_[static_cast<size_t>(plan_.storage(in))].empty();
    if (!fed) continue;
    const size_t dirty_before = dirty_values_.size();
    if (is_mac(n)) {
      const auto sv = static_cast<size_t>(plan_.storage(n.inputs[0]));
      const uint8_t* golden_in = golden_.arena.data() + plan_.offset(n.inputs[0]);
      const uint8_t* work_in = work_.arena.data() + plan_.offset(n.inputs[0]);
      for (int32_t e : changes_[sv]) {
        const int32_t dx = int32_t{work_in[e]} - int32_t{golden_in[e]};
        if (dx != 0) add_input_delta(i, e, dx);
      }
      settle_mac_outputs(i);
    } else {
      recompute_elementwise(i);
    }
    if (dirty_values_.size() > dirty_before) {
      horizon = std::max(horizon, last_reader_[static_cast<size_t>(plan_.storage(n.output))]);
    }
  }
  Outcome outcome = Outcome::kMasked;
  if (!changes_[static_cast<size_t>(output_storage_)].empty()) {
    outcome = classify(golden_output(), exec_.output(work_), golden_top1_);
  }
  if (capture_) {
    const auto out = exec_.output(work_);
    last_output_.assign(out.begin(), out.end());
  }
  restore();
  return outcome;
}

void FaultPropagator::restore() {
  for (int v : dirty_values_) {
    const size_t off = plan_.offset(v);
    for (int32_t e : changes_[static_cast<size_t>(v)]) {
      work_.arena[off + static_cast<size_t>(e)] = golden_.arena[off + static_cast<size_t>(e)];
    }
    changes_[static_cast<size_t>(v)].clear();
  }
  dirty_values_.clear();
}

Outcome FaultPropagator::inject_neuron(int value, int64_t element, uint8_t faulty) {
  const int sv = plan_.storage(value);
  ++epoch_;
  if (faulty != golden_byte(sv, element)) record_change(sv, element, faulty);
  if (dirty_values_.empty()) {
    if (capture_) {
      const auto out = golden_output();
      last_output_.assign(out.begin(), out.end());
    }
    return Outcome::kMasked;
  }
  return propagate(sv);
}

Outcome FaultPropagator::inject_weight(int node, int64_t index, int8_t faulty) {
  const QNode& n = model_.node(node);
  HARDY_CHECK(is_mac(n));
  const int32_t dw = int32_t{faulty} - int32_t{n.weight[index]};
  ++epoch_;
  if (dw != 0) {
    const uint8_t* x = golden_.arena.data() + plan_.offset(n.inputs[0]);
    const int32_t zx = model_.value(n.inputs[0]).quant.zero_point;
    const int64_t k = n.reduction_size(), oc = index / k, r = index % k;
    if (n.op == OpKind::kDense) {
      touch(node, oc, dw * (int32_t{x[r]} - zx));
    } else {
      const qnn::WindowParams& w = n.window;
      const Shape &is = model_.value(n.inputs[0]).shape, &os = model_.value(n.output).shape;
      const int64_t h = is[1], wd = is[2], oh = os[1], ow = os[2];
      const int64_t icg = is[0] / w.groups, ocg = os[0] / w.groups;
      const int64_t cl = r / (w.kernel_h * w.kernel_w), ky = r / w.kernel_w % w.kernel_h,
                    kx = r % w.kernel_w;
      const int64_t ic = oc / ocg * icg + cl;
      for (int64_t oy = 0; oy < oh; ++oy) {
        const int64_t iy = oy * w.stride_h - w.pad_top + ky;
        if (iy < 0 || iy >= h) continue;
        for (int64_t ox = 0; ox < ow; ++ox) {
          const int64_t ix = ox * w.stride_w - w.pad_left + kx;
          if (ix < 0 || ix >= wd) continue;
          touch(node, (oc * oh + oy) * ow + ox, dw * (int32_t{x[(ic * h + iy) * wd + ix]} - zx));
        }
      }
    }
    settle_mac_outputs(node);
  }
  if (dirty_values_.empty()) {
    if (capture_) {
      const auto out = golden_output();
      last_output_.assign(out.begin(), out.end());
    }
    return Outcome::kMasked;
  }
  return propagate(n.output);
}

Outcome FaultPropagator::inject_accumulator(int node, int64_t element, int32_t faulty) {
  const QNode& n = model_.node(node);
  HARDY_CHECK(is_mac(n));
  ++epoch_;
  const uint8_t b = qnn::requantize_output(n, model_.value(n.output), element, faulty);
  if (b != golden_byte(n.output, element)) record_change(n.output, element, b);
  if (dirty_values_.empty()) {
    if (capture_) {
      const auto out = golden_output();
      last_output_.assign(out.begin(), out.end());
    }
    return Outcome::kMasked;
  }
  return propagate(n.output);
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
