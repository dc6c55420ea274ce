// Which output channels of which Conv/Dense layers a harden pass protects (DESIGN §5): channel
// scores from a ranking (NVF, random, weight magnitude) and the budget that picks the top ones.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hardy/qnn/qmodel.h"

namespace hardy::harden {

/// True for the layers a pass can protect: Dense, and Conv with one group (extra output channels
/// of a grouped Conv would change its grouping).
bool protectable(const qnn::QNode& node);

/// MACs of one output channel of a Conv/Dense node in one inference (reduction size × positions).
int64_t channel_macs(const qnn::QModel& model, int node);

/// One output channel of a protectable layer and how much protecting it is worth.
struct ChannelScore {
  int node = -1;
  int64_t channel = 0;
  double score = 0;  ///< larger = protect first
};

/// Output channels to protect, per node: channels[node] ascending (empty for the others).
struct Selection {
  std::vector<std::vector<int64_t>> channels;

  /// Selected channels over all nodes.
  int64_t count() const;
  /// MACs per inference of the selected channels (one copy each).
  int64_t macs(const qnn::QModel& model) const;
};

/// How many channels to pick: a share of the protectable MACs (0 ≤ share ≤ 1), or a count; over
/// the whole model (global) or in each layer separately.
struct Budget {
  double mac_share = 0;
  int64_t count = -1;  ///< ≥ 0: a count instead of a share
  bool per_layer = false;

  /// "10%" or "0.1" (a share of MACs), or digits only, "25" (a channel count); ConfigError
  /// otherwise.
  static Budget parse(const std::string& text, bool per_layer);
  std::string to_string() const;
};

/// Walks `scores` from the highest score (ties: lower node, then lower channel) and takes a
/// channel when it still fits: its MACs keep the selected MACs within share × the protectable
/// MACs (of the model, or of its layer with per_layer), or fewer than `count` channels are taken
/// (in the model, or in its layer). Every score must name a protectable channel, at most once.
Selection select_channels(const qnn::QModel& model, std::vector<ChannelScore> scores,
                          const Budget& budget);

/// Sum of channel_macs over every channel of every protectable node.
int64_t protectable_macs(const qnn::QModel& model);

}  // namespace hardy::harden
