// Campaign JSON, CSV, merge and checkpoints.
#include "hardy/fault/campaign_report.h"

#include <cstring>
#include <fstream>

#include "hardy/core/binary_io.h"
#include "hardy/core/error.h"
#include "hardy/fault/statistics.h"

namespace hardy::fault {
namespace {

using nlohmann::json;

json counts_row(const OutcomeCounts& c) {
  return {{"faults", c.total()},
          {"masked", c.masked},
          {"sdc_benign", c.sdc_benign},
          {"sdc_critical", c.sdc_critical},
          {"critical_sdc_rate", c.critical_rate()}};
}

std::vector<int64_t> flatten(const std::vector<OutcomeCounts>& v) {
  std::vector<int64_t> out;
  out.reserve(v.size() * 3);
  for (const auto& c : v) out.insert(out.end(), {c.masked, c.sdc_benign, c.sdc_critical});
  return out;
}

std::vector<OutcomeCounts> unflatten(const std::vector<int64_t>& v, const std::string& source,
                                     const char* what) {
  if (v.size() % 3 != 0) {
    throw FormatError(source, std::string("counts.") + what, "a multiple of 3 integers",
                      std::to_string(v.size()));
  }
  std::vector<OutcomeCounts> out(v.size() / 3);
  for (size_t i = 0; i < out.size(); ++i) out[i] = {v[3 * i], v[3 * i + 1], v[3 * i + 2]};
  return out;
}

constexpr char kCheckpointMagic[8] = {'H', 'A', 'R', 'D', 'Y', 'F', 'I', 'C'};
constexpr uint32_t kCheckpointVersion = 1;

}  // namespace

json describe_campaign(const Campaign& c) {
  const CampaignOptions& o = c.options();
  json layers = json::array();
  for (const auto& l : c.sites().layers()) {
    layers.push_back({{"name", l.name},
                      {"words", l.words},
                      {"per_channel", l.per_channel},
                      {"word_bits", l.bits},
                      {"channels", l.channels},
                      {"bits", l.bit_list}});
  }
  return {{"target", target_name(o.target)},
          {"fault", fault_kind_name(o.kind)},
          {"mode", campaign_mode_name(o.mode)},
          {"seed", o.seed},
          {"images", c.images()},
          {"correct_only", o.correct_only},
          {"margin", o.margin},
          {"confidence", o.confidence},
          {"requested_faults", o.faults},
          {"ber", o.ber},
          {"trials", o.trials},
          {"filter",
           {{"layers", o.filter.layers}, {"channels", o.filter.channels}, {"bits", o.filter.bits}}},
          {"layers", layers},
          {"faults", c.faults()},
          {"chunks", c.chunks()},
          {"shard", {{"index", o.shard_index}, {"count", o.shard_count}}},
          {"fingerprint", std::to_string(c.fingerprint())}};
}

json counts_to_json(const CampaignCounts& c) {
  std::vector<int64_t> trials;
  for (const auto& t : c.per_trial) {
    trials.insert(trials.end(),
                  {t.correct, t.outcomes.masked, t.outcomes.sdc_benign, t.outcomes.sdc_critical});
  }
  return {{"total", flatten({c.total})},       {"per_layer", flatten(c.per_layer)},
          {"per_bit", flatten(c.per_bit)},     {"per_word", flatten(c.per_word)},
          {"per_image", flatten(c.per_image)}, {"per_trial", trials},
          {"chunk_done", c.chunk_done}};
}

CampaignCounts counts_from_json(const json& j, const std::string& source) {
  try {
    CampaignCounts c;
    const auto total = unflatten(j.at("total").get<std::vector<int64_t>>(), source, "total");
    if (total.size() != 1) throw FormatError(source, "counts.total", "3 integers", "other");
    c.total = total[0];
    c.per_layer = unflatten(j.at("per_layer").get<std::vector<int64_t>>(), source, "per_layer");
    c.per_bit = unflatten(j.at("per_bit").get<std::vector<int64_t>>(), source, "per_bit");
    c.per_word = unflatten(j.at("per_word").get<std::vector<int64_t>>(), source, "per_word");
    c.per_image = unflatten(j.at("per_image").get<std::vector<int64_t>>(), source, "per_image");
    const auto trials = j.at("per_trial").get<std::vector<int64_t>>();
    if (trials.size() % 4)
      throw FormatError(source, "counts.per_trial", "4 integers per trial", "other");
    for (size_t i = 0; i < trials.size(); i += 4) {
      c.per_trial.push_back({trials[i], {trials[i + 1], trials[i + 2], trials[i + 3]}});
    }
    c.chunk_done = j.at("chunk_done").get<std::vector<uint8_t>>();
    return c;
  } catch (const json::exception& e) {
    throw FormatError(source, "counts", "the arrays of a hardy inject result", e.what());
  }
}

json campaign_report(const json& campaign, const CampaignCounts& counts, double seconds) {
  const double z = normal_quantile(campaign.at("confidence").get<double>());
  const std::string mode = campaign.at("mode");
  json r = counts_row(counts.total);
  int64_t done_chunks = 0;
  for (uint8_t d : counts.chunk_done) done_chunks += d;
  r["complete"] = done_chunks == campaign.at("chunks").get<int64_t>();
  Interval ci;
  std::string method;
  if (mode == "statistical") {
    ci = wilson_interval(counts.total.sdc_critical, counts.total.total(), z);
    method = "wilson";
  } else if (mode == "exhaustive") {
    std::vector<double> rates;
    for (const auto& c : counts.per_image) {
      if (c.total()) rates.push_back(c.critical_rate());
    }
    ci = mean_interval(rates, z);
    method = "mean_over_images";
  } else {
    std::vector<double> rates, accuracy;
    const auto images = static_cast<double>(campaign.at("images").size());
    for (const auto& t : counts.per_trial) {
      if (!t.outcomes.total()) continue;
      rates.push_back(t.outcomes.critical_rate());
      accuracy.push_back(static_cast<double>(t.correct) / images);
    }
    ci = mean_interval(rates, z);
    method = "mean_over_trials";
    double mean = 0;
    for (double a : accuracy) mean += a;
    const Interval acc_ci = mean_interval(accuracy, z);
    r["accuracy_mean"] = accuracy.empty() ? 0.0 : mean / static_cast<double>(accuracy.size());
    r["accuracy_ci95"] = {acc_ci.low, acc_ci.high};
    json trials = json::array();
    for (size_t t = 0; t < counts.per_trial.size(); ++t) {
      if (!counts.per_trial[t].outcomes.total()) continue;
      json row = counts_row(counts.per_trial[t].outcomes);
      row["trial"] = t;
      row["accuracy"] = static_cast<double>(counts.per_trial[t].correct) / images;
      trials.push_back(row);
    }
    r["per_trial"] = trials;
  }
  r["ci95"] = {ci.low, ci.high};
  r["ci95_method"] = method;
  r["seconds"] = seconds;
  r["faults_per_second"] = seconds > 0 ? static_cast<double>(counts.total.total()) / seconds : 0.0;
  json per_layer = json::array(), per_bit = json::array();
  const auto& layers = campaign.at("layers");
  for (size_t l = 0; l < layers.size(); ++l) {
    json row = counts_row(counts.per_layer[l]);
    row["layer"] = layers[l].at("name");
    if (mode == "statistical") {
      const Interval w =
          wilson_interval(counts.per_layer[l].sdc_critical, counts.per_layer[l].total(), z);
      row["ci95"] = {w.low, w.high};
    }
    per_layer.push_back(row);
    for (int b = 0; b < 32; ++b) {
      const OutcomeCounts& c = counts.per_bit[l * 32 + static_cast<size_t>(b)];
      if (!c.total()) continue;
      json brow = counts_row(c);
      brow["layer"] = layers[l].at("name");
      brow["bit"] = b;
      per_bit.push_back(brow);
    }
  }
  r["per_layer"] = per_layer;
  r["per_bit"] = per_bit;
  r["counts"] = counts_to_json(counts);
  r["campaign"] = campaign;
  return r;
}

void write_site_csv(const std::string& path, const json& campaign, const CampaignCounts& counts) {
  std::ofstream out(path);
  if (!out) throw FileError(path, "cannot create CSV file");
  out << "layer,word,channel,faults,masked,sdc_benign,sdc_critical,critical_sdc_rate\n";
  size_t index = 0;
  for (const auto& l : campaign.at("layers")) {
    const auto per_channel = l.at("per_channel").get<int64_t>();
    const std::string name = l.at("name");
    for (int64_t ch : l.at("channels").get<std::vector<int64_t>>()) {
      for (int64_t k = 0; k < per_channel; ++k, ++index) {
        const OutcomeCounts& c = counts.per_word.at(index);
        out << name << ',' << ch * per_channel + k << ',' << ch << ',' << c.total() << ','
            << c.masked << ',' << c.sdc_benign << ',' << c.sdc_critical << ',' << c.critical_rate()
            << '\n';
      }
    }
  }
  if (!out) throw FileError(path, "write failed");
}

json merge_results(const std::vector<json>& results, const std::vector<std::string>& sources) {
  HARDY_CHECK(!results.empty() && results.size() == sources.size());
  json campaign;
  CampaignCounts total;
  double seconds = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const json& r = results[i];
    if (!r.contains("campaign") || !r.contains("counts")) {
      throw FormatError(sources[i], "top level", "a hardy inject result (campaign, counts)",
                        "other JSON");
    }
    CampaignCounts c = counts_from_json(r.at("counts"), sources[i]);
    if (i == 0) {
      campaign = r.at("campaign");
      total = std::move(c);
    } else {
      const json& other = r.at("campaign");
      if (other.at("fingerprint") != campaign.at("fingerprint") ||
          other.at("shard").at("count") != campaign.at("shard").at("count")) {
        throw ConfigError(sources[i] + ": result of another campaign than " + sources[0]);
      }
      if (c.per_word.size() != total.per_word.size() ||
          c.chunk_done.size() != total.chunk_done.size()) {
        throw FormatError(sources[i], "counts", "arrays sized as in " + sources[0], "other sizes");
      }
      total += c;  // throws on a chunk counted twice
    }
    seconds = std::max(seconds, r.value("seconds", 0.0));
  }
  for (size_t k = 0; k < total.chunk_done.size(); ++k) {
    if (!total.chunk_done[k]) {
      throw ConfigError("merge: chunk " + std::to_string(k) + " of " +
                        std::to_string(total.chunk_done.size()) +
                        " is in none of the results (a shard is missing or unfinished)");
    }
  }
  campaign["shard"] = {{"index", 0}, {"count", 1}};
  json merged = campaign_report(campaign, total, seconds);
  merged["merged_from"] = sources;
  return merged;
}

void save_checkpoint(const std::string& path, const Campaign& campaign,
                     const CampaignCounts& counts) {
  std::vector<uint8_t> out;
  binio::put_preamble(out, kCheckpointMagic, kCheckpointVersion);
  const uint64_t id[3] = {campaign.fingerprint(),
                          static_cast<uint64_t>(campaign.options().shard_index),
                          static_cast<uint64_t>(campaign.options().shard_count)};
  binio::put_section(out, "CAMP", id, sizeof id);
  const std::string text = counts_to_json(counts).dump();
  binio::put_section(out, "CNTS", text.data(), text.size());
  binio::put_checksum(out);
  binio::write_file_atomic(path, out, "campaign checkpoint");
}

CampaignCounts load_checkpoint(const std::string& path, const Campaign& campaign) {
  const std::vector<uint8_t> bytes = binio::read_file(path, "campaign checkpoint");
  binio::Reader r(bytes, path);
  r.preamble(kCheckpointMagic, "a hardy campaign checkpoint", kCheckpointVersion,
             kCheckpointVersion);
  const auto id = r.section("CAMP", 24);
  uint64_t fields[3];
  std::memcpy(fields, id.data(), sizeof fields);
  const auto text = r.vector_section<char>("CNTS", uint64_t{1} << 34);
  r.checksum_and_end();
  if (fields[0] != campaign.fingerprint() ||
      fields[1] != static_cast<uint64_t>(campaign.options().shard_index) ||
      fields[2] != static_cast<uint64_t>(campaign.options().shard_count)) {
    throw ConfigError(path +
                      ": checkpoint of another campaign (model, images, options or shard "
                      "differ); delete it or run without resuming");
  }
  json j;
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    throw FormatError(path, "CNTS", "JSON counts", e.what());
  }
  CampaignCounts c = counts_from_json(j, path);
  const CampaignCounts shape = campaign.empty_counts();
  if (c.per_word.size() != shape.per_word.size() || c.per_bit.size() != shape.per_bit.size() ||
      c.per_image.size() != shape.per_image.size() ||
      c.per_trial.size() != shape.per_trial.size() ||
      c.chunk_done.size() != shape.chunk_done.size() ||
      c.per_layer.size() != shape.per_layer.size()) {
    throw FormatError(path, "CNTS", "arrays sized for this campaign", "other sizes");
  }
  return c;
}

}  // namespace hardy::fault
