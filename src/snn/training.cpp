// Training, labelling and parallel inference over datasets.
#include "hardy/snn/training.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "checkpoint.h"
#include "hardy/core/error.h"
#include "hardy/core/rng.h"
#include "hardy/core/thread_pool.h"
#include "hardy/snn/readout.h"
#include "hardy/snn/simulator.h"
#include "hardy/snn/weight_store.h"

namespace hardy::snn {
namespace {

constexpr int kClasses = 10;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string percent_note(int64_t correct, int64_t total) {
  if (total <= 0) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "acc %.2f%%",
                100.0 * static_cast<double>(correct) / static_cast<double>(total));
  return buf;
}

void check_dataset(const Network& net, const data::Dataset& d) {
  if (d.image_bytes() != net.inputs) {
    throw ConfigError("dataset '" + d.name + "' has " + std::to_string(d.image_bytes()) +
                      " pixels per image; the network has " + std::to_string(net.inputs) +
                      " inputs");
  }
}

int64_t image_count(int64_t requested, const data::Dataset& d) {
  if (requested < 0) {
    throw ConfigError("image count must be >= 0 (0: all), got " + std::to_string(requested));
  }
  if (requested > d.size()) {
    throw ConfigError("image count " + std::to_string(requested) + ": dataset '" + d.name +
                      "' has only " + std::to_string(d.size()) + " images in this split");
  }
  return requested == 0 ? d.size() : requested;
}

// Classifies spike counts with the network's labels and the chosen readout.
class Classifier {
 public:
  Classifier(const Network& net, Readout readout) : net_(net), readout_(readout) {
    if (readout == Readout::kProportion && !net.labels.empty()) {
      if (net.class_responses.empty()) {
        throw ConfigError(
            "the proportion readout needs the network's class responses, which files written "
            "before version 2 do not have; train (and label) the network again");
      }
      weights_ = proportion_weights(net.class_responses, net.neurons, kClasses);
    }
  }
  int operator()(std::span<const int32_t> counts) const {
    return readout_ == Readout::kVote ? predict(counts, net_.labels)
                                      : predict_proportion(counts, weights_, kClasses);
  }

 private:
  const Network& net_;
  Readout readout_;
  std::vector<double> weights_;
};

// What a checkpoint must match to be resumed: the data, sizes, seed, epochs and every parameter.
std::string run_fingerprint(const Network& net, const data::Dataset& train, int64_t images,
                            const TrainOptions& options) {
  nlohmann::json j = {{"dataset", train.name},
                      {"train_images", train.size()},
                      {"images", images},
                      {"epochs", options.epochs},
                      {"seed", options.seed},
                      {"inputs", net.inputs},
                      {"neurons", net.neurons},
                      {"network_seed", net.seed},
                      {"trained_samples", net.trained_samples},
                      {"params", params_to_map(net.params)}};
  if (!options.before_sample_id.empty()) j["before_sample"] = options.before_sample_id;
  return j.dump();
}

}  // namespace

TrainStats train_network(Network& net, const data::Dataset& train, const TrainOptions& options,
                         const ProgressFn& progress) {
  check_dataset(net, train);
  if (options.epochs < 1) {
    throw ConfigError("epochs must be >= 1, got " + std::to_string(options.epochs));
  }
  const int64_t k = image_count(options.images, train);
  const int64_t total = k * options.epochs;
  ModelState model = ModelState::from(net);
  Simulator sim(net.params, model, options.isa);
  const int n = net.neurons;
  const int64_t block = std::clamp<int64_t>(k / 6, 500, 10000);
  std::vector<int32_t> block_counts(static_cast<size_t>(block) * n);
  std::vector<uint8_t> block_labels(static_cast<size_t>(block));
  std::vector<uint8_t> labels;  // from the previous block
  int64_t block_correct = 0, block_predicted = 0;
  TrainStats st;
  double earlier_seconds = 0.0;  // spent before a resumed checkpoint
  const std::string fingerprint = run_fingerprint(net, train, k, options);
  int64_t first = 0;
  if (!options.checkpoint.empty() && options.resume &&
      std::filesystem::exists(options.checkpoint)) {
    const detail::TrainCheckpoint c = detail::read_checkpoint(options.checkpoint);
    if (c.fingerprint != fingerprint) {
      throw ConfigError("checkpoint " + options.checkpoint +
                        " belongs to another run (different data, sizes, seed, epochs or "
                        "parameters); delete it or start the run without resuming");
    }
    if (c.next_sample < 0 || c.next_sample > total || c.weights.size() != model.weights.size() ||
        c.theta.size() != model.theta.size() ||
        (!c.block_labels.empty() && c.block_labels.size() != static_cast<size_t>(n))) {
      throw FormatError(options.checkpoint, "checkpoint contents", "this run's sizes",
                        "other sizes");
    }
    std::copy(c.weights.begin(), c.weights.end(), model.weights.begin());
    std::copy(c.theta.begin(), c.theta.end(), model.theta.begin());
    sim.restore_state(c.simulator, options.checkpoint);
    first = c.next_sample;
    st.presentations = c.presentations;
    st.input_spikes = c.input_spikes;
    st.exc_spikes = c.exc_spikes;
    st.running_accuracy = c.running_accuracy;
    earlier_seconds = c.seconds;
    labels = c.block_labels;
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto last_checkpoint = t0;
  const uint64_t tag = stream_tag(kTrainStream);
  for (int64_t s = first; s < total; ++s) {
    const int64_t img = s % k;
    if (options.before_sample) options.before_sample(s, model);
    RngStream rng(options.seed, tag, static_cast<uint64_t>(s));
    const int64_t slot = s % block;
    std::span<int32_t> counts(block_counts.data() + slot * n, static_cast<size_t>(n));
    const SampleOutcome o = sim.train_sample(train.image(img), rng, counts, s);
    st.presentations += o.presentations;
    st.input_spikes += o.input_spikes;
    st.exc_spikes += o.spikes;
    block_labels[static_cast<size_t>(slot)] = train.labels[static_cast<size_t>(img)];
    if (!labels.empty()) {
      ++block_predicted;
      if (predict(counts, labels) == train.labels[static_cast<size_t>(img)]) ++block_correct;
    }
    if (slot == block - 1) {
      labels = assign_labels(block_counts, block_labels, n, kClasses);
      if (block_predicted > 0) {
        st.running_accuracy =
            static_cast<double>(block_correct) / static_cast<double>(block_predicted);
      }
      block_correct = block_predicted = 0;
      if (!options.checkpoint.empty() && s + 1 < total &&
          seconds_since(last_checkpoint) >= options.checkpoint_seconds) {
        last_checkpoint = std::chrono::steady_clock::now();
        // Block boundaries are where a run's whole state is the network, the simulator and
        // these few numbers, so a resumed run continues exactly.
        detail::TrainCheckpoint c;
        c.fingerprint = fingerprint;
        c.next_sample = s + 1;
        c.presentations = st.presentations;
        c.input_spikes = st.input_spikes;
        c.exc_spikes = st.exc_spikes;
        c.seconds = earlier_seconds + seconds_since(t0);
        c.running_accuracy = st.running_accuracy;
        c.block_labels = labels;
        c.weights.assign(model.weights.begin(), model.weights.end());
        c.theta.assign(model.theta.begin(), model.theta.end());
        c.simulator = sim.save_state();
        detail::write_checkpoint(c, options.checkpoint);
        if (options.on_checkpoint) options.on_checkpoint(c.next_sample);
      }
    }
    if (progress) {
      std::string note;
      if (st.running_accuracy >= 0) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "acc %.2f%% (last block)", 100 * st.running_accuracy);
        note = buf;
      }
      progress(s + 1, note);
    }
  }
  st.samples = total;
  st.seconds = earlier_seconds + seconds_since(t0);
  if (!options.checkpoint.empty()) std::filesystem::remove(options.checkpoint);
  st.samples_per_second = st.seconds > 0 ? static_cast<double>(total) / st.seconds : 0.0;
  model.write_to(net, static_cast<float>(net.params.w_max));
  net.trained_samples += total;
  net.labels.clear();
  net.class_responses.clear();
  return st;
}

InferenceResult run_inference(const Network& net, const data::Dataset& data,
                              const InferenceOptions& options, const ProgressFn& progress) {
  check_dataset(net, data);
  if (options.threads < 1) {
    throw ConfigError("threads must be >= 1, got " + std::to_string(options.threads));
  }
  const int64_t m = image_count(options.images, data);
  const int n = net.neurons;
  ModelState model = ModelState::from(net, options.store);
  const int threads = static_cast<int>(std::min<int64_t>(options.threads, std::max<int64_t>(m, 1)));
  std::vector<std::unique_ptr<Simulator>> sims;
  for (int t = 0; t < threads; ++t) {
    sims.push_back(std::make_unique<Simulator>(net.params, model, options.isa));
  }
  InferenceResult r;
  r.images = m;
  r.predictions.assign(static_cast<size_t>(m), -1);
  if (options.keep_counts) r.counts.assign(static_cast<size_t>(m) * n, 0);
  r.class_sums.assign(static_cast<size_t>(kClasses) * n, 0);
  r.class_samples.assign(kClasses, 0);
  r.confusion.assign(kClasses * kClasses, 0);
  struct WorkerTotals {
    std::vector<int32_t> counts;
    std::vector<int64_t> class_sums;
    int64_t presentations = 0, input_spikes = 0, exc_spikes = 0;
  };
  std::vector<WorkerTotals> totals(static_cast<size_t>(threads));
  for (auto& w : totals) {
    w.counts.resize(static_cast<size_t>(n));
    w.class_sums.assign(static_cast<size_t>(kClasses) * n, 0);
  }
  const bool labelled = !net.labels.empty();
  const Classifier classify(net, options.readout);
  const uint64_t tag = stream_tag(options.stream);
  ThreadPool pool(threads);
  const int64_t batch = std::max<int64_t>(64, 32 * threads);
  int64_t correct = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t b0 = 0; b0 < m; b0 += batch) {
    const int64_t b1 = std::min(m, b0 + batch);
    pool.parallel_for(b1 - b0, [&](int64_t begin, int64_t end, int worker) {
      WorkerTotals& w = totals[static_cast<size_t>(worker)];
      Simulator& sim = *sims[static_cast<size_t>(worker)];
      for (int64_t q = b0 + begin; q < b0 + end; ++q) {
        RngStream rng(options.seed, tag, static_cast<uint64_t>(q));
        const SampleOutcome o = sim.infer_sample(data.image(q), rng, w.counts, q);
        w.presentations += o.presentations;
        w.input_spikes += o.input_spikes;
        w.exc_spikes += o.spikes;
        const int label = data.labels[static_cast<size_t>(q)];
        int64_t* sums = w.class_sums.data() + static_cast<size_t>(label) * n;
        for (int j = 0; j < n; ++j) sums[j] += w.counts[static_cast<size_t>(j)];
        if (options.keep_counts) {
          std::copy(w.counts.begin(), w.counts.end(), r.counts.begin() + q * n);
        }
        if (labelled) r.predictions[static_cast<size_t>(q)] = classify(w.counts);
      }
    });
    for (int64_t q = b0; q < b1; ++q) {
      const int label = data.labels[static_cast<size_t>(q)];
      ++r.class_samples[static_cast<size_t>(label)];
      const int pred = r.predictions[static_cast<size_t>(q)];
      if (pred >= 0) ++r.confusion[static_cast<size_t>(label * kClasses + pred)];
      if (pred == label) ++correct;
    }
    if (progress) progress(b1, labelled ? percent_note(correct, b1) : "");
  }
  r.seconds = seconds_since(t0);
  for (const auto& w : totals) {
    r.presentations += w.presentations;
    r.input_spikes += w.input_spikes;
    r.exc_spikes += w.exc_spikes;
    for (size_t q = 0; q < r.class_sums.size(); ++q) r.class_sums[q] += w.class_sums[q];
  }
  r.correct = correct;
  r.accuracy = m > 0 ? static_cast<double>(correct) / static_cast<double>(m) : 0.0;
  r.samples_per_second = r.seconds > 0 ? static_cast<double>(m) / r.seconds : 0.0;
  return r;
}

InferenceResult label_network(Network& net, const data::Dataset& data, InferenceOptions options,
                              const ProgressFn& progress) {
  options.stream = kLabelStream;
  net.labels.clear();
  net.class_responses.clear();
  InferenceResult r = run_inference(net, data, options, progress);
  net.labels = assign_labels_from_sums(r.class_sums, r.class_samples, net.neurons);
  net.class_responses.assign(static_cast<size_t>(kClasses) * net.neurons, 0.0f);
  for (int c = 0; c < kClasses; ++c) {
    const int64_t samples = r.class_samples[static_cast<size_t>(c)];
    if (samples == 0) continue;
    for (int j = 0; j < net.neurons; ++j) {
      const size_t k = static_cast<size_t>(c) * net.neurons + j;
      net.class_responses[k] =
          static_cast<float>(static_cast<double>(r.class_sums[k]) / static_cast<double>(samples));
    }
  }
  // Score the labelling data with the labels just assigned (needs the per-image counts).
  if (!r.counts.empty()) {
    const Classifier classify(net, options.readout);
    r.correct = 0;
    std::fill(r.confusion.begin(), r.confusion.end(), 0);
    for (int64_t q = 0; q < r.images; ++q) {
      std::span<const int32_t> c(r.counts.data() + q * net.neurons,
                                 static_cast<size_t>(net.neurons));
      const int pred = classify(c);
      r.predictions[static_cast<size_t>(q)] = pred;
      const int label = data.labels[static_cast<size_t>(q)];
      if (pred >= 0) ++r.confusion[static_cast<size_t>(label * kClasses + pred)];
      if (pred == label) ++r.correct;
    }
    r.accuracy = r.images > 0 ? static_cast<double>(r.correct) / static_cast<double>(r.images) : 0;
  }
  return r;
}

}  // namespace hardy::snn
