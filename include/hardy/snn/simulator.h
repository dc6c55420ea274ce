// The Diehl & Cook network in time: per-step integration with exact decays and exponential Euler,
// event-driven input, STDP, the re-presentation rule and a closed-form rest (docs/snn.md).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hardy/core/isa.h"
#include "hardy/core/rng.h"
#include "hardy/snn/network.h"
#include "hardy/snn/params.h"
#include "hardy/snn/poisson.h"

namespace hardy::snn {

/// std::allocator with 64-byte alignment, so every state row starts on a cache line.
template <class T>
struct AlignedAllocator {
  using value_type = T;
  AlignedAllocator() = default;
  template <class U>
  explicit AlignedAllocator(const AlignedAllocator<U>&) {}
  T* allocate(size_t n) {
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{64}));
  }
  void deallocate(T* p, size_t) { ::operator delete (p, std::align_val_t{64}); }
  template <class U>
  bool operator==(const AlignedAllocator<U>&) const {
    return true;
  }
};
template <class T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

/// The learned state in the simulator's layout: rows of `stride` ≥ neurons floats (a multiple of
/// 16), padding weights 0 and padding thresholds +∞ so padded neurons never fire.
struct ModelState {
  int inputs = 0, neurons = 0, stride = 0;
  AlignedVector<float> weights;  ///< inputs × stride
  AlignedVector<float> theta;    ///< stride, mV

  /// Copies `net`; with `store`, the weights are store's decoded values instead (same count).
  static ModelState from(const Network& net, const class WeightStore* store = nullptr);
  /// Writes weights (clipped to [0, w_max]) and θ back into `net`.
  void write_to(Network& net, float w_max) const;
};

/// A state snapshot for recording (materialised, including lazily updated neurons).
struct StateView {
  int64_t step = 0;  ///< the step just completed
  std::span<const float> v_exc, ge_exc, gi_exc, theta_exc, v_inh, ge_inh;
};

/// Observer of a simulation, for cross-checks and debugging. Default methods do nothing.
class Recorder {
 public:
  virtual ~Recorder() = default;
  /// A presentation starts at `first_step` with these input spikes (steps relative to it).
  virtual void on_presentation(int64_t /*sample*/, int /*attempt*/, int64_t /*first_step*/,
                               double /*rate_hz*/, const InputSpikes& /*spikes*/) {}
  /// After each explicitly integrated step, with the neurons that fired in it.
  virtual void on_step(const StateView& /*state*/, std::span<const int> /*exc_spikes*/,
                       std::span<const int> /*inh_spikes*/) {}
  /// After a rest period (whose tail may have been done in closed form).
  virtual void on_rest_end(const StateView& /*state*/) {}
  /// Whether on_step/on_rest_end want a StateView (building one costs O(neurons)).
  virtual bool wants_state() const { return true; }
};

/// How one sample went.
struct SampleOutcome {
  int presentations = 0;     ///< ≥ 1
  int spikes = 0;            ///< excitatory spikes in the last presentation
  int64_t input_spikes = 0;  ///< over all presentations
};

/// Per-thread simulation state. Training mutates the ModelState it was given; inference only
/// reads it, so one ModelState can serve several inference simulators on different threads.
class Simulator {
 public:
  /// Runs the best kernel variant built that is not above `isa` (core/isa.h; unset: detect_isa(),
  /// i.e. the CPU's best or $HARDY_ISA). Tests force each variant to show they agree bit for bit.
  /// Throws ConfigError if the CPU lacks `isa` (or HARDY_ISA is invalid).
  Simulator(const SnnParams& params, ModelState& model, std::optional<Isa> isa = std::nullopt);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  /// The kernel variant in use (Isa::kGeneric, kAvx2 or kAvx512).
  Isa isa() const;

  /// Rest state: v = v_rest, g = 0, no refractoriness, traces 0; the step counter restarts.
  void reset_state();

  /// One training sample (DESIGN §6): for attempt a = 0, 1, …: normalise weights, present the
  /// image for presentation_ms at rate pixel/255·(max_rate + a·increment) with STDP and θ
  /// adaptation on, then rest for rest_ms (or reset the state when reset_state); stop once the
  /// presentation produced ≥ min_spikes excitatory spikes or after max_presentations.
  /// `counts` (size neurons) receives the last presentation's spike counts. State carries over
  /// to the next sample. Input spikes come from `rng` (one stream per sample).
  SampleOutcome train_sample(std::span<const uint8_t> image, RngStream& rng,
                             std::span<int32_t> counts, int64_t sample_index = 0);

  /// One inference sample: weights and θ frozen, state reset before every presentation (so
  /// samples are independent of order and thread), same re-presentation rule.
  SampleOutcome infer_sample(std::span<const uint8_t> image, RngStream& rng,
                             std::span<int32_t> counts, int64_t sample_index = 0);

  /// Records every step from now on (nullptr stops). Not owned.
  void set_recorder(Recorder* recorder) { recorder_ = recorder; }

  /// Current state, materialised (inhibitory neurons updated lazily are brought up to date in
  /// the copy). θ is the actual threshold adaptation in mV.
  StateView view();

  int64_t step() const;

  /// Advances one explicit step with these input spikes (inputs strictly increasing); `learn`
  /// turns STDP and θ adaptation on. For tests and tools; samples use train/infer_sample.
  void step(std::span<const uint16_t> input_spikes, bool learn);
  /// Mutable excitatory state (size neurons), for tests that set up analytical cases.
  std::span<float> exc_v();
  std::span<float> exc_ge();
  std::span<float> exc_gi();
  /// When false, rests are integrated step by step (for tests and the cross-check of the closed
  /// form). Default true.
  void set_closed_form_rest(bool on);
  /// The STDP depression of a spiking input's row runs densely (one pass over the row, fused
  /// with the add to ge) once this many neurons have a live post1 trace, sparsely below; both
  /// give the same weights. Default 16; for tests.
  void set_dense_depression_from(size_t live_traces);

  /// Everything that carries from one training sample to the next apart from the ModelState
  /// (membrane, conductance and trace state, refractoriness, step counter, bookkeeping lists), as
  /// bytes. restore_state on a simulator built with the same parameters and model sizes makes it
  /// continue exactly as the saved one would (training checkpoints); bytes that do not fit are a
  /// FormatError naming `source`.
  std::vector<uint8_t> save_state() const;
  void restore_state(std::span<const uint8_t> bytes, const std::string& source);

  /// Internal timing counters (for the benchmark): steps integrated explicitly and steps of rest
  /// done in closed form.
  int64_t explicit_steps() const;
  int64_t closed_form_steps() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Recorder* recorder_ = nullptr;
};

}  // namespace hardy::snn
