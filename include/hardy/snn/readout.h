// Readouts: Diehl & Cook's (each neuron is labelled with the class it answers most; a sample is
// classified by the class whose labelled neurons spike most on average) and proportion
// weighting (each neuron votes for every class in proportion to its responses).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace hardy::snn {

/// Labels from responses: counts is samples × neurons (row-major), labels[s] in [0, classes).
/// Neuron j's label = argmax over classes c of (Σ counts[s][j] over samples s of class c) /
/// (number of samples of class c); ties go to the lower class; a neuron that never spiked gets
/// kUnassigned (255) and does not vote. Classes without samples are never chosen.
std::vector<uint8_t> assign_labels(std::span<const int32_t> counts, std::span<const uint8_t> labels,
                                   int neurons, int classes = 10);

/// Same rule from accumulated sums: class_sums is classes × neurons (Σ counts of neuron j over
/// samples of class c), class_samples the number of samples per class.
std::vector<uint8_t> assign_labels_from_sums(std::span<const int64_t> class_sums,
                                             std::span<const int64_t> class_samples, int neurons);

/// Prediction for one sample's counts (size neurons): argmax over classes c with at least one
/// labelled neuron of mean count over neurons labelled c; ties go to the lower class. Returns −1
/// when no labelled neuron spiked (counted as wrong).
int predict(std::span<const int32_t> counts, std::span<const uint8_t> neuron_labels,
            int classes = 10);

/// How a sample's spike counts become a class.
enum class Readout {
  kVote,        ///< Diehl & Cook: the class whose labelled neurons spike most on average
  kProportion,  ///< BindsNET's proportion weighting: every neuron votes for every class
};

/// Weights for proportion weighting from class responses (classes × neurons, class-major, as
/// Network::class_responses): p[c·n + j] = r[c·n + j] / Σ_c' r[c'·n + j], 0 for a neuron that
/// never answered.
std::vector<double> proportion_weights(std::span<const float> class_responses, int neurons,
                                       int classes = 10);

/// Proportion-weighted prediction: argmax over c of Σ_j counts[j]·p[c·n + j]; ties go to the
/// lower class. Returns −1 when every score is 0 (no neuron with a response profile spiked).
int predict_proportion(std::span<const int32_t> counts, std::span<const double> weights,
                       int classes = 10);

}  // namespace hardy::snn
