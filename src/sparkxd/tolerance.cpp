// Accuracy vs uniform BER and the maximum tolerable BER.
#include "hardy/sparkxd/tolerance.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "hardy/core/error.h"
#include "hardy/core/parse_number.h"
#include "hardy/dram/address_mapping.h"
#include "hardy/dram/mapping.h"
#include "hardy/dram/weak_regions.h"

namespace hardy::sparkxd {
namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream s(text);
  std::string p;
  while (std::getline(s, p, sep)) parts.push_back(p);
  return parts;
}

}  // namespace

std::vector<double> parse_bers(const std::string& text) {
  auto bad = [&](const std::string& why) { return ConfigError("BERs '" + text + "': " + why); };
  std::vector<double> v;
  if (text.find(':') != std::string::npos) {
    const auto parts = split(text, ':');
    double lo = 0, hi = 0, per = 0;
    if (parts.size() != 3 || !parse_finite_double(parts[0], lo) ||
        !parse_finite_double(parts[1], hi) || !parse_finite_double(parts[2], per) || !(lo > 0) ||
        hi < lo || per < 1 || per != std::floor(per)) {
      throw bad("expected from:to:points-per-decade with 0 < from <= to and a whole number >= 1");
    }
    const double decades = std::log10(hi / lo);
    const auto n = static_cast<int64_t>(std::floor(decades * per + 1e-6));
    if (n > 199) throw bad("more than 200 BERs");
    for (int64_t i = 0; i <= n; ++i) {
      // Rounded to 4 significant digits so 1e-8·10^(i/2) prints as 3.162e-08.
      const double x = lo * std::pow(10.0, static_cast<double>(i) / per);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.4g", x);
      v.push_back(std::stod(buf));
    }
  } else {
    for (const std::string& p : split(text, ',')) {
      double x = 0;
      if (!parse_finite_double(p, x)) throw bad("expected numbers separated by commas");
      v.push_back(x);
    }
  }
  if (v.empty() || v.size() > 200) throw bad("expected 1 to 200 BERs");
  for (size_t i = 0; i < v.size(); ++i) {
    if (!(v[i] > 0 && v[i] <= 0.5)) throw bad("every BER must be in (0, 0.5]");
    if (i > 0 && !(v[i] > v[i - 1])) throw bad("BERs must be strictly ascending");
  }
  return v;
}

std::string tolerance_stream(double ber) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "sparkxd.tolerance.%.6g", ber);
  return buf;
}

nlohmann::json ToleranceOptions::to_json() const {
  return {{"bers", bers}, {"maps", maps}, {"seed", seed}, {"errors", errors.to_json()}};
}

nlohmann::json TolerancePoint::to_json() const {
  nlohmann::json j = accuracy.to_json();
  j["ber"] = ber;
  return j;
}

nlohmann::json ToleranceCurve::to_json() const {
  nlohmann::json pts = nlohmann::json::array();
  for (const TolerancePoint& p : points) pts.push_back(p.to_json());
  return {{"clean_accuracy", clean_accuracy}, {"points", pts}};
}

ToleranceCurve ToleranceCurve::from_json(const nlohmann::json& j, const std::string& source) {
  ToleranceCurve c;
  try {
    c.clean_accuracy = j.at("clean_accuracy").get<double>();
    for (const auto& p : j.at("points")) {
      c.points.push_back({p.at("ber").get<double>(), MapAccuracy::from_json(p, source)});
    }
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(source, "tolerance curve", "clean_accuracy and points", e.what());
  }
  return c;
}

ToleranceCurve tolerance_analysis(WeightedModel& model, const dram::Organisation& org,
                                  const ToleranceOptions& options, ThreadPool& pool,
                                  const ToleranceCurve* done,
                                  const std::function<void(const ToleranceCurve&)>& on_point) {
  if (options.bers.empty()) throw ConfigError("no BERs for the tolerance analysis");
  const dram::WeakRegionMap uniform(org, dram::SpatialVariation{0.0, 0.0}, 0);
  const dram::AddressMapping mapping = dram::AddressMapping::default_for(org);
  ToleranceCurve curve;
  model.restore();
  curve.clean_accuracy = model.accuracy(pool);
  for (double ber : options.bers) {
    const TolerancePoint* kept = nullptr;
    if (done) {
      for (const TolerancePoint& p : done->points) {
        if (p.ber == ber && static_cast<int>(p.accuracy.accuracies.size()) == options.maps) {
          kept = &p;
        }
      }
    }
    if (kept) {
      curve.points.push_back(*kept);
      continue;
    }
    const dram::Placement placement =
        dram::map_segments(model.segments(), mapping, uniform, ber, dram::MappingOptions{});
    curve.points.push_back(
        {ber, measure_error_maps(model, uniform, placement, options.errors, options.maps,
                                 options.seed, tolerance_stream(ber), curve.clean_accuracy, pool)});
    if (on_point) on_point(curve);
  }
  return curve;
}

double max_tolerable_ber(const ToleranceCurve& curve, double reference_accuracy, double margin) {
  // (1e-12: accuracies are ratios of counts; an exact tie at the margin passes)
  const double floor = reference_accuracy - margin - 1e-12;
  if (curve.clean_accuracy < floor) return 0;
  double best = 0;
  for (const TolerancePoint& p : curve.points) {
    if (p.accuracy.mean < floor) break;
    best = p.ber;
  }
  return best;
}

}  // namespace hardy::sparkxd
