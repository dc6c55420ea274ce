// ByteBatch: the faulty bytes of one neuron followed together through its downstream cone, one lane
// per byte.
#include "hardy/analysis/byte_batch.h"

#include <algorithm>
#include <bit>
#include <limits>

#include "hardy/core/error.h"
#include "hardy/qnn/reference_kernels.h"
#include "lane_kernels.h"

namespace hardy::analysis {

using qnn::OpKind;

static_assert(detail::kLaneStride == ByteBatch::kMaxLanes, "a lane row is one Lanes row");

namespace {

// The operators a batch follows.
bool followed_op(OpKind op) {
  switch (op) {
    case OpKind::kAdd:
    case OpKind::kConv:
    case OpKind::kDense:
    case OpKind::kMaxPool:
    case OpKind::kAveragePool:
    case OpKind::kGlobalAveragePool:
    case OpKind::kRelu:
    case OpKind::kClip:
    case OpKind::kFlatten:
    case OpKind::kConcat:
    case OpKind::kMinimum:
    case OpKind::kMaximum:
      return true;
    default:
      return false;
  }
}

}  // namespace

uint8_t* ByteBatch::Lanes::add(int32_t element) {
  int32_t& s = slot[static_cast<size_t>(element)];
  if (s < 0) {
    s = static_cast<int32_t>(elements.size());
    elements.push_back(element);
    if (bytes.size() < elements.size() * kMaxLanes) bytes.resize(elements.size() * kMaxLanes * 2);
  }
  return bytes.data() + static_cast<size_t>(s) * kMaxLanes;
}

void ByteBatch::Lanes::reset() {
  for (int32_t e : elements) slot[static_cast<size_t>(e)] = -1;
  elements.clear();
}

ByteBatch::ByteBatch(const qnn::Int8Executor& exec, Isa isa)
    : model_(exec.model()),
      plan_(exec.plan()),
      isa_(isa),
      cones_(model_.values.size()),
      changes_(model_.values.size()),
      current_(model_.values.size(), nullptr),
      macs_(model_.nodes.size()),
      pools_(model_.nodes.size()),
      adds_(model_.nodes.size()),
      concats_(model_.nodes.size()) {
  // Values are tracked by their storage (a Flatten copy is its source; it never runs).
  size_t widest = 0;
  last_reader_.assign(model_.values.size(), -1);
  for (size_t v = 0; v < model_.values.size(); ++v) {
    for (int r : plan_.readers(static_cast<int>(v))) last_reader_[v] = std::max(last_reader_[v], r);
  }
  const int output = plan_.storage(model_.output);
  for (size_t v = 0; v < model_.values.size(); ++v) {
    const std::vector<int>& cone = plan_.cone(static_cast<int>(v));
    if (plan_.storage(static_cast<int>(v)) == output || !plan_.readers(output).empty() ||
        cone.empty() || plan_.storage(model_.node(cone.back()).output) != output)
      continue;
    // (QModel::validate checked every node's number of inputs.)
    const bool followed = std::all_of(cone.begin(), cone.end(),
                                      [&](int node) { return followed_op(model_.node(node).op); });
    if (!followed) continue;
    cones_[v] = cone;
    for (int node : cone) {
      const qnn::QNode& n = model_.node(node);
      if ((n.op == OpKind::kConv || n.op == OpKind::kDense) && !macs_[static_cast<size_t>(node)])
        add_mac(node);
      if ((n.op == OpKind::kMaxPool || n.op == OpKind::kAveragePool) &&
          pools_[static_cast<size_t>(node)].window.empty()) {
        pools_[static_cast<size_t>(node)] =
            fault::pool_tables(n, model_.value(n.inputs[0]).shape, model_.value(n.output).shape);
      }
      if (n.op == OpKind::kAdd && !adds_[static_cast<size_t>(node)]) {
        adds_[static_cast<size_t>(node)].emplace(n, model_.value(n.inputs[0]),
                                                 model_.value(n.inputs[1]), model_.value(n.output));
      }
      if (n.op == OpKind::kConcat && concats_[static_cast<size_t>(node)].offset.empty())
        add_concat(node);
    }
  }
  for (size_t v = 0; v < model_.values.size(); ++v) {
    const auto n = static_cast<size_t>(model_.value(static_cast<int>(v)).shape.elements());
    widest = std::max(widest, n);
    changes_[v].slot.assign(n, -1);
  }
  block_of_.assign(widest, 0);
  moved_.assign(widest, 0);
  mark_.assign(widest, 0);
}

void ByteBatch::add_mac(int node) {
  const qnn::QNode& n = model_.node(node);
  Mac& m = macs_[static_cast<size_t>(node)].emplace(fault::MacGeometry(model_, node));
  m.plain = true;
  for (const QuantizedMultiplier& q : n.multiplier) {
    m.plain = m.plain && plain_scaling(q);
    m.mult.push_back(q.multiplier);
    m.rshift.push_back(-q.shift);
  }
  // Each changed input's Δacc is summed per output position (and group) like a Dense's, from the
  // weights transposed: one row per (group, reduction index), the group's channels. A Conv's
  // groups of fewer than kGatheredGroup channels (depthwise) scatter the changed inputs instead.
  const int64_t groups = m.geo.groups(), group_channels = m.geo.channels() / groups;
  if (!m.geo.dense() && group_channels < kGatheredGroup) return;
  const int64_t reduction = n.reduction_size();
  dense_deltas_.resize(
      std::max(dense_deltas_.size(), static_cast<size_t>(group_channels) * kMaxLanes));
  m.out_pitch = (group_channels + 63) / 64 * 64;
  m.weights_t.assign(static_cast<size_t>((groups * reduction + 1) * m.out_pitch), 0);
  for (int64_t c = 0; c < m.geo.channels(); ++c) {
    const int64_t g = c / group_channels;
    for (int64_t i = 0; i < reduction; ++i) {
      m.weights_t[static_cast<size_t>((g * reduction + i) * m.out_pitch + c - g * group_channels)] =
          n.weight[c * reduction + i];
    }
  }
}

void ByteBatch::add_concat(int node) {
  const qnn::QNode& n = model_.node(node);
  Concat& c = concats_[static_cast<size_t>(node)];
  int64_t offset = 0;
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    const qnn::QValue& in = model_.value(n.inputs[k]);
    c.offset.push_back(offset);
    offset += in.shape.elements();
    for (int q = 0; q < 256; ++q)
      c.bytes.push_back(
          qnn::concat_byte(n, in, model_.value(n.output), k, static_cast<uint8_t>(q)));
  }
}

void ByteBatch::set_image(const fault::FaultPropagator& sim) {
  sim_ = &sim;
  for (auto& m : macs_) {
    if (m) m->ready = false;
  }
}

ByteBatch::Mac& ByteBatch::ready_mac(int node) {
  Mac& m = *macs_[static_cast<size_t>(node)];
  if (m.ready) return m;
  const qnn::QNode& n = model_.node(node);
  const auto outputs = static_cast<size_t>(m.geo.outputs());
  m.acc.resize(outputs);
  m.slack_lo.resize(outputs);
  m.slack_hi.resize(outputs);
  const qnn::QValue& in = model_.value(n.inputs[0]);
  m.geo.accumulators(n, sim_->golden_value(n.inputs[0]).data(), in.quant.zero_point,
                     in.shape.elements(), m.acc.data());
  m.geo.slack(m.acc.data(), sim_->golden_value(n.output).data(), m.slack_lo.data(),
              m.slack_hi.data());
  m.ready = true;
  work_ += m.geo.outputs() * n.reduction_size() / 16;  // once per image, in the batch needing it
  return m;
}

uint64_t ByteBatch::critical(int value, int64_t element, std::span<const uint8_t> bytes) {
  HARDY_CHECK(follows(value) && !bytes.empty() && bytes.size() <= size_t{kMaxBytes});
  const auto& cone = cones_[static_cast<size_t>(value)];
  lanes_ = static_cast<int>((bytes.size() + 16) / 16 * 16);
  work_ = 8;
  const int blocks = lanes_ / 16;
  // Every value the cone reads or writes starts golden (an Add may read a value upstream of
  // `value`, which an earlier call may have changed).
  for (int node : cone) {
    const qnn::QNode& n = model_.node(node);
    for (int v : n.inputs) current_[static_cast<size_t>(plan_.storage(v))] = nullptr;
    current_[static_cast<size_t>(n.output)] = nullptr;
  }
  const int start = plan_.storage(value);
  Lanes& first = changes_[static_cast<size_t>(start)];
  first.reset();
  uint8_t* row = first.add(static_cast<int32_t>(element));
  const uint8_t g = sim_->golden_byte(value, element);
  std::fill(row, row + kMaxLanes, g);
  std::copy(bytes.begin(), bytes.end(), row);
  current_[static_cast<size_t>(start)] = &first;
  // Values with changes that a node not yet run reads (or the output): none left, all masked.
  live_.assign(1, start);
  for (int node : cone) {
    const qnn::QNode& n = model_.node(node);
    ins_.clear();
    for (int v : n.inputs) ins_.push_back(current_[static_cast<size_t>(plan_.storage(v))]);
    if (std::all_of(ins_.begin(), ins_.end(), [](const Lanes* l) { return l == nullptr; }))
      continue;  // its inputs are golden: so is its output
    const Lanes* in = ins_[0];
    Lanes& out = changes_[static_cast<size_t>(n.output)];
    out.reset();
    switch (n.op) {
      case OpKind::kConv:
      case OpKind::kDense:
        run_mac(node, *in, out);
        break;
      case OpKind::kMaxPool:
      case OpKind::kAveragePool:
        run_pool(node, *in, out);
        break;
      case OpKind::kGlobalAveragePool:
        run_global_pool(node, *in, out);
        break;
      case OpKind::kAdd:
        run_add(node, ins_[0], ins_[1], out);
        break;
      case OpKind::kConcat:
        run_concat(node, out);
        break;
      case OpKind::kMinimum:
      case OpKind::kMaximum:
        run_extremum(node, out);
        break;
      default:
        if (n.out_min == 0 && n.out_max == 255) {  // the same bytes, the same elements
          current_[static_cast<size_t>(n.output)] = in;
          live_.push_back(n.output);
          continue;
        }
        run_clamp(node, *in, out);
        break;
    }
    work_ += static_cast<int64_t>(out.elements.size()) * blocks;
    if (!out.elements.empty()) {
      current_[static_cast<size_t>(n.output)] = &out;
      live_.push_back(n.output);
    }
    std::erase_if(live_, [&](int v) {
      return v != plan_.storage(model_.output) && last_reader_[static_cast<size_t>(v)] <= node;
    });
    if (live_.empty()) return 0;
  }
  const Lanes* logits_lanes = current_[static_cast<size_t>(plan_.storage(model_.output))];
  if (logits_lanes == nullptr) return 0;
  // The logits: each lane's top-1 against golden.
  const auto golden = sim_->golden_output();
  std::vector<uint8_t> logits(golden.begin(), golden.end());
  uint64_t critical = 0;
  for (size_t k = 0; k < bytes.size(); ++k) {
    for (size_t i = 0; i < logits_lanes->elements.size(); ++i)
      logits[static_cast<size_t>(logits_lanes->elements[i])] =
          logits_lanes->bytes[i * kMaxLanes + k];
    if (qnn::argmax(logits.data(), static_cast<int64_t>(logits.size())) != sim_->golden_top1())
      critical |= uint64_t{1} << k;
  }
  return critical;
}

int32_t* ByteBatch::position_block(int64_t position, int64_t channels) {
  const auto p = static_cast<size_t>(position);
  if (mark_[p] != epoch_) {
    mark_[p] = epoch_;
    block_of_[p] = static_cast<int32_t>(listed_.size());
    listed_.push_back(static_cast<int32_t>(position));
    // Blocks grow with the positions listed (zero, as between calls).
    const size_t needed = listed_.size() * static_cast<size_t>(channels) * kMaxLanes;
    if (blocks_.size() < needed) blocks_.resize(std::max(needed, 2 * blocks_.size()), 0);
  }
  return blocks_.data() +
         static_cast<size_t>(block_of_[p]) * static_cast<size_t>(channels) * kMaxLanes;
}

void ByteBatch::requantize_lanes(const qnn::QNode& n, const Mac& m, int64_t pm, int64_t channel,
                                 const int32_t* d, uint8_t* y) const {
  const int32_t zp = model_.value(n.output).quant.zero_point;
  const int32_t acc = m.acc[static_cast<size_t>(pm)];
  if (!m.plain) {
    for (int k = 0; k < lanes_; ++k) {
      const auto sum = static_cast<int32_t>(std::clamp<int64_t>(
          int64_t{acc} + d[k], std::numeric_limits<int32_t>::min(),
          std::numeric_limits<int32_t>::max()));  // saturated like requantize_lanes
      y[k] = qnn::requantize(sum, n.multiplier[static_cast<size_t>(channel)], zp, n.out_min,
                             n.out_max);
    }
    return;
  }
  fault::requantize_lanes(acc, d, m.mult[static_cast<size_t>(channel)],
                          m.rshift[static_cast<size_t>(channel)], zp, n.out_min, n.out_max, y,
                          lanes_, isa_);
}

void ByteBatch::run_mac(int node, const Lanes& in, Lanes& out) {
  const qnn::QNode& n = model_.node(node);
  Mac& m = ready_mac(node);
  const int64_t channels = m.geo.channels(), positions = m.geo.positions();
  const uint8_t* golden_in = sim_->golden_value(n.inputs[0]).data();
  if (in.elements.size() == 1) {
    // One changed input: each output it feeds moves by w · Δx, within the slack for every lane
    // when it is for the lanes' least and greatest Δx.
    const int32_t e = in.elements[0];
    int32_t dx[kMaxLanes], d[kMaxLanes];
    for (int k = 0; k < lanes_; ++k)
      dx[k] = int32_t{in.bytes[static_cast<size_t>(k)]} - golden_in[e];
    const int32_t dmin = *std::min_element(dx, dx + lanes_),
                  dmax = *std::max_element(dx, dx + lanes_);
    m.geo.for_each_tap(e, [&](int64_t p, const int32_t* w, int64_t first, int64_t count) {
      work_ += count + 1;
      for (int64_t i = 0; i < count; ++i) {
        const int64_t c = first + i, pm = p * channels + c;
        const int32_t a = w[i] * dmin, b = w[i] * dmax;
        if (std::min(a, b) >= m.slack_lo[static_cast<size_t>(pm)] &&
            std::max(a, b) <= m.slack_hi[static_cast<size_t>(pm)])
          continue;
        for (int k = 0; k < lanes_; ++k) d[k] = w[i] * dx[k];
        work_ += 4 * (lanes_ / 16);
        requantize_lanes(n, m, pm, c, d, out.add(static_cast<int32_t>(c * positions + p)));
      }
    });
    return;
  }
  if (!m.weights_t.empty()) {
    // Every output's sums over the changed inputs feeding it, each lane on its own bytes, less
    // the golden lane's: Δacc. A Conv's inputs are first grouped by the output position (and
    // group) they feed.
    if (m.geo.dense()) {
      rows_.clear();
      inputs_.clear();
      for (size_t s = 0; s < in.elements.size(); ++s) {
        rows_.push_back(in.bytes.data() + s * kMaxLanes);
        inputs_.push_back(in.elements[s]);
      }
      settle_position(n, m, 0, 0, 0, static_cast<int64_t>(rows_.size()), out);
      return;
    }
    group_by_position(m, in);
    const int64_t groups = m.geo.groups();
    for (size_t b = 0; b < listed_.size(); ++b) {
      settle_position(n, m, listed_[b] / groups, listed_[b] % groups, starts_[b],
                      starts_[b + 1] - starts_[b], out);
    }
    return;
  }
  // A Conv: each changed input's Δx scattered over the outputs it feeds, per lane.
  ++epoch_;
  listed_.clear();
  int32_t dx[kMaxLanes];
  for (size_t s = 0; s < in.elements.size(); ++s) {
    const int32_t e = in.elements[s];
    const uint8_t* x = in.bytes.data() + s * kMaxLanes;
    for (int k = 0; k < lanes_; ++k) dx[k] = int32_t{x[k]} - golden_in[e];
    m.geo.for_each_tap(e, [&](int64_t p, const int32_t* w, int64_t first, int64_t count) {
      work_ += count * (lanes_ / 16);
      detail::scatter_lanes(position_block(p, channels) + first * kMaxLanes, w, count, dx, lanes_);
    });
  }
  for (size_t b = 0; b < listed_.size(); ++b) {
    const int64_t p = listed_[b];
    int32_t* block = blocks_.data() + b * static_cast<size_t>(channels) * kMaxLanes;
    const int moved =
        detail::lanes_outside(block, channels, lanes_, m.slack_lo.data() + p * channels,
                              m.slack_hi.data() + p * channels, moved_.data());
    work_ += (2 * channels + 4 * moved) * (lanes_ / 16);
    for (int i = 0; i < moved; ++i) {
      const int64_t c = moved_[static_cast<size_t>(i)];
      requantize_lanes(n, m, p * channels + c, c, block + c * kMaxLanes,
                       out.add(static_cast<int32_t>(c * positions + p)));
    }
    for (int64_t c = 0; c < channels; ++c) std::fill_n(block + c * kMaxLanes, lanes_, 0);
  }
}

void ByteBatch::group_by_position(const Mac& m, const Lanes& in) {
  ++epoch_;
  listed_.clear();
  taps_.clear();
  const int64_t groups = m.geo.groups(), group_channels = m.geo.channels() / groups;
  // Each (changed input, tap) with the block of its position and group; then counted and placed
  // block by block.
  for (size_t s = 0; s < in.elements.size(); ++s) {
    m.geo.for_each_tap_row(in.elements[s], [&](int64_t p, int64_t row, int64_t first, int64_t) {
      const auto key = static_cast<size_t>(p * groups + first / group_channels);
      if (mark_[key] != epoch_) {
        mark_[key] = epoch_;
        block_of_[key] = static_cast<int32_t>(listed_.size());
        listed_.push_back(static_cast<int32_t>(key));
      }
      taps_.push_back({block_of_[key], static_cast<int32_t>(s), static_cast<int32_t>(row)});
    });
  }
  starts_.assign(listed_.size() + 1, 0);
  for (const Tap& t : taps_) ++starts_[static_cast<size_t>(t.block) + 1];
  for (size_t b = 0; b < listed_.size(); ++b) starts_[b + 1] += starts_[b];
  rows_.resize(taps_.size());
  inputs_.resize(taps_.size());
  fill_.assign(starts_.begin(), starts_.end() - 1);
  for (const Tap& t : taps_) {
    const auto at = static_cast<size_t>(fill_[static_cast<size_t>(t.block)]++);
    rows_[at] = in.bytes.data() + static_cast<size_t>(t.input) * kMaxLanes;
    inputs_[at] = t.row;
  }
  work_ += static_cast<int64_t>(taps_.size()) * 2;
}

void ByteBatch::settle_position(const qnn::QNode& n, const Mac& m, int64_t p, int64_t g,
                                int64_t first, int64_t count, Lanes& out) {
  const int64_t channels = m.geo.channels(), group_channels = channels / m.geo.groups();
  const int64_t base = p * channels + g * group_channels;  // the group's first output here
  int32_t* block = dense_deltas_.data();  // overwritten, unlike the Conv blocks (kept zero)
  const int moved = detail::dense_lane_deltas(
      {rows_.data() + first, inputs_.data() + first, count, m.weights_t.data(),
       m.geo.groups() * n.reduction_size(), group_channels, m.out_pitch, lanes_, block,
       m.slack_lo.data() + base, m.slack_hi.data() + base, moved_.data()},
      isa_);
  work_ += (count + 3) / 4 * (group_channels + m.out_pitch / 4) * (lanes_ / 16) +
           4 * moved * (lanes_ / 16) + group_channels;
  for (int i = 0; i < moved; ++i) {
    const int64_t j = moved_[static_cast<size_t>(i)], c = g * group_channels + j;
    requantize_lanes(n, m, base + j, c, block + j * kMaxLanes,
                     out.add(static_cast<int32_t>(c * m.geo.positions() + p)));
  }
}

void ByteBatch::run_pool(int node, const Lanes& in, Lanes& out) {
  const qnn::QNode& n = model_.node(node);
  const fault::PoolTables& t = pools_[static_cast<size_t>(node)];
  const qnn::QValue& iv = model_.value(n.inputs[0]);
  const int64_t width = iv.shape[2];
  const uint8_t* golden_in = sim_->golden_value(n.inputs[0]).data();
  const uint8_t* golden_out = sim_->golden_value(n.output).data();
  const bool max = n.op == OpKind::kMaxPool;
  ++epoch_;
  listed_.clear();
  for (int32_t e : in.elements) {
    const fault::PoolRect r = t.reach[static_cast<size_t>(e)];
    const int64_t ow = model_.value(n.output).shape[2];
    for (int64_t y = 0; y < r.rows; ++y) {
      for (int64_t x = 0; x < r.cols; ++x) {
        const int64_t o = r.first + y * ow + x;
        if (mark_[static_cast<size_t>(o)] != epoch_) {
          mark_[static_cast<size_t>(o)] = epoch_;
          listed_.push_back(static_cast<int32_t>(o));
        }
      }
    }
  }
  std::sort(listed_.begin(), listed_.end());
  int32_t sums[kMaxLanes];
  for (int32_t o : listed_) {
    const fault::PoolRect w = t.window[static_cast<size_t>(o)];
    work_ += (int64_t{w.rows} * w.cols + 2) * (lanes_ / 16);
    std::fill_n(sums, lanes_, 0);
    for (int64_t y = 0; y < w.rows; ++y) {
      for (int64_t x = 0; x < w.cols; ++x) {
        const int64_t e = w.first + y * width + x;
        const int32_t s = in.slot[static_cast<size_t>(e)];
        if (s < 0) {
          const int32_t b = golden_in[e];
          if (max) {
            for (int k = 0; k < lanes_; ++k) sums[k] = std::max(sums[k], b);
          } else {
            for (int k = 0; k < lanes_; ++k) sums[k] += b;
          }
        } else {
          const uint8_t* b = in.bytes.data() + static_cast<size_t>(s) * kMaxLanes;
          if (max) {
            for (int k = 0; k < lanes_; ++k) sums[k] = std::max<int32_t>(sums[k], b[k]);
          } else {
            for (int k = 0; k < lanes_; ++k) sums[k] += b[k];
          }
        }
      }
    }
    int32_t count = int32_t{w.rows} * w.cols;
    if (!max && n.window.count_include_pad) {
      const int32_t padded = n.window.kernel_h * n.window.kernel_w - count;
      for (int k = 0; k < lanes_; ++k) sums[k] += padded * iv.quant.zero_point;
      count += padded;
    }
    uint8_t y[kMaxLanes];
    if (max) {
      for (int k = 0; k < lanes_; ++k) y[k] = static_cast<uint8_t>(sums[k]);
    } else if ((count & (count - 1)) == 0) {  // rounded_mean's shift, hoisted out of the lanes
      const int shift = std::countr_zero(static_cast<uint32_t>(count));
      for (int k = 0; k < lanes_; ++k) y[k] = static_cast<uint8_t>((sums[k] + count / 2) >> shift);
    } else {
      for (int k = 0; k < lanes_; ++k) y[k] = fault::rounded_mean(sums[k], count);
    }
    int changed = 0;
    for (int k = 0; k < lanes_; ++k) changed |= y[k] ^ golden_out[o];
    if (changed != 0) std::copy_n(y, lanes_, out.add(o));
  }
}

void ByteBatch::run_global_pool(int node, const Lanes& in, Lanes& out) {
  const qnn::QNode& n = model_.node(node);
  const qnn::QValue& iv = model_.value(n.inputs[0]);
  const int64_t hw = iv.shape[1] * iv.shape[2];
  const uint8_t* golden_in = sim_->golden_value(n.inputs[0]).data();
  const uint8_t* golden_out = sim_->golden_value(n.output).data();
  ++epoch_;
  listed_.clear();
  for (int32_t e : in.elements) {
    const auto c = static_cast<int32_t>(e / hw);
    if (mark_[static_cast<size_t>(c)] != epoch_) {
      mark_[static_cast<size_t>(c)] = epoch_;
      listed_.push_back(c);
    }
  }
  std::sort(listed_.begin(), listed_.end());
  // Each listed channel's sum per lane: the golden sum, plus each changed input's Δ.
  sums_.resize(std::max(sums_.size(), listed_.size() * kMaxLanes));
  for (size_t i = 0; i < listed_.size(); ++i) {
    const int32_t c = listed_[i];
    block_of_[static_cast<size_t>(c)] = static_cast<int32_t>(i);
    int32_t golden_sum = 0;
    for (int64_t j = 0; j < hw; ++j) golden_sum += golden_in[c * hw + j];
    std::fill_n(sums_.data() + i * kMaxLanes, lanes_, golden_sum);
  }
  for (size_t s = 0; s < in.elements.size(); ++s) {
    const int32_t e = in.elements[s];
    int32_t* sum =
        sums_.data() + static_cast<size_t>(block_of_[static_cast<size_t>(e / hw)]) * kMaxLanes;
    const uint8_t* x = in.bytes.data() + s * kMaxLanes;
    const int32_t g = golden_in[e];
    for (int k = 0; k < lanes_; ++k) sum[k] += int32_t{x[k]} - g;
  }
  work_ += (static_cast<int64_t>(listed_.size()) * hw + static_cast<int64_t>(in.elements.size())) *
           (lanes_ / 16 + 1);
  const auto half = static_cast<int32_t>(hw / 2), count = static_cast<int32_t>(hw);
  for (size_t i = 0; i < listed_.size(); ++i) {
    const int32_t c = listed_[i];
    const int32_t* sum = sums_.data() + i * kMaxLanes;
    uint8_t y[kMaxLanes];
    int changed = 0;
    for (int k = 0; k < lanes_; ++k) {
      y[k] = static_cast<uint8_t>((sum[k] + half) / count);
      changed |= y[k] ^ golden_out[c];
    }
    if (changed != 0) std::copy_n(y, lanes_, out.add(c));
  }
}

void ByteBatch::run_add(int node, const Lanes* a, const Lanes* b, Lanes& out) {
  const qnn::QNode& n = model_.node(node);
  const qnn::AddTerms& terms = *adds_[static_cast<size_t>(node)];
  const uint8_t* golden_a = sim_->golden_value(n.inputs[0]).data();
  const uint8_t* golden_b = sim_->golden_value(n.inputs[1]).data();
  const uint8_t* golden_out = sim_->golden_value(n.output).data();
  const QuantizedMultiplier mult = terms.multiplier();
  const bool plain = plain_scaling(mult);
  // The lane row of element e of an input, or nullptr where it holds its golden byte.
  const auto row_of = [](const Lanes* in, int32_t e) -> const uint8_t* {
    const int32_t s = in != nullptr ? in->slot[static_cast<size_t>(e)] : -1;
    return s >= 0 ? in->bytes.data() + static_cast<size_t>(s) * kMaxLanes : nullptr;
  };
  ++epoch_;
  for (const Lanes* in : {a, b}) {
    if (in == nullptr) continue;
    for (int32_t e : in->elements) {
      if (mark_[static_cast<size_t>(e)] == epoch_) continue;
      mark_[static_cast<size_t>(e)] = epoch_;
      const uint8_t* xa = row_of(a, e);
      const uint8_t* xb = row_of(b, e);
      // Each lane's sum of the two terms, then one requantization per lane.
      int32_t sum[kMaxLanes];
      if (xa != nullptr && xb != nullptr) {
        for (int k = 0; k < lanes_; ++k) sum[k] = terms.term(0, xa[k]) + terms.term(1, xb[k]);
      } else {
        const uint8_t* x = xa != nullptr ? xa : xb;
        const size_t changed_input = xa != nullptr ? 0 : 1;
        const int32_t other =
            xa != nullptr ? terms.term(1, golden_b[e]) : terms.term(0, golden_a[e]);
        for (int k = 0; k < lanes_; ++k) sum[k] = terms.term(changed_input, x[k]) + other;
      }
      uint8_t y[kMaxLanes];
      if (plain) {
        fault::requantize_lanes(0, sum, mult.multiplier, -mult.shift, terms.zero_point(),
                                terms.lo(), terms.hi(), y, lanes_, isa_);
      } else {
        for (int k = 0; k < lanes_; ++k) y[k] = terms.output(sum[k]);
      }
      int changed = 0;
      for (int k = 0; k < lanes_; ++k) changed |= y[k] ^ golden_out[e];
      if (changed != 0) std::copy_n(y, lanes_, out.add(e));
    }
    work_ += static_cast<int64_t>(in->elements.size()) * (lanes_ / 16) * 4;
  }
}

void ByteBatch::run_clamp(int node, const Lanes& in, Lanes& out) {
  const qnn::QNode& n = model_.node(node);
  const uint8_t* golden_out = sim_->golden_value(n.output).data();
  for (size_t s = 0; s < in.elements.size(); ++s) {
    const int32_t e = in.elements[s];
    const uint8_t* x = in.bytes.data() + s * kMaxLanes;
    uint8_t y[kMaxLanes];
    bool changed = false;
    for (int k = 0; k < lanes_; ++k) {
      y[k] = std::clamp(x[k], n.out_min, n.out_max);
      changed = changed || y[k] != golden_out[e];
    }
    if (changed) std::copy_n(y, lanes_, out.add(e));
  }
}

void ByteBatch::run_concat(int node, Lanes& out) {
  const qnn::QNode& n = model_.node(node);
  const Concat& c = concats_[static_cast<size_t>(node)];
  const uint8_t* golden_out = sim_->golden_value(n.output).data();
  // Input k's elements are a block of the output; one value passed twice fills two blocks.
  for (size_t k = 0; k < ins_.size(); ++k) {
    if (ins_[k] == nullptr) continue;
    const uint8_t* table = c.bytes.data() + k * 256;
    for (size_t s = 0; s < ins_[k]->elements.size(); ++s) {
      const int64_t o = c.offset[k] + ins_[k]->elements[s];
      const uint8_t* x = ins_[k]->bytes.data() + s * kMaxLanes;
      uint8_t y[kMaxLanes];
      int changed = 0;
      for (int l = 0; l < lanes_; ++l) {
        y[l] = table[x[l]];
        changed |= y[l] ^ golden_out[o];
      }
      if (changed != 0) std::copy_n(y, lanes_, out.add(static_cast<int32_t>(o)));
    }
    work_ += static_cast<int64_t>(ins_[k]->elements.size()) * (lanes_ / 16);
  }
}

void ByteBatch::run_extremum(int node, Lanes& out) {
  const qnn::QNode& n = model_.node(node);
  const bool minimum = n.op == OpKind::kMinimum;
  const uint8_t* golden_out = sim_->golden_value(n.output).data();
  ++epoch_;
  for (const Lanes* changed_input : ins_) {
    if (changed_input == nullptr) continue;
    for (int32_t e : changed_input->elements) {
      if (mark_[static_cast<size_t>(e)] == epoch_) continue;
      mark_[static_cast<size_t>(e)] = epoch_;
      // Each lane's extreme over the inputs: an input's lane row where it changed, else its
      // golden byte in every lane.
      uint8_t y[kMaxLanes];
      std::fill_n(y, lanes_, minimum ? uint8_t{255} : uint8_t{0});
      for (size_t k = 0; k < ins_.size(); ++k) {
        const int32_t s = ins_[k] != nullptr ? ins_[k]->slot[static_cast<size_t>(e)] : -1;
        if (s < 0) {
          const uint8_t g = sim_->golden_byte(n.inputs[k], e);
          for (int l = 0; l < lanes_; ++l) y[l] = minimum ? std::min(y[l], g) : std::max(y[l], g);
          continue;
        }
        const uint8_t* x = ins_[k]->bytes.data() + static_cast<size_t>(s) * kMaxLanes;
        for (int l = 0; l < lanes_; ++l)
          y[l] = minimum ? std::min(y[l], x[l]) : std::max(y[l], x[l]);
      }
      int changed = 0;
      for (int l = 0; l < lanes_; ++l) {
        y[l] = std::clamp(y[l], n.out_min, n.out_max);
        changed |= y[l] ^ golden_out[e];
      }
      if (changed != 0) std::copy_n(y, lanes_, out.add(e));
    }
    work_ += static_cast<int64_t>(changed_input->elements.size()) * (lanes_ / 16) *
             static_cast<int64_t>(ins_.size());
  }
}

}  // namespace hardy::analysis
