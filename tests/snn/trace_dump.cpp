// Trains a small network on a few images and writes everything the Brian2 cross-check needs:
// parameters, initial weights, the input spike trains hardy drew, the presentation schedule,
// per-step membrane traces and spikes, the state after each rest, and final weights/θ.
//
// usage: snn_trace_dump --out DIR [--neurons 25] [--images 4] [--dataset fashion-mnist]
//                       [--seed 1] [--first 0] [--stepped-rest]
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "hardy/core/error.h"
#include "hardy/data/dataset.h"
#include "hardy/snn/simulator.h"
#include "hardy/snn/training.h"

namespace {

using hardy::snn::InputSpikes;
using hardy::snn::Recorder;
using hardy::snn::StateView;

template <class T>
void append(std::vector<char>& out, std::span<const T> v) {
  const auto* p = reinterpret_cast<const char*>(v.data());
  out.insert(out.end(), p, p + v.size_bytes());
}

class Dump : public Recorder {
 public:
  nlohmann::json presentations = nlohmann::json::array();
  std::vector<char> input_spikes, steps, v_exc, ge_exc, gi_exc, v_inh, ge_inh, theta;
  std::vector<char> spikes_exc, spikes_inh, rest_steps, rest_v_exc, rest_v_inh, rest_theta;

  void on_presentation(int64_t sample, int attempt, int64_t first_step, double rate_hz,
                       const InputSpikes& s) override {
    presentations.push_back({{"sample", sample},
                             {"attempt", attempt},
                             {"first_step", first_step},
                             {"rate_hz", rate_hz},
                             {"input_spikes", s.count()}});
    for (int t = 0; t < s.steps; ++t) {
      for (uint16_t i : s.at(t)) {
        const int64_t pair[2] = {first_step + t, i};
        append(input_spikes, std::span<const int64_t>(pair, 2));
      }
    }
  }
  void on_step(const StateView& s, std::span<const int> e, std::span<const int> i) override {
    append(steps, std::span<const int64_t>(&s.step, 1));
    append(v_exc, s.v_exc);
    append(ge_exc, s.ge_exc);
    append(gi_exc, s.gi_exc);
    append(v_inh, s.v_inh);
    append(ge_inh, s.ge_inh);
    append(theta, s.theta_exc);
    for (int j : e) {
      const int64_t pair[2] = {s.step, j};
      append(spikes_exc, std::span<const int64_t>(pair, 2));
    }
    for (int j : i) {
      const int64_t pair[2] = {s.step, j};
      append(spikes_inh, std::span<const int64_t>(pair, 2));
    }
  }
  void on_rest_end(const StateView& s) override {
    append(rest_steps, std::span<const int64_t>(&s.step, 1));
    append(rest_v_exc, s.v_exc);
    append(rest_v_inh, s.v_inh);
    append(rest_theta, s.theta_exc);
  }
};

void write(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw hardy::FileError(path, "write failed");
}

template <class T>
std::vector<char> bytes_of(std::span<const T> v) {
  std::vector<char> out;
  append(out, v);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out, dataset = "fashion-mnist";
  int neurons = 25, images = 4, first = 0;
  uint64_t seed = 1;
  bool stepped_rest = false;
  for (int a = 1; a < argc; ++a) {
    const std::string k = argv[a];
    auto next = [&]() -> std::string {
      if (a + 1 >= argc) {
        std::fprintf(stderr, "error: %s needs a value\n", k.c_str());
        std::exit(2);
      }
      return argv[++a];
    };
    if (k == "--out") {
      out = next();
    } else if (k == "--neurons") {
      neurons = std::stoi(next());
    } else if (k == "--images") {
      images = std::stoi(next());
    } else if (k == "--first") {
      first = std::stoi(next());
    } else if (k == "--dataset") {
      dataset = next();
    } else if (k == "--seed") {
      seed = std::stoull(next());
    } else if (k == "--stepped-rest") {
      stepped_rest = true;
    } else {
      std::fprintf(stderr, "error: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (out.empty()) {
    std::fprintf(stderr, "usage: snn_trace_dump --out DIR [--neurons N] [--images K] ...\n");
    return 2;
  }
  try {
    std::filesystem::create_directories(out);
    const auto train = hardy::data::load_dataset(dataset, hardy::data::Split::kTrain);
    const hardy::snn::SnnParams params;
    hardy::snn::Network net = hardy::snn::Network::fresh(params, 784, neurons, seed);
    write(out + "/w_init.f32", bytes_of(std::span<const float>(net.weights)));
    write(out + "/theta_init.f32", bytes_of(std::span<const float>(net.theta_mv)));
    hardy::snn::ModelState model = hardy::snn::ModelState::from(net);
    hardy::snn::Simulator sim(params, model);
    sim.set_closed_form_rest(!stepped_rest);
    Dump dump;
    sim.set_recorder(&dump);
    std::vector<int32_t> counts(static_cast<size_t>(neurons));
    nlohmann::json samples = nlohmann::json::array();
    for (int s = 0; s < images; ++s) {
      hardy::RngStream rng(seed, hardy::stream_tag(hardy::snn::kTrainStream),
                           static_cast<uint64_t>(s));
      const auto o = sim.train_sample(train.image(first + s), rng, counts, s);
      samples.push_back(
          {{"image", first + s}, {"presentations", o.presentations}, {"spikes", o.spikes}});
    }
    // Final state, unclipped (as the simulator holds it) and unpadded.
    std::vector<float> w(static_cast<size_t>(784) * neurons);
    for (int i = 0; i < 784; ++i) {
      for (int j = 0; j < neurons; ++j) {
        w[static_cast<size_t>(i) * neurons + j] =
            model.weights[static_cast<size_t>(i) * model.stride + j];
      }
    }
    write(out + "/w_final.f32", bytes_of(std::span<const float>(w)));
    write(out + "/theta_final.f32",
          bytes_of(std::span<const float>(model.theta.data(), static_cast<size_t>(neurons))));
    write(out + "/input_spikes.i64", dump.input_spikes);
    write(out + "/steps.i64", dump.steps);
    write(out + "/v_exc.f32", dump.v_exc);
    write(out + "/ge_exc.f32", dump.ge_exc);
    write(out + "/gi_exc.f32", dump.gi_exc);
    write(out + "/v_inh.f32", dump.v_inh);
    write(out + "/ge_inh.f32", dump.ge_inh);
    write(out + "/theta.f32", dump.theta);
    write(out + "/spikes_exc.i64", dump.spikes_exc);
    write(out + "/spikes_inh.i64", dump.spikes_inh);
    write(out + "/rest_steps.i64", dump.rest_steps);
    write(out + "/rest_v_exc.f32", dump.rest_v_exc);
    write(out + "/rest_v_inh.f32", dump.rest_v_inh);
    write(out + "/rest_theta.f32", dump.rest_theta);
    nlohmann::json meta = {{"neurons", neurons},
                           {"inputs", 784},
                           {"dataset", dataset},
                           {"seed", seed},
                           {"total_steps", sim.step()},
                           {"explicit_steps", sim.explicit_steps()},
                           {"closed_form_steps", sim.closed_form_steps()},
                           {"samples", samples},
                           {"presentations", dump.presentations},
                           {"params", hardy::snn::params_to_map(params)}};
    std::ofstream(out + "/meta.json") << meta.dump(1) << "\n";
    std::fprintf(stderr, "wrote %s: %lld steps (%lld explicit), %zu presentations\n", out.c_str(),
                 static_cast<long long>(sim.step()), static_cast<long long>(sim.explicit_steps()),
                 dump.presentations.size());
  } catch (const hardy::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}
