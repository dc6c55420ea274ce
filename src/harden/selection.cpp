// Budgeted top-k selection of output channels over a channel ranking.
#include "hardy/harden/selection.h"

#include <algorithm>
#include <cmath>

#include "hardy/core/error.h"
#include "hardy/core/parse_number.h"

namespace hardy::harden {

bool protectable(const qnn::QNode& node) {
  return node.op == qnn::OpKind::kDense ||
         (node.op == qnn::OpKind::kConv && node.window.groups == 1);
}

int64_t channel_macs(const qnn::QModel& model, int node) {
  const qnn::QNode& n = model.node(node);
  HARDY_CHECK(n.op == qnn::OpKind::kConv || n.op == qnn::OpKind::kDense);
  const int64_t positions = model.value(n.output).shape.elements() / n.weight.shape[0];
  return n.reduction_size() * positions;
}

int64_t protectable_macs(const qnn::QModel& model) {
  int64_t total = 0;
  for (int i = 0; i < static_cast<int>(model.nodes.size()); ++i) {
    if (protectable(model.node(i))) total += channel_macs(model, i) * model.node(i).weight.shape[0];
  }
  return total;
}

int64_t Selection::count() const {
  int64_t n = 0;
  for (const auto& c : channels) n += static_cast<int64_t>(c.size());
  return n;
}

int64_t Selection::macs(const qnn::QModel& model) const {
  int64_t total = 0;
  for (size_t i = 0; i < channels.size(); ++i) {
    if (!channels[i].empty()) {
      total += channel_macs(model, static_cast<int>(i)) * static_cast<int64_t>(channels[i].size());
    }
  }
  return total;
}

Budget Budget::parse(const std::string& text, bool per_layer) {
  Budget b;
  b.per_layer = per_layer;
  std::string s = text;
  const bool percent = !s.empty() && s.back() == '%';
  if (percent) s.pop_back();
  double v = 0;
  if (!parse_finite_double(s, v) || v < 0) {
    throw ConfigError("budget '" + text + "': expected a share (10%, 0.1) or a channel count");
  }
  const bool whole = !percent && s.find_first_not_of("0123456789") == std::string::npos;
  if (whole) {
    b.count = static_cast<int64_t>(v);
  } else {
    if (percent) v /= 100;
    if (v > 1) throw ConfigError("budget '" + text + "': a share above 100%");
    b.mac_share = v;
  }
  return b;
}

std::string Budget::to_string() const {
  std::string s = count >= 0 ? std::to_string(count) + " channels"
                             : std::to_string(mac_share * 100) + "% of MACs";
  return s + (per_layer ? " per layer" : "");
}

Selection select_channels(const qnn::QModel& model, std::vector<ChannelScore> scores,
                          const Budget& budget) {
  const auto nn = static_cast<int>(model.nodes.size());
  Selection sel;
  sel.channels.resize(model.nodes.size());
  std::vector<std::vector<uint8_t>> seen(model.nodes.size());
  for (const ChannelScore& s : scores) {
    HARDY_CHECK(s.node >= 0 && s.node < nn && protectable(model.node(s.node)));
    auto& flags = seen[static_cast<size_t>(s.node)];
    flags.resize(static_cast<size_t>(model.node(s.node).weight.shape[0]), 0);
    HARDY_CHECK(s.channel >= 0 && s.channel < static_cast<int64_t>(flags.size()));
    HARDY_CHECK(!flags[static_cast<size_t>(s.channel)]++);
  }
  std::stable_sort(scores.begin(), scores.end(), [](const ChannelScore& a, const ChannelScore& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.node != b.node) return a.node < b.node;
    return a.channel < b.channel;
  });
  // Limits and usage per layer (per_layer) or in slot 0 (global).
  std::vector<int64_t> limit(model.nodes.size() + 1, 0), used(model.nodes.size() + 1, 0);
  const auto slot = [&](int node) { return budget.per_layer ? static_cast<size_t>(node) : 0; };
  const auto allowance = [&](int64_t macs) {
    return budget.count >= 0
               ? budget.count
               : static_cast<int64_t>(std::floor(budget.mac_share * static_cast<double>(macs)));
  };
  if (budget.per_layer) {
    for (int i = 0; i < nn; ++i) {
      if (protectable(model.node(i))) {
        limit[slot(i)] = allowance(channel_macs(model, i) * model.node(i).weight.shape[0]);
      }
    }
  } else {
    limit[0] = allowance(protectable_macs(model));
  }
  for (const ChannelScore& s : scores) {
    const int64_t cost = budget.count >= 0 ? 1 : channel_macs(model, s.node);
    int64_t& u = used[slot(s.node)];
    if (u + cost > limit[slot(s.node)]) continue;
    u += cost;
    sel.channels[static_cast<size_t>(s.node)].push_back(s.channel);
  }
  for (auto& c : sel.channels) std::sort(c.begin(), c.end());
  return sel;
}

}  // namespace hardy::harden
