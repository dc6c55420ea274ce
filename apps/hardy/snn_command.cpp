// `hardy snn train|eval|params`: the Diehl & Cook spiking network from the command line.
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "commands.h"
#include "hardy/core/error.h"
#include "hardy/core/progress.h"
#include "hardy/data/dataset.h"
#include "hardy/snn/network.h"
#include "hardy/snn/params.h"
#include "hardy/snn/training.h"
#include "hardy/snn/weight_store.h"
#include "json_output.h"
#include "testing_hooks.h"

namespace hardy::cli {
namespace {

struct ParamOptions {
  std::string config;
  std::vector<std::string> sets;
};

void add_param_options(CLI::App* cmd, ParamOptions& o) {
  cmd->add_option("--config", o.config, "YAML parameter file (see configs/snn/, docs/snn.md)");
  cmd->add_option("--set", o.sets, "override one parameter, key=value (repeatable)");
}

snn::SnnParams resolve_params(const ParamOptions& o) {
  snn::SnnParams p;
  if (!o.config.empty()) p = snn::load_params(o.config);
  for (const auto& s : o.sets) {
    try {
      p = snn::apply_override(p, s);
    } catch (const ConfigError& e) {
      throw ConfigError(std::string("--set: ") + e.what());
    }
  }
  return p;
}

nlohmann::json params_json(const snn::SnnParams& p) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : snn::params_to_map(p)) j[k] = v;
  return j;
}

// The IDX files load_dataset reads for (name, split), for provenance hashes.
std::vector<std::string> dataset_files(const std::string& name, data::Split split) {
  const std::string dir = data::dataset_directory(name);
  const std::string prefix = split == data::Split::kTrain ? "train" : "t10k";
  std::vector<std::string> files;
  for (const char* stem : {"-images-idx3-ubyte", "-labels-idx1-ubyte"}) {
    const std::string raw = dir + "/" + prefix + stem;
    if (std::filesystem::exists(raw + ".gz")) {
      files.push_back(raw + ".gz");
    } else if (std::filesystem::exists(raw)) {
      files.push_back(raw);
    }
  }
  return files;
}

std::string percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * fraction);
  return buf;
}

std::string rate_note(double samples_per_second) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f samples/s", samples_per_second);
  return buf;
}

nlohmann::json inference_json(const snn::InferenceResult& r) {
  nlohmann::json per_class = nlohmann::json::array();
  for (int c = 0; c < 10; ++c) {
    const int64_t n = r.class_samples[static_cast<size_t>(c)];
    const int64_t ok = r.confusion.empty() ? 0 : r.confusion[static_cast<size_t>(c * 10 + c)];
    per_class.push_back(n > 0 ? static_cast<double>(ok) / static_cast<double>(n) : 0.0);
  }
  nlohmann::json confusion = nlohmann::json::array();
  for (int c = 0; c < 10; ++c) {
    confusion.push_back(
        std::vector<int64_t>(r.confusion.begin() + c * 10, r.confusion.begin() + c * 10 + 10));
  }
  int64_t unanswered = 0;
  for (int p : r.predictions) unanswered += p < 0 ? 1 : 0;
  return {{"accuracy", r.accuracy},
          {"correct", r.correct},
          {"images", r.images},
          {"no_prediction", unanswered},
          {"seconds", r.seconds},
          {"samples_per_second", r.samples_per_second},
          {"presentations", r.presentations},
          {"input_spikes_per_image",
           r.images ? static_cast<double>(r.input_spikes) / static_cast<double>(r.images) : 0.0},
          {"exc_spikes_per_image",
           r.images ? static_cast<double>(r.exc_spikes) / static_cast<double>(r.images) : 0.0},
          {"per_class_accuracy", per_class},
          {"confusion", confusion}};
}

struct TrainArgs {
  std::string dataset = "fashion-mnist";
  int neurons = 0;
  int epochs = 1;
  int64_t images = 0;
  int64_t label_images = -1;
  uint64_t seed = 1;
  int threads = 1;
  std::string out, json, checkpoint;
  double checkpoint_every = 10.0;
  bool resume = false;
  ParamOptions params;
};

void run_train(const TrainArgs& a) {
  if (a.neurons < 1 || a.neurons > 65536) {
    throw ConfigError("--neurons must be in 1..65536, got " + std::to_string(a.neurons));
  }
  const snn::SnnParams params = resolve_params(a.params);
  const data::Dataset train = data::load_dataset(a.dataset, data::Split::kTrain);
  snn::Network net =
      snn::Network::fresh(params, static_cast<int>(train.image_bytes()), a.neurons, a.seed);
  net.dataset = a.dataset;
  snn::TrainOptions to;
  to.epochs = a.epochs;
  to.images = a.images;
  to.seed = a.seed;
  to.checkpoint = a.checkpoint.empty() ? a.out + ".ckpt" : a.checkpoint;
  to.resume = a.resume;
  if (!(a.checkpoint_every >= 0)) throw ConfigError("--checkpoint-every must be >= 0 seconds");
  to.checkpoint_seconds = a.checkpoint_every;
  // Testing hook (docs/cli.md): SIGKILL right after the N-th checkpoint.
  to.on_checkpoint = [hook = kill_after_checkpoint_hook()](int64_t) mutable { hook(); };
  const int64_t k = a.images == 0 ? train.size() : a.images;
  if (a.images < 0 || a.images > train.size()) {
    throw ConfigError("--images " + std::to_string(a.images) + ": the " + a.dataset +
                      " training split has " + std::to_string(train.size()) + " images");
  }
  if (a.label_images > train.size()) {
    throw ConfigError("--label-images " + std::to_string(a.label_images) + ": the " + a.dataset +
                      " training split has " + std::to_string(train.size()) + " images");
  }
  if (a.epochs < 1) throw ConfigError("--epochs must be >= 1, got " + std::to_string(a.epochs));
  if (a.threads < 1) throw ConfigError("--threads must be >= 1, got " + std::to_string(a.threads));
  std::fprintf(stderr, "snn train: N%d on %lld %s images x %d epoch(s), seed %llu\n", a.neurons,
               static_cast<long long>(k), a.dataset.c_str(), a.epochs,
               static_cast<unsigned long long>(a.seed));
  Progress progress("train", k * a.epochs, "samples");
  bool first_update = true;
  const snn::TrainStats st =
      snn::train_network(net, train, to, [&](int64_t done, const std::string& note) {
        if (first_update && done > 1) {
          std::fprintf(stderr, "snn train: resumed from %s at sample %lld\n", to.checkpoint.c_str(),
                       static_cast<long long>(done - 1));
          progress.resumed_at(done - 1);
        }
        first_update = false;
        progress.update(done, note);
      });
  progress.finish(st.running_accuracy >= 0 ? "running acc " + percent(st.running_accuracy) : "");
  // Labels from a frozen pass over the training images (the original's test-mode pass).
  const int64_t label_images = a.label_images < 0 ? k : a.label_images;
  nlohmann::json label_json = nullptr;
  if (label_images > 0) {
    snn::InferenceOptions io;
    io.images = label_images;
    io.seed = a.seed;
    io.threads = a.threads;
    io.keep_counts = true;
    Progress lp("label", label_images, "images");
    const snn::InferenceResult lr = snn::label_network(
        net, train, io, [&](int64_t done, const std::string& note) { lp.update(done, note); });
    lp.finish("accuracy on labelling images " + percent(lr.accuracy));
    label_json = inference_json(lr);
  }
  snn::save_network(net, a.out);
  int64_t unassigned = 0;
  for (uint8_t l : net.labels) unassigned += l == snn::kUnassigned ? 1 : 0;
  std::fprintf(stderr, "wrote %s (%lld neurons unassigned)\n", a.out.c_str(),
               static_cast<long long>(unassigned));
  if (!a.json.empty()) {
    nlohmann::json j = {
        {"command", "snn train"},
        {"dataset", a.dataset},
        {"neurons", a.neurons},
        {"images", k},
        {"epochs", a.epochs},
        {"seed", a.seed},
        {"threads", a.threads},
        {"samples", st.samples},
        {"seconds", st.seconds},
        {"samples_per_second", st.samples_per_second},
        {"presentations", st.presentations},
        {"presentations_per_second",
         st.seconds > 0 ? static_cast<double>(st.presentations) / st.seconds : 0.0},
        {"input_spikes_per_sample",
         st.samples ? static_cast<double>(st.input_spikes) / static_cast<double>(st.samples) : 0.0},
        {"exc_spikes_per_sample",
         st.samples ? static_cast<double>(st.exc_spikes) / static_cast<double>(st.samples) : 0.0},
        {"running_accuracy", st.running_accuracy},
        {"labelling", label_json},
        {"unassigned_neurons", unassigned},
        {"output", a.out},
        {"params", params_json(params)},
        {"provenance", provenance(dataset_files(a.dataset, data::Split::kTrain))}};
    write_json_file(a.json, j);
  }
}

struct EvalArgs {
  std::string net_path, dataset = "fashion-mnist", weight_format = "fp32", json, split = "test";
  std::string readout = "vote";
  int64_t images = 0, first = 0;
  uint64_t seed = 1;
  int threads = 1;
};

// Images [first, first + count) of d as a dataset of their own (count 0: to the end).
data::Dataset slice(const data::Dataset& d, int64_t first, int64_t count) {
  if (first < 0 || first > d.size()) {
    throw ConfigError("--first " + std::to_string(first) + ": the split has " +
                      std::to_string(d.size()) + " images");
  }
  const int64_t n = count == 0 ? d.size() - first : count;
  if (n < 0 || first + n > d.size()) {
    throw ConfigError("--first " + std::to_string(first) + " --images " + std::to_string(count) +
                      ": the split has " + std::to_string(d.size()) + " images");
  }
  data::Dataset out;
  out.name = d.name;
  out.rows = d.rows;
  out.cols = d.cols;
  out.classes = d.classes;
  out.pixels.assign(d.pixels.begin() + first * d.image_bytes(),
                    d.pixels.begin() + (first + n) * d.image_bytes());
  out.labels.assign(d.labels.begin() + first, d.labels.begin() + first + n);
  return out;
}

void run_eval(const EvalArgs& a) {
  const snn::Network net = snn::load_network(a.net_path);
  if (net.labels.empty()) {
    throw ConfigError(a.net_path + ": network has no neuron labels (train it with label images)");
  }
  const snn::WeightFormat fmt = snn::WeightFormat::parse(a.weight_format);
  if (a.split != "test" && a.split != "train") {
    throw ConfigError("--split must be test or train, got '" + a.split + "'");
  }
  const auto split = a.split == "test" ? data::Split::kTest : data::Split::kTrain;
  const data::Dataset d = slice(data::load_dataset(a.dataset, split), a.first, a.images);
  std::unique_ptr<snn::WeightStore> store;
  if (!(fmt == snn::WeightFormat::fp32())) {
    store =
        std::make_unique<snn::WeightStore>(fmt, static_cast<float>(net.params.w_max), net.weights);
  }
  if (a.readout != "vote" && a.readout != "proportion") {
    throw ConfigError("--readout must be vote or proportion, got '" + a.readout + "'");
  }
  if (a.readout == "proportion" && net.class_responses.empty()) {
    throw ConfigError("--readout proportion: " + a.net_path +
                      " has no class responses (written before file version 2); train it again "
                      "or use --readout vote");
  }
  if (a.threads < 1) throw ConfigError("--threads must be >= 1, got " + std::to_string(a.threads));
  snn::InferenceOptions io;
  io.seed = a.seed;
  io.threads = a.threads;
  io.store = store.get();
  io.readout = a.readout == "vote" ? snn::Readout::kVote : snn::Readout::kProportion;
  const int64_t m = d.size();
  Progress progress("eval", m, "images");
  const snn::InferenceResult r = snn::run_inference(
      net, d, io, [&](int64_t done, const std::string& note) { progress.update(done, note); });
  progress.finish("accuracy " + percent(r.accuracy));
  std::printf("accuracy %.4f (%lld/%lld), N%d, %s, %s\n", r.accuracy,
              static_cast<long long>(r.correct), static_cast<long long>(r.images), net.neurons,
              fmt.name().c_str(), rate_note(r.samples_per_second).c_str());
  if (!a.json.empty()) {
    std::vector<std::string> inputs = dataset_files(a.dataset, split);
    inputs.insert(inputs.begin(), a.net_path);
    nlohmann::json j = inference_json(r);
    j["command"] = "snn eval";
    j["neurons"] = net.neurons;
    j["dataset"] = a.dataset;
    j["split"] = a.split;
    j["first"] = a.first;
    j["weight_format"] = fmt.name();
    j["readout"] = a.readout;
    j["weight_bits"] = fmt.bits;
    j["seed"] = a.seed;
    j["threads"] = a.threads;
    j["network"] = {{"path", a.net_path},
                    {"dataset", net.dataset},
                    {"seed", net.seed},
                    {"trained_samples", net.trained_samples}};
    j["params"] = params_json(net.params);
    j["provenance"] = provenance(inputs);
    write_json_file(a.json, j);
  }
}

}  // namespace

void add_snn_command(CLI::App& app) {
  CLI::App* snn =
      app.add_subcommand("snn", "Diehl & Cook spiking network: STDP training, inference");
  snn->require_subcommand(1);

  auto train_args = std::make_shared<TrainArgs>();
  CLI::App* train = snn->add_subcommand("train", "train a network with STDP and label its neurons");
  train->add_option("--dataset", train_args->dataset, "fashion-mnist or mnist")
      ->capture_default_str();
  train->add_option("--neurons", train_args->neurons, "excitatory (= inhibitory) neurons")
      ->required();
  train->add_option("--epochs", train_args->epochs, "passes over the images")
      ->capture_default_str();
  train->add_option("--images", train_args->images, "first K training images (0: all)")
      ->capture_default_str();
  train->add_option("--label-images", train_args->label_images,
                    "training images of the frozen labelling pass (default: as --images)");
  train->add_option("--seed", train_args->seed, "seed of weights and input spikes")
      ->capture_default_str();
  train
      ->add_option("--threads", train_args->threads,
                   "threads for the labelling pass (training itself is sequential)")
      ->capture_default_str();
  train->add_option("--out", train_args->out, "network file to write (.snn)")->required();
  train->add_option("--checkpoint", train_args->checkpoint,
                    "checkpoint file, rewritten during training and removed at the end "
                    "(default: OUT.ckpt)");
  train
      ->add_option("--checkpoint-every", train_args->checkpoint_every,
                   "seconds between checkpoints (written at block ends)")
      ->capture_default_str();
  train->add_flag("--resume", train_args->resume,
                  "continue an interrupted run from its checkpoint (same result as uninterrupted)");
  train->add_option("--json", train_args->json, "write a JSON summary here");
  add_param_options(train, train_args->params);
  train->callback([train_args] { run_train(*train_args); });

  auto eval_args = std::make_shared<EvalArgs>();
  CLI::App* eval = snn->add_subcommand("eval", "classify a dataset split with a trained network");
  eval->add_option("--net", eval_args->net_path, "network file (.snn)")->required();
  eval->add_option("--dataset", eval_args->dataset, "fashion-mnist or mnist")
      ->capture_default_str();
  eval->add_option("--split", eval_args->split, "test or train")->capture_default_str();
  eval->add_option("--weight-format", eval_args->weight_format,
                   "stored weight format: fp32 or q4..q16 (k-bit fixed point)")
      ->capture_default_str();
  eval->add_option("--readout", eval_args->readout,
                   "vote (Diehl & Cook: labelled neurons' mean count) or proportion (every "
                   "neuron votes for every class in proportion to its responses)")
      ->capture_default_str();
  eval->add_option("--images", eval_args->images, "M images (0: all)")->capture_default_str();
  eval->add_option("--first", eval_args->first,
                   "index of the first image (e.g. a validation range of the train split)")
      ->capture_default_str();
  eval->add_option("--seed", eval_args->seed, "seed of the input spike trains")
      ->capture_default_str();
  eval->add_option("--threads", eval_args->threads, "worker threads (results do not depend on it)")
      ->capture_default_str();
  eval->add_option("--json", eval_args->json, "write results as JSON here");
  eval->callback([eval_args] { run_eval(*eval_args); });

  auto param_args = std::make_shared<ParamOptions>();
  auto param_json = std::make_shared<std::string>();
  CLI::App* params = snn->add_subcommand("params", "print the parameter table or resolved values");
  add_param_options(params, *param_args);
  params->add_option("--json", *param_json, "write the resolved parameters as JSON here");
  params->callback([param_args, param_json] {
    const snn::SnnParams p = resolve_params(*param_args);
    const auto values = snn::params_to_map(p);
    if (!param_json->empty()) {
      write_json_file(*param_json, params_json(p));
      return;
    }
    std::printf("%-32s %-5s %-14s %s\n", "key", "unit", "value", "meaning");
    for (const auto& row : snn::parameter_table()) {
      std::printf("%-32s %-5s %-14s %s\n", row.key.c_str(), row.unit.c_str(),
                  values.at(row.key).c_str(), row.description.c_str());
    }
  });
}

}  // namespace hardy::cli
