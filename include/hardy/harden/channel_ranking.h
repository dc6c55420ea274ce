// Channel rankings for selective hardening (DESIGN §5): the NVF of a channel's neurons (read from
// `hardy nvf --csv`), and the two baselines, random and the L1 norm of the weights.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hardy/harden/selection.h"
#include "hardy/qnn/qmodel.h"

namespace hardy::harden {

/// How the NVFs of a channel's neurons make its score.
enum class NvfAggregate {
  kMean,    ///< mean NVF of the channel's neurons (the issue's ranking)
  kTotal,   ///< sum: the expected critical faults the channel holds per fault in each neuron
  kPerMac,  ///< sum / the channel's MACs: vulnerability removed per MAC spent (greedy knapsack)
};

/// One score per output channel of every protectable node from the NVF (column `nvf_<kind>`, e.g.
/// kind "bitflip") of the channel's neurons listed in the CSV that `hardy nvf --csv` writes for
/// this model. Channels without rows score 0. Throws FileError / FormatError for an unreadable
/// file, a missing column, a row that names no neuron of the model, or a bad number.
std::vector<ChannelScore> nvf_channel_scores(const qnn::QModel& model, const std::string& csv_path,
                                             const std::string& kind,
                                             NvfAggregate aggregate = NvfAggregate::kMean);

/// Share of the total NVF (same column) held by neurons that no pass can protect: outputs of
/// pooling, Add, Concat and the other non-MAC nodes (they are computed outside the MAC array).
double unprotectable_nvf_share(const qnn::QModel& model, const std::string& csv_path,
                               const std::string& kind);

/// Uniform random scores from the stream keyed by `seed` (reproducible).
std::vector<ChannelScore> random_channel_scores(const qnn::QModel& model, uint64_t seed);

/// The L1 norm of each channel's real weights, Σ |q_w| · weight_scale (what SentinelNN ranks by).
std::vector<ChannelScore> magnitude_channel_scores(const qnn::QModel& model);

}  // namespace hardy::harden
