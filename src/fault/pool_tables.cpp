// Pooling geometry tables.
#include "hardy/fault/pool_tables.h"

#include <algorithm>

namespace hardy::fault {

// Per input element of a pooling node, the outputs whose windows hold it:
// oy·stride − pad ≤ iy ≤ oy·stride − pad + kernel − 1, the same for x. Per output, its window
// clipped to the input.
PoolTables pool_tables(const qnn::QNode& n, const Shape& is, const Shape& os) {
  const qnn::WindowParams& w = n.window;
  const int64_t channels = is[0], h = is[1], wd = is[2], oh = os[1], ow = os[2];
  PoolTables t;
  t.reach.resize(static_cast<size_t>(is.elements()));
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t iy = 0; iy < h; ++iy) {
      const int64_t ty = iy + w.pad_top;
      const int64_t oy0 = std::max<int64_t>(0, (ty - w.kernel_h + w.stride_h) / w.stride_h);
      const int64_t oy1 = std::min<int64_t>(oh - 1, ty / w.stride_h);
      for (int64_t ix = 0; ix < wd; ++ix) {
        const int64_t tx = ix + w.pad_left;
        const int64_t ox0 = std::max<int64_t>(0, (tx - w.kernel_w + w.stride_w) / w.stride_w);
        const int64_t ox1 = std::min<int64_t>(ow - 1, tx / w.stride_w);
        PoolRect& r = t.reach[static_cast<size_t>((c * h + iy) * wd + ix)];
        r.first = static_cast<int32_t>((c * oh + oy0) * ow + ox0);
        r.rows = static_cast<uint16_t>(std::max<int64_t>(0, oy1 - oy0 + 1));
        r.cols = static_cast<uint16_t>(std::max<int64_t>(0, ox1 - ox0 + 1));
      }
    }
  }
  t.window.resize(static_cast<size_t>(os.elements()));
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t oy = 0; oy < oh; ++oy) {
      const int64_t y0 = std::max<int64_t>(0, oy * w.stride_h - w.pad_top);
      const int64_t y1 = std::min<int64_t>(h, oy * w.stride_h - w.pad_top + w.kernel_h);
      for (int64_t ox = 0; ox < ow; ++ox) {
        const int64_t x0 = std::max<int64_t>(0, ox * w.stride_w - w.pad_left);
        const int64_t x1 = std::min<int64_t>(wd, ox * w.stride_w - w.pad_left + w.kernel_w);
        PoolRect& r = t.window[static_cast<size_t>((c * oh + oy) * ow + ox)];
        r.first = static_cast<int32_t>((c * h + y0) * wd + x0);
        r.rows = static_cast<uint16_t>(std::max<int64_t>(0, y1 - y0));
        r.cols = static_cast<uint16_t>(std::max<int64_t>(0, x1 - x0));
      }
    }
  }
  return t;
}

uint8_t pooled_window(const qnn::QNode& n, PoolRect window, const uint8_t* in, int64_t in_width,
                      int32_t pad_value) {
  if (n.op == qnn::OpKind::kMaxPool) {
    uint8_t best = 0;  // padding never wins: values are ≥ 0 and the reference starts from 0
    for (int64_t y = 0; y < window.rows; ++y) {
      const uint8_t* row = in + window.first + y * in_width;
      for (int64_t x = 0; x < window.cols; ++x) best = std::max(best, row[x]);
    }
    return best;
  }
  int32_t sum = 0, count = int32_t{window.rows} * window.cols;
  if (window.rows == 2 && window.cols == 2) {  // the common 2×2 window, unrolled
    const uint8_t* row = in + window.first;
    sum = int32_t{row[0]} + row[1] + row[in_width] + row[in_width + 1];
  } else {
    for (int64_t y = 0; y < window.rows; ++y) {
      const uint8_t* row = in + window.first + y * in_width;
      for (int64_t x = 0; x < window.cols; ++x) sum += row[x];
    }
  }
  if (n.window.count_include_pad) {
    const int32_t padded = n.window.kernel_h * n.window.kernel_w - count;
    sum += padded * pad_value;
    count += padded;
  }
  return rounded_mean(sum, count);
}

OneCellPool::OneCellPool(const qnn::QNode& n, PoolRect window, const uint8_t* in, int64_t in_width,
                         int32_t pad_value, int64_t cell)
    : max_(n.op == qnn::OpKind::kMaxPool) {
  count_ = int32_t{window.rows} * window.cols;
  for (int64_t y = 0; y < window.rows; ++y) {
    for (int64_t x = 0; x < window.cols; ++x) {
      const int64_t at = y * in_width + x;
      if (at == cell) continue;
      const int32_t b = in[window.first + at];
      rest_ = max_ ? std::max(rest_, b) : rest_ + b;
    }
  }
  if (!max_ && n.window.count_include_pad) {
    const int32_t padded = n.window.kernel_h * n.window.kernel_w - count_;
    rest_ += padded * pad_value;
    count_ += padded;
  }
}

}  // namespace hardy::fault
