// NVF JSON, per-neuron CSV and checkpoints.
#include "hardy/analysis/nvf_report.h"

#include <cstring>
#include <fstream>

#include "hardy/core/binary_io.h"
#include "hardy/core/error.h"

namespace hardy::analysis {
namespace {

using nlohmann::json;

constexpr char kCheckpointMagic[8] = {'H', 'A', 'R', 'D', 'Y', 'N', 'V', 'F'};
constexpr uint32_t kCheckpointVersion = 2;  // 2: batch counts

double rate(int64_t critical, int64_t faults) {
  return faults > 0 ? static_cast<double>(critical) / static_cast<double>(faults) : 0.0;
}

// Faults of one word whose reported bit (the higher of a pair) is `bit`.
int64_t faults_with_bit(const std::vector<fault::WordFault>& faults, int bit) {
  int64_t n = 0;
  for (const fault::WordFault& f : faults) n += (f.bit2 >= 0 ? f.bit2 : f.bit) == bit;
  return n;
}

}  // namespace

json nvf_report(const NvfAnalysis& a, const NvfCounts& c, double seconds) {
  const auto images = static_cast<int64_t>(a.images().size());
  const fault::SiteSpace& sites = a.sites();
  json r;
  r["images"] = images;
  r["neurons"] = sites.words();
  r["fault_models"] = json::array();
  r["model_vf"] = json::object();
  r["faults"] = json::object();
  r["critical"] = json::object();
  for (size_t m = 0; m < a.options().kinds.size(); ++m) {
    const std::string name = fault::fault_kind_name(a.options().kinds[m]);
    r["fault_models"].push_back(name);
    int64_t critical = 0, faults = 0;
    for (int64_t x : c.per_word[m]) critical += x;
    for (size_t l = 0; l < sites.layers().size(); ++l) {
      faults +=
          sites.layer(static_cast<int>(l)).selected_words() *
          static_cast<int64_t>(a.fault_list(static_cast<int>(m), static_cast<int>(l)).size()) *
          images;
    }
    r["faults"][name] = faults;
    r["critical"][name] = critical;
    r["model_vf"][name] = rate(critical, faults);
  }
  r["per_layer"] = json::array();
  r["per_bit"] = json::array();
  for (int l = 0; l < static_cast<int>(sites.layers().size()); ++l) {
    const fault::SiteLayer& layer = sites.layer(l);
    json row = {{"layer", layer.name},
                {"neurons", layer.selected_words()},
                {"simulated", c.per_layer[static_cast<size_t>(l)][NvfCounts::kSimulated]},
                {"simulated_in_batches", c.per_layer[static_cast<size_t>(l)][NvfCounts::kBatched]},
                {"bound_passes", c.per_layer[static_cast<size_t>(l)][NvfCounts::kBoundPasses]}};
    if (a.options().cev) {
      const auto& st = c.per_layer[static_cast<size_t>(l)];
      const int64_t pairs = layer.selected_words() * images;
      const auto mean = [](int64_t sum, int64_t n) {
        return n > 0 ? static_cast<double>(sum) / static_cast<double>(n) : 0.0;
      };
      row["cev"] = {
          {"pairs", pairs},
          {"with_critical_above", st[NvfCounts::kCevUpFound]},
          {"mean_cev_plus", mean(st[NvfCounts::kCevUpSum], st[NvfCounts::kCevUpFound])},
          {"with_critical_below", st[NvfCounts::kCevDownFound]},
          {"mean_cev_minus", -mean(st[NvfCounts::kCevDownSum], st[NvfCounts::kCevDownFound])},
          {"safe_set_not_interval", st[NvfCounts::kNotInterval]}};
    }
    for (size_t m = 0; m < a.options().kinds.size(); ++m) {
      const auto& list = a.fault_list(static_cast<int>(m), l);
      int64_t critical = 0;
      for (int64_t s = 0; s < layer.selected_words(); ++s) {
        critical += c.per_word[m][static_cast<size_t>(sites.first_word(l) + s)];
      }
      const std::string name = fault::fault_kind_name(a.options().kinds[m]);
      row["critical"][name] = critical;
      row["vf"][name] =
          rate(critical, layer.selected_words() * static_cast<int64_t>(list.size()) * images);
    }
    r["per_layer"].push_back(row);
    for (int bit : layer.bit_list) {
      json b = {{"layer", layer.name}, {"bit", bit}};
      for (size_t m = 0; m < a.options().kinds.size(); ++m) {
        const std::string name = fault::fault_kind_name(a.options().kinds[m]);
        const int64_t faults = faults_with_bit(a.fault_list(static_cast<int>(m), l), bit) *
                               layer.selected_words() * images;
        const int64_t critical = c.per_bit[m][static_cast<size_t>(l * 8 + bit)];
        if (faults == 0) continue;
        b["critical"][name] = critical;
        b["vf"][name] = rate(critical, faults);
      }
      r["per_bit"].push_back(b);
    }
  }
  r["seconds"] = seconds;
  r["simulated"] = c.bytes_simulated;
  r["simulated_in_batches"] = c.bytes_batched;
  r["batches"] = c.batches;
  r["decided_by_bounds"] = c.bytes_by_bounds;
  r["decided_through_pooling"] = c.bytes_composed;
  r["decided_for_pooling_inputs"] = c.bytes_for_funnels;
  r["decided_trivially"] = c.bytes_trivial;
  r["pairs"] = {{"decided_by_bounds", c.pairs_by_bounds}, {"simulated", c.pairs_simulated}};
  r["bound_passes"] = {{"run", c.bound_passes}, {"proved", c.bound_proofs}};
  r["bounds"] = a.options().bounds;
  r["cev"] = a.options().cev;
  return r;
}

void write_neuron_csv(const std::string& path, const NvfAnalysis& a, const NvfCounts& c) {
  std::ofstream f(path);
  if (!f) throw FileError(path, "cannot write the neuron CSV");
  const fault::SiteSpace& sites = a.sites();
  const auto images = static_cast<int64_t>(a.images().size());
  f << "layer,element,channel";
  for (fault::FaultKind k : a.options().kinds) {
    f << ",faults_" << fault::fault_kind_name(k) << ",critical_" << fault::fault_kind_name(k)
      << ",nvf_" << fault::fault_kind_name(k);
  }
  f << "\n";
  f.precision(17);
  for (int l = 0; l < static_cast<int>(sites.layers().size()); ++l) {
    const fault::SiteLayer& layer = sites.layer(l);
    for (int64_t s = 0; s < layer.selected_words(); ++s) {
      const int64_t word = layer.selected_word(s);
      f << layer.name << "," << word << "," << layer.channel_of(word);
      for (size_t m = 0; m < a.options().kinds.size(); ++m) {
        const int64_t faults =
            static_cast<int64_t>(a.fault_list(static_cast<int>(m), l).size()) * images;
        const int64_t critical = c.per_word[m][static_cast<size_t>(sites.first_word(l) + s)];
        f << "," << faults << "," << critical << "," << rate(critical, faults);
      }
      f << "\n";
    }
  }
  if (!f) throw FileError(path, "cannot write the neuron CSV");
}

void save_nvf_checkpoint(const std::string& path, const NvfAnalysis& a, const NvfCounts& c) {
  std::vector<uint8_t> out;
  binio::put_preamble(out, kCheckpointMagic, kCheckpointVersion);
  const uint64_t id = a.fingerprint();
  binio::put_section(out, "NVFA", &id, sizeof id);
  const std::vector<int64_t> v = c.to_vector();
  binio::put_vector_section<int64_t>(out, "CNTS", v);
  binio::put_checksum(out);
  binio::write_file_atomic(path, out, "NVF checkpoint");
}

NvfCounts load_nvf_checkpoint(const std::string& path, const NvfAnalysis& a) {
  const std::vector<uint8_t> bytes = binio::read_file(path, "NVF checkpoint");
  binio::Reader r(bytes, path);
  r.preamble(kCheckpointMagic, "a hardy NVF checkpoint", kCheckpointVersion, kCheckpointVersion);
  const auto id = r.section("NVFA", 8);
  uint64_t fingerprint = 0;
  std::memcpy(&fingerprint, id.data(), sizeof fingerprint);
  const auto v = r.vector_section<int64_t>("CNTS", uint64_t{1} << 34);
  r.checksum_and_end();
  if (fingerprint != a.fingerprint()) {
    throw ConfigError(path +
                      ": checkpoint of another analysis (model, images or options "
                      "differ); delete it or run without resuming");
  }
  try {
    return NvfCounts::from_vector(v, a.empty_counts());
  } catch (const FormatError& e) {
    throw FormatError(path, "CNTS", "counts sized for this analysis", e.what());
  }
}

}  // namespace hardy::analysis
