// Fault sites of an int8 model (DESIGN §3): the neurons every running node writes back, the int8
// weights as stored, and the int32 accumulators before requantization; grouped in layers, filtered
// by layer name, output channel and bit, and numbered so that a uniform draw over all bits is a
// uniform draw over the site space.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hardy/qnn/execution_plan.h"
#include "hardy/qnn/qmodel.h"

namespace hardy::fault {

enum class Target {
  kNeurons,       ///< every value a running node writes (after requantization and activation)
  kWeights,       ///< Conv/Dense int8 weights as stored
  kAccumulators,  ///< Conv/Dense int32 sums (bias included) before requantization
};

const char* target_name(Target target);
/// "neurons", "weights" or "accumulators"; anything else is a ConfigError.
Target parse_target(const std::string& name);

/// The words of one layer that a campaign may hit.
struct SiteLayer {
  std::string name;         ///< the node's name (the writer's, for neurons)
  int node = -1;            ///< writer (neurons) or owner (weights, accumulators)
  int value = -1;           ///< the node's output value
  int64_t words = 0;        ///< elements of the value, or weights of the node
  int64_t per_channel = 1;  ///< consecutive words per output channel
  int bits = 8;             ///< word width: 8, or 32 for accumulators
  /// Selected output channels (all unless filtered) and selected bits (ascending).
  std::vector<int64_t> channels;
  std::vector<int> bit_list;

  int64_t channel_of(int64_t word) const { return word / per_channel; }
  /// Words selected by the channel filter.
  int64_t selected_words() const { return static_cast<int64_t>(channels.size()) * per_channel; }
  /// The index-th selected word (channel-major).
  int64_t selected_word(int64_t index) const {
    return channels[static_cast<size_t>(index / per_channel)] * per_channel + index % per_channel;
  }
};

/// Restricts a site space. Empty lists select everything.
struct SiteFilter {
  std::vector<std::string> layers;  ///< node names
  std::vector<int64_t> channels;    ///< output channels (each must exist in some selected layer)
  std::vector<int> bits;            ///< bit positions (each below the target's word width)
};

/// One word bit: layer index in the space, word within the layer's value or weights, bit.
struct Site {
  int layer = 0;
  int64_t word = 0;
  int bit = 0;
};

/// The selected sites of one target, in layer order (the plan's node order), then word, then bit.
class SiteSpace {
 public:
  /// Throws ConfigError for an unknown layer name (listing the valid ones), a bit outside the word
  /// or a channel no selected layer has.
  SiteSpace(const qnn::QModel& model, const qnn::ExecutionPlan& plan, Target target,
            const SiteFilter& filter = {});

  Target target() const { return target_; }
  const std::vector<SiteLayer>& layers() const { return layers_; }
  const SiteLayer& layer(int i) const { return layers_[static_cast<size_t>(i)]; }
  /// Selected words, and selected (word, bit) pairs, over all layers.
  int64_t words() const { return word_begin_.back(); }
  int64_t bits() const { return bit_begin_.back(); }
  /// The index-th selected (word, bit), 0 ≤ index < bits(): layer-major, then selected word, then
  /// selected bit. O(log layers).
  Site site(int64_t index) const;
  /// The index-th selected word's layer and word, 0 ≤ index < words().
  Site word(int64_t index) const;
  /// Index of a layer's first selected word among all selected words.
  int64_t first_word(int layer) const { return word_begin_[static_cast<size_t>(layer)]; }

 private:
  Target target_;
  std::vector<SiteLayer> layers_;
  std::vector<int64_t> word_begin_, bit_begin_;  // prefix sums, one past the last layer
};

}  // namespace hardy::fault
