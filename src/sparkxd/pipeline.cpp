// The SparkXD pipeline per network, with its stages kept in a work directory.
#include "hardy/sparkxd/pipeline.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>

#include "hardy/core/binary_io.h"
#include "hardy/core/error.h"
#include "hardy/core/hash.h"
#include "hardy/core/thread_pool.h"
#include "hardy/snn/network.h"
#include "hardy/snn/training.h"
#include "hardy/sparkxd/voltage_plan.h"
#include "hardy/sparkxd/weight_segments.h"

namespace hardy::sparkxd {
namespace {

namespace fs = std::filesystem;

std::string sci(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", x);
  return buf;
}

// "N400" (built by appending: GCC 12 warns falsely about "N" + std::to_string(…) + …).
std::string size_name(int neurons) {
  std::string name = "N";
  name += std::to_string(neurons);
  return name;
}

std::string pct(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * x);
  return buf;
}

// A stage file: {"fingerprint": <the settings that produced it>, "complete": bool, "result": …}.
struct Stage {
  std::string path;
  nlohmann::json fingerprint;

  // The stored result when resuming and the settings match; a file of other settings is an error
  // (never silently replaced or used).
  std::optional<nlohmann::json> load(bool resume, bool need_complete) const {
    if (!resume || !fs::exists(path)) return std::nullopt;
    const std::vector<uint8_t> bytes = binio::read_file(path, "pipeline stage file");
    nlohmann::json j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("fingerprint") || !j.contains("result") ||
        !j.contains("complete")) {
      throw FormatError(path, "stage file", "a JSON object with fingerprint, complete, result",
                        "something else");
    }
    if (j["fingerprint"] != fingerprint) {
      throw ConfigError(path + " was written by a run with other settings; delete it (or the " +
                        "work directory) or run without resuming");
    }
    if (need_complete && !j["complete"].get<bool>()) return std::nullopt;
    return j["result"];
  }

  void save(const nlohmann::json& result, bool complete) const {
    const std::string text = nlohmann::json{
        {"fingerprint", fingerprint},
        {"complete", complete},
        {"result", result}}.dump(1);
    binio::write_file_atomic(path, {reinterpret_cast<const uint8_t*>(text.data()), text.size()},
                             "pipeline stage file");
  }
};

nlohmann::json memory_fingerprint(const dram::MemSpec& spec) {
  return {{"memspec", spec.id}, {"hash", hash_hex(fnv1a64(spec.to_json().dump()))}};
}

std::string snn_stem(const PipelineOptions& o, const SnnRun& run) {
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [k, v] : snn::params_to_map(run.params)) params[k] = v;
  const std::string h = hash_hex(fnv1a64(params.dump())).substr(0, 8);
  return (fs::path(o.work_dir) /
          (run.dataset + "_N" + std::to_string(run.neurons) + "_p" + h + "_e" +
           std::to_string(run.epochs) + "_s" + std::to_string(run.seed)))
      .string();
}

struct Trained {
  snn::Network net;
  nlohmann::json stats;
  std::string path;
};

// One network's training stage: its stage file (settings + statistics) and its network file.
struct TrainStage {
  const FatOptions* fat;  // null: plain training
  Stage stage;
  std::string stem, net_path;
  std::string what() const { return fat ? "FAT" : "plain"; }
};

TrainStage train_stage_of(const SnnRun& run, const data::Dataset& train, const PipelineOptions& o,
                          const FatOptions* fat, const std::string& stem) {
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [k, v] : snn::params_to_map(run.params)) params[k] = v;
  const int64_t images = run.train_images == 0 ? train.size() : run.train_images;
  const int64_t label_images = run.label_images < 0 ? images : run.label_images;
  return {fat,
          Stage{stem + ".json",
                {{"dataset", run.dataset},
                 {"train_split_images", train.size()},
                 {"neurons", run.neurons},
                 {"params", params},
                 {"epochs", run.epochs},
                 {"train_images", images},
                 {"label_images", label_images},
                 {"seed", run.seed},
                 {"fault_aware_training", fat ? fat->to_json() : nlohmann::json(nullptr)},
                 {"memory", fat ? memory_fingerprint(o.dram.nominal) : nlohmann::json(nullptr)}}},
          stem, stem + ".snn"};
}

// STDP training of one network (sequential: one thread), reporting the samples it has done.
Trained train_one_network(const TrainStage& t, const SnnRun& run, const data::Dataset& train,
                          const PipelineOptions& o, const std::function<void()>& on_checkpoint,
                          const std::function<void(int64_t, const std::string&)>& progress) {
  snn::Network net =
      snn::Network::fresh(run.params, static_cast<int>(train.image_bytes()), run.neurons, run.seed);
  net.dataset = run.dataset;
  snn::TrainOptions to;
  to.epochs = run.epochs;
  to.images = t.stage.fingerprint.at("train_images").get<int64_t>();
  to.seed = run.seed;
  to.checkpoint = t.stem + ".ckpt";
  to.checkpoint_seconds = o.checkpoint_seconds;
  to.resume = o.resume;
  if (on_checkpoint) to.on_checkpoint = [&on_checkpoint](int64_t) { on_checkpoint(); };
  nlohmann::json stats;
  snn::TrainStats st;
  if (t.fat) {
    const FatStats fs_ = train_fault_aware(net, train, to, *t.fat, o.dram.nominal.org, progress);
    st = fs_.train;
    stats["error_maps"] = fs_.maps;
    stats["flips"] = fs_.flips;
  } else {
    st = snn::train_network(net, train, to, progress);
  }
  stats.update({{"samples", st.samples},
                {"seconds", st.seconds},
                {"samples_per_second", st.samples_per_second},
                {"presentations", st.presentations},
                {"running_accuracy", st.running_accuracy}});
  return {std::move(net), stats, t.net_path};
}

// Labels a freshly trained network's neurons, then writes its network and stage files.
void label_and_save(Trained& t, const TrainStage& stage, const SnnRun& run,
                    const data::Dataset& train, const PipelineOptions& o, PipelineReporter& rep) {
  const int64_t label_images = stage.stage.fingerprint.at("label_images").get<int64_t>();
  snn::InferenceOptions io;
  io.images = label_images;
  io.seed = run.seed;
  io.threads = o.threads;
  io.keep_counts = true;
  std::string label = size_name(run.neurons);
  label.append(" ").append(stage.what()).append(" labelling");
  rep.begin(label, label_images, "images", 0);
  const snn::InferenceResult lr = snn::label_network(
      t.net, train, io, [&](int64_t done, const std::string& note) { rep.update(done, note); });
  rep.end("accuracy on labelling images " + pct(lr.accuracy));
  t.stats["labelling_accuracy"] = lr.accuracy;
  t.stats["labelling_seconds"] = lr.seconds;
  snn::save_network(t.net, stage.net_path);
  stage.stage.save(t.stats, true);
}

// The plain and the FAT network: reused when finished, else trained — side by side on two
// threads when the run has them (each training is sequential and deterministic, so the result
// is the same for any thread count) — then labelled.
std::pair<Trained, Trained> train_stages(const SnnRun& run, const data::Dataset& train,
                                         const PipelineOptions& o, const FatOptions& fat,
                                         const std::string& stem, PipelineReporter& rep) {
  const std::array<TrainStage, 2> stages = {
      train_stage_of(run, train, o, nullptr, stem + ".plain"),
      train_stage_of(run, train, o, &fat, stem + ".fat_" + run.format.name())};
  std::array<std::optional<Trained>, 2> nets;
  std::vector<size_t> todo;
  for (size_t i = 0; i < 2; ++i) {
    const TrainStage& t = stages[i];
    if (auto done = t.stage.load(o.resume, true); done && fs::exists(t.net_path)) {
      rep.message("reusing " + t.net_path + " (" + t.what() + " training)");
      nets[i] = Trained{snn::load_network(t.net_path), *done, t.net_path};
    } else {
      todo.push_back(i);
    }
  }
  const bool side_by_side = todo.size() == 2 && o.threads >= 2;
  const int64_t samples =
      stages[0].stage.fingerprint.at("train_images").get<int64_t>() * run.epochs;
  std::string label = size_name(run.neurons);
  for (size_t k = 0; k < todo.size(); ++k) {
    label.append(k == 0 ? " " : " + ").append(stages[todo[k]].what());
  }
  label.append(" training");
  // Progress and the checkpoint hook from either training thread, one at a time. A training
  // resumed from its checkpoint reports sample k + 1 first.
  std::mutex mutex;
  std::array<int64_t, 2> done{}, resumed{};
  std::array<bool, 2> started{};
  const std::function<void()> on_checkpoint = [&] {
    if (!o.on_checkpoint) return;
    std::lock_guard lock(mutex);
    o.on_checkpoint();
  };
  const auto progress_of = [&](size_t i) {
    return [&, i](int64_t d, const std::string& note) {
      std::lock_guard lock(mutex);
      if (!started[i] && d > 1) {
        resumed[i] = d - 1;
        rep.message(size_name(run.neurons) + " " + stages[i].what() +
                    " training resumed from its checkpoint at sample " + std::to_string(d - 1));
        rep.resumed_at(resumed[0] + resumed[1]);
      }
      started[i] = true;
      done[i] = d;
      std::string labelled = stages[i].what();
      labelled.append(": ").append(note);
      rep.update(done[0] + done[1], labelled);
    };
  };
  if (!todo.empty()) {
    rep.begin(label, samples * static_cast<int64_t>(todo.size()), "samples", 0);
    std::array<std::string, 2> ended;
    ThreadPool pool(side_by_side ? 2 : 1);
    pool.parallel_for(static_cast<int64_t>(todo.size()), [&](int64_t begin, int64_t end, int) {
      for (int64_t k = begin; k < end; ++k) {
        const size_t i = todo[static_cast<size_t>(k)];
        nets[i] = train_one_network(stages[i], run, train, o, on_checkpoint, progress_of(i));
        const double acc = nets[i]->stats["running_accuracy"].get<double>();
        if (acc >= 0) ended[i] = "running acc " + pct(acc);
      }
    });
    std::string summary;
    for (size_t i : todo) {
      if (ended[i].empty()) continue;
      summary.append(summary.empty() ? "" : ", ")
          .append(stages[i].what())
          .append(" ")
          .append(ended[i]);
    }
    rep.end(summary);
  }
  for (size_t i : todo) {
    nets[i]->stats["side_by_side"] = side_by_side;
    label_and_save(*nets[i], stages[i], run, train, o, rep);
  }
  return {std::move(*nets[0]), std::move(*nets[1])};
}

ToleranceCurve tolerance_stage(WeightedModel& model, const nlohmann::json& model_fp,
                               const std::string& path, const std::string& label,
                               const PipelineOptions& o, ThreadPool& pool, PipelineReporter& rep) {
  // The BER grid is not part of the fingerprint: points are matched by BER, so a run with a
  // wider grid reuses the points it shares.
  Stage stage{path,
              {{"model", model_fp},
               {"maps", o.tolerance.maps},
               {"seed", o.tolerance.seed},
               {"errors", o.tolerance.errors.to_json()},
               {"memory", memory_fingerprint(o.dram.nominal)}}};
  std::optional<ToleranceCurve> done;
  if (auto j = stage.load(o.resume, false)) done = ToleranceCurve::from_json(*j, path);
  int64_t already = 0;
  if (done) {
    for (double b : o.tolerance.bers) {
      for (const auto& p : done->points) already += p.ber == b ? 1 : 0;
    }
  }
  rep.begin(label, static_cast<int64_t>(o.tolerance.bers.size()), "BERs", already);
  int64_t count = already;
  ToleranceCurve curve = tolerance_analysis(
      model, o.dram.nominal.org, o.tolerance, pool, done ? &*done : nullptr,
      [&](const ToleranceCurve& c) {
        // Keep the points of an earlier, wider grid too.
        ToleranceCurve merged = c;
        if (done) {
          for (const auto& p : done->points) {
            bool have = false;
            for (const auto& q : merged.points) have = have || q.ber == p.ber;
            if (!have) merged.points.push_back(p);
          }
        }
        stage.save(merged.to_json(), false);
        const TolerancePoint& last = c.points.back();
        rep.update(++count, "BER " + sci(last.ber) + " acc " + pct(last.accuracy.mean));
      });
  // Rewritten only when something was measured, so runs that merely reuse a finished curve (e.g.
  // for other vendors, possibly at the same time) never write it.
  if (count > already || !done) stage.save(curve.to_json(), true);
  rep.end("error-free " + pct(curve.clean_accuracy));
  return curve;
}

nlohmann::json dram_fingerprint(const PipelineOptions& o) {
  return {{"memory", memory_fingerprint(o.dram.nominal)},
          {"address_order", o.dram.address_order},
          {"latency_stretch_per_volt", o.dram.voltage.latency_stretch_per_volt},
          {"current_table", o.dram.voltage.currents ? o.dram.voltage.currents->source : ""},
          {"refresh", static_cast<int>(o.dram.refresh)},
          {"spread", o.dram.spread.to_json()},
          {"chip_seed", o.dram.chip_seed},
          {"errors", o.dram.errors.to_json()},
          {"ber_curve", o.ber.curve ? o.ber.curve->to_json() : nlohmann::json(o.ber.fixed_ber)},
          {"voltages", o.voltages},
          {"spread_sigmas", o.spread_sigmas},
          {"maps", o.tolerance.maps},
          {"seed", o.tolerance.seed},
          {"margin", o.margin}};
}

// Voltage, mapping, energy, sensitivity and the end-to-end accuracy for `model` at `ber_max`.
nlohmann::json deploy(WeightedModel& model, double ber_max, double clean_accuracy,
                      const PipelineOptions& o, ThreadPool& pool, PipelineReporter& rep,
                      const std::string& label) {
  const VoltagePlan plan = plan_voltage(model.segments(), o.dram, o.ber, o.voltages, ber_max);
  nlohmann::json out;
  out["plan"] = plan.to_json();
  nlohmann::json sens = nlohmann::json::array();
  for (double sigma : o.spread_sigmas) {
    DramConfig c = o.dram;
    c.spread = {sigma, sigma};
    const VoltagePlan p = plan_voltage(model.segments(), c, o.ber, o.voltages, ber_max);
    sens.push_back(
        {{"sigma", sigma},
         {"voltage_v", p.sparkxd.found ? p.sparkxd.vdd_v : plan.nominal_vdd_v},
         {"usable_regions", p.sparkxd.usable_regions},
         {"baseline_voltage_v", p.baseline.found ? p.baseline.vdd_v : plan.nominal_vdd_v},
         {"saving", p.saving},
         {"voltage_saving", p.voltage_saving},
         {"mapping_saving", p.mapping_saving}});
  }
  out["spread_sensitivity"] = sens;
  if (!plan.sparkxd.found) {
    out["accuracy_at_voltage"] = nullptr;
    return out;
  }
  const dram::WeakRegionMap regions(o.dram.nominal.org, o.dram.spread, o.dram.chip_seed);
  const int maps = o.tolerance.maps;
  rep.begin(label + " at " + sci(plan.sparkxd.vdd_v) + " V", 2 * maps, "maps", 0);
  int done = 0;
  const auto tick = [&](int, double acc) { rep.update(++done, "acc " + pct(acc)); };
  const MapAccuracy sx =
      measure_error_maps(model, regions, plan.sparkxd.placement, o.dram.errors, maps,
                         o.tolerance.seed, "sparkxd.end_to_end", clean_accuracy, pool, tick);
  // The same voltage with the weights where the baseline mapping puts them: what the mapping buys.
  const dram::Placement base = dram::map_segments(model.segments(), address_mapping(o.dram),
                                                  regions, plan.sparkxd.chip_ber, {});
  const MapAccuracy bl =
      measure_error_maps(model, regions, base, o.dram.errors, maps, o.tolerance.seed,
                         "sparkxd.end_to_end", clean_accuracy, pool, tick);
  rep.end("SparkXD mapping " + pct(sx.mean) + ", baseline mapping " + pct(bl.mean));
  out["accuracy_at_voltage"] = sx.to_json();
  out["accuracy_at_voltage_baseline_mapping"] = bl.to_json();
  return out;
}

// The row's summary fields from the deployment of the chosen network.
void summarise_row(nlohmann::json& row, const nlohmann::json& d) {
  const nlohmann::json& plan = d["plan"];
  const bool found = plan["sparkxd"]["found"].get<bool>();
  row["voltage_v"] = found ? plan["sparkxd"]["vdd_v"] : plan["nominal_vdd_v"];
  row["chip_ber_at_voltage"] = found ? plan["sparkxd"]["chip_ber"] : nlohmann::json(nullptr);
  row["usable_regions"] = found ? plan["sparkxd"]["usable_regions"] : nlohmann::json(nullptr);
  row["energy_nominal_j"] = plan["energy_nominal_j"];
  row["energy_sparkxd_j"] = found ? plan["sparkxd"]["energy_j"] : plan["energy_nominal_j"];
  row["saving"] = plan["saving"];
  row["voltage_saving"] = plan["voltage_saving"];
  row["mapping_saving"] = plan["mapping_saving"];
  row["baseline_mapping_voltage_v"] =
      plan["baseline"]["found"].get<bool>() ? plan["baseline"]["vdd_v"] : plan["nominal_vdd_v"];
  row["no_spatial_variation"] = {
      {"voltage_v",
       plan["uniform"]["found"].get<bool>() ? plan["uniform"]["vdd_v"] : plan["nominal_vdd_v"]},
      {"saving", plan["uniform_saving"]}};
  const nlohmann::json& acc = d["accuracy_at_voltage"];
  row["accuracy_at_voltage"] = acc.is_null() ? acc : acc["accuracy_mean"];
  row["accuracy_at_voltage_ci95"] = acc.is_null() ? acc : acc["accuracy_ci95"];
  row["accuracy_at_voltage_baseline_mapping"] =
      acc.is_null() ? acc : d["accuracy_at_voltage_baseline_mapping"]["accuracy_mean"];
  row["spread_sensitivity"] = d["spread_sensitivity"];
  row["deployment"] = d;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void check_options(const PipelineOptions& o) {
  if (o.work_dir.empty()) throw ConfigError("the pipeline needs a work directory");
  if (o.threads < 1) throw ConfigError("threads must be >= 1, got " + std::to_string(o.threads));
  if (o.tolerance.maps < 1) throw ConfigError("error maps per BER must be >= 1");
  if (o.voltages.empty()) throw ConfigError("no candidate voltages");
  if (!(o.margin >= 0 && o.margin <= 1)) throw ConfigError("accuracy margin outside [0, 1]");
  for (double s : o.spread_sigmas) {
    if (!(s >= 0 && s <= 5))
      throw ConfigError("spread sigma " + std::to_string(s) + " outside [0, 5]");
  }
  fs::create_directories(o.work_dir);
}

}  // namespace

nlohmann::json run_snn_pipeline(const SnnRun& run, const data::Dataset& train,
                                const data::Dataset& test, const PipelineOptions& options,
                                PipelineReporter& rep) {
  check_options(options);
  if (run.neurons < 1 || run.neurons > 65536) {
    throw ConfigError("neurons must be in 1..65536, got " + std::to_string(run.neurons));
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::string stem = snn_stem(options, run);
  FatOptions fat = options.fat;
  fat.format = run.format;
  fat.errors = options.tolerance.errors;
  fat.validate();
  const auto [plain, aware] = train_stages(run, train, options, fat, stem, rep);

  ThreadPool pool(options.threads);
  snn::InferenceOptions io;
  io.images = run.test_images;
  io.seed = run.seed;
  const auto model_fp = [&](const Trained& t) {
    return nlohmann::json{{"network_hash", file_hash_hex(t.path)},
                          {"weight_format", run.format.name()},
                          {"test_images", run.test_images},
                          {"test_split_images", test.size()},
                          {"input_seed", run.seed}};
  };
  SnnModel plain_model(plain.net, run.format, test, io);
  SnnModel fat_model(aware.net, run.format, test, io);
  const std::string n = size_name(run.neurons);
  const std::string fmt = run.format.name();
  const ToleranceCurve base_curve =
      tolerance_stage(plain_model, model_fp(plain), stem + ".plain." + fmt + ".tolerance.json",
                      n + " tolerance (plain)", options, pool, rep);
  const ToleranceCurve fat_curve =
      tolerance_stage(fat_model, model_fp(aware), stem + ".fat_" + fmt + ".tolerance.json",
                      n + " tolerance (FAT)", options, pool, rep);
  const double reference = base_curve.clean_accuracy;
  const double ber_max = max_tolerable_ber(base_curve, reference, options.margin);
  const double ber_max_fat = max_tolerable_ber(fat_curve, reference, options.margin);
  const bool use_fat = ber_max_fat > ber_max;

  nlohmann::json row = {{"network",
                         {{"kind", "snn"},
                          {"dataset", run.dataset},
                          {"neurons", run.neurons},
                          {"config", run.config_name},
                          {"epochs", run.epochs},
                          {"train_images", run.train_images == 0 ? train.size() : run.train_images},
                          {"test_images", run.test_images == 0 ? test.size() : run.test_images},
                          {"seed", run.seed},
                          {"weight_format", fmt},
                          {"weight_bytes", plain_model.segments()[0].size_bytes()},
                          {"files", {{"plain", plain.path}, {"fat", aware.path}}}}},
                        {"baseline_accuracy", reference},
                        {"fat_accuracy", fat_curve.clean_accuracy},
                        {"ber_max", ber_max},
                        {"ber_max_fat", ber_max_fat},
                        {"deployed", use_fat ? "fat" : "plain"},
                        {"training", {{"plain", plain.stats}, {"fat", aware.stats}}},
                        {"fault_aware_training", fat.to_json()},
                        {"tolerance",
                         {{"options", options.tolerance.to_json()},
                          {"baseline", base_curve.to_json()},
                          {"fat", fat_curve.to_json()}}}};

  Stage stage{stem + "." + fmt + ".deploy." + options.ber.name() + ".json",
              {{"plain", model_fp(plain)},
               {"fat", model_fp(aware)},
               {"ber_max", ber_max},
               {"ber_max_fat", ber_max_fat},
               {"dram", dram_fingerprint(options)}}};
  nlohmann::json d;
  if (auto done = stage.load(options.resume, true)) {
    rep.message("reusing " + stage.path);
    d = *done;
  } else {
    SnnModel& deployed = use_fat ? fat_model : plain_model;
    d = deploy(deployed, use_fat ? ber_max_fat : ber_max,
               use_fat ? fat_curve.clean_accuracy : reference, options, pool, rep,
               n + (use_fat ? " FAT" : " plain"));
    // For comparison: the plan the network trained without FAT would get.
    const VoltagePlan p =
        plan_voltage(plain_model.segments(), options.dram, options.ber, options.voltages, ber_max);
    d["plan_without_fat"] = {{"voltage_v", p.sparkxd.found ? p.sparkxd.vdd_v : p.nominal_vdd_v},
                             {"saving", p.saving}};
    stage.save(d, true);
  }
  summarise_row(row, d);
  row["plan_without_fat"] = d["plan_without_fat"];
  row["seconds"] = seconds_since(t0);
  return row;
}

nlohmann::json run_int8_pipeline(const qnn::QModel& qmodel, const data::Dataset& test,
                                 int64_t test_images, qnn::KernelSet kernels,
                                 const PipelineOptions& options, PipelineReporter& rep) {
  check_options(options);
  const auto t0 = std::chrono::steady_clock::now();
  Int8Model model(qmodel, test, test_images, kernels);
  ThreadPool pool(options.threads);
  const nlohmann::json model_fp = {{"fingerprint", qnn::model_fingerprint(qmodel)},
                                   {"test_images", test_images},
                                   {"test_split_images", test.size()}};
  const std::string stem = (fs::path(options.work_dir) /
                            ("int8_" + hash_hex(qnn::model_fingerprint(qmodel)).substr(0, 8)))
                               .string();
  const ToleranceCurve curve = tolerance_stage(model, model_fp, stem + ".tolerance.json",
                                               "int8 tolerance", options, pool, rep);
  const double ber_max = max_tolerable_ber(curve, curve.clean_accuracy, options.margin);
  int64_t bytes = 0;
  for (const MemorySegment& s : model.segments()) bytes += s.size_bytes();
  nlohmann::json row = {
      {"network",
       {{"kind", "int8"},
        {"source", qmodel.source},
        {"dataset", test.name},
        {"test_images", test_images == 0 ? test.size() : test_images},
        {"weight_format", "int8"},
        {"weight_bytes", bytes}}},
      {"baseline_accuracy", curve.clean_accuracy},
      {"fat_accuracy", nullptr},
      {"ber_max", ber_max},
      {"ber_max_fat", nullptr},
      {"deployed", "plain"},
      {"tolerance", {{"options", options.tolerance.to_json()}, {"baseline", curve.to_json()}}}};
  Stage stage{stem + ".deploy." + options.ber.name() + ".json",
              {{"model", model_fp}, {"ber_max", ber_max}, {"dram", dram_fingerprint(options)}}};
  nlohmann::json d;
  if (auto done = stage.load(options.resume, true)) {
    rep.message("reusing " + stage.path);
    d = *done;
  } else {
    d = deploy(model, ber_max, curve.clean_accuracy, options, pool, rep, "int8");
    stage.save(d, true);
  }
  summarise_row(row, d);
  row["seconds"] = seconds_since(t0);
  return row;
}

}  // namespace hardy::sparkxd
