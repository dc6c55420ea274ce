// Channel scores: mean NVF per channel from `hardy nvf --csv`, random, weight L1 norm.
#include "hardy/harden/channel_ranking.h"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "hardy/core/error.h"
#include "hardy/core/parse_number.h"
#include "hardy/core/rng.h"

namespace hardy::harden {
namespace {

struct NvfRow {
  int node = -1;
  int64_t channel = 0;
  double nvf = 0;
};

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream ss(line);
  std::string f;
  while (std::getline(ss, f, ',')) fields.push_back(f);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

// Every row of the CSV: the node writing the neuron, its channel, and column nvf_<kind>.
std::vector<NvfRow> read_nvf_rows(const qnn::QModel& model, const std::string& path,
                                  const std::string& kind) {
  std::ifstream f(path);
  if (!f) throw FileError(path, "cannot read the NVF CSV");
  std::string line;
  if (!std::getline(f, line)) throw FormatError(path, "line 1", "a header", "an empty file");
  const std::vector<std::string> header = split_csv_line(line);
  const std::string column = "nvf_" + kind;
  size_t col = 0;
  while (col < header.size() && header[col] != column) ++col;
  if (header.size() < 3 || header[0] != "layer" || header[2] != "channel" || col == header.size()) {
    throw FormatError(path, "line 1", "layer,element,channel,... with a column " + column, line);
  }
  std::map<std::string, int> node_of;
  for (int i = 0; i < static_cast<int>(model.nodes.size()); ++i) node_of[model.node(i).name] = i;
  std::vector<NvfRow> rows;
  for (int64_t number = 2; std::getline(f, line); ++number) {
    if (line.empty()) continue;
    const std::string where = "line " + std::to_string(number);
    const std::vector<std::string> fields = split_csv_line(line);
    if (fields.size() != header.size()) {
      throw FormatError(path, where, std::to_string(header.size()) + " fields",
                        std::to_string(fields.size()));
    }
    const auto it = node_of.find(fields[0]);
    if (it == node_of.end()) {
      throw FormatError(path, where, "a layer of " + model.source, "'" + fields[0] + "'");
    }
    NvfRow row;
    row.node = it->second;
    double channel = 0;
    const int64_t channels = model.value(model.node(row.node).output).shape[0];
    if (!parse_finite_double(fields[2], channel) || channel < 0 ||
        channel >= static_cast<double>(channels) || channel != std::floor(channel)) {
      throw FormatError(path, where, "a channel below " + std::to_string(channels), fields[2]);
    }
    row.channel = static_cast<int64_t>(channel);
    if (!parse_finite_double(fields[col], row.nvf) || row.nvf < 0 || row.nvf > 1) {
      throw FormatError(path, where, "an NVF in [0, 1]", fields[col]);
    }
    rows.push_back(row);
  }
  return rows;
}

// One zero score per output channel of every protectable node, in node and channel order.
std::vector<ChannelScore> all_channels(const qnn::QModel& model) {
  std::vector<ChannelScore> scores;
  for (int i = 0; i < static_cast<int>(model.nodes.size()); ++i) {
    if (!protectable(model.node(i))) continue;
    for (int64_t c = 0; c < model.node(i).weight.shape[0]; ++c) scores.push_back({i, c, 0.0});
  }
  return scores;
}

}  // namespace

std::vector<ChannelScore> nvf_channel_scores(const qnn::QModel& model, const std::string& csv_path,
                                             const std::string& kind, NvfAggregate aggregate) {
  std::map<std::pair<int, int64_t>, std::pair<double, int64_t>> sums;
  for (const NvfRow& r : read_nvf_rows(model, csv_path, kind)) {
    auto& s = sums[{r.node, r.channel}];
    s.first += r.nvf;
    ++s.second;
  }
  std::vector<ChannelScore> scores = all_channels(model);
  for (ChannelScore& s : scores) {
    const auto it = sums.find({s.node, s.channel});
    if (it == sums.end()) continue;
    const double total = it->second.first;
    s.score = aggregate == NvfAggregate::kMean ? total / static_cast<double>(it->second.second)
              : aggregate == NvfAggregate::kTotal
                  ? total
                  : total / static_cast<double>(channel_macs(model, s.node));
  }
  return scores;
}

double unprotectable_nvf_share(const qnn::QModel& model, const std::string& csv_path,
                               const std::string& kind) {
  double total = 0, outside = 0;
  for (const NvfRow& r : read_nvf_rows(model, csv_path, kind)) {
    total += r.nvf;
    if (!protectable(model.node(r.node))) outside += r.nvf;
  }
  return total > 0 ? outside / total : 0.0;
}

std::vector<ChannelScore> random_channel_scores(const qnn::QModel& model, uint64_t seed) {
  std::vector<ChannelScore> scores = all_channels(model);
  RngStream rng(seed, stream_tag("harden_random_selection"), 0);
  for (ChannelScore& s : scores) s.score = rng.uniform();
  return scores;
}

std::vector<ChannelScore> magnitude_channel_scores(const qnn::QModel& model) {
  std::vector<ChannelScore> scores = all_channels(model);
  for (ChannelScore& s : scores) {
    const qnn::QNode& n = model.node(s.node);
    const int64_t k = n.reduction_size();
    int64_t l1 = 0;
    for (int64_t i = 0; i < k; ++i) l1 += std::abs(int{n.weight[s.channel * k + i]});
    s.score = static_cast<double>(l1) * n.weight_scale[static_cast<size_t>(s.channel)];
  }
  return scores;
}

}  // namespace hardy::harden
