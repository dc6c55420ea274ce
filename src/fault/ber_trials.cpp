// BER trials: every selected bit flips independently with probability p. Weights are stored, so one
// fault map per trial applies to every image of the trial; neurons and accumulators are transient,
// so every image gets a fresh map. Maps are drawn by geometric skipping over the selected bits
// from keyed streams, so a trial's map does not depend on threads, shards or order.
#include <cmath>
#include <map>

#include "campaign_worker.h"
#include "hardy/core/error.h"
#include "hardy/core/rng.h"
#include "hardy/fault/campaign.h"

namespace hardy::fault {
namespace {

// Indices (ascending) of the bits among `total` that flip with probability p.
std::vector<int64_t> draw_error_bits(int64_t total, double p, RngStream& rng) {
  std::vector<int64_t> bits;
  if (p <= 0 || total <= 0) return bits;
  if (p >= 1) {
    for (int64_t i = 0; i < total; ++i) bits.push_back(i);
    return bits;
  }
  const double log_q = std::log1p(-p);
  for (int64_t i = -1;;) {
    const double u = 1.0 - rng.uniform();  // (0, 1]
    const double gap = std::floor(std::log(u) / log_q);
    if (gap >= static_cast<double>(total - i - 1)) break;
    i += 1 + static_cast<int64_t>(gap);
    bits.push_back(i);
  }
  return bits;
}

// (layer, word) → XOR mask of its flipped bits, in site order.
std::map<std::pair<int, int64_t>, uint32_t> group_by_word(const SiteSpace& sites,
                                                          const std::vector<int64_t>& bits) {
  std::map<std::pair<int, int64_t>, uint32_t> words;
  for (int64_t b : bits) {
    const Site s = sites.site(b);
    words[{s.layer, s.word}] |= uint32_t{1} << s.bit;
  }
  return words;
}

}  // namespace

void Campaign::run_with_transient_errors(int64_t position, uint64_t stream,
                                         CampaignWorker& w) const {
  RngStream rng(
      options_.seed,
      stream_tag(options_.target == Target::kNeurons ? "ber_neurons" : "ber_accumulators"), stream);
  const auto words = group_by_word(sites_, draw_error_bits(sites_.bits(), options_.ber, rng));
  auto next = words.begin();
  const auto image = test_.image(images_[static_cast<size_t>(position)]);
  std::copy(image.begin(), image.end(), exec_.value(w.ws, exec_.model().input).begin());
  for (int i : exec_.plan().schedule()) {
    exec_.run_node(i, w.ws);
    // Sites are in schedule order: the errors of node i's layer are next in the map.
    for (; next != words.end() && sites_.layer(next->first.first).node == i; ++next) {
      const SiteLayer& l = sites_.layer(next->first.first);
      const int64_t word = next->first.second;
      auto bytes = exec_.value(w.ws, l.value);
      if (options_.target == Target::kNeurons) {
        bytes[static_cast<size_t>(word)] ^= static_cast<uint8_t>(next->second);
      } else {
        const auto acc = static_cast<uint32_t>(exec_.accumulator(i, word, w.ws)) ^ next->second;
        bytes[static_cast<size_t>(word)] =
            exec_.requantize_accumulator(i, word, static_cast<int32_t>(acc));
      }
    }
  }
  HARDY_CHECK(next == words.end());
}

void Campaign::ber_trial(int64_t trial, CampaignCounts& out, CampaignWorker& w) const {
  const int64_t n = static_cast<int64_t>(images_.size());
  const int64_t out_n = exec_.model().output_elements();
  std::vector<std::pair<std::pair<int, int64_t>, int8_t>> saved;
  if (options_.target == Target::kWeights) {
    RngStream rng(options_.seed, stream_tag("ber_weights"), static_cast<uint64_t>(trial));
    for (const auto& [key, mask] :
         group_by_word(sites_, draw_error_bits(sites_.bits(), options_.ber, rng))) {
      const SiteLayer& l = sites_.layer(key.first);
      const int8_t old = w.patched->weight(l.node, key.second);
      saved.push_back({key, old});
      w.patched->set_weight(
          l.node, key.second,
          static_cast<int8_t>(static_cast<uint8_t>(old) ^ static_cast<uint8_t>(mask)));
    }
  }
  TrialCounts& t = out.per_trial[static_cast<size_t>(trial)];
  for (int64_t pos = 0; pos < n; ++pos) {
    std::span<const uint8_t> output;
    if (options_.target == Target::kWeights) {
      w.patched->run(test_.image(images_[static_cast<size_t>(pos)]), w.ws);
      output = w.patched->output(w.ws);
    } else {
      run_with_transient_errors(pos, static_cast<uint64_t>(trial * n + pos), w);
      output = exec_.output(w.ws);
    }
    const std::span<const uint8_t> golden(golden_outputs_.data() + pos * out_n,
                                          static_cast<size_t>(out_n));
    const Outcome o = classify(golden, output, qnn::argmax(golden.data(), out_n));
    t.outcomes.add(o);
    out.total.add(o);
    out.per_image[static_cast<size_t>(pos)].add(o);
    const int label = test_.labels[static_cast<size_t>(images_[static_cast<size_t>(pos)])];
    t.correct += qnn::argmax(output.data(), out_n) == label;
  }
  for (auto it = saved.rbegin(); it != saved.rend(); ++it) {
    w.patched->set_weight(sites_.layer(it->first.first).node, it->first.second, it->second);
  }
}

}  // namespace hardy::fault
