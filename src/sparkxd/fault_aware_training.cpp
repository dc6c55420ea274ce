// Fault-aware training: the curriculum, the corruption path and the training hook.
#include "hardy/sparkxd/fault_aware_training.h"

#include <algorithm>
#include <cstring>

#include "hardy/core/error.h"
#include "hardy/dram/mapping.h"
#include "hardy/snn/simulator.h"
#include "hardy/sparkxd/error_maps.h"
#include "hardy/sparkxd/weight_segments.h"

namespace hardy::sparkxd {
namespace {

int64_t step_of(const FatOptions& fat, int64_t sample, int64_t total) {
  const auto steps = static_cast<int64_t>(fat.bers.size());
  // The largest k with ⌊k·T/S⌋ ≤ s.
  int64_t k = std::min(steps - 1, sample * steps / std::max<int64_t>(total, 1));
  while (k + 1 < steps && (k + 1) * total / steps <= sample) ++k;
  while (k > 0 && k * total / steps > sample) --k;
  return k;
}

}  // namespace

void FatOptions::validate() const {
  if (bers.empty() || bers.size() > 100) {
    throw ConfigError("fault-aware training needs 1 to 100 curriculum BERs");
  }
  for (size_t i = 0; i < bers.size(); ++i) {
    if (!(bers[i] >= 0 && bers[i] <= 0.5)) {
      throw ConfigError("curriculum BER " + std::to_string(bers[i]) + " is outside [0, 0.5]");
    }
    if (i > 0 && bers[i] < bers[i - 1]) {
      throw ConfigError("the curriculum BERs must not decrease (a curriculum raises the BER)");
    }
  }
  if (interval < 1) {
    throw ConfigError("error-map interval must be >= 1 sample, got " + std::to_string(interval));
  }
}

nlohmann::json FatOptions::to_json() const {
  return {{"bers", bers},
          {"interval", interval},
          {"weight_format", format.name()},
          {"errors", errors.to_json()},
          {"seed", seed},
          {"stream", kFatStream}};
}

double curriculum_ber(const FatOptions& fat, int64_t sample, int64_t total) {
  return fat.bers[static_cast<size_t>(step_of(fat, sample, total))];
}

bool redraws_at(const FatOptions& fat, int64_t sample, int64_t total) {
  const int64_t k = step_of(fat, sample, total);
  const int64_t start = k * total / static_cast<int64_t>(fat.bers.size());
  return (sample - start) % fat.interval == 0;
}

WeightCorruptor::WeightCorruptor(const dram::Organisation& org, snn::WeightFormat format,
                                 float w_max, const dram::ErrorModelOptions& errors)
    : org_(org), format_(format), w_max_(w_max), errors_(errors) {}

dram::InjectionResult WeightCorruptor::corrupt(std::span<float> weights, double ber,
                                               uint64_t map_seed) {
  snn::WeightStore store(format_, w_max_, weights);
  const std::vector<uint8_t> clean(store.bytes().begin(), store.bytes().end());
  MemorySegment segment = snn_weight_segment(store);
  const dram::WeakRegionMap uniform(org_, dram::SpatialVariation{0.0, 0.0}, 0);
  const dram::AddressMapping mapping = dram::AddressMapping::default_for(org_);
  const dram::Placement placement =
      dram::map_segments({&segment, 1}, mapping, uniform, ber, dram::MappingOptions{});
  const dram::ErrorInjector injector(uniform, errors_, map_seed);
  const dram::InjectionResult r = injector.inject({&segment, 1}, placement, pool_);
  if (r.flips == 0) return r;
  // Read back only the words whose bytes changed.
  const int bits = format_.bits;
  int64_t last = -1;
  for (size_t b = 0; b < clean.size(); ++b) {
    if (clean[b] == store.bytes()[b]) continue;
    const int64_t first_word = static_cast<int64_t>(b) * 8 / bits;
    const int64_t last_word =
        std::min<int64_t>(store.size() - 1, (static_cast<int64_t>(b) * 8 + 7) / bits);
    for (int64_t w = std::max(first_word, last + 1); w <= last_word; ++w) {
      weights[static_cast<size_t>(w)] = store.decode(w);
      last = w;
    }
  }
  return r;
}

FatStats train_fault_aware(snn::Network& net, const data::Dataset& train, snn::TrainOptions options,
                           const FatOptions& fat, const dram::Organisation& org,
                           const snn::ProgressFn& progress) {
  fat.validate();
  HARDY_CHECK(!options.before_sample);
  const int64_t images = options.images == 0 ? train.size() : options.images;
  const int64_t total = images * options.epochs;
  WeightCorruptor corruptor(org, fat.format, static_cast<float>(net.params.w_max), fat.errors);
  FatStats stats;
  std::vector<float> dense;
  options.before_sample_id = nlohmann::json{{"fault_aware_training", fat.to_json()}}.dump();
  options.before_sample = [&](int64_t s, snn::ModelState& m) {
    if (!redraws_at(fat, s, total)) return;
    const double ber = curriculum_ber(fat, s, total);
    dense.resize(static_cast<size_t>(m.inputs) * m.neurons);
    for (int i = 0; i < m.inputs; ++i) {
      std::copy_n(m.weights.begin() + static_cast<ptrdiff_t>(i) * m.stride, m.neurons,
                  dense.begin() + static_cast<ptrdiff_t>(i) * m.neurons);
    }
    const dram::InjectionResult r =
        corruptor.corrupt(dense, ber, error_map_seed(fat.seed, kFatStream, s));
    ++stats.maps;
    stats.flips += r.flips;
    if (r.flips == 0) return;
    for (int i = 0; i < m.inputs; ++i) {
      std::copy_n(dense.begin() + static_cast<ptrdiff_t>(i) * m.neurons, m.neurons,
                  m.weights.begin() + static_cast<ptrdiff_t>(i) * m.stride);
    }
  };
  stats.train = snn::train_network(net, train, options, progress);
  return stats;
}

}  // namespace hardy::sparkxd
