// SiteSpace: the layers of each target, the filters, and index → site decoding.
#include "hardy/fault/site.h"

#include <algorithm>
#include <set>

#include "hardy/core/enum_names.h"
#include "hardy/core/error.h"

namespace hardy::fault {

namespace {
constexpr std::pair<Target, const char*> kTargetNames[] = {{Target::kNeurons, "neurons"},
                                                           {Target::kWeights, "weights"},
                                                           {Target::kAccumulators, "accumulators"}};
}  // namespace

const char* target_name(Target target) { return enum_name<Target>(target, kTargetNames); }

Target parse_target(const std::string& name) {
  return parse_enum<Target>(name, kTargetNames, "fault target");
}

namespace {

// Words per output channel of a value: H·W for (C, H, W), 1 for a flat vector.
int64_t per_channel_of(const Shape& shape) {
  return shape.rank() >= 2 ? shape.elements() / shape[0] : 1;
}

std::vector<SiteLayer> all_layers(const qnn::QModel& model, const qnn::ExecutionPlan& plan,
                                  Target target) {
  std::vector<SiteLayer> layers;
  for (int i : plan.schedule()) {
    const qnn::QNode& n = model.node(i);
    const bool mac = n.op == qnn::OpKind::kConv || n.op == qnn::OpKind::kDense;
    if (target != Target::kNeurons && !mac) continue;
    SiteLayer l;
    l.name = n.name;
    l.node = i;
    l.value = n.output;
    const Shape& out = model.value(n.output).shape;
    if (target == Target::kWeights) {
      l.words = n.weight.size();
      l.per_channel = n.reduction_size();
    } else {
      l.words = out.elements();
      l.per_channel = per_channel_of(out);
    }
    l.bits = target == Target::kAccumulators ? 32 : 8;
    layers.push_back(std::move(l));
  }
  return layers;
}

}  // namespace

SiteSpace::SiteSpace(const qnn::QModel& model, const qnn::ExecutionPlan& plan, Target target,
                     const SiteFilter& filter)
    : target_(target) {
  std::vector<SiteLayer> all = all_layers(model, plan, target);
  std::string names;
  for (const auto& l : all) names += (names.empty() ? "" : ", ") + l.name;
  for (const auto& want : filter.layers) {
    if (std::none_of(all.begin(), all.end(), [&](const SiteLayer& l) { return l.name == want; })) {
      throw ConfigError("layer '" + want + "' has no " + target_name(target) +
                        " sites; layers: " + names);
    }
  }
  const int width = target == Target::kAccumulators ? 32 : 8;
  for (int b : filter.bits) {
    if (b < 0 || b >= width) {
      throw ConfigError("bit " + std::to_string(b) + " is outside the " + std::to_string(width) +
                        "-bit words of " + target_name(target));
    }
  }
  const std::set<int> bit_set(filter.bits.begin(), filter.bits.end());
  const std::set<int64_t> channel_set(filter.channels.begin(), filter.channels.end());
  std::set<int64_t> channels_seen;
  for (auto& l : all) {
    if (!filter.layers.empty() &&
        std::find(filter.layers.begin(), filter.layers.end(), l.name) == filter.layers.end()) {
      continue;
    }
    for (int b = 0; b < l.bits; ++b) {
      if (bit_set.empty() || bit_set.count(b)) l.bit_list.push_back(b);
    }
    const int64_t channel_count = l.words / l.per_channel;
    for (int64_t c = 0; c < channel_count; ++c) {
      if (channel_set.empty() || channel_set.count(c)) {
        l.channels.push_back(c);
        channels_seen.insert(c);
      }
    }
    if (!l.channels.empty()) layers_.push_back(std::move(l));
  }
  for (int64_t c : channel_set) {
    if (!channels_seen.count(c)) {
      throw ConfigError("channel " + std::to_string(c) + " exists in none of the selected layers");
    }
  }
  word_begin_.assign(1, 0);
  bit_begin_.assign(1, 0);
  for (const auto& l : layers_) {
    word_begin_.push_back(word_begin_.back() + l.selected_words());
    bit_begin_.push_back(bit_begin_.back() +
                         l.selected_words() * static_cast<int64_t>(l.bit_list.size()));
  }
}

Site SiteSpace::site(int64_t index) const {
  const auto it = std::upper_bound(bit_begin_.begin(), bit_begin_.end(), index);
  const auto layer = static_cast<int>(it - bit_begin_.begin()) - 1;
  const SiteLayer& l = layers_[static_cast<size_t>(layer)];
  const int64_t local = index - bit_begin_[static_cast<size_t>(layer)];
  const auto nbits = static_cast<int64_t>(l.bit_list.size());
  return {layer, l.selected_word(local / nbits), l.bit_list[static_cast<size_t>(local % nbits)]};
}

Site SiteSpace::word(int64_t index) const {
  const auto it = std::upper_bound(word_begin_.begin(), word_begin_.end(), index);
  const auto layer = static_cast<int>(it - word_begin_.begin()) - 1;
  const SiteLayer& l = layers_[static_cast<size_t>(layer)];
  return {layer, l.selected_word(index - word_begin_[static_cast<size_t>(layer)]), 0};
}

}  // namespace hardy::fault
