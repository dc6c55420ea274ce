// Parameter table, validation and YAML loading for the Diehl & Cook model.
#include "hardy/snn/params.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <functional>
#include <variant>

#include "hardy/core/error.h"

namespace hardy::snn {
namespace {

using Field = std::variant<double SnnParams::*, int SnnParams::*, bool SnnParams::*,
                           ModelKind SnnParams::*, StdpRule SnnParams::*>;

struct Entry {
  const char* key;
  const char* unit;
  const char* description;
  Field field;
};

// The order is the order of docs/snn.md's table and of saved files.
const std::vector<Entry>& entries() {
  static const std::vector<Entry> kEntries = {
      {"model", "", "conductance (Diehl & Cook original) or current (BindsNET)", &SnnParams::model},
      {"time.dt_ms", "ms", "integration step", &SnnParams::dt_ms},
      {"time.presentation_ms", "ms", "input presentation per attempt", &SnnParams::presentation_ms},
      {"time.rest_ms", "ms", "silent input after each presentation (training)",
       &SnnParams::rest_ms},
      {"time.reset_state", "", "training: reset v, g, refractoriness before every sample",
       &SnnParams::reset_state},
      {"input.max_rate_hz", "Hz", "Poisson rate of a 255 pixel, first presentation",
       &SnnParams::max_rate_hz},
      {"input.retry_rate_increment_hz", "Hz", "rate of a 255 pixel added per re-presentation",
       &SnnParams::retry_rate_increment_hz},
      {"input.min_spikes", "1", "fewer excitatory spikes than this: present again",
       &SnnParams::min_spikes},
      {"input.max_presentations", "1", "presentations per sample at most",
       &SnnParams::max_presentations},
      {"input.total_rate_hz", "Hz",
       "per-image normalisation: first-presentation rates sum to this (0: off)",
       &SnnParams::total_rate_hz},
      {"exc.v_rest_mv", "mV", "excitatory resting potential", &SnnParams::exc_v_rest_mv},
      {"exc.v_reset_mv", "mV", "excitatory reset potential", &SnnParams::exc_v_reset_mv},
      {"exc.v_thresh_mv", "mV", "excitatory threshold (plus theta - theta_offset)",
       &SnnParams::exc_v_thresh_mv},
      {"exc.refractory_ms", "ms", "excitatory refractory period (v clamped)",
       &SnnParams::exc_refractory_ms},
      {"exc.tau_m_ms", "ms", "excitatory membrane time constant", &SnnParams::exc_tau_m_ms},
      {"exc.e_exc_mv", "mV", "excitatory reversal potential of ge", &SnnParams::exc_e_exc_mv},
      {"exc.e_inh_mv", "mV", "excitatory reversal potential of gi", &SnnParams::exc_e_inh_mv},
      {"exc.tau_ge_ms", "ms", "decay of ge on excitatory neurons", &SnnParams::exc_tau_ge_ms},
      {"exc.tau_gi_ms", "ms", "decay of gi on excitatory neurons", &SnnParams::exc_tau_gi_ms},
      {"exc.theta_plus_mv", "mV", "adaptive threshold increment per spike (training)",
       &SnnParams::theta_plus_mv},
      {"exc.tau_theta_ms", "ms", "adaptive threshold decay (training)", &SnnParams::tau_theta_ms},
      {"exc.theta_init_mv", "mV", "theta of a fresh network", &SnnParams::theta_init_mv},
      {"exc.theta_offset_mv", "mV", "subtracted from theta in the threshold",
       &SnnParams::theta_offset_mv},
      {"inh.v_rest_mv", "mV", "inhibitory resting potential", &SnnParams::inh_v_rest_mv},
      {"inh.v_reset_mv", "mV", "inhibitory reset potential", &SnnParams::inh_v_reset_mv},
      {"inh.v_thresh_mv", "mV", "inhibitory threshold", &SnnParams::inh_v_thresh_mv},
      {"inh.refractory_ms", "ms", "inhibitory refractory period (v clamped)",
       &SnnParams::inh_refractory_ms},
      {"inh.tau_m_ms", "ms", "inhibitory membrane time constant", &SnnParams::inh_tau_m_ms},
      {"inh.e_exc_mv", "mV", "inhibitory reversal potential of ge", &SnnParams::inh_e_exc_mv},
      {"inh.tau_ge_ms", "ms", "decay of ge on inhibitory neurons", &SnnParams::inh_tau_ge_ms},
      {"synapses.w_exc_inh", "1", "E->I one-to-one weight (onto ge_inh)", &SnnParams::w_exc_inh},
      {"synapses.w_inh_exc", "1", "I->E all-but-self weight (onto gi_exc)", &SnnParams::w_inh_exc},
      {"stdp.rule", "", "diehl_cook (x post2 before) or post_pre (BindsNET)",
       &SnnParams::stdp_rule},
      {"stdp.nu_pre", "1", "depression per input spike, times post1", &SnnParams::nu_pre},
      {"stdp.nu_post", "1", "potentiation per excitatory spike, times pre", &SnnParams::nu_post},
      {"stdp.tau_pre_ms", "ms", "presynaptic trace decay", &SnnParams::tau_pre_ms},
      {"stdp.tau_post1_ms", "ms", "postsynaptic trace 1 decay (depression)",
       &SnnParams::tau_post1_ms},
      {"stdp.tau_post2_ms", "ms", "postsynaptic trace 2 decay (potentiation factor)",
       &SnnParams::tau_post2_ms},
      {"stdp.w_max", "1", "weights clipped to [0, w_max] by every STDP update", &SnnParams::w_max},
      {"stdp.norm_sum", "1",
       "input weights of each neuron sum to this before each "
       "presentation (0: off)",
       &SnnParams::norm_sum},
      {"stdp.init_w_scale", "1", "initial weight (U(0,1) + offset) x scale",
       &SnnParams::init_w_scale},
      {"stdp.init_w_offset", "1", "see init_w_scale", &SnnParams::init_w_offset},
  };
  return kEntries;
}

const Entry* find_entry(const std::string& key) {
  for (const auto& e : entries()) {
    if (key == e.key) return &e;
  }
  return nullptr;
}

std::string format_double(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string value_of(const SnnParams& p, const Entry& e) {
  return std::visit(
      [&](auto member) -> std::string {
        using T = std::remove_cvref_t<decltype(p.*member)>;
        const T& v = p.*member;
        if constexpr (std::is_same_v<T, double>) {
          return format_double(v);
        } else if constexpr (std::is_same_v<T, int>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, ModelKind>) {
          return v == ModelKind::kConductance ? "conductance" : "current";
        } else {
          return v == StdpRule::kDiehlCook ? "diehl_cook" : "post_pre";
        }
      },
      e.field);
}

[[noreturn]] void bad_value(const std::string& where, const std::string& key,
                            const std::string& expected, const std::string& found) {
  throw ConfigError(where + ": " + key + ": expected " + expected + ", found '" + found + "'");
}

void set_value(SnnParams& p, const Entry& e, const std::string& s, const std::string& where) {
  std::visit(
      [&](auto member) {
        using T = std::remove_cvref_t<decltype(p.*member)>;
        T& v = p.*member;
        if constexpr (std::is_same_v<T, double>) {
          double d = 0;
          const char* end = s.data() + s.size();
          auto r = std::from_chars(s.data(), end, d);
          if (s.empty() || r.ec != std::errc() || r.ptr != end || !std::isfinite(d)) {
            bad_value(where, e.key, "a finite number", s);
          }
          v = d;
        } else if constexpr (std::is_same_v<T, int>) {
          int i = 0;
          const char* end = s.data() + s.size();
          auto r = std::from_chars(s.data(), end, i);
          if (s.empty() || r.ec != std::errc() || r.ptr != end) {
            bad_value(where, e.key, "an integer", s);
          }
          v = i;
        } else if constexpr (std::is_same_v<T, bool>) {
          if (s == "true") {
            v = true;
          } else if (s == "false") {
            v = false;
          } else {
            bad_value(where, e.key, "true or false", s);
          }
        } else if constexpr (std::is_same_v<T, ModelKind>) {
          if (s == "conductance") {
            v = ModelKind::kConductance;
          } else if (s == "current") {
            v = ModelKind::kCurrent;
          } else {
            bad_value(where, e.key, "conductance or current", s);
          }
        } else {
          if (s == "diehl_cook") {
            v = StdpRule::kDiehlCook;
          } else if (s == "post_pre") {
            v = StdpRule::kPostPre;
          } else {
            bad_value(where, e.key, "diehl_cook or post_pre", s);
          }
        }
      },
      e.field);
}

// Number of whole steps in `ms`; throws unless ms is a multiple of dt (to 1e-9 relative).
int steps_of(double ms, double dt, const std::string& where, const char* key) {
  const double q = ms / dt;
  const double r = std::round(q);
  if (std::abs(q - r) > 1e-9 * std::max(1.0, q)) {
    throw ConfigError(where + ": " + key + ": expected a multiple of time.dt_ms (" +
                      format_double(dt) + "), found " + format_double(ms));
  }
  return static_cast<int>(r);
}

void require(bool ok, const std::string& where, const char* key, const std::string& expected,
             double found) {
  if (!ok) {
    throw ConfigError(where + ": " + key + ": expected " + expected + ", found " +
                      format_double(found));
  }
}

void flatten(const YAML::Node& node, const std::string& prefix, const std::string& path,
             std::vector<std::pair<std::string, YAML::Node>>& out) {
  for (const auto& kv : node) {
    const std::string k = kv.first.Scalar();
    const std::string key = prefix.empty() ? k : prefix + "." + k;
    if (kv.second.IsMap()) {
      flatten(kv.second, key, path, out);
    } else if (kv.second.IsScalar()) {
      out.emplace_back(key, kv.second);
    } else {
      throw ConfigError(path + ":" + std::to_string(kv.second.Mark().line + 1) + ": " + key +
                        ": expected a scalar value or a map");
    }
  }
}

}  // namespace

int SnnParams::presentation_steps() const {
  return steps_of(presentation_ms, dt_ms, "parameters", "time.presentation_ms");
}
int SnnParams::rest_steps() const { return steps_of(rest_ms, dt_ms, "parameters", "time.rest_ms"); }
// Brian2 counts refractoriness in whole steps: timestep(t - lastspike) >= timestep(refractory).
int SnnParams::exc_refractory_steps() const {
  return static_cast<int>(std::llround(exc_refractory_ms / dt_ms));
}
double SnnParams::full_pixel_rate_hz(int attempt, int64_t pixel_sum) const {
  const double rate = max_rate_hz + attempt * retry_rate_increment_hz;
  if (total_rate_hz <= 0.0 || pixel_sum <= 0) return rate;
  const double first_total = max_rate_hz * static_cast<double>(pixel_sum) / 255.0;
  return rate * (total_rate_hz / first_total);
}

int SnnParams::inh_refractory_steps() const {
  return static_cast<int>(std::llround(inh_refractory_ms / dt_ms));
}

void SnnParams::validate(const std::string& where) const {
  require(dt_ms > 0 && dt_ms <= 10, where, "time.dt_ms", "a value in (0, 10]", dt_ms);
  require(presentation_ms > 0 && presentation_ms <= 1e5, where, "time.presentation_ms",
          "a value in (0, 1e5]", presentation_ms);
  require(rest_ms >= 0 && rest_ms <= 1e5, where, "time.rest_ms", "a value in [0, 1e5]", rest_ms);
  steps_of(presentation_ms, dt_ms, where, "time.presentation_ms");
  steps_of(rest_ms, dt_ms, where, "time.rest_ms");
  require(max_rate_hz >= 0 && max_rate_hz * dt_ms * 1e-3 <= 1, where, "input.max_rate_hz",
          "a rate in [0, 1/dt]", max_rate_hz);
  require(retry_rate_increment_hz >= 0 && retry_rate_increment_hz <= 1e4, where,
          "input.retry_rate_increment_hz", "a value in [0, 1e4]", retry_rate_increment_hz);
  require(total_rate_hz >= 0 && total_rate_hz <= 1e6, where, "input.total_rate_hz",
          "a value in [0, 1e6] (0: off)", total_rate_hz);
  require(total_rate_hz == 0 || max_rate_hz > 0, where, "input.total_rate_hz",
          "0 when input.max_rate_hz is 0 (normalisation scales the rates it sets)", total_rate_hz);
  require(min_spikes >= 0 && min_spikes <= 100000, where, "input.min_spikes",
          "a count in [0, 100000]", min_spikes);
  require(max_presentations >= 1 && max_presentations <= 1000, where, "input.max_presentations",
          "a count in [1, 1000]", max_presentations);
  for (auto [key, v] : {std::pair{"exc.v_rest_mv", exc_v_rest_mv},
                        {"exc.v_reset_mv", exc_v_reset_mv},
                        {"exc.v_thresh_mv", exc_v_thresh_mv},
                        {"exc.e_exc_mv", exc_e_exc_mv},
                        {"exc.e_inh_mv", exc_e_inh_mv},
                        {"inh.v_rest_mv", inh_v_rest_mv},
                        {"inh.v_reset_mv", inh_v_reset_mv},
                        {"inh.v_thresh_mv", inh_v_thresh_mv},
                        {"inh.e_exc_mv", inh_e_exc_mv},
                        {"exc.theta_init_mv", theta_init_mv},
                        {"exc.theta_offset_mv", theta_offset_mv}}) {
    require(v >= -1000 && v <= 1000, where, key, "a potential in [-1000, 1000] mV", v);
  }
  require(exc_v_reset_mv < exc_v_thresh_mv, where, "exc.v_reset_mv",
          "a value below exc.v_thresh_mv", exc_v_reset_mv);
  require(inh_v_reset_mv < inh_v_thresh_mv, where, "inh.v_reset_mv",
          "a value below inh.v_thresh_mv", inh_v_reset_mv);
  require(inh_v_rest_mv < inh_v_thresh_mv, where, "inh.v_rest_mv", "a value below inh.v_thresh_mv",
          inh_v_rest_mv);
  for (auto [key, v] : {std::pair{"exc.tau_m_ms", exc_tau_m_ms},
                        {"exc.tau_ge_ms", exc_tau_ge_ms},
                        {"exc.tau_gi_ms", exc_tau_gi_ms},
                        {"exc.tau_theta_ms", tau_theta_ms},
                        {"inh.tau_m_ms", inh_tau_m_ms},
                        {"inh.tau_ge_ms", inh_tau_ge_ms},
                        {"stdp.tau_pre_ms", tau_pre_ms},
                        {"stdp.tau_post1_ms", tau_post1_ms},
                        {"stdp.tau_post2_ms", tau_post2_ms}}) {
    require(v > 0 && v <= 1e12, where, key, "a time constant in (0, 1e12] ms", v);
  }
  require(exc_refractory_ms >= 0 && exc_refractory_ms <= 1e4, where, "exc.refractory_ms",
          "a value in [0, 1e4]", exc_refractory_ms);
  require(inh_refractory_ms >= 0 && inh_refractory_ms <= 1e4, where, "inh.refractory_ms",
          "a value in [0, 1e4]", inh_refractory_ms);
  require(theta_plus_mv >= 0 && theta_plus_mv <= 100, where, "exc.theta_plus_mv",
          "a value in [0, 100]", theta_plus_mv);
  require(theta_init_mv >= 0, where, "exc.theta_init_mv", "a value >= 0", theta_init_mv);
  require(w_exc_inh >= 0 && w_exc_inh <= 1e4, where, "synapses.w_exc_inh", "a value in [0, 1e4]",
          w_exc_inh);
  require(w_inh_exc >= 0 && w_inh_exc <= 1e4, where, "synapses.w_inh_exc", "a value in [0, 1e4]",
          w_inh_exc);
  require(nu_pre >= 0 && nu_pre <= 1, where, "stdp.nu_pre", "a value in [0, 1]", nu_pre);
  require(nu_post >= 0 && nu_post <= 1, where, "stdp.nu_post", "a value in [0, 1]", nu_post);
  require(w_max > 0 && w_max <= 1e4, where, "stdp.w_max", "a value in (0, 1e4]", w_max);
  require(norm_sum >= 0 && norm_sum <= 1e6, where, "stdp.norm_sum", "a value in [0, 1e6]",
          norm_sum);
  require(init_w_scale >= 0 && init_w_scale <= w_max, where, "stdp.init_w_scale",
          "a value in [0, stdp.w_max]", init_w_scale);
  require(init_w_offset >= 0 && init_w_offset <= 1, where, "stdp.init_w_offset",
          "a value in [0, 1]", init_w_offset);
  if (model == ModelKind::kConductance) {
    require(exc_e_inh_mv < exc_v_reset_mv, where, "exc.e_inh_mv",
            "a reversal potential below exc.v_reset_mv", exc_e_inh_mv);
  }
}

std::vector<ParamInfo> parameter_table() {
  const SnnParams defaults;
  std::vector<ParamInfo> t;
  for (const auto& e : entries())
    t.push_back({e.key, e.unit, e.description, value_of(defaults, e)});
  return t;
}

std::map<std::string, std::string> params_to_map(const SnnParams& p) {
  std::map<std::string, std::string> m;
  for (const auto& e : entries()) m[e.key] = value_of(p, e);
  return m;
}

SnnParams with_param(const SnnParams& p, const std::string& key, const std::string& value,
                     const std::string& where) {
  const Entry* e = find_entry(key);
  if (!e) throw ConfigError(where + ": unknown key '" + key + "' (see docs/snn.md for the table)");
  SnnParams copy = p;
  set_value(copy, *e, value, where);
  return copy;
}

SnnParams params_from_map(const std::map<std::string, std::string>& values,
                          const std::string& where, const SnnParams& base) {
  SnnParams copy = base;
  for (const auto& [k, v] : values) copy = with_param(copy, k, v, where);
  copy.validate(where);
  return copy;
}

SnnParams load_params(const std::string& path, const SnnParams& base) {
  if (!std::filesystem::exists(path)) throw FileError(path, "config file not found");
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw FileError(path, "cannot read config file");
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
  if (root.IsNull()) return base;
  if (!root.IsMap()) throw ConfigError(path + ": expected a map of parameters at the top level");
  std::vector<std::pair<std::string, YAML::Node>> flat;
  flatten(root, "", path, flat);
  SnnParams copy = base;
  for (const auto& [key, node] : flat) {
    const std::string where = path + ":" + std::to_string(node.Mark().line + 1);
    copy = with_param(copy, key, node.Scalar(), where);
  }
  copy.validate(path);
  return copy;
}

SnnParams apply_override(const SnnParams& p, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError("parameter override '" + assignment + "': expected key=value");
  }
  const std::string where = "parameter override '" + assignment + "'";
  SnnParams copy = with_param(p, assignment.substr(0, eq), assignment.substr(eq + 1), where);
  copy.validate(where);
  return copy;
}

}  // namespace hardy::snn
