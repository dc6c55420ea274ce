// Network initialisation, validation and the .snn file format.
#include "hardy/snn/network.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>

#include "hardy/core/binary_io.h"
#include "hardy/core/error.h"
#include "hardy/core/rng.h"

namespace hardy::snn {

static_assert(std::endian::native == std::endian::little, "the .snn format assumes little-endian");

using binio::put;
using binio::put_checksum;
using binio::put_section;
using binio::Reader;

namespace {

constexpr char kMagic[8] = {'H', 'A', 'R', 'D', 'Y', 'S', 'N', 'N'};
constexpr uint64_t kMaxHeaderBytes = 1 << 20;
constexpr int kMaxNeurons = 1 << 16;
constexpr int kMaxInputs = 1 << 16;

}  // namespace

Network Network::fresh(const SnnParams& params, int inputs_count, int neuron_count,
                       uint64_t seed_value) {
  HARDY_CHECK(inputs_count > 0 && neuron_count > 0);
  Network n;
  n.params = params;
  n.inputs = inputs_count;
  n.neurons = neuron_count;
  n.seed = seed_value;
  n.weights.resize(static_cast<size_t>(inputs_count) * neuron_count);
  RngStream rng(seed_value, stream_tag("snn.init_weights"), 0);
  for (float& w : n.weights) {
    w = static_cast<float>((rng.uniform() + params.init_w_offset) * params.init_w_scale);
    if (w > static_cast<float>(params.w_max)) w = static_cast<float>(params.w_max);
  }
  n.theta_mv.assign(static_cast<size_t>(neuron_count), static_cast<float>(params.theta_init_mv));
  return n;
}

void Network::check(const std::string& source) const {
  if (neurons <= 0 || neurons > kMaxNeurons) {
    throw FormatError(source, "neurons", "1.." + std::to_string(kMaxNeurons),
                      std::to_string(neurons));
  }
  if (inputs <= 0 || inputs > kMaxInputs) {
    throw FormatError(source, "inputs", "1.." + std::to_string(kMaxInputs), std::to_string(inputs));
  }
  if (weights.size() != static_cast<size_t>(inputs) * neurons) {
    throw FormatError(source, "weights", std::to_string(static_cast<size_t>(inputs) * neurons),
                      std::to_string(weights.size()) + " values");
  }
  if (theta_mv.size() != static_cast<size_t>(neurons)) {
    throw FormatError(source, "theta", std::to_string(neurons),
                      std::to_string(theta_mv.size()) + " values");
  }
  const auto w_max = static_cast<float>(params.w_max);
  for (size_t k = 0; k < weights.size(); ++k) {
    if (!(weights[k] >= 0.0f && weights[k] <= w_max)) {
      throw FormatError(source,
                        "weight " + std::to_string(k / neurons) + "," + std::to_string(k % neurons),
                        "a value in [0, w_max]", std::to_string(weights[k]));
    }
  }
  for (size_t j = 0; j < theta_mv.size(); ++j) {
    if (!std::isfinite(theta_mv[j]) || std::abs(theta_mv[j]) > 1e4f) {
      throw FormatError(source, "theta " + std::to_string(j), "a finite value in mV",
                        std::to_string(theta_mv[j]));
    }
  }
  if (!labels.empty()) {
    if (labels.size() != static_cast<size_t>(neurons)) {
      throw FormatError(source, "labels", std::to_string(neurons),
                        std::to_string(labels.size()) + " values");
    }
    for (size_t j = 0; j < labels.size(); ++j) {
      if (labels[j] > 9 && labels[j] != kUnassigned) {
        throw FormatError(source, "label of neuron " + std::to_string(j), "0..9 or 255",
                          std::to_string(labels[j]));
      }
    }
  }
  if (!class_responses.empty()) {
    if (labels.empty()) throw FormatError(source, "class responses", "labels with them", "none");
    if (class_responses.size() != static_cast<size_t>(10) * neurons) {
      throw FormatError(source, "class responses", std::to_string(10 * neurons),
                        std::to_string(class_responses.size()) + " values");
    }
    for (size_t k = 0; k < class_responses.size(); ++k) {
      if (!(class_responses[k] >= 0.0f && class_responses[k] <= 1e6f)) {
        throw FormatError(
            source,
            "class response " + std::to_string(k / neurons) + "," + std::to_string(k % neurons),
            "a mean spike count in [0, 1e6]", std::to_string(class_responses[k]));
      }
    }
  }
}

void save_network(const Network& net, const std::string& path) {
  net.check(path);
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [k, v] : params_to_map(net.params)) params[k] = v;
  const nlohmann::json header = {{"params", params},
                                 {"inputs", net.inputs},
                                 {"neurons", net.neurons},
                                 {"dataset", net.dataset},
                                 {"seed", net.seed},
                                 {"trained_samples", net.trained_samples},
                                 {"labelled", !net.labels.empty()},
                                 {"responses", !net.class_responses.empty()}};
  const std::string h = header.dump();
  std::vector<uint8_t> out;
  out.reserve(64 + h.size() + (net.weights.size() + net.theta_mv.size() + 1) * sizeof(float) +
              net.labels.size());
  binio::put_preamble(out, kMagic, kNetworkFileVersion);
  put<uint64_t>(out, h.size());
  out.insert(out.end(), h.begin(), h.end());
  put_section(out, "WGHT", net.weights.data(), net.weights.size() * sizeof(float));
  put_section(out, "THTA", net.theta_mv.data(), net.theta_mv.size() * sizeof(float));
  if (!net.labels.empty()) put_section(out, "LABL", net.labels.data(), net.labels.size());
  if (!net.class_responses.empty()) {
    put_section(out, "RESP", net.class_responses.data(),
                net.class_responses.size() * sizeof(float));
  }
  put_checksum(out);
  binio::write_file_atomic(path, out, "network file");
}

Network parse_network(std::span<const uint8_t> bytes, const std::string& source) {
  Reader r(bytes, source);
  const uint32_t version = r.preamble(kMagic, "a hardy spiking network file", 1, 2);
  const auto header_bytes = r.get<uint64_t>("header length");
  if (header_bytes > kMaxHeaderBytes) {
    throw FormatError(source, "header length", "at most " + std::to_string(kMaxHeaderBytes),
                      std::to_string(header_bytes));
  }
  auto hb = r.take(header_bytes, "JSON header");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(hb.begin(), hb.end());
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(source, "JSON header", "valid JSON", std::string("parse error: ") + e.what());
  }
  Network net;
  try {
    if (!header.is_object())
      throw FormatError(source, "JSON header", "an object", header.type_name());
    // Version 2 added "responses"; every key of the file's version is required.
    static const char* kKeys[] = {"params", "inputs",          "neurons",  "dataset",
                                  "seed",   "trained_samples", "labelled", "responses"};
    const auto keys = std::span<const char* const>(kKeys).first(version == 1 ? 7 : 8);
    for (const auto& [k, v] : header.items()) {
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
        throw FormatError(source, "JSON header",
                          "known keys (version " + std::to_string(version) + ")",
                          "unknown key '" + k + "'");
      }
    }
    for (const char* k : keys) {
      if (!header.contains(k))
        throw FormatError(source, "JSON header", std::string("key '") + k + "'", "none");
    }
    if (version == 2 && !header.at("responses").is_boolean()) {
      throw FormatError(source, "JSON header 'responses'", "true or false",
                        header.at("responses").dump());
    }
    if (!header.at("params").is_object()) {
      throw FormatError(source, "JSON header 'params'", "an object",
                        header.at("params").type_name());
    }
    if (!header.at("labelled").is_boolean()) {
      throw FormatError(source, "JSON header 'labelled'", "true or false",
                        header.at("labelled").dump());
    }
    std::map<std::string, std::string> pm;
    for (const auto& [k, v] : header.at("params").items()) {
      if (!v.is_string()) {
        throw FormatError(source, "parameter '" + k + "'", "a string value", v.dump());
      }
      pm[k] = v.get<std::string>();
    }
    net.params = params_from_map(pm, source + ": params");
    const auto inputs = header.at("inputs").get<int64_t>();
    const auto neurons = header.at("neurons").get<int64_t>();
    if (inputs <= 0 || inputs > kMaxInputs) {
      throw FormatError(source, "inputs", "1.." + std::to_string(kMaxInputs),
                        std::to_string(inputs));
    }
    if (neurons <= 0 || neurons > kMaxNeurons) {
      throw FormatError(source, "neurons", "1.." + std::to_string(kMaxNeurons),
                        std::to_string(neurons));
    }
    net.inputs = static_cast<int>(inputs);
    net.neurons = static_cast<int>(neurons);
    net.dataset = header.at("dataset").get<std::string>();
    net.seed = header.at("seed").get<uint64_t>();
    net.trained_samples = header.at("trained_samples").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(source, "JSON header", "the documented fields and types", e.what());
  }
  const bool labelled = header.at("labelled").get<bool>();
  const auto n = static_cast<uint64_t>(net.neurons);
  auto w = r.section("WGHT", static_cast<uint64_t>(net.inputs) * n * sizeof(float));
  net.weights.resize(static_cast<size_t>(net.inputs) * n);
  std::memcpy(net.weights.data(), w.data(), w.size());
  auto t = r.section("THTA", n * sizeof(float));
  net.theta_mv.resize(n);
  std::memcpy(net.theta_mv.data(), t.data(), t.size());
  if (labelled) {
    auto l = r.section("LABL", n);
    net.labels.assign(l.begin(), l.end());
  }
  if (version == 2 && header.at("responses").get<bool>()) {
    auto c = r.section("RESP", 10 * n * sizeof(float));
    net.class_responses.resize(10 * n);
    std::memcpy(net.class_responses.data(), c.data(), c.size());
  }
  r.checksum_and_end();
  net.check(source);
  return net;
}

Network load_network(const std::string& path) {
  return parse_network(binio::read_file(path, "network file"), path);
}

}  // namespace hardy::snn
