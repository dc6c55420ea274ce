// NvfAnalysis: the distinct faulty bytes of every neuron and image, decided by interval bounds
// where they can and by exact simulation where they cannot.
#include "hardy/analysis/nvf.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstdlib>
#include <mutex>
#include <optional>

#include "hardy/analysis/byte_batch.h"
#include "hardy/analysis/interval_bounds.h"
#include "hardy/core/error.h"
#include "hardy/core/hash.h"
#include "hardy/fault/propagator.h"

namespace hardy::analysis {

using fault::FaultKind;
using fault::WordFault;

namespace {

bool has(const std::array<uint64_t, 4>& set, uint8_t v) { return set[v >> 6] >> (v & 63) & 1; }
void put(std::array<uint64_t, 4>& set, uint8_t v) { set[v >> 6] |= uint64_t{1} << (v & 63); }

}  // namespace

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
  bytes_composed += o.bytes_composed;
  bytes_simulated += o.bytes_simulated;
  bytes_for_funnels += o.bytes_for_funnels;
  bytes_batched += o.bytes_batched;
  batches += o.batches;
  pairs_by_bounds += o.pairs_by_bounds;
  pairs_simulated += o.pairs_simulated;
  bound_passes += o.bound_passes;
  bound_proofs += o.bound_proofs;
  for (size_t i = 0; i < per_layer.size(); ++i) {
    for (size_t k = 0; k < kLayerStats; ++k) per_layer[i][k] += o.per_layer[i][k];
  }
  for (size_t i = 0; i < image_done.size(); ++i) image_done[i] |= o.image_done[i];
  return *this;
}

std::vector<int64_t> NvfCounts::to_vector() const {
  std::vector<int64_t> v;
  for (const auto* table : {&per_word, &per_bit, &per_image}) {
    for (const auto& row : *table) v.insert(v.end(), row.begin(), row.end());
  }
  v.insert(v.end(),
           {bytes_trivial, bytes_by_bounds, bytes_composed, bytes_simulated, bytes_for_funnels,
            bytes_batched, batches, pairs_by_bounds, pairs_simulated, bound_passes, bound_proofs});
  for (const auto& row : per_layer) v.insert(v.end(), row.begin(), row.end());
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
  for (int64_t* x : {&c.bytes_trivial, &c.bytes_by_bounds, &c.bytes_composed, &c.bytes_simulated,
                     &c.bytes_for_funnels, &c.bytes_batched, &c.batches, &c.pairs_by_bounds,
                     &c.pairs_simulated, &c.bound_passes, &c.bound_proofs}) {
    *x = take();
  }
  for (auto& row : c.per_layer) {
    for (auto& x : row) x = take();
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
  ByteBatch batch;
  // Per value that layers funnel into, per element: the bytes its analysis decided and those of
  // them that are critical (reset per image; layers funnelling into it look their bytes up).
  std::vector<std::vector<ByteSet>> decided, critical;
  explicit Worker(const qnn::Int8Executor& exec)
      : sim(exec),
        bounds(exec),
        batch(exec),
        decided(exec.model().values.size()),
        critical(exec.model().values.size()) {}
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
  needed_.resize(sites_.layers().size());
  keeps_golden_.resize(sites_.layers().size());
  for (size_t l = 0; l < sites_.layers().size(); ++l) {
    for (int g = 0; g < 256; ++g) {
      ByteSet& needed = needed_[l][static_cast<size_t>(g)];
      bool& keeps = keeps_golden_[l][static_cast<size_t>(g)];
      needed = ByteSet{};
      keeps = false;
      for (const auto& per_layer : faults_) {
        for (const WordFault& f : per_layer[l]) {
          const auto v = static_cast<uint8_t>(f.apply(static_cast<uint8_t>(g)));
          put(needed, v);
          keeps = keeps || v == g;
        }
      }
      if (options_.cev) needed = {~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}};
    }
  }
  // A layer funnels into a pooling node when the pool is its value's only reader and the pool's
  // output is an analysed layer (its neurons are decided first, their safe bytes reused).
  funnels_.assign(sites_.layers().size(), Funnel{});
  const qnn::QModel& q = exec_.model();
  for (size_t l = 0; l < sites_.layers().size(); ++l) {
    const auto& readers = exec_.plan().readers(sites_.layers()[l].value);
    if (readers.size() != 1) continue;
    const qnn::QNode& r = q.node(readers[0]);
    if (r.op != qnn::OpKind::kMaxPool && r.op != qnn::OpKind::kAveragePool) continue;
    for (size_t t = l + 1; t < sites_.layers().size(); ++t) {
      if (exec_.plan().storage(sites_.layers()[t].value) != exec_.plan().storage(r.output))
        continue;
      funnels_[l].target_layer = static_cast<int>(t);
      funnels_[l].tables =
          fault::pool_tables(r, q.value(r.inputs[0]).shape, q.value(r.output).shape);
      funnels_[l].pool = &r;
    }
  }
  funnel_sources_.assign(sites_.layers().size(), {});
  for (size_t l = 0; l < funnels_.size(); ++l) {
    if (funnels_[l].target_layer >= 0)
      funnel_sources_[static_cast<size_t>(funnels_[l].target_layer)].push_back(static_cast<int>(l));
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
  mix(options_.bounds);
  mix(options_.cev);
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
  c.per_layer.assign(sites_.layers().size(), {});
  return c;
}

void NvfAnalysis::analyse_image(int64_t position, NvfCounts& out, Worker& w) const {
  const auto image = test_.image(images_[static_cast<size_t>(position)]);
  w.sim.set_image(image);
  if (options_.bounds) w.bounds.set_image(image);
  w.batch.set_image(w.sim);
  for (const Funnel& f : funnels_) {
    if (f.target_layer < 0) continue;
    const int v = sites_.layer(f.target_layer).value;
    const auto n = static_cast<size_t>(exec_.model().value(v).shape.elements());
    w.decided[static_cast<size_t>(v)].assign(n, ByteSet{});
    w.critical[static_cast<size_t>(v)].assign(n, ByteSet{});
  }
  // Later layers first: a layer that funnels into a pool finds the pool's neurons decided.
  for (int layer = static_cast<int>(sites_.layers().size()) - 1; layer >= 0; --layer) {
    // Bound passes are tried on ranges of a size class while they prove often enough and save
    // more simulation than they cost (counted per layer and image: the same for any thread count).
    PassGate gate;
    const fault::SiteLayer& l = sites_.layer(layer);
    for (int64_t s = 0; s < l.selected_words(); ++s)
      analyse_neuron(layer, s, position, out, w, gate);
  }
  out.image_done[static_cast<size_t>(position)] = 1;
}

namespace {

// Calls f(v) for every byte v of the set, in increasing order.
template <typename F>
void for_each_byte(const std::array<uint64_t, 4>& set, F&& f) {
  for (int k = 0; k < 4; ++k) {
    for (uint64_t bits = set[static_cast<size_t>(k)]; bits != 0; bits &= bits - 1)
      f(static_cast<uint8_t>(k * 64 + std::countr_zero(bits)));
  }
}

// With every byte decided: CEV⁺ = the first critical byte above g minus g, CEV⁻ likewise below;
// the safe bytes are one interval around g when every byte beyond each CEV is critical too.
void count_cev(const std::array<uint64_t, 4>& critical, uint8_t g,
               std::array<int64_t, NvfCounts::kLayerStats>& stats) {
  bool interval = true;
  int up = -1, down = -1;
  for (int v = g + 1; v < 256; ++v) {
    const bool c = has(critical, static_cast<uint8_t>(v));
    if (c && up < 0) up = v;
    if (!c && up >= 0) interval = false;
  }
  for (int v = g - 1; v >= 0; --v) {
    const bool c = has(critical, static_cast<uint8_t>(v));
    if (c && down < 0) down = v;
    if (!c && down >= 0) interval = false;
  }
  if (up >= 0) {
    ++stats[NvfCounts::kCevUpFound];
    stats[NvfCounts::kCevUpSum] += up - g;
  }
  if (down >= 0) {
    ++stats[NvfCounts::kCevDownFound];
    stats[NvfCounts::kCevDownSum] += g - down;
  }
  if (!interval) ++stats[NvfCounts::kNotInterval];
}

}  // namespace

namespace {

// A simulation element (FaultPropagator work) costs about as much as 22 ByteBatch operations
// (measured with cycle counters on LeNet-5: 108–115 cycles against 3.8–5.6; the VGG 7.6, the MLP
// 9.2).
constexpr int64_t kBatchOpsPerSimulationElement = 22;

}  // namespace

bool NvfAnalysis::PassGate::worth_trying(size_t cls) const {
  const Class& c = classes[cls];
  if (c.passes < 8) return true;
  if (c.proofs * 4 < c.passes) return false;
  const int64_t bytes = simulations + batch_bytes;
  if (bytes == 0) return true;
  // A pass element costs about 1.6 simulation elements (measured on LeNet-5, the VGG and the
  // ResNet: 63 / 39, 107 / 93 and 105 / 63 ns): try while the bytes it proved would have cost
  // more to decide otherwise (in batch operations).
  const int64_t decide_work = simulation_work * kBatchOpsPerSimulationElement + batch_work;
  return 5 * c.bytes_proved * decide_work >= 8 * c.work * kBatchOpsPerSimulationElement * bytes;
}

bool NvfAnalysis::PassGate::batch_cheaper(int n) const {
  if (batches < 2) return true;
  if (simulations < 2) return n > 2;
  // The mean batch against n mean simulations.
  return batch_work * simulations < n * simulation_work * kBatchOpsPerSimulationElement * batches;
}

void NvfAnalysis::add_pooled_bytes(int source, int64_t element, const Worker& w,
                                   ByteSet& needed) const {
  const Funnel& f = funnels_[static_cast<size_t>(source)];
  const qnn::QModel& q = exec_.model();
  const int in = f.pool->inputs[0];
  const int64_t width = q.value(in).shape[2];
  const uint8_t* golden = w.sim.golden_value(in).data();
  const fault::PoolRect win = f.tables.window[static_cast<size_t>(element)];
  for (int64_t y = 0; y < win.rows; ++y) {
    for (int64_t x = 0; x < win.cols; ++x) {
      const int64_t e = win.first + y * width + x;
      const fault::PoolRect reach = f.tables.reach[static_cast<size_t>(e)];
      if (reach.rows != 1 || reach.cols != 1) continue;
      const fault::OneCellPool pooled(*f.pool, win, golden, width, q.value(in).quant.zero_point,
                                      y * width + x);
      for_each_byte(needed_bytes(source, golden[e]), [&](uint8_t v) { put(needed, pooled(v)); });
    }
  }
}

void NvfAnalysis::analyse_neuron(int layer, int64_t index, int64_t position, NvfCounts& out,
                                 Worker& w, PassGate& gate) const {
  const fault::SiteLayer& l = sites_.layer(layer);
  const int64_t word = l.selected_word(index);
  const auto gw = static_cast<size_t>(sites_.first_word(layer) + index);
  const uint8_t g = w.sim.golden_byte(l.value, word);
  const size_t models = options_.kinds.size();
  ByteSet needed = needed_bytes(layer, g), critical{};
  out.bytes_trivial += keeps_golden_[static_cast<size_t>(layer)][g] ? 1 : 0;
  if (options_.bounds && !funnel_sources_[static_cast<size_t>(layer)].empty()) {
    const ByteSet own = needed;
    for (int source : funnel_sources_[static_cast<size_t>(layer)])
      add_pooled_bytes(source, word, w, needed);
    for (size_t k = 0; k < own.size(); ++k)
      out.bytes_for_funnels += std::popcount(needed[k] & ~own[k]);
    if (has(needed, g) && !has(own, g)) --out.bytes_for_funnels;  // g is never decided
  }
  // Through a funnel: the byte the pool then outputs, decided by the pooled neuron's analysis.
  const Funnel& funnel = funnels_[static_cast<size_t>(layer)];
  const fault::PoolRect reach =
      funnel.pool ? funnel.tables.reach[static_cast<size_t>(word)] : fault::PoolRect{};
  const bool composable = options_.bounds && funnel.pool && reach.rows == 1 && reach.cols == 1;
  // The pooled byte with this neuron holding v, and the pooled neuron's decided bytes.
  std::optional<fault::OneCellPool> pooled;
  const ByteSet* pooled_decided = nullptr;
  const ByteSet* pooled_critical = nullptr;
  uint8_t pooled_golden = 0;
  if (composable) {
    const qnn::QModel& q = exec_.model();
    const int in = funnel.pool->inputs[0];
    const int64_t width = q.value(in).shape[2];
    const fault::PoolRect win = funnel.tables.window[static_cast<size_t>(reach.first)];
    const int64_t cell = word - win.first;
    pooled.emplace(*funnel.pool, win, w.sim.golden_value(in).data(), width,
                   q.value(in).quant.zero_point, cell);
    const auto target = static_cast<size_t>(sites_.layer(funnel.target_layer).value);
    pooled_decided = &w.decided[target][static_cast<size_t>(reach.first)];
    pooled_critical = &w.critical[target][static_cast<size_t>(reach.first)];
    pooled_golden = w.sim.golden_byte(static_cast<int>(target), reach.first);
  }
  // Each side of g, nearest first; bytes decided through the funnel leave the lists.
  std::array<uint8_t, 256> up{}, down{};
  int n_up = 0, n_down = 0;
  for_each_byte(needed, [&](uint8_t v) {
    if (v == g) return;
    if (pooled) {
      const uint8_t u = (*pooled)(v);
      if (u == pooled_golden || has(*pooled_decided, u)) {
        ++out.bytes_by_bounds;
        ++out.bytes_composed;
        if (u != pooled_golden && has(*pooled_critical, u)) put(critical, v);
        return;
      }
    }
    if (v > g) {
      up[static_cast<size_t>(n_up++)] = v;
    } else {
      down[static_cast<size_t>(n_down++)] = v;
    }
  });
  std::reverse(down.begin(), down.begin() + n_down);
  bool simulated = false;
  // Bytes no pass decided, simulated one by one or, when the neuron's cone is a chain and that
  // is cheaper, together in a batch.
  const bool batchable = options_.bounds && w.batch.follows(l.value);
  std::array<uint8_t, 256> pending{};
  int n_pending = 0;
  const auto simulate = [&](uint8_t v) {
    const bool is_critical = w.sim.inject_neuron(l.value, word, v) == fault::Outcome::kSdcCritical;
    gate.record_simulation(w.sim.last_work());
    if (is_critical) put(critical, v);
  };
  const auto decide_pending = [&]() {
    if (n_pending == 0) return;
    simulated = true;
    out.bytes_simulated += n_pending;
    out.per_layer[static_cast<size_t>(layer)][NvfCounts::kSimulated] += n_pending;
    if (!gate.batch_cheaper(n_pending)) {
      for (int i = 0; i < n_pending; ++i) simulate(pending[static_cast<size_t>(i)]);
      return;
    }
    out.bytes_batched += n_pending;
    out.per_layer[static_cast<size_t>(layer)][NvfCounts::kBatched] += n_pending;
    for (int at = 0; at < n_pending; at += ByteBatch::kMaxBytes) {
      const int n = std::min(ByteBatch::kMaxBytes, n_pending - at);
      const uint64_t hit = w.batch.critical(
          l.value, word, std::span<const uint8_t>(pending.data() + at, static_cast<size_t>(n)));
      gate.record_batch(w.batch.last_work(), n);
      ++out.batches;
      for (int i = 0; i < n; ++i) {
        if (hit >> i & 1) put(critical, pending[static_cast<size_t>(at + i)]);
      }
    }
  };
  // Decides list[0 .. n) of one side (ordered away from g) with one bound pass over the bytes
  // from the first to the last of them; `nearest` when list[0] is the side's byte nearest g.
  const auto decide = [&](const auto& self, const uint8_t* list, int n, bool upward, bool nearest) {
    if (n == 0) return;
    if (n >= 2 && options_.bounds) {
      // Classes: range size, side, and whether the range starts next to g (near ranges prove
      // far more often than far ones).
      const size_t cls = std::min<size_t>(15, std::bit_width(static_cast<unsigned>(n))) * 4 +
                         (upward ? 2 : 0) + (nearest ? 1 : 0);
      if (gate.worth_trying(cls)) {
        ++out.bound_passes;
        ++out.per_layer[static_cast<size_t>(layer)][NvfCounts::kBoundPasses];
        const uint8_t a = list[0], b = list[n - 1];
        const auto verdict = w.bounds.bound(l.value, word, std::min(a, b), std::max(a, b));
        PassGate::Class& c = gate.classes[cls];
        ++c.passes;
        c.work += w.bounds.last_work();
        if (verdict != IntervalBounds::Verdict::kUnknown) {
          c.bytes_proved += n;
          ++c.proofs;
          ++out.bound_proofs;
          out.bytes_by_bounds += n;
          if (verdict == IntervalBounds::Verdict::kChanged) {
            for (int i = 0; i < n; ++i) put(critical, list[i]);
          }
          return;
        }
      }
    }
    if (n == 1 && batchable) {
      pending[static_cast<size_t>(n_pending++)] = list[0];
      return;
    }
    if (n == 1) {
      simulated = true;
      ++out.bytes_simulated;
      ++out.per_layer[static_cast<size_t>(layer)][NvfCounts::kSimulated];
      simulate(list[0]);
      return;
    }
    // Split where consecutive bytes lie farthest apart: each part's bound pass then spans as
    // few bytes as possible (a pass is as precise as its range is narrow).
    int half = 1;
    for (int i = 2, widest = std::abs(list[1] - list[0]); i < n; ++i) {
      const int gap = std::abs(list[i] - list[i - 1]);
      if (gap > widest) {
        widest = gap;
        half = i;
      }
    }
    self(self, list, half, upward, nearest);
    self(self, list + half, n - half, upward, false);
  };
  decide(decide, up.data(), n_up, true, true);
  decide(decide, down.data(), n_down, false, true);
  decide_pending();
  ++(simulated ? out.pairs_simulated : out.pairs_by_bounds);
  if (!w.decided[static_cast<size_t>(l.value)].empty()) {
    w.decided[static_cast<size_t>(l.value)][static_cast<size_t>(word)] = needed;
    w.critical[static_cast<size_t>(l.value)][static_cast<size_t>(word)] = critical;
  }
  if (options_.cev) count_cev(critical, g, out.per_layer[static_cast<size_t>(layer)]);
  if ((critical[0] | critical[1] | critical[2] | critical[3]) == 0) return;
  for (size_t m = 0; m < models; ++m) {
    for (const WordFault& f : faults_[m][static_cast<size_t>(layer)]) {
      const auto v = static_cast<uint8_t>(f.apply(g));
      if (!has(critical, v)) continue;
      ++out.per_word[m][gw];
      ++out.per_bit[m][static_cast<size_t>(layer * 8 + (f.bit2 >= 0 ? f.bit2 : f.bit))];
      ++out.per_image[m][static_cast<size_t>(position)];
    }
  }
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
  pool.parallel_for(pool.threads(), [&](int64_t, int64_t, int) {
    Worker worker(exec_);
    for (size_t k = next++; k < todo.size(); k = next++) {
      NvfCounts part = empty_counts();
      analyse_image(todo[k], part, worker);
      std::lock_guard lock(mutex);
      counts += part;
      ++done;
      if (observer) observer(counts, done, total);
    }
  });
  if (observer) observer(counts, done, total);
}

}  // namespace hardy::analysis
