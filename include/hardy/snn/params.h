// Parameters of the Diehl & Cook (2015) spiking network: one validated record with units in the
// names, a NEST-style parameter table, and YAML loading that rejects unknown keys.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hardy::snn {

/// Neuron/synapse dynamics. kConductance is the original (Diehl & Cook 2015, Brian 1 code):
/// conductance-based synapses with exponential decay. kCurrent is the BindsNET simplification:
/// each input spike adds its weight to v at once (delta synapses).
enum class ModelKind { kConductance, kCurrent };

/// STDP on input→excitatory weights. kDiehlCook: post spike adds ν_post·pre·post2(before)
/// (the original's triplet-like rule); kPostPre: post spike adds ν_post·pre (BindsNET PostPre).
enum class StdpRule { kDiehlCook, kPostPre };

/// Every parameter of the model. Units are in the names (ms, mV, Hz); conductances g are
/// dimensionless, in units of the leak conductance (the original writes ge·nS with a 1 nS leak).
/// Defaults are the original code's values (DESIGN §6, REFERENCES.md).
struct SnnParams {
  ModelKind model = ModelKind::kConductance;

  // Time.
  double dt_ms = 0.5;              ///< integration step
  double presentation_ms = 350.0;  ///< input shown for this long
  double rest_ms = 150.0;          ///< silent input afterwards (training; state carries over)
  bool reset_state = false;        ///< training: reset v, g, refractoriness before every sample

  // Poisson input: rate = pixel/255 · (max_rate_hz + a · retry_rate_increment_hz), attempt a ≥ 0.
  double max_rate_hz = 63.75;               ///< rate of a 255 pixel on the first presentation
  double retry_rate_increment_hz = 31.875;  ///< added per re-presentation (original: pixel/8 Hz)
  int min_spikes = 5;                       ///< fewer excitatory spikes than this → present again
  int max_presentations = 10;  ///< cap on presentations per sample (the original has none)
  /// Per-image input normalisation (0: off, the original). When > 0, every rate of an image is
  /// multiplied by f = total_rate_hz / (max_rate_hz · Σ pixel/255), so the rates of its first
  /// presentation sum to total_rate_hz whatever the image's brightness (retries keep the factor).
  double total_rate_hz = 0.0;

  // Excitatory LIF neurons with adaptive threshold: spike when v > v_thresh + θ − θ_offset.
  double exc_v_rest_mv = -65.0;
  double exc_v_reset_mv = -65.0;
  double exc_v_thresh_mv = -52.0;
  double exc_refractory_ms = 5.0;
  double exc_tau_m_ms = 100.0;
  double exc_e_exc_mv = 0.0;     ///< reversal potential of ge
  double exc_e_inh_mv = -100.0;  ///< reversal potential of gi
  double exc_tau_ge_ms = 1.0;
  double exc_tau_gi_ms = 2.0;
  double theta_plus_mv = 0.05;    ///< θ increment per spike (training only)
  double tau_theta_ms = 1e7;      ///< θ decay (training only; θ is frozen in inference)
  double theta_init_mv = 20.0;    ///< θ of a fresh network
  double theta_offset_mv = 20.0;  ///< subtracted from θ in the threshold

  // Inhibitory LIF neurons (no synapses target their gi, so it is not modelled).
  double inh_v_rest_mv = -60.0;
  double inh_v_reset_mv = -45.0;
  double inh_v_thresh_mv = -40.0;
  double inh_refractory_ms = 2.0;
  double inh_tau_m_ms = 10.0;
  double inh_e_exc_mv = 0.0;
  double inh_tau_ge_ms = 1.0;

  // Fixed synapses: E→I one-to-one onto ge_inh, I→E all-but-self onto gi_exc.
  double w_exc_inh = 10.4;
  double w_inh_exc = 17.0;

  // Plastic input→excitatory synapses.
  StdpRule stdp_rule = StdpRule::kDiehlCook;
  double nu_pre = 1e-4;   ///< depression per pre spike, × post1
  double nu_post = 1e-2;  ///< potentiation per post spike, × pre (× post2 before)
  double tau_pre_ms = 20.0;
  double tau_post1_ms = 20.0;
  double tau_post2_ms = 40.0;
  double w_max = 1.0;         ///< weights are clipped to [0, w_max] after every STDP update
  double norm_sum = 78.0;     ///< each neuron's input weights sum to this before every
                              ///< presentation (0 disables)
  double init_w_scale = 0.3;  ///< initial w = (U(0,1) + init_w_offset) · init_w_scale
  double init_w_offset = 0.01;

  /// Steps of one presentation / rest / refractory period (dt divides them; checked by validate).
  /// Rate (Hz) of a 255 pixel on presentation attempt `attempt` of an image whose pixel values
  /// sum to `pixel_sum` (the sum matters only with total_rate_hz > 0).
  double full_pixel_rate_hz(int attempt, int64_t pixel_sum) const;

  int presentation_steps() const;
  int rest_steps() const;
  int exc_refractory_steps() const;
  int inh_refractory_steps() const;

  /// Throws ConfigError naming `where` (a file or an override) and the key when a value is out of
  /// range or inconsistent (e.g. presentation_ms not a multiple of dt_ms, v_reset ≥ v_thresh).
  void validate(const std::string& where = "parameters") const;
};

/// One row of the parameter table (docs/snn.md prints the same table).
struct ParamInfo {
  std::string key;   ///< dotted config key, e.g. "exc.tau_m_ms"
  std::string unit;  ///< "ms", "mV", "Hz", "1" or "" for choices
  std::string description;
  std::string default_value;
};

/// The table of every configurable key with unit, meaning and default, in a stable order.
std::vector<ParamInfo> parameter_table();

/// Values as strings keyed by dotted key (numbers printed exactly, e.g. "0.5"), for JSON
/// provenance and the network file.
std::map<std::string, std::string> params_to_map(const SnnParams& p);

/// Sets `key` from its string form on a copy of `p`. Throws ConfigError naming `where` and the
/// key for an unknown key or an unparsable value (range checks happen in validate()).
SnnParams with_param(const SnnParams& p, const std::string& key, const std::string& value,
                     const std::string& where);

/// Applies every entry of `values` to a copy of `base`, validates it, and returns it (the copy is
/// committed only when everything is valid).
SnnParams params_from_map(const std::map<std::string, std::string>& values,
                          const std::string& where, const SnnParams& base = SnnParams{});

/// Reads a YAML config (nested maps, e.g. `exc: {tau_m_ms: 100}`, or dotted keys) over `base`.
/// Unknown keys, non-scalar values and out-of-range values throw ConfigError naming the file,
/// key and line.
SnnParams load_params(const std::string& path, const SnnParams& base = SnnParams{});

/// Parses "key=value" onto a copy of `p` and validates the result. Throws ConfigError naming the
/// assignment (and the key) when it is malformed, unknown or out of range.
SnnParams apply_override(const SnnParams& p, const std::string& assignment);

}  // namespace hardy::snn
