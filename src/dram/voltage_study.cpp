// The voltage study's CSV → per-DIMM and vendor BER(V) curves.
#include "hardy/dram/voltage_study.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "hardy/core/error.h"

namespace hardy::dram {
namespace {

constexpr double kVoltageTolerance = 1e-9;

std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

bool parse_double(const std::string& s, double& out) {
  const char* end = s.data() + s.size();
  auto r = std::from_chars(s.data(), end, out);
  return !s.empty() && r.ec == std::errc() && r.ptr == end && std::isfinite(out);
}

StudyPoint make_point(double vdd_v, double percent, int dimms) {
  StudyPoint p;
  p.vdd_v = vdd_v;
  p.faulty_line_percent = percent;
  p.no_error_seen = percent == 0.0;
  p.saturated =
      percent / 100.0 >= kSaturatedLineFractionLow && percent / 100.0 <= kSaturatedLineFractionHigh;
  p.ber = p.no_error_seen ? no_error_floor_ber() : line_fraction_to_ber(percent / 100.0);
  p.dimms = dimms;
  return p;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

double line_fraction_to_ber(double f, int bits_per_line) {
  // 1 − (1 − f)^(1/n) = −expm1(log1p(−f) / n): exact for the tiny f of a handful of lines.
  return -std::expm1(std::log1p(-f) / bits_per_line);
}

double no_error_floor_ber() { return line_fraction_to_ber(1.0 / kStudyCacheLines); }

double BerCurve::ber_at(double v) const {
  if (!std::isfinite(v) || v < min_vdd_v() - kVoltageTolerance) {
    throw ConfigError("BER curve " + name + " was measured down to " + number(min_vdd_v()) +
                      " V only, not " + number(v) + " V");
  }
  if (v >= max_vdd_v() - kVoltageTolerance) return points.back().ber;
  size_t i = 0;
  while (points[i + 1].vdd_v < v - kVoltageTolerance) ++i;
  const StudyPoint& lo = points[i];
  const StudyPoint& hi = points[i + 1];
  if (std::abs(v - lo.vdd_v) <= kVoltageTolerance) return lo.ber;
  if (std::abs(v - hi.vdd_v) <= kVoltageTolerance) return hi.ber;
  const double w = (v - lo.vdd_v) / (hi.vdd_v - lo.vdd_v);
  return std::exp(std::log(lo.ber) + w * (std::log(hi.ber) - std::log(lo.ber)));
}

bool BerCurve::saturated_at(double v) const {
  if (v >= max_vdd_v() - kVoltageTolerance) return points.back().saturated;
  for (size_t i = 0; i + 1 < points.size(); ++i) {
    if (v >= points[i].vdd_v - kVoltageTolerance && v <= points[i + 1].vdd_v + kVoltageTolerance) {
      const bool at_lo = std::abs(v - points[i].vdd_v) <= kVoltageTolerance;
      const bool at_hi = std::abs(v - points[i + 1].vdd_v) <= kVoltageTolerance;
      if (at_lo) return points[i].saturated;
      if (at_hi) return points[i + 1].saturated;
      return points[i].saturated || points[i + 1].saturated;
    }
  }
  return false;
}

nlohmann::json BerCurve::to_json() const {
  nlohmann::json pts = nlohmann::json::array();
  for (const StudyPoint& p : points) {
    pts.push_back({{"vdd_v", p.vdd_v},
                   {"faulty_line_percent", p.faulty_line_percent},
                   {"ber", p.ber},
                   {"no_error_seen", p.no_error_seen},
                   {"saturated", p.saturated},
                   {"dimms", p.dimms}});
  }
  return {{"name", name}, {"vendor", vendor}, {"points", pts}};
}

VoltageStudy VoltageStudy::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw FileError(path, "cannot open voltage study CSV");
  std::string line;
  const std::string kHeader = "dimm_name,vdd,vendor,error_cacheline_percent";
  if (!std::getline(in, line)) throw FormatError(path, "line 1", kHeader, "an empty file");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line != kHeader) throw FormatError(path, "line 1", kHeader, "'" + line.substr(0, 60) + "'");
  std::map<std::string, BerCurve> curves;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::string field;
    std::istringstream s(line);
    while (std::getline(s, field, ',')) f.push_back(field);
    const std::string loc = "line " + std::to_string(line_no);
    if (f.size() != 4) throw FormatError(path, loc, "4 fields", std::to_string(f.size()));
    double vdd = 0, percent = 0;
    if (f[0].empty()) throw FormatError(path, loc + " dimm_name", "a name", "''");
    if (!parse_double(f[1], vdd) || vdd <= 0 || vdd > 2) {
      throw FormatError(path, loc + " vdd", "a voltage in (0, 2] V", "'" + f[1] + "'");
    }
    if (f[2].size() != 1 || f[2][0] < 'A' || f[2][0] > 'Z') {
      throw FormatError(path, loc + " vendor", "one capital letter", "'" + f[2] + "'");
    }
    if (!parse_double(f[3], percent) || percent < 0 || percent >= 100) {
      throw FormatError(path, loc + " error_cacheline_percent", "a percentage in [0, 100)",
                        "'" + f[3] + "'");
    }
    BerCurve& c = curves[f[0]];
    if (c.name.empty()) {
      c.name = f[0];
      c.vendor = f[2];
    } else if (c.vendor != f[2]) {
      throw FormatError(path, loc + " vendor", "vendor " + c.vendor + " as before for " + f[0],
                        "'" + f[2] + "'");
    }
    for (const StudyPoint& p : c.points) {
      if (std::abs(p.vdd_v - vdd) <= kVoltageTolerance) {
        throw FormatError(path, loc, "one row per DIMM and voltage",
                          f[0] + " at " + f[1] + " V again");
      }
    }
    c.points.push_back(make_point(vdd, percent, 1));
  }
  if (in.bad()) throw FileError(path, "read failed");
  if (curves.empty()) throw FormatError(path, "line 2", "at least one measurement", "none");
  VoltageStudy study;
  study.source_ = path;
  for (auto& [name, c] : curves) {
    std::sort(c.points.begin(), c.points.end(),
              [](const StudyPoint& a, const StudyPoint& b) { return a.vdd_v < b.vdd_v; });
    study.dimms_.push_back(std::move(c));
  }
  return study;
}

std::vector<std::string> VoltageStudy::vendors() const {
  std::vector<std::string> v;
  for (const BerCurve& c : dimms_) {
    if (std::find(v.begin(), v.end(), c.vendor) == v.end()) v.push_back(c.vendor);
  }
  std::sort(v.begin(), v.end());
  return v;
}

const BerCurve& VoltageStudy::dimm(const std::string& name) const {
  std::string known;
  for (const BerCurve& c : dimms_) {
    if (c.name == name) return c;
    known += (known.empty() ? "" : " ") + c.name;
  }
  throw ConfigError("DIMM '" + name + "' is not in " + source_ + " (known: " + known + ")");
}

BerCurve VoltageStudy::vendor_curve(const std::string& vendor, VendorStatistic statistic) const {
  std::map<double, std::vector<double>> percents;  // voltage → the vendor's DIMMs there
  for (const BerCurve& c : dimms_) {
    if (c.vendor != vendor) continue;
    for (const StudyPoint& p : c.points) percents[p.vdd_v].push_back(p.faulty_line_percent);
  }
  if (percents.empty()) {
    std::string known;
    for (const auto& v : vendors()) known += (known.empty() ? "" : ", ") + v;
    throw ConfigError("vendor '" + vendor + "' is not in " + source_ + " (known: " + known + ")");
  }
  BerCurve curve;
  curve.vendor = vendor;
  curve.name = vendor + (statistic == VendorStatistic::kMedian ? "-median" : "-worst");
  for (const auto& [vdd, list] : percents) {
    // The BER is monotone in the line fraction, so the statistic of the percentages converts to
    // the statistic of the BERs, except that the mean of two middle values is taken on BERs.
    std::vector<double> bers;
    for (double p : list) bers.push_back(line_fraction_to_ber(p / 100.0));
    const double percent = statistic == VendorStatistic::kMedian
                               ? median(list)
                               : *std::max_element(list.begin(), list.end());
    StudyPoint point = make_point(vdd, percent, static_cast<int>(list.size()));
    const double ber = statistic == VendorStatistic::kMedian
                           ? median(bers)
                           : *std::max_element(bers.begin(), bers.end());
    point.ber = ber > 0 ? ber : no_error_floor_ber();
    point.no_error_seen = ber == 0;
    curve.points.push_back(point);
  }
  return curve;
}

}  // namespace hardy::dram
