// NvfAnalysis: the distinct faulty bytes of every neuron and image, decided by interval bounds
// where they can and by exact simulation where they cannot.
#include "hardy/analysis/nvf.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <mutex>

#include "hardy/analysis/interval_bounds.h"
#include "hardy/core/error.h"
#include "hardy/core/hash.h"
#include "hardy/fault/propagator.h"

namespace hardy::analysis {

using fault::FaultKind;
using fault::WordFault;

void NvfOptions::validate() const {
  if (kinds.empty()) throw ConfigError("no fault model to analyse");
  for (size_t i = 0; i < kinds.size(); ++i) {
    if (kinds[i] == FaultKind::kBer) {
      throw ConfigError(
          "fault model 'ber' has no per-neuron vulnerability; use bitflip, "
          "bitflip2, stuck0 or stuck1");
    }
    for (size_t j = 0; j < i; ++j) {
      if (kinds[j] == kinds[i]) {
        throw ConfigError(std::string("fault model '") + fault::fault_kind_name(kinds[i]) +
                          "' is listed twice");
      }
    }
  }
  if (images <= 0) throw ConfigError("the number of images must be positive");
  if (offset < 0) throw ConfigError("the image offset must not be negative");
}

NvfCounts& NvfCounts::operator+=(const NvfCounts& o) {
  const auto add = [](std::vector<std::vector<int64_t>>& a,
                      const std::vector<std::vector<int64_t>>& b) {
    for (size_t m = 0; m < a.size(); ++m) {
      for (size_t i = 0; i < a[m].size(); ++i) a[m][i] += b[m][i];
    }
  };
  add(per_word, o.per_word);
  add(per_bit, o.per_bit);
  add(per_image, o.per_image);
  bytes_trivial += o.bytes_trivial;
  bytes_by_bounds += o.bytes_by_bounds;
  bytes_simulated += o.bytes_simulated;
  pairs_by_bounds += o.pairs_by_bounds;
  pairs_simulated += o.pairs_simulated;
  bound_passes += o.bound_passes;
  bound_proofs += o.bound_proofs;
  for (size_t i = 0; i < image_done.size(); ++i) image_done[i] |= o.image_done[i];
  return *this;
}

std::vector<int64_t> NvfCounts::to_vector() const {
  std::vector<int64_t> v;
  for (const auto* table : {&per_word, &per_bit, &per_image}) {
    for (const auto& row : *table) v.insert(v.end(), row.begin(), row.end());
  }
  v.insert(v.end(), {bytes_trivial, bytes_by_bounds, bytes_simulated, pairs_by_bounds,
                     pairs_simulated, bound_passes, bound_proofs});
  v.insert(v.end(), image_done.begin(), image_done.end());
  return v;
}

NvfCounts NvfCounts::from_vector(const std::vector<int64_t>& v, const NvfCounts& shape) {
  NvfCounts c = shape;
  size_t at = 0;
  const auto take = [&]() {
    if (at >= v.size())
      throw FormatError("NVF counts", "counts", "sized for this analysis", "fewer");
    return v[at++];
  };
  for (auto* table : {&c.per_word, &c.per_bit, &c.per_image}) {
    for (auto& row : *table) {
      for (auto& x : row) x = take();
    }
  }
  for (int64_t* x : {&c.bytes_trivial, &c.bytes_by_bounds, &c.bytes_simulated, &c.pairs_by_bounds,
                     &c.pairs_simulated, &c.bound_passes, &c.bound_proofs}) {
    *x = take();
  }
  for (auto& d : c.image_done) {
    const int64_t x = take();
    if (x != 0 && x != 1)
      throw FormatError("NVF counts", "image_done", "0 or 1", std::to_string(x));
    d = static_cast<uint8_t>(x);
  }
  if (at != v.size()) throw FormatError("NVF counts", "counts", "sized for this analysis", "more");
  return c;
}

struct NvfAnalysis::Worker {
  fault::FaultPropagator sim;
  IntervalBounds bounds;
  explicit Worker(const qnn::Int8Executor& exec) : sim(exec), bounds(exec) {}
};

NvfAnalysis::NvfAnalysis(const qnn::QModel& model, const data::Dataset& test,
                         const NvfOptions& options, ThreadPool& pool)
    : options_(options),
      test_(test),
      exec_(model, qnn::KernelSet::kOptimized),
      sites_(exec_.model(), exec_.plan(), fault::Target::kNeurons, options.filter) {
  options_.validate();
  fault::CampaignOptions select;
  select.images = options_.images;
  select.offset = options_.offset;
  select.correct_only = options_.correct_only;
  images_ = fault::select_images(exec_, test, select, pool);
  for (FaultKind kind : options_.kinds) {
    auto& per_layer = faults_.emplace_back();
    for (const fault::SiteLayer& l : sites_.layers()) {
      per_layer.push_back(fault::exhaustive_word_faults(kind, l.bit_list));
    }
  }
  Fnv1a64 h;
  const auto mix = [&](int64_t v) {
    h.update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&v), sizeof v));
  };
  mix(static_cast<int64_t>(qnn::model_fingerprint(exec_.model())));
  for (int64_t i : images_) {
    mix(i);
    h.update(test.image(i));
  }
  for (FaultKind kind : options_.kinds) mix(static_cast<int64_t>(kind));
  for (const fault::SiteLayer& l : sites_.layers()) {
    mix(l.value);
    for (int64_t c : l.channels) mix(c);
    for (int b : l.bit_list) mix(b);
  }
  fingerprint_ = h.digest();
}

NvfCounts NvfAnalysis::empty_counts() const {
  NvfCounts c;
  const size_t models = options_.kinds.size();
  c.per_word.assign(models, std::vector<int64_t>(static_cast<size_t>(sites_.words()), 0));
  c.per_bit.assign(models, std::vector<int64_t>(sites_.layers().size() * 8, 0));
  c.per_image.assign(models, std::vector<int64_t>(images_.size(), 0));
  c.image_done.assign(images_.size(), 0);
  return c;
}

void NvfAnalysis::analyse_image(int64_t position, NvfCounts& out, Worker& w) const {
  const auto image = test_.image(images_[static_cast<size_t>(position)]);
  w.sim.set_image(image);
  if (options_.bounds) w.bounds.set_image(image);
  const size_t models = options_.kinds.size();
  for (int layer = 0; layer < static_cast<int>(sites_.layers().size()); ++layer) {
    const fault::SiteLayer& l = sites_.layer(layer);
    // Bound passes are tried on ranges of a size class while they prove often enough to pay
    // (counted per layer and image, so the choice is the same for any thread count).
    std::array<int64_t, 8> tries{}, proofs{};
    for (int64_t s = 0; s < l.selected_words(); ++s) {
      const int64_t word = l.selected_word(s);
      const auto gw = static_cast<size_t>(sites_.first_word(layer) + s);
      const uint8_t g = w.sim.golden_byte(l.value, word);
      std::array<uint64_t, 4> needed{};  // bytes some fault produces
      for (size_t m = 0; m < models; ++m) {
        for (const WordFault& f : faults_[m][static_cast<size_t>(layer)]) {
          const auto v = static_cast<uint8_t>(f.apply(g));
          needed[v >> 6] |= uint64_t{1} << (v & 63);
        }
      }
      if (needed[g >> 6] >> (g & 63) & 1) ++out.bytes_trivial;
      // Each side of g, nearest first.
      std::array<uint8_t, 256> up{}, down{};
      int n_up = 0, n_down = 0;
      for (int v = g + 1; v < 256; ++v) {
        if (needed[static_cast<size_t>(v) >> 6] >> (v & 63) & 1)
          up[n_up++] = static_cast<uint8_t>(v);
      }
      for (int v = g - 1; v >= 0; --v) {
        if (needed[static_cast<size_t>(v) >> 6] >> (v & 63) & 1)
          down[n_down++] = static_cast<uint8_t>(v);
      }
      std::array<uint64_t, 4> critical{};
      bool simulated = false;
      const auto decide = [&](const auto& self, const uint8_t* bytes, int n) -> void {
        if (n == 0) return;
        if (n >= 2 && options_.bounds) {
          const size_t cls = std::min<size_t>(7, std::bit_width(static_cast<unsigned>(n)));
          if (tries[cls] < 8 || proofs[cls] * 4 >= tries[cls]) {
            ++tries[cls];
            ++out.bound_passes;
            const uint8_t lo = std::min(bytes[0], bytes[n - 1]);
            const uint8_t hi = std::max(bytes[0], bytes[n - 1]);
            if (w.bounds.keeps_top1(l.value, word, lo, hi)) {
              ++proofs[cls];
              ++out.bound_proofs;
              out.bytes_by_bounds += n;
              return;
            }
          }
        }
        if (n == 1) {
          simulated = true;
          ++out.bytes_simulated;
          const uint8_t v = bytes[0];
          if (w.sim.inject_neuron(l.value, word, v) == fault::Outcome::kSdcCritical) {
            critical[v >> 6] |= uint64_t{1} << (v & 63);
          }
          return;
        }
        self(self, bytes, n / 2);
        self(self, bytes + n / 2, n - n / 2);
      };
      decide(decide, up.data(), n_up);
      decide(decide, down.data(), n_down);
      ++(simulated ? out.pairs_simulated : out.pairs_by_bounds);
      for (size_t m = 0; m < models; ++m) {
        for (const WordFault& f : faults_[m][static_cast<size_t>(layer)]) {
          const auto v = static_cast<uint8_t>(f.apply(g));
          if (!(critical[v >> 6] >> (v & 63) & 1)) continue;
          ++out.per_word[m][gw];
          ++out.per_bit[m][static_cast<size_t>(layer * 8 + (f.bit2 >= 0 ? f.bit2 : f.bit))];
          ++out.per_image[m][static_cast<size_t>(position)];
        }
      }
    }
  }
  out.image_done[static_cast<size_t>(position)] = 1;
}

void NvfAnalysis::run(NvfCounts& counts, ThreadPool& pool, const Observer& observer) const {
  std::vector<int64_t> todo;
  int64_t done = 0;
  const auto total = static_cast<int64_t>(images_.size());
  for (int64_t i = 0; i < total; ++i) {
    if (counts.image_done[static_cast<size_t>(i)]) {
      ++done;
    } else {
      todo.push_back(i);
    }
  }
  if (observer) observer(counts, done, total);
  std::atomic<size_t> next{0};
  std::mutex mutex;
  pool.parallel_for(pool.threads(), [&](int64_t, int64_t, int worker_index) {
    Worker worker(exec_);
    for (size_t k = next++; k < todo.size(); k = next++) {
      NvfCounts part = empty_counts();
      analyse_image(todo[k], part, worker);
      std::lock_guard lock(mutex);
      counts += part;
      ++done;
      if (worker_index == 0 && observer) observer(counts, done, total);
    }
  });
  if (observer) observer(counts, done, total);
}

}  // namespace hardy::analysis
