// Import passes that fold the importer's synthesized nodes (NodeOrigin::kAffine, kPad) into their
// neighbours wherever the result is exactly the same network.
#pragma once

#include "hardy/qnn/graph.h"

namespace hardy::qnn {

/// Folds each affine node (y = a·x + b per channel, no activation) into its only consumer when
/// that is a Conv without padding or a Dense, possibly behind reshapes (Flatten nodes):
/// w' = w·a, b' = b + Σ w·b. Padding would turn the affine map's zeros into b, so a padded Conv
/// keeps the affine node. Run before fuse_activations.
void fold_affine_nodes(Graph& graph);

/// Folds each Pad node (no activation) into its only consumer: a Conv (the paddings add up), an
/// AveragePool without padding (the zeros are counted: count_include_pad), or a MaxPool whose
/// input is non-negative (a Relu or a clamp at ≥ 0 before the Pad) when every window still
/// overlaps the input (then a zero never wins). Run after fuse_activations.
void fold_pad_nodes(Graph& graph);

/// Throws UnsupportedError for an affine node left on a flat (F) tensor: hardy runs per-channel
/// affine maps only on (C, H, W) tensors (as depthwise 1×1 Convs).
void check_folded(const Graph& graph);

}  // namespace hardy::qnn
