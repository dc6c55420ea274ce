// Simulator: the per-step schedule (update → threshold → synapses → reset, as Brian2), lazy
// inhibitory neurons, lazy traces, normalisation and the closed-form rest.
#include "hardy/snn/simulator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include "hardy/core/binary_io.h"
#include "hardy/core/error.h"
#include "hardy/snn/weight_store.h"
#include "kernels.h"

namespace hardy::snn {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::min() / 4;
// Traces below this are treated as 0: the neglected weight change is < ν·1e-12 per event, below
// the float resolution of any weight ≥ 1e-4 (docs/snn.md, "Exactness").
constexpr double kTraceCutoff = 1e-12;
// post1 only scales depression (ν_pre·post1 per input spike); below 1e-6 that is < 1e-10, which
// rounds away on any weight ≥ 2e-3 (ulp/2 of float), so the cheaper cutoff is used for it.
constexpr double kPost1Cutoff = 1e-6;
// An inhibitory neuron whose ge is below this (and that is not refractory) is integrated lazily
// in closed form; the ge neglected moves v by < 6·ge mV ≈ 6e-7 mV. The rest switches to closed
// form when every excitatory ge and gi is below it (effect on v < 1e-7 mV).
constexpr float kQuietConductance = 1e-7f;
// From this many neurons with a live post1 trace on, a spiking input's row is depressed densely
// (every column, 0 where there is no trace) in the pass that adds it to ge (by default; tests
// move it to show both paths give the same weights).
constexpr size_t kDenseDepression = 16;

int padded(int n) { return (n + 15) / 16 * 16; }

std::vector<float> decay_table(double tau_ms, double dt_ms, double cutoff = kTraceCutoff) {
  std::vector<float> t;
  for (int64_t d = 0;; ++d) {
    const double x = std::exp(-static_cast<double>(d) * dt_ms / tau_ms);
    if (x < cutoff) break;
    t.push_back(static_cast<float>(x));
  }
  return t;
}

float decay(double steps, double dt_ms, double tau_ms) {
  return static_cast<float>(std::exp(-steps * dt_ms / tau_ms));
}

// The kernel variant for a requested ceiling (unset: what the CPU, or HARDY_ISA, allows).
Isa choose_kernels(std::optional<Isa> ceiling) {
  if (!ceiling) return detail::kernel_isa(detect_isa());
  if (!cpu_supports(*ceiling)) {
    throw ConfigError(std::string("kernel variant '") + isa_name(*ceiling) +
                      "' is not available on this CPU");
  }
  return detail::kernel_isa(*ceiling);
}

}  // namespace

ModelState ModelState::from(const Network& net, const WeightStore* store) {
  ModelState m;
  m.inputs = net.inputs;
  m.neurons = net.neurons;
  m.stride = padded(net.neurons);
  m.weights.assign(static_cast<size_t>(m.inputs) * m.stride, 0.0f);
  std::vector<float> decoded;
  const float* src = net.weights.data();
  if (store) {
    HARDY_CHECK(store->size() == static_cast<int64_t>(net.weights.size()));
    decoded.resize(net.weights.size());
    store->decode_all(decoded);
    src = decoded.data();
  }
  for (int i = 0; i < m.inputs; ++i) {
    std::copy_n(src + static_cast<size_t>(i) * m.neurons, m.neurons,
                m.weights.begin() + static_cast<ptrdiff_t>(i) * m.stride);
  }
  m.theta.assign(static_cast<size_t>(m.stride), std::numeric_limits<float>::infinity());
  std::copy(net.theta_mv.begin(), net.theta_mv.end(), m.theta.begin());
  return m;
}

void ModelState::write_to(Network& net, float w_max) const {
  HARDY_CHECK(net.inputs == inputs && net.neurons == neurons);
  net.weights.resize(static_cast<size_t>(inputs) * neurons);
  for (int i = 0; i < inputs; ++i) {
    for (int j = 0; j < neurons; ++j) {
      const float w = weights[static_cast<size_t>(i) * stride + j];
      net.weights[static_cast<size_t>(i) * neurons + j] = std::clamp(w, 0.0f, w_max);
    }
  }
  net.theta_mv.assign(theta.begin(), theta.begin() + neurons);
}

struct Simulator::Impl {
  Impl(const SnnParams& params, ModelState& model, Isa isa_choice);

  SnnParams p;
  ModelState& m;
  Isa isa;
  const detail::Kernels& k;
  bool conductance;
  int n, np, inputs;
  int present_steps, rest_steps, ref_e, ref_i;
  detail::ExcStep es;  // constant fields filled once
  float dge_i, neg_dt_tau_i, decay_v_i, thr_i;
  float w_ie_signed;
  std::vector<float> pre_table, post1_table, post2_table;

  // Excitatory state.
  AlignedVector<float> v, ge, gi, sums, factors;
  AlignedVector<int32_t> refr, spiked;
  std::vector<int64_t> last_post;
  // Neurons whose post1 trace is above kTraceCutoff (spiked within post1_table.size() steps), in
  // spike order, and the depression each applies to a spiking input's row in this step.
  std::vector<int> post_active;
  std::vector<uint8_t> in_post_active;
  std::vector<int> dep_idx;
  std::vector<float> dep_amount;
  AlignedVector<float> dep_dense;  // dep_amount at dep_idx, 0 elsewhere (dense depression)
  // Rows that normalisation left with a weight above w_max: the next STDP update of the row clips
  // the whole row, as Brian2's clip() on every synapse of the spiking input would.
  std::vector<uint8_t> row_excess;
  // Inhibitory state; inactive neurons were last integrated at inh_last (see kQuietConductance).
  std::vector<float> vi, gei;
  std::vector<int32_t> refri;
  std::vector<int64_t> inh_last;
  std::vector<uint8_t> inh_active;
  std::vector<int> active, active_next;
  std::vector<int64_t> last_pre;
  // Inputs a post spike's potentiation may change: every input whose pre trace is live (spiked
  // within pre_table.size() steps) or whose row has an excess is in pre_live (expired ones are
  // dropped when stdp_post meets them), so stdp_post need not look at the others.
  std::vector<int> pre_live;
  std::vector<uint8_t> in_pre_live;
  void mark_pre_live(int i) {
    if (!in_pre_live[static_cast<size_t>(i)]) {
      in_pre_live[static_cast<size_t>(i)] = 1;
      pre_live.push_back(i);
    }
  }

  int64_t step = 0, theta_fold_step = 0;
  bool closed_form_rest = true;
  size_t dense_depression = kDenseDepression;
  int64_t explicit_steps = 0, closed_steps = 0;
  InputSpikes spikes;
  std::vector<int> exc_sp, inh_sp;
  std::vector<float*> row_ptrs;
  std::vector<float> view_vi, view_gei, view_theta;

  void reset();
  // e^(−(t − t_fold)·dt/τ_θ), from a table for the steps of one presentation + rest.
  std::vector<double> theta_scale_table;
  double theta_scale_at(int64_t t) const {
    const int64_t d = t - theta_fold_step;
    if (d >= 0 && d < static_cast<int64_t>(theta_scale_table.size())) {
      return theta_scale_table[static_cast<size_t>(d)];
    }
    return std::exp(-static_cast<double>(d) * p.dt_ms / p.tau_theta_ms);
  }
  void fold_theta();
  void normalise();
  template <bool kLearn>
  void integrate_step(std::span<const uint16_t> in, int32_t* counts, Recorder* rec);
  void update_inh(int64_t t);
  void activate_inh(int j, int64_t t);
  void stdp_post(int j, int64_t t);
  void prepare_depression(int64_t t);
  bool quiet(int64_t t_end) const;
  void closed_form(int64_t steps);
  void rest(Recorder* rec);
  template <bool kLearn>
  int present(std::span<const uint8_t> image, int attempt, RngStream& rng, int32_t* counts,
              int64_t sample, Recorder* rec);
  StateView make_view();

  // Every array of dynamic state, in checkpoint order, as f(array, name, max size): −1 for
  // arrays of fixed size, the bound for lists. One list for save_state and restore_state.
  template <class Self, class F>
  static void visit_state_arrays(Self& s, F&& f) {
    f(s.v, "v", -1);
    f(s.ge, "ge", -1);
    f(s.gi, "gi", -1);
    f(s.refr, "refractory counters", -1);
    f(s.last_post, "last post spikes", -1);
    f(s.in_post_active, "post trace flags", -1);
    f(s.post_active, "post trace list", s.n);
    f(s.row_excess, "row excess flags", -1);
    f(s.vi, "inhibitory v", -1);
    f(s.gei, "inhibitory ge", -1);
    f(s.refri, "inhibitory refractory counters", -1);
    f(s.inh_last, "inhibitory last update", -1);
    f(s.inh_active, "inhibitory active flags", -1);
    f(s.active, "inhibitory active list", s.n);
    f(s.last_pre, "last pre spikes", -1);
    f(s.in_pre_live, "pre trace flags", -1);
    f(s.pre_live, "pre trace list", s.inputs);
  }
};

Simulator::Impl::Impl(const SnnParams& params, ModelState& model, Isa isa_choice)
    : p(params),
      m(model),
      isa(isa_choice),
      k(detail::kernels(isa_choice)),
      conductance(params.model == ModelKind::kConductance),
      n(model.neurons),
      np(model.stride),
      inputs(model.inputs) {
  p.validate();
  HARDY_CHECK(np % 16 == 0 && np >= n && n > 0);
  present_steps = p.presentation_steps();
  rest_steps = p.rest_steps();
  ref_e = p.exc_refractory_steps();
  ref_i = p.inh_refractory_steps();
  const double dt = p.dt_ms;
  es.n = np;
  es.thr_base = static_cast<float>(p.exc_v_thresh_mv - p.theta_offset_mv);
  es.v_rest = static_cast<float>(p.exc_v_rest_mv);
  es.e_exc = static_cast<float>(p.exc_e_exc_mv);
  es.e_inh = static_cast<float>(p.exc_e_inh_mv);
  es.neg_dt_over_tau = static_cast<float>(-dt / p.exc_tau_m_ms);
  es.decay_v = decay(1, dt, p.exc_tau_m_ms);
  es.decay_ge = decay(1, dt, p.exc_tau_ge_ms);
  es.decay_gi = decay(1, dt, p.exc_tau_gi_ms);
  dge_i = decay(1, dt, p.inh_tau_ge_ms);
  neg_dt_tau_i = static_cast<float>(-dt / p.inh_tau_m_ms);
  decay_v_i = decay(1, dt, p.inh_tau_m_ms);
  thr_i = static_cast<float>(p.inh_v_thresh_mv);
  w_ie_signed = static_cast<float>(conductance ? p.w_inh_exc : -p.w_inh_exc);
  for (int d = 0; d <= present_steps + rest_steps; ++d) {
    theta_scale_table.push_back(std::exp(-static_cast<double>(d) * dt / p.tau_theta_ms));
  }
  pre_table = decay_table(p.tau_pre_ms, dt);
  post1_table = decay_table(p.tau_post1_ms, dt, kPost1Cutoff);
  if (p.stdp_rule == StdpRule::kDiehlCook) post2_table = decay_table(p.tau_post2_ms, dt);
  const auto unp = static_cast<size_t>(np);
  v.resize(unp);
  ge.resize(unp);
  gi.resize(unp);
  sums.resize(unp);
  factors.resize(unp);
  refr.resize(unp);
  spiked.resize(unp);
  last_post.resize(unp);
  vi.resize(unp);
  gei.resize(unp);
  refri.resize(unp);
  inh_last.resize(unp);
  inh_active.resize(unp);
  in_post_active.resize(unp);
  dep_dense.assign(unp, 0.0f);
  last_pre.resize(static_cast<size_t>(inputs));
  row_excess.assign(static_cast<size_t>(inputs), 1);
  in_pre_live.assign(static_cast<size_t>(inputs), 0);
  for (int i = 0; i < inputs; ++i) mark_pre_live(i);
  reset();
}

void Simulator::Impl::reset() {
  std::fill(v.begin(), v.end(), static_cast<float>(p.exc_v_rest_mv));
  std::fill(ge.begin(), ge.end(), 0.0f);
  std::fill(gi.begin(), gi.end(), 0.0f);
  post_active.clear();
  std::fill(in_post_active.begin(), in_post_active.end(), 0);
  std::fill(refr.begin(), refr.end(), 0);
  std::fill(last_post.begin(), last_post.end(), kNever);
  std::fill(vi.begin(), vi.end(), static_cast<float>(p.inh_v_rest_mv));
  std::fill(gei.begin(), gei.end(), 0.0f);
  std::fill(refri.begin(), refri.end(), 0);
  std::fill(inh_last.begin(), inh_last.end(), 0);
  std::fill(inh_active.begin(), inh_active.end(), 0);
  active.clear();
  std::fill(last_pre.begin(), last_pre.end(), kNever);
  step = 0;
  theta_fold_step = 0;
}

void Simulator::Impl::fold_theta() {
  const auto s = static_cast<float>(theta_scale_at(step));
  for (int j = 0; j < n; ++j) m.theta[static_cast<size_t>(j)] *= s;
  theta_fold_step = step;
}

void Simulator::Impl::normalise() {
  k.column_sums(inputs, np, np, m.weights.data(), sums.data());
  const auto target = static_cast<float>(p.norm_sum);
  for (int j = 0; j < np; ++j) {
    factors[static_cast<size_t>(j)] = (j < n && sums[static_cast<size_t>(j)] > 0.0f)
                                          ? target / sums[static_cast<size_t>(j)]
                                          : 1.0f;
  }
  k.scale_columns(inputs, np, np, m.weights.data(), factors.data(), static_cast<float>(p.w_max),
                  row_excess.data());
  for (int i = 0; i < inputs; ++i) {
    if (row_excess[static_cast<size_t>(i)]) mark_pre_live(i);
  }
}

void Simulator::Impl::activate_inh(int j, int64_t t) {
  const auto u = static_cast<size_t>(j);
  if (inh_active[u]) return;
  const double d = static_cast<double>(t - inh_last[u]);
  if (d > 0) {
    const float rest = static_cast<float>(p.inh_v_rest_mv);
    vi[u] = rest + (vi[u] - rest) * decay(d, p.dt_ms, p.inh_tau_m_ms);
    gei[u] = conductance ? gei[u] * decay(d, p.dt_ms, p.inh_tau_ge_ms) : 0.0f;
  }
  inh_last[u] = t;
  inh_active[u] = 1;
  active.push_back(j);
}

void Simulator::Impl::update_inh(int64_t t) {
  active_next.clear();
  const float rest = static_cast<float>(p.inh_v_rest_mv);
  const auto e_exc = static_cast<float>(p.inh_e_exc_mv);
  for (int j : active) {
    const auto u = static_cast<size_t>(j);
    int32_t c = refri[u] - 1;
    c = c < 0 ? 0 : c;
    refri[u] = c;
    float vv = vi[u];
    const float g_e = gei[u];
    float vn;
    if (conductance) {
      const float g = 1.0f + g_e;
      const float vinf = (rest + g_e * e_exc) / g;
      vn = vinf + (vv - vinf) * detail::exp_neg(g * neg_dt_tau_i);
      gei[u] = g_e * dge_i;
    } else {
      vn = (rest + (vv - rest) * decay_v_i) + g_e;
      gei[u] = 0.0f;
    }
    vv = c > 0 ? vv : vn;
    vi[u] = vv;
    inh_last[u] = t;
    const bool fire = vv > thr_i && c == 0;
    if (fire) inh_sp.push_back(j);
    if (!fire && c == 0 && gei[u] < kQuietConductance) {
      inh_active[u] = 0;
    } else {
      active_next.push_back(j);
    }
  }
  active.swap(active_next);
}

void Simulator::Impl::stdp_post(int j, int64_t t) {
  const auto u = static_cast<size_t>(j);
  float factor = static_cast<float>(p.nu_post);
  if (p.stdp_rule == StdpRule::kDiehlCook) {
    const int64_t d = t - last_post[u];
    factor *=
        d < static_cast<int64_t>(post2_table.size()) ? post2_table[static_cast<size_t>(d)] : 0.0f;
  }
  const auto w_max = static_cast<float>(p.w_max);
  const auto pre_n = static_cast<int64_t>(pre_table.size());
  float* column = m.weights.data() + j;
  // Brian2 on_post: w = clip(w + ν_post·pre·post2before, 0, w_max) on every synapse of j. Where
  // pre = 0 (or the factor is 0) that is only a clip, a no-op unless the row has an excess; the
  // inputs outside pre_live are such. Each row's entry is independent of the others', so the
  // order of pre_live (changed by dropping expired entries) does not matter.
  for (size_t q = 0; q < pre_live.size();) {
    const auto i = static_cast<size_t>(pre_live[q]);
    const int64_t d = t - last_pre[i];
    if (d >= pre_n && !row_excess[i]) {
      in_pre_live[i] = 0;
      pre_live[q] = pre_live.back();
      pre_live.pop_back();
      continue;
    }
    ++q;
    const float pre = d < pre_n ? pre_table[static_cast<size_t>(d)] : 0.0f;
    const float add = factor * pre;
    if (add == 0.0f && !row_excess[i]) continue;
    float& w = column[i * static_cast<size_t>(np)];
    float x = w + add;
    x = x < 0.0f ? 0.0f : x;
    w = x > w_max ? w_max : x;
  }
  last_post[u] = t;
  if (!in_post_active[u]) {
    in_post_active[u] = 1;
    post_active.push_back(j);
  }
}

void Simulator::Impl::prepare_depression(int64_t t) {
  // post1 of neuron j at step t is post1_table[t − last_post[j]] (the trace is event-driven, as
  // in Brian2): 1 right after a spike, decayed exactly since.
  dep_idx.clear();
  dep_amount.clear();
  size_t keep = 0;
  const auto len = static_cast<int64_t>(post1_table.size());
  const auto nu = static_cast<float>(p.nu_pre);
  for (int j : post_active) {
    const int64_t d = t - last_post[static_cast<size_t>(j)];
    if (d >= len) {
      in_post_active[static_cast<size_t>(j)] = 0;
      continue;
    }
    post_active[keep++] = j;
    dep_idx.push_back(j);
    dep_amount.push_back(nu * post1_table[static_cast<size_t>(d)]);
  }
  post_active.resize(keep);
}

template <bool kLearn>
void Simulator::Impl::integrate_step(std::span<const uint16_t> in, int32_t* counts, Recorder* rec) {
  const int64_t t = step;
  // 1. State update of both layers.
  detail::ExcStep s = es;
  s.v = v.data();
  s.ge = ge.data();
  s.gi = gi.data();
  s.refr = refr.data();
  s.theta = m.theta.data();
  s.spiked = spiked.data();
  s.theta_scale = kLearn ? static_cast<float>(theta_scale_at(t)) : 1.0f;
  const int fired = conductance ? k.exc_step_conductance(s) : k.exc_step_current(s);
  inh_sp.clear();
  update_inh(t);
  // 2. Thresholds.
  exc_sp.clear();
  if (fired > 0) {
    for (int j = 0; j < n; ++j) {
      if (spiked[static_cast<size_t>(j)]) exc_sp.push_back(j);
    }
  }
  // 3. Synapses, pre pathways (Brian2 order −1): input→exc with STDP depression, E→I, I→E.
  // Brian2 on_pre: ge += w; pre = 1; w = clip(w − ν_pre·post1, 0, w_max). Only neurons with
  // post1 > 0 change w (post_active); a clip can matter elsewhere only in rows with an excess.
  if (kLearn && !in.empty()) prepare_depression(t);
  const auto w_max = static_cast<float>(p.w_max);
  row_ptrs.clear();
  for (uint16_t i : in) row_ptrs.push_back(m.weights.data() + static_cast<size_t>(i) * np);
  if (kLearn && dep_idx.size() >= dense_depression) {
    // Many live post traces: ge += row and the depression of the whole row in one pass (the
    // clip of a row with an excess included); the same values as the sparse path below.
    for (size_t q = 0; q < dep_idx.size(); ++q) dep_dense[dep_idx[q]] = dep_amount[q];
    k.add_rows_depress(np, ge.data(), row_ptrs.data(), static_cast<int>(row_ptrs.size()),
                       dep_dense.data(), w_max);
    for (int j : dep_idx) dep_dense[static_cast<size_t>(j)] = 0.0f;
    for (uint16_t i : in) {
      row_excess[i] = 0;
      last_pre[i] = t;
      mark_pre_live(i);
    }
  } else if constexpr (kLearn) {
    k.add_rows(np, ge.data(), row_ptrs.data(), static_cast<int>(row_ptrs.size()));
    for (size_t r = 0; r < in.size(); ++r) {
      const uint16_t i = in[r];
      float* row = row_ptrs[r];
      for (size_t q = 0; q < dep_idx.size(); ++q) {
        float& w = row[dep_idx[q]];
        float x = w - dep_amount[q];
        x = x < 0.0f ? 0.0f : x;
        w = x > w_max ? w_max : x;
      }
      if (row_excess[i]) {
        k.clamp_row(np, row, w_max);
        row_excess[i] = 0;
      }
      last_pre[i] = t;
      mark_pre_live(i);
    }
  } else {
    k.add_rows(np, ge.data(), row_ptrs.data(), static_cast<int>(row_ptrs.size()));
  }
  for (int j : exc_sp) {
    activate_inh(j, t);
    gei[static_cast<size_t>(j)] += static_cast<float>(p.w_exc_inh);
  }
  if (!inh_sp.empty()) {
    const auto count = static_cast<float>(inh_sp.size());
    thread_local std::vector<float> own;
    own.clear();
    for (int j : inh_sp) own.push_back(gi[static_cast<size_t>(j)]);
    k.add_scalar(np, gi.data(), w_ie_signed * count);
    for (size_t q = 0; q < inh_sp.size(); ++q) {
      gi[static_cast<size_t>(inh_sp[q])] = own[q] + w_ie_signed * (count - 1.0f);
    }
  }
  // 4. Post pathway (order +1): potentiation.
  if constexpr (kLearn) {
    for (int j : exc_sp) stdp_post(j, t);
  }
  // 5. Resets.
  for (int j : exc_sp) {
    const auto u = static_cast<size_t>(j);
    v[u] = static_cast<float>(p.exc_v_reset_mv);
    refr[u] = ref_e;
    if constexpr (kLearn) m.theta[u] += static_cast<float>(p.theta_plus_mv) / s.theta_scale;
    if (counts) ++counts[u];
  }
  for (int j : inh_sp) {
    const auto u = static_cast<size_t>(j);
    vi[u] = static_cast<float>(p.inh_v_reset_mv);
    refri[u] = ref_i;
  }
  ++step;
  ++explicit_steps;
  if (rec) {
    if (rec->wants_state()) {
      rec->on_step(make_view(), exc_sp, inh_sp);
    } else {
      rec->on_step(StateView{t, {}, {}, {}, {}, {}, {}}, exc_sp, inh_sp);
    }
  }
}

bool Simulator::Impl::quiet(int64_t t_end) const {
  if (!active.empty()) return false;
  const float scale = static_cast<float>(theta_scale_at(t_end));
  const float v_rest = static_cast<float>(p.exc_v_rest_mv);
  for (int j = 0; j < n; ++j) {
    const auto u = static_cast<size_t>(j);
    if (refr[u] > 0 || !(ge[u] < kQuietConductance) || !(gi[u] < kQuietConductance)) return false;
    const float thr = es.thr_base + m.theta[u] * scale;
    if (!(v[u] < thr) || !(v_rest < thr)) return false;
  }
  return true;
}

void Simulator::Impl::closed_form(int64_t steps_left) {
  const auto d = static_cast<double>(steps_left);
  const float v_rest = static_cast<float>(p.exc_v_rest_mv);
  const float dv = decay(d, p.dt_ms, p.exc_tau_m_ms);
  const float dge = conductance ? decay(d, p.dt_ms, p.exc_tau_ge_ms) : 0.0f;
  const float dgi = conductance ? decay(d, p.dt_ms, p.exc_tau_gi_ms) : 0.0f;
  for (int j = 0; j < np; ++j) {
    const auto u = static_cast<size_t>(j);
    v[u] = v_rest + (v[u] - v_rest) * dv;
    ge[u] *= dge;
    gi[u] *= dgi;
  }
  step += steps_left;
  closed_steps += steps_left;
}

void Simulator::Impl::rest(Recorder* rec) {
  const int64_t end = step + rest_steps;
  while (step < end) {
    if (closed_form_rest && quiet(end - 1)) {
      closed_form(end - step);
      break;
    }
    integrate_step<true>({}, nullptr, rec);
  }
  if (rec) rec->on_rest_end(make_view());
}

template <bool kLearn>
int Simulator::Impl::present(std::span<const uint8_t> image, int attempt, RngStream& rng,
                             int32_t* counts, int64_t sample, Recorder* rec) {
  HARDY_CHECK(static_cast<int>(image.size()) == inputs);
  int64_t pixel_sum = 0;
  for (uint8_t x : image) pixel_sum += x;
  const double rate = p.full_pixel_rate_hz(attempt, pixel_sum);
  draw_input_spikes(image, rate, p.dt_ms, present_steps, rng, spikes);
  if (rec) rec->on_presentation(sample, attempt, step, rate, spikes);
  std::fill(counts, counts + n, 0);
  for (int s = 0; s < present_steps; ++s) integrate_step<kLearn>(spikes.at(s), counts, rec);
  int total = 0;
  for (int j = 0; j < n; ++j) total += counts[j];
  return total;
}

StateView Simulator::Impl::make_view() {
  view_vi.resize(static_cast<size_t>(n));
  view_gei.resize(static_cast<size_t>(n));
  view_theta.resize(static_cast<size_t>(n));
  const int64_t t = step - 1;
  const float rest = static_cast<float>(p.inh_v_rest_mv);
  const auto scale = static_cast<float>(theta_scale_at(step - 1));
  for (int j = 0; j < n; ++j) {
    const auto u = static_cast<size_t>(j);
    float vv = vi[u], g = gei[u];
    const double d = static_cast<double>(t - inh_last[u]);
    if (!inh_active[u] && d > 0) {
      vv = rest + (vv - rest) * decay(d, p.dt_ms, p.inh_tau_m_ms);
      g = conductance ? g * decay(d, p.dt_ms, p.inh_tau_ge_ms) : 0.0f;
    }
    view_vi[u] = vv;
    view_gei[u] = g;
    view_theta[u] = m.theta[u] * scale;
  }
  const auto un = static_cast<size_t>(n);
  return StateView{t,          {v.data(), un}, {ge.data(), un}, {gi.data(), un},
                   view_theta, view_vi,        view_gei};
}

Simulator::Simulator(const SnnParams& params, ModelState& model, std::optional<Isa> isa)
    : impl_(std::make_unique<Impl>(params, model, choose_kernels(isa))) {}

Simulator::~Simulator() = default;

Isa Simulator::isa() const { return impl_->isa; }

void Simulator::reset_state() { impl_->reset(); }

int64_t Simulator::step() const { return impl_->step; }
int64_t Simulator::explicit_steps() const { return impl_->explicit_steps; }
int64_t Simulator::closed_form_steps() const { return impl_->closed_steps; }

StateView Simulator::view() { return impl_->make_view(); }

void Simulator::step(std::span<const uint16_t> input_spikes, bool learn) {
  for (size_t r = 0; r < input_spikes.size(); ++r) {
    HARDY_CHECK(input_spikes[r] < impl_->inputs);
    HARDY_CHECK(r == 0 || input_spikes[r - 1] < input_spikes[r]);  // strictly increasing
  }
  if (learn) {
    impl_->integrate_step<true>(input_spikes, nullptr, recorder_);
  } else {
    impl_->integrate_step<false>(input_spikes, nullptr, recorder_);
  }
}

std::span<float> Simulator::exc_v() { return {impl_->v.data(), static_cast<size_t>(impl_->n)}; }
std::span<float> Simulator::exc_ge() { return {impl_->ge.data(), static_cast<size_t>(impl_->n)}; }
std::span<float> Simulator::exc_gi() { return {impl_->gi.data(), static_cast<size_t>(impl_->n)}; }
void Simulator::set_closed_form_rest(bool on) { impl_->closed_form_rest = on; }
void Simulator::set_dense_depression_from(size_t live_traces) {
  impl_->dense_depression = live_traces;
}

namespace {

template <class T, class A>
void put_array(std::vector<uint8_t>& out, const std::vector<T, A>& v) {
  binio::put<uint64_t>(out, v.size());
  if (v.empty()) return;  // (an empty vector's data() may be null)
  const auto* p = reinterpret_cast<const uint8_t*>(v.data());
  out.insert(out.end(), p, p + v.size() * sizeof(T));
}

// Reads an array written by put_array into v, which must already have the expected size (fixed
// arrays), or, when `max_size` ≥ 0, any size up to it (lists).
template <class T, class A>
void get_array(binio::Reader& r, std::vector<T, A>& v, const char* what, int64_t max_size = -1) {
  const auto n = r.get<uint64_t>(std::string(what) + " size");
  const bool fits = max_size < 0 ? n == v.size() : n <= static_cast<uint64_t>(max_size);
  if (!fits) {
    throw FormatError(r.source(), what,
                      max_size < 0 ? std::to_string(v.size()) + " values"
                                   : "at most " + std::to_string(max_size) + " values",
                      std::to_string(n));
  }
  auto bytes = r.take(n * sizeof(T), what);
  v.resize(static_cast<size_t>(n));
  // memcpy's pointers must not be null even for 0 bytes, and an empty vector's data() may be.
  if (!bytes.empty()) std::memcpy(v.data(), bytes.data(), bytes.size());
}

// A list of indices must hold exactly the flagged indices, each once, all below `limit`.
void check_list(const std::vector<int>& list, const std::vector<uint8_t>& flags, int limit,
                const char* what, const std::string& source) {
  std::vector<uint8_t> seen(flags.size(), 0);
  for (int j : list) {
    if (j < 0 || j >= limit || !flags[static_cast<size_t>(j)] || seen[static_cast<size_t>(j)]) {
      throw FormatError(source, what, "distinct flagged indices below " + std::to_string(limit),
                        std::to_string(j));
    }
    seen[static_cast<size_t>(j)] = 1;
  }
  if (seen != flags) {
    throw FormatError(source, what, "every flagged index", "some missing");
  }
}

// Event times must not lie in the future of `step` (kNever marks "never").
void check_times(const std::vector<int64_t>& times, int64_t step, const char* what,
                 const std::string& source) {
  for (int64_t t : times) {
    if (t > step || (t < 0 && t != kNever)) {
      throw FormatError(source, what, "steps in [0, " + std::to_string(step) + "] or never",
                        std::to_string(t));
    }
  }
}

}  // namespace

std::vector<uint8_t> Simulator::save_state() const {
  const Impl& s = *impl_;
  std::vector<uint8_t> out;
  for (int64_t v : {int64_t{s.n}, int64_t{s.np}, int64_t{s.inputs}, s.step, s.theta_fold_step,
                    s.explicit_steps, s.closed_steps}) {
    binio::put<int64_t>(out, v);
  }
  Impl::visit_state_arrays(s, [&](const auto& a, const char*, int64_t) { put_array(out, a); });
  return out;
}

void Simulator::restore_state(std::span<const uint8_t> bytes, const std::string& source) {
  Impl& s = *impl_;
  binio::Reader r(bytes, source);
  const auto sizes =
      std::array{r.get<int64_t>("neurons"), r.get<int64_t>("stride"), r.get<int64_t>("inputs")};
  if (sizes != std::array<int64_t, 3>{s.n, s.np, s.inputs}) {
    throw FormatError(
        source, "simulator sizes",
        std::to_string(s.n) + " neurons, " + std::to_string(s.inputs) + " inputs",
        std::to_string(sizes[0]) + " neurons, " + std::to_string(sizes[2]) + " inputs");
  }
  s.step = r.get<int64_t>("step");
  s.theta_fold_step = r.get<int64_t>("theta fold step");
  s.explicit_steps = r.get<int64_t>("explicit steps");
  s.closed_steps = r.get<int64_t>("closed-form steps");
  Impl::visit_state_arrays(
      s, [&](auto& a, const char* what, int64_t max_size) { get_array(r, a, what, max_size); });
  if (r.remaining() != 0) {
    throw FormatError(source, "simulator state", "no bytes after it",
                      std::to_string(r.remaining()) + " more");
  }
  if (s.step < 0 || s.theta_fold_step < 0 || s.theta_fold_step > s.step) {
    throw FormatError(source, "step counters", "0 ≤ θ fold step ≤ step",
                      std::to_string(s.theta_fold_step) + ", " + std::to_string(s.step));
  }
  check_list(s.post_active, s.in_post_active, s.n, "post trace list", source);
  check_list(s.active, s.inh_active, s.n, "inhibitory active list", source);
  check_list(s.pre_live, s.in_pre_live, s.inputs, "pre trace list", source);
  check_times(s.last_post, s.step, "last post spikes", source);
  check_times(s.last_pre, s.step, "last pre spikes", source);
  check_times(s.inh_last, s.step, "inhibitory last update", source);
  // pre_live must hold every input a post spike could change (see stdp_post).
  const auto pre_n = static_cast<int64_t>(s.pre_table.size());
  for (size_t i = 0; i < s.last_pre.size(); ++i) {
    const bool live = s.last_pre[i] != kNever && s.step - s.last_pre[i] < pre_n;
    if ((live || s.row_excess[i]) && !s.in_pre_live[i]) {
      throw FormatError(source, "pre trace list", "every live or over-w_max input",
                        "input " + std::to_string(i) + " missing");
    }
  }
}

SampleOutcome Simulator::train_sample(std::span<const uint8_t> image, RngStream& rng,
                                      std::span<int32_t> counts, int64_t sample_index) {
  Impl& s = *impl_;
  HARDY_CHECK(static_cast<int>(counts.size()) == s.n);
  SampleOutcome out;
  for (int a = 0; a < s.p.max_presentations; ++a) {
    if (s.p.reset_state) {
      const int64_t keep = s.step;
      s.fold_theta();
      s.reset();
      s.step = keep;
      s.theta_fold_step = keep;
    }
    if (s.p.norm_sum > 0) s.normalise();
    s.fold_theta();
    out.spikes = s.present<true>(image, a, rng, counts.data(), sample_index, recorder_);
    out.input_spikes += s.spikes.count();
    out.presentations = a + 1;
    if (!s.p.reset_state && s.rest_steps > 0) s.rest(recorder_);
    if (out.spikes >= s.p.min_spikes) break;
  }
  s.fold_theta();
  return out;
}

SampleOutcome Simulator::infer_sample(std::span<const uint8_t> image, RngStream& rng,
                                      std::span<int32_t> counts, int64_t sample_index) {
  Impl& s = *impl_;
  HARDY_CHECK(static_cast<int>(counts.size()) == s.n);
  SampleOutcome out;
  for (int a = 0; a < s.p.max_presentations; ++a) {
    s.reset();
    out.spikes = s.present<false>(image, a, rng, counts.data(), sample_index, recorder_);
    out.input_spikes += s.spikes.count();
    out.presentations = a + 1;
    if (out.spikes >= s.p.min_spikes) break;
  }
  return out;
}

}  // namespace hardy::snn
