// Label assignment and voting.
#include "hardy/snn/readout.h"

#include "hardy/core/error.h"
#include "hardy/snn/network.h"

namespace hardy::snn {

std::vector<uint8_t> assign_labels(std::span<const int32_t> counts, std::span<const uint8_t> labels,
                                   int neurons, int classes) {
  HARDY_CHECK(neurons > 0 && classes > 0 && classes < 255);
  HARDY_CHECK(counts.size() == labels.size() * static_cast<size_t>(neurons));
  std::vector<int64_t> per_class(static_cast<size_t>(classes) * neurons, 0);
  std::vector<int64_t> class_samples(static_cast<size_t>(classes), 0);
  for (size_t s = 0; s < labels.size(); ++s) {
    const int c = labels[s];
    HARDY_CHECK(c < classes);
    ++class_samples[static_cast<size_t>(c)];
    const int32_t* row = counts.data() + s * static_cast<size_t>(neurons);
    int64_t* acc = per_class.data() + static_cast<size_t>(c) * neurons;
    for (int j = 0; j < neurons; ++j) acc[j] += row[j];
  }
  return assign_labels_from_sums(per_class, class_samples, neurons);
}

std::vector<uint8_t> assign_labels_from_sums(std::span<const int64_t> per_class,
                                             std::span<const int64_t> class_samples, int neurons) {
  const int classes = static_cast<int>(class_samples.size());
  HARDY_CHECK(per_class.size() == class_samples.size() * static_cast<size_t>(neurons));
  std::vector<uint8_t> out(static_cast<size_t>(neurons), kUnassigned);
  for (int j = 0; j < neurons; ++j) {
    double best = 0.0;
    for (int c = 0; c < classes; ++c) {
      const int64_t n = class_samples[static_cast<size_t>(c)];
      if (n == 0) continue;
      const double rate = static_cast<double>(per_class[static_cast<size_t>(c) * neurons + j]) /
                          static_cast<double>(n);
      if (rate > best) {
        best = rate;
        out[static_cast<size_t>(j)] = static_cast<uint8_t>(c);
      }
    }
  }
  return out;
}

int predict(std::span<const int32_t> counts, std::span<const uint8_t> neuron_labels, int classes) {
  HARDY_CHECK(counts.size() == neuron_labels.size());
  std::vector<int64_t> sum(static_cast<size_t>(classes), 0),
      members(static_cast<size_t>(classes), 0);
  for (size_t j = 0; j < counts.size(); ++j) {
    const int c = neuron_labels[j];
    if (c >= classes) continue;
    sum[static_cast<size_t>(c)] += counts[j];
    ++members[static_cast<size_t>(c)];
  }
  int best = -1;
  double best_rate = 0.0;
  for (int c = 0; c < classes; ++c) {
    if (members[static_cast<size_t>(c)] == 0) continue;
    const double rate = static_cast<double>(sum[static_cast<size_t>(c)]) /
                        static_cast<double>(members[static_cast<size_t>(c)]);
    if (rate > best_rate) {
      best_rate = rate;
      best = c;
    }
  }
  return best;
}

std::vector<double> proportion_weights(std::span<const float> class_responses, int neurons,
                                       int classes) {
  HARDY_CHECK(neurons > 0 && classes > 0);
  HARDY_CHECK(class_responses.size() == static_cast<size_t>(classes) * neurons);
  std::vector<double> p(class_responses.size(), 0.0);
  for (int j = 0; j < neurons; ++j) {
    double total = 0.0;
    for (int c = 0; c < classes; ++c) total += class_responses[static_cast<size_t>(c) * neurons + j];
    if (total <= 0.0) continue;
    for (int c = 0; c < classes; ++c) {
      const size_t k = static_cast<size_t>(c) * neurons + j;
      p[k] = class_responses[k] / total;
    }
  }
  return p;
}

int predict_proportion(std::span<const int32_t> counts, std::span<const double> weights,
                       int classes) {
  const auto n = counts.size();
  HARDY_CHECK(weights.size() == static_cast<size_t>(classes) * n);
  int best = -1;
  double best_score = 0.0;
  for (int c = 0; c < classes; ++c) {
    const double* p = weights.data() + static_cast<size_t>(c) * n;
    double score = 0.0;
    for (size_t j = 0; j < n; ++j) score += counts[j] * p[j];
    if (score > best_score) {
      best_score = score;
      best = c;
    }
  }
  return best;
}

}  // namespace hardy::snn
