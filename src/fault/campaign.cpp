// Campaign: option checks, image selection, chunking, and the exhaustive and statistical runners
// (BER trials are in ber_trials.cpp).
#include "hardy/fault/campaign.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <optional>

#include "campaign_worker.h"
#include "hardy/core/enum_names.h"
#include "hardy/core/error.h"
#include "hardy/core/hash.h"
#include "hardy/core/rng.h"
#include "hardy/fault/statistics.h"

namespace hardy::fault {

namespace {
constexpr std::pair<CampaignMode, const char*> kModeNames[] = {
    {CampaignMode::kExhaustive, "exhaustive"},
    {CampaignMode::kStatistical, "statistical"},
    {CampaignMode::kTrials, "trials"}};
}  // namespace

const char* campaign_mode_name(CampaignMode mode) {
  return enum_name<CampaignMode>(mode, kModeNames);
}

CampaignMode parse_campaign_mode(const std::string& name) {
  return parse_enum<CampaignMode>(name, kModeNames, "campaign mode");
}

void CampaignOptions::validate() const {
  if (images < 1)
    throw ConfigError("a campaign needs at least 1 image, got " + std::to_string(images));
  if (offset < 0) throw ConfigError("image offset must be >= 0, got " + std::to_string(offset));
  if (shard_count < 1 || shard_index < 0 || shard_index >= shard_count) {
    throw ConfigError("shard " + std::to_string(shard_index) + "/" + std::to_string(shard_count) +
                      ": expected K/N with 0 <= K < N");
  }
  const bool ber_kind = kind == FaultKind::kBer;
  if (ber_kind != (mode == CampaignMode::kTrials)) {
    throw ConfigError(std::string("fault kind ") + fault_kind_name(kind) + " needs mode " +
                      (ber_kind ? "trials" : "exhaustive or statistical"));
  }
  if (mode == CampaignMode::kStatistical) {
    if (faults < 0) throw ConfigError("fault count must be >= 0");
    if (faults == 0 && !(margin > 0 && margin < 1)) {
      throw ConfigError("margin must be in (0, 1), got " + std::to_string(margin));
    }
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw ConfigError("confidence must be in (0, 1), got " + std::to_string(confidence));
  }
  if (mode == CampaignMode::kTrials) {
    if (!(ber >= 0 && ber <= 1)) {
      throw ConfigError("bit error rate must be in [0, 1], got " + std::to_string(ber));
    }
    if (trials < 1) throw ConfigError("BER trials need at least 1 trial");
  }
  if (kind == FaultKind::kBitFlip2 && !filter.bits.empty() && filter.bits.size() < 2) {
    throw ConfigError("bitflip2 needs at least two selected bits");
  }
}

CampaignCounts& CampaignCounts::operator+=(const CampaignCounts& o) {
  total += o.total;
  const auto add = [](auto& a, const auto& b) {
    HARDY_CHECK(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) a[i] += b[i];
  };
  add(per_layer, o.per_layer);
  add(per_bit, o.per_bit);
  add(per_word, o.per_word);
  add(per_image, o.per_image);
  HARDY_CHECK(per_trial.size() == o.per_trial.size());
  for (size_t i = 0; i < per_trial.size(); ++i) {
    per_trial[i].correct += o.per_trial[i].correct;
    per_trial[i].outcomes += o.per_trial[i].outcomes;
  }
  HARDY_CHECK(chunk_done.size() == o.chunk_done.size());
  for (size_t i = 0; i < chunk_done.size(); ++i) {
    if (chunk_done[i] && o.chunk_done[i]) {
      throw ConfigError("chunk " + std::to_string(i) + " is counted twice (overlapping shards)");
    }
    chunk_done[i] |= o.chunk_done[i];
  }
  return *this;
}

std::vector<int64_t> CampaignCounts::to_vector() const {
  std::vector<int64_t> v;
  const auto put = [&](const OutcomeCounts& c) {
    v.push_back(c.masked);
    v.push_back(c.sdc_benign);
    v.push_back(c.sdc_critical);
  };
  put(total);
  for (const auto* list : {&per_layer, &per_bit, &per_word, &per_image}) {
    for (const auto& c : *list) put(c);
  }
  for (const auto& t : per_trial) {
    v.push_back(t.correct);
    put(t.outcomes);
  }
  for (uint8_t d : chunk_done) v.push_back(d);
  return v;
}

CampaignCounts CampaignCounts::from_vector(const std::vector<int64_t>& v,
                                           const CampaignCounts& shape) {
  CampaignCounts c = shape;
  size_t at = 0;
  const auto take = [&](OutcomeCounts& o) {
    HARDY_CHECK(at + 3 <= v.size());
    o = {v[at], v[at + 1], v[at + 2]};
    at += 3;
  };
  take(c.total);
  for (auto* list : {&c.per_layer, &c.per_bit, &c.per_word, &c.per_image}) {
    for (auto& o : *list) take(o);
  }
  for (auto& t : c.per_trial) {
    HARDY_CHECK(at < v.size());
    t.correct = v[at++];
    take(t.outcomes);
  }
  for (auto& d : c.chunk_done) {
    HARDY_CHECK(at < v.size() && v[at] >= 0 && v[at] <= 1);
    d = static_cast<uint8_t>(v[at++]);
  }
  HARDY_CHECK(at == v.size());
  return c;
}

std::vector<int64_t> select_images(const qnn::Int8Executor& exec, const data::Dataset& test,
                                   const CampaignOptions& o, ThreadPool& pool) {
  if (o.offset >= test.size()) {
    throw ConfigError("image offset " + std::to_string(o.offset) + " is past the " +
                      std::to_string(test.size()) + " test images");
  }
  std::vector<int64_t> chosen;
  if (!o.correct_only) {
    if (o.offset + o.images > test.size()) {
      throw ConfigError(std::to_string(o.images) + " images from offset " +
                        std::to_string(o.offset) + " need " + std::to_string(o.offset + o.images) +
                        " test images; the test set has " + std::to_string(test.size()));
    }
    for (int64_t i = 0; i < o.images; ++i) chosen.push_back(o.offset + i);
    return chosen;
  }
  // Classify the remaining images in blocks until enough correct ones are found.
  const int64_t out_n = exec.model().output_elements();
  for (int64_t start = o.offset;
       start < test.size() && static_cast<int64_t>(chosen.size()) < o.images;) {
    const int64_t n = std::min<int64_t>(test.size() - start, std::max<int64_t>(o.images, 256));
    const data::Dataset block = test.slice(start, n);
    const auto outputs = exec.run_dataset(block, n, pool);
    for (int64_t i = 0; i < n && static_cast<int64_t>(chosen.size()) < o.images; ++i) {
      if (qnn::argmax(outputs.data() + i * out_n, out_n) == block.labels[static_cast<size_t>(i)]) {
        chosen.push_back(start + i);
      }
    }
    start += n;
  }
  if (static_cast<int64_t>(chosen.size()) < o.images) {
    throw ConfigError("only " + std::to_string(chosen.size()) + " test images from offset " +
                      std::to_string(o.offset) + " are classified correctly; asked for " +
                      std::to_string(o.images));
  }
  return chosen;
}

namespace {

// Pairs of selected bits (b < b2) of a word, or the bits themselves.
int64_t faults_per_word(FaultKind kind, int64_t bits) {
  return kind == FaultKind::kBitFlip2 ? bits * (bits - 1) / 2 : bits;
}

}  // namespace

Campaign::Campaign(const qnn::QModel& model, const data::Dataset& test,
                   const CampaignOptions& options, ThreadPool& pool)
    : options_(options),
      test_(test),
      exec_(model, qnn::KernelSet::kOptimized),
      sites_(exec_.model(), exec_.plan(), options.target, options.filter) {
  options_.validate();
  images_ = select_images(exec_, test, options_, pool);
  const auto n_images = static_cast<int64_t>(images_.size());
  switch (options_.mode) {
    case CampaignMode::kExhaustive: {
      int64_t per_image = 0;
      for (const auto& l : sites_.layers()) {
        per_image += l.selected_words() *
                     faults_per_word(options_.kind, static_cast<int64_t>(l.bit_list.size()));
      }
      faults_ = per_image * n_images;
      chunks_ = n_images;
      break;
    }
    case CampaignMode::kStatistical: {
      int64_t population = 0;
      for (const auto& l : sites_.layers()) {
        population += l.selected_words() *
                      faults_per_word(options_.kind, static_cast<int64_t>(l.bit_list.size()));
      }
      population *= n_images;
      faults_ = options_.faults > 0
                    ? options_.faults
                    : leveugle_sample_size(static_cast<double>(population), options_.margin,
                                           normal_quantile(options_.confidence));
      chunks_ = (faults_ + kFaultsPerStatisticalChunk - 1) / kFaultsPerStatisticalChunk;
      break;
    }
    case CampaignMode::kTrials: {
      faults_ = options_.trials * n_images;
      chunks_ = options_.trials;
      auto ws = exec_.make_workspace();
      for (int64_t i : images_) {
        exec_.run(test.image(i), ws);
        const auto out = exec_.output(ws);
        golden_outputs_.insert(golden_outputs_.end(), out.begin(), out.end());
      }
      break;
    }
  }
  Fnv1a64 h;
  const auto mix = [&](const auto& v) {
    h.update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&v), sizeof v));
  };
  mix(qnn::model_fingerprint(exec_.model()));
  h.update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(images_.data()),
                                    images_.size() * sizeof(int64_t)));
  for (int64_t i : images_) h.update(test.image(i));
  for (int64_t v : {static_cast<int64_t>(options_.target), static_cast<int64_t>(options_.kind),
                    static_cast<int64_t>(options_.mode), options_.faults, options_.trials,
                    static_cast<int64_t>(options_.seed), faults_, sites_.bits()}) {
    mix(v);
  }
  mix(options_.ber);
  for (const auto& l : sites_.layers()) {
    h.update(l.name);
    h.update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(l.channels.data()),
                                      l.channels.size() * sizeof(int64_t)));
    h.update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(l.bit_list.data()),
                                      l.bit_list.size() * sizeof(int)));
  }
  fingerprint_ = h.digest();
}

CampaignCounts Campaign::empty_counts() const {
  CampaignCounts c;
  const size_t layers = sites_.layers().size();
  c.per_layer.resize(layers);
  c.per_bit.resize(layers * 32);
  if (options_.mode != CampaignMode::kTrials)
    c.per_word.resize(static_cast<size_t>(sites_.words()));
  c.per_image.resize(images_.size());
  if (options_.mode == CampaignMode::kTrials)
    c.per_trial.resize(static_cast<size_t>(options_.trials));
  c.chunk_done.assign(static_cast<size_t>(chunks_), 0);
  return c;
}

int64_t Campaign::chunk_faults(int64_t chunk) const {
  switch (options_.mode) {
    case CampaignMode::kExhaustive:
      return faults_ / chunks_;
    case CampaignMode::kStatistical:
      return std::min(kFaultsPerStatisticalChunk, faults_ - chunk * kFaultsPerStatisticalChunk);
    case CampaignMode::kTrials:
      return static_cast<int64_t>(images_.size());
  }
  return 0;
}

Outcome Campaign::inject(CampaignWorker& w, const Site& site, const WordFault& fault) const {
  const SiteLayer& l = sites_.layer(site.layer);
  switch (options_.target) {
    case Target::kNeurons: {
      const uint8_t g = w.propagator.golden_byte(l.value, site.word);
      return w.propagator.inject_neuron(l.value, site.word, static_cast<uint8_t>(fault.apply(g)));
    }
    case Target::kWeights: {
      const auto g = static_cast<uint8_t>(exec_.weight(l.node, site.word));
      return w.propagator.inject_weight(l.node, site.word,
                                        static_cast<int8_t>(static_cast<uint8_t>(fault.apply(g))));
    }
    case Target::kAccumulators: {
      const auto g = static_cast<uint32_t>(w.propagator.golden_accumulator(l.node, site.word));
      return w.propagator.inject_accumulator(l.node, site.word,
                                             static_cast<int32_t>(fault.apply(g)));
    }
  }
  return Outcome::kMasked;
}

void Campaign::count(CampaignCounts& out, const Site& site, const WordFault& fault,
                     int64_t position, Outcome outcome) const {
  out.total.add(outcome);
  out.per_layer[static_cast<size_t>(site.layer)].add(outcome);
  const int bit = fault.bit2 >= 0 ? fault.bit2 : fault.bit;
  out.per_bit[static_cast<size_t>(site.layer * 32 + bit)].add(outcome);
  const SiteLayer& l = sites_.layer(site.layer);
  // The word's index among the selected words of its layer (channel-major).
  const int64_t channel_pos =
      std::lower_bound(l.channels.begin(), l.channels.end(), l.channel_of(site.word)) -
      l.channels.begin();
  const int64_t word =
      sites_.first_word(site.layer) + channel_pos * l.per_channel + site.word % l.per_channel;
  out.per_word[static_cast<size_t>(word)].add(outcome);
  out.per_image[static_cast<size_t>(position)].add(outcome);
}

void Campaign::exhaustive_image(int64_t position, CampaignCounts& out, CampaignWorker& w) const {
  w.propagator.set_image(test_.image(images_[static_cast<size_t>(position)]));
  for (int layer = 0; layer < static_cast<int>(sites_.layers().size()); ++layer) {
    const SiteLayer& l = sites_.layer(layer);
    const std::vector<WordFault> faults = exhaustive_word_faults(options_.kind, l.bit_list);
    for (int64_t s = 0; s < l.selected_words(); ++s) {
      const Site site{layer, l.selected_word(s), 0};
      for (const WordFault& f : faults) count(out, site, f, position, inject(w, site, f));
    }
  }
}

void Campaign::statistical_block(int64_t chunk, CampaignCounts& out, CampaignWorker& w) const {
  struct Drawn {
    int64_t position;
    Site site;
    WordFault fault;
  };
  std::vector<Drawn> drawn;
  const int64_t first = chunk * kFaultsPerStatisticalChunk;
  const auto n_images = static_cast<uint64_t>(images_.size());
  for (int64_t i = first; i < first + chunk_faults(chunk); ++i) {
    // Each fault's own stream: the sample is the same for any chunking, thread or shard.
    RngStream rng(options_.seed, stream_tag("campaign_statistical"), static_cast<uint64_t>(i));
    Drawn d;
    d.position = static_cast<int64_t>(rng.uniform_below(n_images));
    if (options_.kind == FaultKind::kBitFlip2) {
      // Uniform over (word, pair of selected bits): words weighted by their pair counts.
      d.site = sites_.word(
          static_cast<int64_t>(rng.uniform_below(static_cast<uint64_t>(sites_.words()))));
      const auto& bits = sites_.layer(d.site.layer).bit_list;
      const auto nb = static_cast<uint64_t>(bits.size());
      const uint64_t pair = rng.uniform_below(nb * (nb - 1) / 2);
      uint64_t a = 0, rest = pair;
      while (rest >= nb - 1 - a) rest -= nb - 1 - a++;
      d.fault = {FaultKind::kBitFlip2, bits[a], bits[a + 1 + rest]};
    } else {
      d.site = sites_.site(
          static_cast<int64_t>(rng.uniform_below(static_cast<uint64_t>(sites_.bits()))));
      d.fault = {options_.kind, d.site.bit, -1};
    }
    drawn.push_back(d);
  }
  // Faults that share an image share its golden run.
  std::stable_sort(drawn.begin(), drawn.end(),
                   [](const Drawn& a, const Drawn& b) { return a.position < b.position; });
  int64_t current = -1;
  for (const Drawn& d : drawn) {
    if (d.position != current) {
      current = d.position;
      w.propagator.set_image(test_.image(images_[static_cast<size_t>(current)]));
    }
    count(out, d.site, d.fault, d.position, inject(w, d.site, d.fault));
  }
}

void Campaign::run_chunk(int64_t chunk, CampaignCounts& out, CampaignWorker& w) const {
  switch (options_.mode) {
    case CampaignMode::kExhaustive:
      exhaustive_image(chunk, out, w);
      break;
    case CampaignMode::kStatistical:
      statistical_block(chunk, out, w);
      break;
    case CampaignMode::kTrials:
      ber_trial(chunk, out, w);
      break;
  }
  out.chunk_done[static_cast<size_t>(chunk)] = 1;
}

void Campaign::run(CampaignCounts& counts, ThreadPool& pool, const Observer& observer) const {
  std::vector<int64_t> todo;
  int64_t shard_total = 0, done = 0;
  for (int64_t c = 0; c < chunks_; ++c) {
    if (!in_shard(c)) continue;
    shard_total += chunk_faults(c);
    if (counts.chunk_done[static_cast<size_t>(c)]) {
      done += chunk_faults(c);
    } else {
      todo.push_back(c);
    }
  }
  if (observer) observer(counts, done, shard_total);
  std::atomic<size_t> next{0};
  std::mutex mutex;
  pool.parallel_for(pool.threads(), [&](int64_t, int64_t, int) {
    CampaignWorker worker(
        exec_, options_.mode == CampaignMode::kTrials && options_.target == Target::kWeights);
    for (size_t k = next++; k < todo.size(); k = next++) {
      CampaignCounts part = empty_counts();
      run_chunk(todo[k], part, worker);
      std::lock_guard lock(mutex);
      counts += part;
      done += chunk_faults(todo[k]);
      if (observer) observer(counts, done, shard_total);
    }
  });
  if (observer) observer(counts, done, shard_total);
}

}  // namespace hardy::fault
