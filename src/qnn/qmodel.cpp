// QModel invariants and the value ↔ node relations derived from them.
#include "hardy/qnn/qmodel.h"

#include <algorithm>

#include "hardy/core/error.h"
#include "hardy/core/hash.h"

namespace hardy::qnn {
namespace {

std::string node_label(const QModel& m, size_t i) {
  return "node " + std::to_string(i) + " '" + m.nodes[i].name + "' (" + op_name(m.nodes[i].op) +
         ")";
}

// Conv/Dense parameter sizes against the shapes they connect.
void check_weights(const QModel& m, size_t i) {
  const QNode& n = m.nodes[i];
  const auto fail = [&](const std::string& expected, const std::string& found) {
    throw FormatError(m.source, node_label(m, i), expected, found);
  };
  const Shape &is = m.value(n.inputs[0]).shape, &os = m.value(n.output).shape;
  const Shape& ws = n.weight.shape;
  if (n.op == OpKind::kConv) {
    if (ws.rank() != 4 || is.rank() != 3 || os.rank() != 3) {
      fail("rank-4 weights between (C, H, W) values",
           ws.to_string() + " between " + is.to_string() + " and " + os.to_string());
    }
    const WindowParams& w = n.window;
    if (w.groups < 1 || is[0] % w.groups != 0 || os[0] % w.groups != 0 || ws[0] != os[0] ||
        ws[1] != is[0] / w.groups || ws[2] != w.kernel_h || ws[3] != w.kernel_w ||
        os[1] != window_output(static_cast<int>(is[1]), w.pad_top, w.pad_bottom, w.kernel_h,
                               w.stride_h) ||
        os[2] != window_output(static_cast<int>(is[2]), w.pad_left, w.pad_right, w.kernel_w,
                               w.stride_w)) {
      fail("weights and window consistent with input " + is.to_string() + " and output " +
               os.to_string(),
           "weights " + ws.to_string() + ", groups " + std::to_string(w.groups));
    }
  } else {
    if (ws.rank() != 2 || ws[0] != os.elements() || ws[1] != is.elements()) {
      fail("weights [" + std::to_string(os.elements()) + ", " + std::to_string(is.elements()) + "]",
           ws.to_string());
    }
  }
  const auto oc = static_cast<size_t>(ws[0]);
  if (n.bias.size() != oc || n.multiplier.size() != oc || n.weight.size() != ws.elements()) {
    fail(std::to_string(oc) + " biases and multipliers",
         std::to_string(n.bias.size()) + " and " + std::to_string(n.multiplier.size()));
  }
}

// Concat: inputs agree with the output except along the first axis, one multiplier each.
void check_concat(const QModel& m, size_t i) {
  const QNode& n = m.nodes[i];
  const Shape& os = m.value(n.output).shape;
  int64_t total = 0;
  for (int v : n.inputs) {
    const Shape& s = m.value(v).shape;
    bool same = s.rank() == os.rank() && s.rank() >= 1;
    for (int d = 1; same && d < s.rank(); ++d) same = s[d] == os[d];
    if (!same) {
      throw FormatError(
          m.source, node_label(m, i),
          "inputs shaped like the output " + os.to_string() + " but for the first axis",
          s.to_string());
    }
    total += s[0];
  }
  if (os.rank() < 1 || total != os[0] || n.concat_multiplier.size() != n.inputs.size()) {
    throw FormatError(m.source, node_label(m, i),
                      "first axes summing to " + std::to_string(os.rank() ? os[0] : 0) +
                          " and one multiplier per input",
                      std::to_string(total) + " and " + std::to_string(n.concat_multiplier.size()) +
                          " multipliers");
  }
}

// Correction: copies of each output channel on the output's quantization, tables consistent.
void check_correction(const QModel& m, size_t i) {
  const QNode& n = m.nodes[i];
  const QValue &in = m.value(n.inputs[0]), &out = m.value(n.output);
  const auto fail = [&](const std::string& expected, const std::string& found) {
    throw FormatError(m.source, node_label(m, i), expected, found);
  };
  const Shape &is = in.shape, &os = out.shape;
  bool same = is.rank() == os.rank() && is.rank() >= 1 && is[0] >= os[0];
  for (int d = 1; same && d < is.rank(); ++d) same = is[d] == os[d];
  if (!same) fail("an input with at least the output's channels", is.to_string());
  if (in.quant.scale != out.quant.scale || in.quant.zero_point != out.quant.zero_point) {
    fail("input and output on one scale and zero point", "different quantization");
  }
  const int64_t c_in = is[0], c_out = os[0];
  if (static_cast<int64_t>(n.correction_owner.size()) != c_in ||
      static_cast<int64_t>(n.correction_copies.size()) != 2 * c_out) {
    fail(std::to_string(c_in) + " owners and " + std::to_string(2 * c_out) + " copy slots",
         std::to_string(n.correction_owner.size()) + " and " +
             std::to_string(n.correction_copies.size()));
  }
  std::vector<int> fed(static_cast<size_t>(c_in), 0);
  for (int64_t c = 0; c < c_out; ++c) {
    if (n.correction_owner[static_cast<size_t>(c)] != c) fail("input channel c feeding c", "not");
    int copies = 0;
    for (int k = 0; k < 2; ++k) {
      const int32_t j = n.correction_copies[static_cast<size_t>(2 * c + k)];
      if (j < 0) continue;
      ++copies;
      if (j < c_out || j >= c_in || n.correction_owner[static_cast<size_t>(j)] != c ||
          fed[static_cast<size_t>(j)]++) {
        fail("copies of channel " + std::to_string(c) + " among the extra input channels it owns",
             "channel " + std::to_string(j));
      }
    }
    if (copies == 2 && n.correction_rule != CorrectionRule::kMajority) {
      fail("two copies only with the majority rule", "three copies");
    }
    if (copies == 1 && n.correction_rule == CorrectionRule::kMajority) {
      fail("three copies for the majority rule", "two");
    }
  }
  for (int64_t j = c_out; j < c_in; ++j) {
    if (!fed[static_cast<size_t>(j)]) fail("every extra channel a copy", std::to_string(j));
  }
}

}  // namespace

void QModel::validate() const {
  const auto nv = static_cast<int>(values.size());
  const auto in_range = [&](int v) { return v >= 0 && v < nv; };
  if (!in_range(input) || !in_range(output)) {
    throw FormatError(source, "model input/output", "value indices below " + std::to_string(nv),
                      std::to_string(input) + "/" + std::to_string(output));
  }
  std::vector<int> written_by(values.size(), -1);
  std::vector<uint8_t> read(values.size(), 0);
  for (size_t i = 0; i < nodes.size(); ++i) {
    const QNode& n = nodes[i];
    const OpArity arity = op_arity(n.op);
    const auto count = static_cast<int>(n.inputs.size());
    if (count < arity.min_inputs || (!arity.variadic && count != arity.min_inputs)) {
      throw FormatError(
          source, node_label(*this, i),
          (arity.variadic ? "at least " : "") + std::to_string(arity.min_inputs) + " inputs",
          std::to_string(count));
    }
    for (int v : n.inputs) {
      if (!in_range(v)) {
        throw FormatError(source, node_label(*this, i),
                          "input value indices below " + std::to_string(nv), std::to_string(v));
      }
      if (v != input && written_by[static_cast<size_t>(v)] < 0) {
        throw FormatError(source, node_label(*this, i),
                          "inputs computed by earlier nodes (topological order)",
                          "value '" + value(v).name + "' not yet written");
      }
      read[static_cast<size_t>(v)] = 1;
    }
    if (!in_range(n.output)) {
      throw FormatError(source, node_label(*this, i),
                        "an output value index below " + std::to_string(nv),
                        std::to_string(n.output));
    }
    if (n.output == input || written_by[static_cast<size_t>(n.output)] >= 0) {
      throw FormatError(source, node_label(*this, i), "a value written by no other node",
                        "value '" + value(n.output).name + "' written twice");
    }
    written_by[static_cast<size_t>(n.output)] = static_cast<int>(i);
    if (n.op == OpKind::kConv || n.op == OpKind::kDense) check_weights(*this, i);
    if (n.op == OpKind::kConcat) check_concat(*this, i);
    if (n.op == OpKind::kCorrection) check_correction(*this, i);
    if (n.op == OpKind::kSlice) {
      throw FormatError(source, node_label(*this, i), "an int8 operator", "Slice (fp32 only)");
    }
    for (int v : n.inputs) {
      if (value(v).shape.elements() != value(n.output).shape.elements() &&
          (n.op == OpKind::kAdd || n.op == OpKind::kMinimum || n.op == OpKind::kMaximum ||
           n.op == OpKind::kFlatten || n.op == OpKind::kRelu || n.op == OpKind::kClip)) {
        throw FormatError(
            source, node_label(*this, i),
            "inputs of " + std::to_string(value(n.output).shape.elements()) + " elements",
            value(v).shape.to_string());
      }
    }
  }
  for (int v = 0; v < nv; ++v) {
    if (v != input && written_by[static_cast<size_t>(v)] < 0) {
      throw FormatError(source, "value '" + value(v).name + "'", "written by a node",
                        "no writer (dead value)");
    }
    if (v != output && !read[static_cast<size_t>(v)]) {
      throw FormatError(source, "value '" + value(v).name + "'", "read by a node or the output",
                        "no reader (dead value)");
    }
  }
}

std::vector<int> QModel::writers() const {
  std::vector<int> w(values.size(), -1);
  for (size_t i = 0; i < nodes.size(); ++i)
    w[static_cast<size_t>(nodes[i].output)] = static_cast<int>(i);
  return w;
}

std::vector<std::vector<int>> QModel::readers() const {
  std::vector<std::vector<int>> r(values.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (int v : nodes[i].inputs) {
      auto& list = r[static_cast<size_t>(v)];
      if (list.empty() || list.back() != static_cast<int>(i)) list.push_back(static_cast<int>(i));
    }
  }
  return r;
}

uint64_t model_fingerprint(const QModel& m) {
  Fnv1a64 h;
  const auto mix = [&](const auto& v) {
    h.update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&v), sizeof v));
  };
  const auto mix_vector = [&](const auto& v) {
    h.update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(v.data()),
                                      v.size() * sizeof(v[0])));
  };
  mix(m.input);
  mix(m.output);
  for (const QValue& v : m.values) {
    mix_vector(v.shape.dims);
    mix(v.quant.scale);
    mix(v.quant.zero_point);
  }
  for (const QNode& n : m.nodes) {
    mix(n.op);
    mix_vector(n.inputs);
    mix(n.output);
    const WindowParams& w = n.window;
    for (int f : {w.kernel_h, w.kernel_w, w.stride_h, w.stride_w, w.pad_top, w.pad_left,
                  w.pad_bottom, w.pad_right, w.groups, static_cast<int>(w.count_include_pad)}) {
      mix(f);
    }
    mix(n.out_min);
    mix(n.out_max);
    mix_vector(n.weight.data);
    mix_vector(n.bias);
    for (const auto& q : n.multiplier) {
      mix(q.multiplier);
      mix(q.shift);
    }
    for (const auto& q : n.add_input_multiplier) {
      mix(q.multiplier);
      mix(q.shift);
    }
    mix(n.add_output_multiplier.multiplier);
    mix(n.add_output_multiplier.shift);
    for (const auto& q : n.concat_multiplier) {  // none outside Concat: older hashes unchanged
      mix(q.multiplier);
      mix(q.shift);
    }
    if (n.op == OpKind::kCorrection) {  // likewise
      mix(n.correction_rule);
      mix_vector(n.correction_owner);
      mix_vector(n.correction_copies);
    }
  }
  return h.digest();
}

}  // namespace hardy::qnn
