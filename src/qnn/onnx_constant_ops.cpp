// Constant folding of the exporter's shape and padding sub-graphs.
#include "onnx_constant_ops.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

namespace hardy::qnn::detail {
namespace {

constexpr int64_t kIndexLimit = int64_t{1} << 62;
constexpr int64_t kMaxElements = int64_t{1} << 24;  // shape arithmetic is tiny
constexpr int64_t kOnnxFloat = 1, kOnnxDouble = 11, kOnnxFloat16 = 10, kOnnxBfloat16 = 16;

[[noreturn]] void fail(const std::string& what) { throw std::invalid_argument(what); }

const Constant& required(const std::vector<std::optional<Constant>>& in, size_t i) {
  if (i >= in.size() || !in[i]) fail("input " + std::to_string(i) + " is missing");
  return *in[i];
}

std::vector<int64_t> as_indices(const Constant& c) {
  std::vector<int64_t> out;
  for (double v : c.data) out.push_back(to_index(v));
  return out;
}

int64_t normalize_axis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    fail("axis " + std::to_string(axis) + " outside a rank-" + std::to_string(rank) + " tensor");
  }
  return axis < 0 ? axis + rank : axis;
}

// Row-major strides of a shape.
std::vector<int64_t> strides(const Shape& s) {
  std::vector<int64_t> st(s.dims.size(), 1);
  for (int i = s.rank() - 2; i >= 0; --i) {
    st[static_cast<size_t>(i)] = st[static_cast<size_t>(i) + 1] * s[i + 1];
  }
  return st;
}

// The axes of Squeeze/Unsqueeze: the second input from opset 13, the attribute before.
std::vector<int64_t> axes_of(const std::vector<std::optional<Constant>>& in,
                             const ConstantAttributes& a) {
  if (in.size() > 1 && in[1]) return as_indices(*in[1]);
  return a.ints("axes");
}

Constant binary(const std::string& op, const Constant& x, const Constant& y) {
  // Numpy broadcasting.
  const int rank = std::max(x.shape.rank(), y.shape.rank());
  Shape out;
  for (int i = 0; i < rank; ++i) {
    const int xi = i - (rank - x.shape.rank()), yi = i - (rank - y.shape.rank());
    const int64_t dx = xi >= 0 ? x.shape[xi] : 1, dy = yi >= 0 ? y.shape[yi] : 1;
    if (dx != dy && dx != 1 && dy != 1) {
      fail("shapes " + x.shape.to_string() + " and " + y.shape.to_string() + " do not broadcast");
    }
    out.dims.push_back(dx == 1 ? dy : dx);
  }
  if (out.elements() > kMaxElements) fail("a constant of more than 2^24 elements");
  const auto ox = strides(out);
  const auto sx = strides(x.shape), sy = strides(y.shape);
  Constant r{out, std::vector<double>(static_cast<size_t>(out.elements())), x.integer && y.integer};
  for (int64_t e = 0; e < out.elements(); ++e) {
    int64_t ix = 0, iy = 0;
    for (int i = 0; i < rank; ++i) {
      const int64_t coord = e / ox[static_cast<size_t>(i)] % out[i];
      const int xi = i - (rank - x.shape.rank()), yi = i - (rank - y.shape.rank());
      if (xi >= 0 && x.shape[xi] != 1) ix += coord * sx[static_cast<size_t>(xi)];
      if (yi >= 0 && y.shape[yi] != 1) iy += coord * sy[static_cast<size_t>(yi)];
    }
    const double a = x.data[static_cast<size_t>(ix)], b = y.data[static_cast<size_t>(iy)];
    double v = 0;
    if (op == "Add") {
      v = a + b;
    } else if (op == "Sub") {
      v = a - b;
    } else if (op == "Mul") {
      v = a * b;
    } else {
      if (r.integer && b == 0) fail("integer division by zero");
      v = r.integer ? std::trunc(a / b) : a / b;
    }
    r.data[static_cast<size_t>(e)] = r.integer ? v : static_cast<double>(static_cast<float>(v));
  }
  return r;
}

Constant gather(const Constant& data, const Constant& indices, int64_t axis_attr) {
  if (data.shape.rank() < 1) fail("Gather of a scalar");
  const int64_t axis = normalize_axis(axis_attr, data.shape.rank());
  const int64_t n = data.shape[static_cast<int>(axis)];
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= data.shape[i];
  for (int i = static_cast<int>(axis) + 1; i < data.shape.rank(); ++i) inner *= data.shape[i];
  Constant r;
  r.integer = data.integer;
  for (int i = 0; i < axis; ++i) r.shape.dims.push_back(data.shape[i]);
  for (int64_t d : indices.shape.dims) r.shape.dims.push_back(d);
  for (int i = static_cast<int>(axis) + 1; i < data.shape.rank(); ++i) {
    r.shape.dims.push_back(data.shape[i]);
  }
  for (int64_t o = 0; o < outer; ++o) {
    for (double idx : indices.data) {
      int64_t k = to_index(idx);
      if (k < -n || k >= n) fail("Gather index " + std::to_string(k) + " out of range");
      if (k < 0) k += n;
      for (int64_t i = 0; i < inner; ++i) {
        r.data.push_back(data.data[static_cast<size_t>((o * n + k) * inner + i)]);
      }
    }
  }
  return r;
}

Constant concat(const std::vector<std::optional<Constant>>& in, int64_t axis_attr) {
  const Constant& first = required(in, 0);
  const int64_t axis = normalize_axis(axis_attr, first.shape.rank());
  Constant r;
  r.shape = first.shape;
  r.integer = true;
  r.shape.dims[static_cast<size_t>(axis)] = 0;
  for (size_t k = 0; k < in.size(); ++k) {
    const Constant& c = required(in, k);
    r.integer = r.integer && c.integer;
    for (int i = 0; i < c.shape.rank(); ++i) {
      if (c.shape.rank() != first.shape.rank() || (i != axis && c.shape[i] != first.shape[i])) {
        fail("Concat of " + first.shape.to_string() + " and " + c.shape.to_string());
      }
    }
    r.shape.dims[static_cast<size_t>(axis)] += c.shape[static_cast<int>(axis)];
  }
  int64_t outer = 1;
  for (int i = 0; i < axis; ++i) outer *= first.shape[i];
  for (int64_t o = 0; o < outer; ++o) {
    for (const auto& c : in) {
      const int64_t block = c->shape.elements() / std::max<int64_t>(outer, 1);
      r.data.insert(r.data.end(), c->data.begin() + o * block, c->data.begin() + (o + 1) * block);
    }
  }
  return r;
}

Constant slice(const std::vector<std::optional<Constant>>& in) {
  const Constant& data = required(in, 0);
  const auto starts = as_indices(required(in, 1)), ends = as_indices(required(in, 2));
  std::vector<int64_t> axes, steps;
  if (in.size() > 3 && in[3]) axes = as_indices(*in[3]);
  if (in.size() > 4 && in[4]) steps = as_indices(*in[4]);
  if (axes.empty()) {
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    fail("Slice starts/ends/axes/steps of different lengths");
  }
  // Per axis, the list of kept indices (ONNX clamping rules).
  std::vector<std::vector<int64_t>> keep(static_cast<size_t>(data.shape.rank()));
  for (int i = 0; i < data.shape.rank(); ++i) {
    for (int64_t j = 0; j < data.shape[i]; ++j) keep[static_cast<size_t>(i)].push_back(j);
  }
  for (size_t s = 0; s < starts.size(); ++s) {
    const int64_t axis = normalize_axis(axes[s], data.shape.rank());
    const int64_t dim = data.shape[static_cast<int>(axis)], step = steps[s];
    if (step == 0) fail("Slice step 0");
    int64_t b = starts[s] < 0 ? starts[s] + dim : starts[s];
    int64_t e = ends[s] < 0 ? ends[s] + dim : ends[s];
    auto& k = keep[static_cast<size_t>(axis)];
    k.clear();
    if (step > 0) {
      b = std::clamp<int64_t>(b, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      for (int64_t j = b; j < e; j += step) k.push_back(j);
    } else {
      b = std::clamp<int64_t>(b, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      for (int64_t j = b; j > e; j += step) k.push_back(j);
    }
  }
  Constant r;
  r.integer = data.integer;
  for (const auto& k : keep) r.shape.dims.push_back(static_cast<int64_t>(k.size()));
  const auto st = strides(data.shape), ot = strides(r.shape);
  for (int64_t e = 0; e < r.shape.elements(); ++e) {
    int64_t src = 0;
    for (int i = 0; i < r.shape.rank(); ++i) {
      src += keep[static_cast<size_t>(i)]
                 [static_cast<size_t>(e / ot[static_cast<size_t>(i)] % r.shape[i])] *
             st[static_cast<size_t>(i)];
    }
    r.data.push_back(data.data[static_cast<size_t>(src)]);
  }
  return r;
}

Constant transpose(const Constant& data, std::vector<int64_t> perm) {
  const int rank = data.shape.rank();
  if (perm.empty()) {
    for (int i = rank - 1; i >= 0; --i) perm.push_back(i);
  }
  if (static_cast<int>(perm.size()) != rank) fail("Transpose perm of the wrong length");
  std::vector<uint8_t> seen(static_cast<size_t>(rank), 0);
  for (int64_t& p : perm) {
    p = normalize_axis(p, rank);
    if (seen[static_cast<size_t>(p)]++) fail("Transpose perm that is not a permutation");
  }
  Constant r;
  r.integer = data.integer;
  for (int64_t p : perm) r.shape.dims.push_back(data.shape[static_cast<int>(p)]);
  const auto st = strides(data.shape), ot = strides(r.shape);
  for (int64_t e = 0; e < r.shape.elements(); ++e) {
    int64_t src = 0;
    for (int i = 0; i < rank; ++i) {
      src += e / ot[static_cast<size_t>(i)] % r.shape[i] *
             st[static_cast<size_t>(perm[static_cast<size_t>(i)])];
    }
    r.data.push_back(data.data[static_cast<size_t>(src)]);
  }
  return r;
}

Constant reshape(const Constant& data, const std::vector<int64_t>& target) {
  Shape out;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t d = target[i];
    if (d == 0 && static_cast<int>(i) < data.shape.rank()) d = data.shape[static_cast<int>(i)];
    if (d == -1) {
      if (infer >= 0) fail("Reshape with two -1 dimensions");
      infer = static_cast<int64_t>(i);
      d = 1;
    } else if (d < 0) {
      fail("Reshape dimension " + std::to_string(d));
    }
    known *= d;
    out.dims.push_back(d);
  }
  if (infer >= 0 && known > 0) out.dims[static_cast<size_t>(infer)] = data.shape.elements() / known;
  if (out.elements() != data.shape.elements()) {
    fail("Reshape of " + data.shape.to_string() + " to " + out.to_string());
  }
  return {out, data.data, data.integer};
}

}  // namespace

int64_t to_index(double v) {
  return static_cast<int64_t>(
      std::clamp(v, -static_cast<double>(kIndexLimit), static_cast<double>(kIndexLimit)));
}

std::vector<int64_t> ConstantAttributes::ints(const std::string& name) const {
  for (const auto& [n, v] : int_lists) {
    if (n == name) return v;
  }
  return {};
}

std::optional<int64_t> ConstantAttributes::int_value(const std::string& name) const {
  for (const auto& [n, v] : int_values) {
    if (n == name) return v;
  }
  return std::nullopt;
}

bool is_foldable_op(const std::string& op) {
  static const std::set<std::string> kOps = {
      "Gather", "Unsqueeze", "Squeeze", "Concat",          "Reshape",
      "Slice",  "Transpose", "Cast",    "ConstantOfShape", "Add",
      "Sub",    "Mul",       "Div",     "Identity",        "Flatten"};
  return kOps.count(op) > 0;
}

Constant fold_constant_op(const std::string& op, const std::vector<std::optional<Constant>>& in,
                          const ConstantAttributes& a) {
  if (op == "Identity") return required(in, 0);
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    return binary(op, required(in, 0), required(in, 1));
  }
  if (op == "Gather")
    return gather(required(in, 0), required(in, 1), a.int_value("axis").value_or(0));
  if (op == "Concat") {
    if (!a.int_value("axis")) fail("Concat without an axis");
    return concat(in, *a.int_value("axis"));
  }
  if (op == "Slice") return slice(in);
  if (op == "Transpose") return transpose(required(in, 0), a.ints("perm"));
  if (op == "Reshape") return reshape(required(in, 0), as_indices(required(in, 1)));
  if (op == "Flatten") {
    const Constant& x = required(in, 0);
    const int64_t axis = a.int_value("axis").value_or(1);
    const int64_t k = axis < 0 ? axis + x.shape.rank() : axis;
    int64_t outer = 1;
    for (int i = 0; i < k && i < x.shape.rank(); ++i) outer *= x.shape[i];
    return {Shape{outer, x.shape.elements() / std::max<int64_t>(outer, 1)}, x.data, x.integer};
  }
  if (op == "Cast") {
    Constant r = required(in, 0);
    const bool to_float = a.cast_to == kOnnxFloat || a.cast_to == kOnnxDouble ||
                          a.cast_to == kOnnxFloat16 || a.cast_to == kOnnxBfloat16;
    if (!to_float && !r.integer) {
      for (double& v : r.data) v = std::trunc(v);
    }
    r.integer = !to_float;
    return r;
  }
  if (op == "ConstantOfShape") {
    const auto dims = as_indices(required(in, 0));
    Shape s;
    for (int64_t d : dims) {
      if (d < 0 || d > (int64_t{1} << 24)) fail("ConstantOfShape dimension " + std::to_string(d));
      s.dims.push_back(d);
    }
    if (s.elements() > (int64_t{1} << 24)) fail("ConstantOfShape of more than 2^24 elements");
    double fill = 0;
    bool integer = false;
    if (a.tensor_value) {
      if (a.tensor_value->data.size() != 1)
        fail("ConstantOfShape value with more than one element");
      fill = a.tensor_value->data[0];
      integer = a.tensor_value->integer;
    }
    return {s, std::vector<double>(static_cast<size_t>(s.elements()), fill), integer};
  }
  // Squeeze / Unsqueeze.
  const Constant& x = required(in, 0);
  auto axes = axes_of(in, a);
  Constant r = x;
  if (op == "Unsqueeze") {
    const auto rank = static_cast<int64_t>(x.shape.rank() + axes.size());
    for (int64_t& ax : axes) ax = normalize_axis(ax, rank);
    std::sort(axes.begin(), axes.end());
    for (int64_t ax : axes) r.shape.dims.insert(r.shape.dims.begin() + ax, 1);
    return r;
  }
  if (op != "Squeeze") fail("operator " + op + " cannot be folded");
  r.shape.dims.clear();
  for (int64_t& ax : axes) ax = normalize_axis(ax, x.shape.rank());
  for (int i = 0; i < x.shape.rank(); ++i) {
    const bool listed = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (listed && x.shape[i] != 1)
      fail("Squeeze of a dimension of size " + std::to_string(x.shape[i]));
    if (!(listed || (axes.empty() && x.shape[i] == 1))) r.shape.dims.push_back(x.shape[i]);
  }
  return r;
}

}  // namespace hardy::qnn::detail
