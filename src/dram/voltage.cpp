// Voltage scaling of currents and timings.
#include "hardy/dram/voltage.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "hardy/core/error.h"

namespace hardy::dram {
namespace {

const std::vector<std::string>& current_names() {
  static const std::vector<std::string> kNames = {"idd0", "idd2n", "idd3n", "idd4r", "idd4w",
                                                  "idd5", "idd2p", "idd3p", "idd6"};
  return kNames;
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream s(line);
  while (std::getline(s, field, ',')) {
    const auto b = field.find_first_not_of(" \t\r");
    out.push_back(
        b == std::string::npos ? "" : field.substr(b, field.find_last_not_of(" \t\r") - b + 1));
  }
  return out;
}

bool parse_double(const std::string& s, double& out) {
  const char* end = s.data() + s.size();
  auto r = std::from_chars(s.data(), end, out);
  return !s.empty() && r.ec == std::errc() && r.ptr == end && std::isfinite(out);
}

std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

std::optional<double> CurrentScaleTable::factor(const std::string& current, double v) const {
  auto it = factors.find(current);
  if (it == factors.end()) return std::nullopt;
  if (v < vdd_v.front() - 1e-12 || v > vdd_v.back() + 1e-12) {
    throw ConfigError(source + ": current table covers " + number(vdd_v.front()) + " to " +
                      number(vdd_v.back()) + " V, not " + number(v) + " V");
  }
  const auto& f = it->second;
  size_t i = 0;
  while (i + 2 < vdd_v.size() && v > vdd_v[i + 1]) ++i;
  if (vdd_v.size() == 1) return f[0];
  const double w = std::clamp((v - vdd_v[i]) / (vdd_v[i + 1] - vdd_v[i]), 0.0, 1.0);
  return f[i] + w * (f[i + 1] - f[i]);
}

CurrentScaleTable load_current_scale_table(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw FileError(path, "cannot open current table");
  CurrentScaleTable t;
  t.source = path;
  std::string line;
  if (!std::getline(in, line))
    throw FormatError(path, "line 1", "a header vdd_v,<currents>", "an empty file");
  const auto header = split_csv(line);
  if (header.empty() || header[0] != "vdd_v") {
    throw FormatError(path, "line 1 column 1", "vdd_v",
                      "'" + (header.empty() ? "" : header[0]) + "'");
  }
  if (header.size() < 2) throw FormatError(path, "line 1", "at least one current column", "none");
  for (size_t c = 1; c < header.size(); ++c) {
    const auto& names = current_names();
    if (std::find(names.begin(), names.end(), header[c]) == names.end()) {
      throw FormatError(
          path, "line 1 column " + std::to_string(c + 1),
          "a current among idd0, idd2n, idd3n, idd4r, idd4w, idd5, idd2p, idd3p, idd6",
          "'" + header[c] + "'");
    }
    if (t.factors.count(header[c])) {
      throw FormatError(path, "line 1 column " + std::to_string(c + 1), "each current once",
                        "'" + header[c] + "' again");
    }
    t.factors[header[c]] = {};
  }
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto f = split_csv(line);
    const std::string loc = "line " + std::to_string(line_no);
    if (f.size() != header.size()) {
      throw FormatError(path, loc, std::to_string(header.size()) + " fields",
                        std::to_string(f.size()));
    }
    double v = 0;
    if (!parse_double(f[0], v) || v <= 0 || v > 5) {
      throw FormatError(path, loc + " column 1", "a voltage in (0, 5] V", "'" + f[0] + "'");
    }
    if (!t.vdd_v.empty() && v <= t.vdd_v.back()) {
      throw FormatError(path, loc + " column 1", "voltages ascending without repeats",
                        "'" + f[0] + "'");
    }
    t.vdd_v.push_back(v);
    for (size_t c = 1; c < f.size(); ++c) {
      double k = 0;
      if (!parse_double(f[c], k) || k <= 0 || k > 10) {
        throw FormatError(path, loc + " column " + std::to_string(c + 1), "a factor in (0, 10]",
                          "'" + f[c] + "'");
      }
      t.factors[header[c]].push_back(k);
    }
  }
  if (t.vdd_v.empty()) throw FormatError(path, "line 2", "at least one row", "none");
  return t;
}

MemSpec at_voltage(const MemSpec& nominal, const VoltageOptions& o) {
  MemSpec s = nominal;
  const double v_nom = nominal.vdd1_v();
  const double v = o.vdd_v > 0 ? o.vdd_v : v_nom;
  if (!(v >= 0.5 * v_nom && v <= 1.5 * v_nom)) {
    throw ConfigError("supply voltage " + number(v) + " V is outside [" + number(0.5 * v_nom) +
                      ", " + number(1.5 * v_nom) + "] V, half to 1.5 times the nominal " +
                      number(v_nom) + " V of " + nominal.id);
  }
  if (!(o.latency_stretch_per_volt >= 0 && o.latency_stretch_per_volt <= 100)) {
    throw ConfigError("latency stretch " + number(o.latency_stretch_per_volt) +
                      " per volt is outside [0, 100]");
  }
  const double k = v / v_nom;
  auto scale = [&](const char* name) {
    if (o.currents) {
      if (auto f = o.currents->factor(name, v)) return *f;
    }
    return k;
  };
  for (Rail& r : s.rails) {
    r.vdd_v *= k;
    r.idd0_a *= scale("idd0");
    r.idd2n_a *= scale("idd2n");
    r.idd3n_a *= scale("idd3n");
    r.idd4r_a *= scale("idd4r");
    r.idd4w_a *= scale("idd4w");
    r.idd5_a *= scale("idd5");
    r.idd2p0_a *= scale("idd2p");
    r.idd2p1_a *= scale("idd2p");
    r.idd3p0_a *= scale("idd3p");
    r.idd3p1_a *= scale("idd3p");
    r.idd6_a *= scale("idd6");
    if (r.idd0_a < r.idd3n_a || r.idd0_a < r.idd2n_a || r.idd4r_a < r.idd3n_a ||
        r.idd4w_a < r.idd3n_a || r.idd5_a < r.idd3n_a) {
      throw ConfigError((o.currents ? o.currents->source : std::string("current scaling")) +
                        ": at " + number(v) + " V a command current of rail " + r.name +
                        " falls below its background current (a negative command energy)");
    }
  }
  if (o.latency_stretch_per_volt > 0 && v < v_nom) {
    const double stretch = 1.0 + o.latency_stretch_per_volt * (v_nom - v);
    auto grow = [&](int64_t cycles) {
      // Ceil with a small tolerance, so an exact product is not pushed up by rounding.
      return static_cast<int64_t>(std::ceil(static_cast<double>(cycles) * stretch - 1e-9));
    };
    Timing& t = s.timing;
    const int64_t rcd = grow(t.rcd), rp = grow(t.rp), ras = grow(t.ras);
    t.rc += (ras - t.ras) + (rp - t.rp);
    t.rcd = rcd;
    t.rp = rp;
    t.ras = ras;
  }
  return s;
}

}  // namespace hardy::dram
