// Kernel variants: every instruction-set build gives bit-identical results to the reference
// build; the vectorizable exp is within 2 ulp of libm.
#include "kernels.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>

#include "hardy/core/rng.h"
#include "hardy/snn/simulator.h"

namespace hardy::snn::detail {
namespace {

int ulp_distance(float a, float b) {
  return std::abs(std::bit_cast<int32_t>(a) - std::bit_cast<int32_t>(b));
}

TEST(SnnKernels, ExpNegIsWithinTwoUlp) {
  int worst = 0;
  for (float x = -87.0f; x <= 0.0f; x += 0.0013f) {
    const auto ref = static_cast<float>(std::exp(static_cast<double>(x)));
    worst = std::max(worst, ulp_distance(exp_neg(x), ref));
  }
  EXPECT_LE(worst, 2);
  EXPECT_EQ(exp_neg(0.0f), 1.0f);
}

std::vector<Isa> available() {
  std::vector<Isa> v;
  for (Isa i : kAllIsas) {
    if (isa_available(i)) v.push_back(i);
  }
  return v;
}

TEST(SnnKernels, VariantIsTheBestBuiltNotAboveTheRequest) {
  EXPECT_EQ(kernel_isa(Isa::kGeneric), Isa::kGeneric);
  for (Isa isa : kAllIsas) {
    EXPECT_LE(kernel_isa(isa), isa) << isa_name(isa);
    for (Isa lower : kAllIsas) {
      if (lower <= isa) {
        EXPECT_LE(kernel_isa(lower), kernel_isa(isa));
      }
    }
  }
  // No VNNI variant: the AVX-512 one serves it.
  EXPECT_EQ(kernel_isa(Isa::kAvx512Vnni), kernel_isa(Isa::kAvx512));
  EXPECT_FALSE(isa_available(Isa::kAvx512Vnni));
}

TEST(SnnKernels, PhiPolynomialsAreWithinTwoUlpOnTheirRanges) {
  // φ(x) = (1 − e^(−x))/x = −expm1(−x)/x, in double as the reference.
  auto worst_ulp = [](float (*f)(float), double hi) {
    int worst = 0;
    for (int i = 0; i <= 20000; ++i) {
      const auto x = static_cast<float>(hi * i / 20000.0 * 0.99999);
      const double xd = x;
      const auto ref = static_cast<float>(xd == 0.0 ? 1.0 : -std::expm1(-xd) / xd);
      worst = std::max(worst, ulp_distance(f(x), ref));
    }
    return worst;
  };
  EXPECT_LE(worst_ulp(phi_deg4, kPhiBoundLow), 2);
  EXPECT_LE(worst_ulp(phi_deg7, kPhiBound), 2);
  // And the degree-4 form is not good enough beyond its bound (so the bound is doing work).
  EXPECT_GT(worst_ulp(phi_deg4, kPhiBound), 2);
}

ExcStep conductance_step(float* v, float* ge, float* gi, int32_t* refr, const float* theta,
                         int32_t* spiked, int n) {
  ExcStep s;
  s.n = n;
  s.v = v;
  s.ge = ge;
  s.gi = gi;
  s.refr = refr;
  s.theta = theta;
  s.spiked = spiked;
  s.thr_base = -72.0f;
  s.v_rest = -65.0f;
  s.e_exc = 0.0f;
  s.e_inh = -100.0f;
  s.neg_dt_over_tau = -0.005f;
  s.decay_ge = 0.6065f;
  s.decay_gi = 0.7788f;
  return s;
}

TEST(SnnKernels, ExponentialEulerMatchesTheExactSolutionForEveryForm) {
  // One step from random states whose x = g·dt/τ spans all three forms; the exact solution for
  // constant conductances is v∞ + (v − v∞)·e^(−x), evaluated in double.
  const int n = 64 * 16;
  RngStream r(7, 7, 7);
  AlignedVector<float> v0(n), ge0(n), gi0(n), theta(n, 1e9f);
  AlignedVector<int32_t> refr(n, 0), sp(n);
  for (int j = 0; j < n; ++j) {
    const auto u = static_cast<size_t>(j);
    v0[u] = static_cast<float>(-110 + 80 * r.uniform());
    ge0[u] = static_cast<float>(5 * r.uniform());
    gi0[u] = static_cast<float>(std::exp(8 * r.uniform()) - 1.0);  // 0 … 3,000: x up to 15
  }
  for (Isa isa : available()) {
    AlignedVector<float> v(v0.begin(), v0.end()), ge(ge0.begin(), ge0.end()),
        gi(gi0.begin(), gi0.end());
    kernels(isa).exc_step_conductance(
        conductance_step(v.data(), ge.data(), gi.data(), refr.data(), theta.data(), sp.data(), n));
    double worst = 0;
    for (size_t u = 0; u < static_cast<size_t>(n); ++u) {
      const double g = 1.0 + ge0[u] + gi0[u];
      const double vinf = (-65.0 + gi0[u] * -100.0) / g;
      const double exact = vinf + (v0[u] - vinf) * std::exp(-g * 0.005);
      worst = std::max(worst, std::abs(v[u] - exact));
    }
    EXPECT_LT(worst, 5e-5) << isa_name(isa);  // mV; a float ulp at 100 mV is 7.6e-6
  }
}

TEST(SnnKernels, ANeuronsStepDoesNotDependOnTheOtherNeurons) {
  // Neurons 0…n−2 are the same in three layers; neuron n−1 alone decides which loop runs
  // (every x < 0.1, some x in [0.1, 0.5), some x ≥ 0.5). The others must come out identical.
  const int n = 4096;
  RngStream r(8, 8, 8);
  AlignedVector<float> v(n), ge(n), gi(n), theta(n, 20.0f);
  for (int j = 0; j < n; ++j) {
    const auto u = static_cast<size_t>(j);
    v[u] = static_cast<float>(-80 + 30 * r.uniform());
    ge[u] = static_cast<float>(2 * r.uniform());
    gi[u] = static_cast<float>(16.5 * r.uniform());  // x < 0.0975
  }
  // One step of the layer with gi = `gis` except gi[n−1] = last_gi; v of neurons 0…n−2 after it.
  auto shared_after_step = [&](Isa isa, const AlignedVector<float>& gis, float last_gi) {
    auto vv = v, gg = ge, hh = gis;
    hh[n - 1] = last_gi;
    AlignedVector<int32_t> refr(n, 0), sp(n);
    kernels(isa).exc_step_conductance(
        conductance_step(vv.data(), gg.data(), hh.data(), refr.data(), theta.data(), sp.data(), n));
    vv.pop_back();
    return vv;
  };
  // Then with neurons 0…n−2 at x in [0.1, 0.5) (the degree-7 form): the loops with only that
  // form and with every form must agree on them too.
  AlignedVector<float> gi_mid(n);
  for (int j = 0; j < n; ++j)
    gi_mid[static_cast<size_t>(j)] = static_cast<float>(20 + 60 * r.uniform());
  for (Isa isa : available()) {
    const auto low = shared_after_step(isa, gi, 0.0f);
    EXPECT_EQ(low, shared_after_step(isa, gi, 40.0f)) << isa_name(isa);
    EXPECT_EQ(low, shared_after_step(isa, gi, 500.0f)) << isa_name(isa);
    EXPECT_EQ(shared_after_step(isa, gi_mid, 30.0f), shared_after_step(isa, gi_mid, 500.0f))
        << isa_name(isa);
  }
}

TEST(SnnKernels, LogOfUniformsIsWithinTwoUlpOnEveryVariant) {
  std::vector<uint64_t> bits;
  RngStream r(11, 11, 11);
  for (int q = 0; q < 20000; ++q) bits.push_back(r.next_u64());
  // Edges: u = 1 (k = 0), u = 2^-53 (largest k), u just below and above √½ and ½.
  for (uint64_t k : {uint64_t{0}, (uint64_t{1} << 53) - 1, uint64_t{1}, uint64_t{1} << 52,
                     (uint64_t{1} << 52) + 1, (uint64_t{1} << 52) - 1, uint64_t{2638219313819358},
                     uint64_t{2638219313819359}}) {
    bits.push_back(k << 11);
  }
  std::vector<double> ref_out(bits.size());
  for (Isa isa : available()) {
    std::vector<double> out(bits.size());
    kernels(isa).log_uniforms(bits.data(), out.data(), static_cast<int>(bits.size()));
    if (isa == Isa::kGeneric) ref_out = out;
    EXPECT_EQ(out, ref_out) << isa_name(isa);
    int64_t worst = 0;
    for (size_t q = 0; q < bits.size(); ++q) {
      const double u = 1.0 - static_cast<double>(bits[q] >> 11) * 0x1.0p-53;
      const double exact = std::log(u);
      worst = std::max<int64_t>(
          worst, std::abs(std::bit_cast<int64_t>(out[q]) - std::bit_cast<int64_t>(exact)));
    }
    EXPECT_LE(worst, 2) << isa_name(isa);
  }
}

template <class T>
AlignedVector<T> random_vector(int n, RngStream& r, double lo, double hi) {
  AlignedVector<T> v(static_cast<size_t>(n));
  for (auto& x : v) x = static_cast<T>(lo + (hi - lo) * r.uniform());
  return v;
}

TEST(SnnKernels, EveryVariantMatchesTheReferenceBitForBit) {
  const int n = 48;
  for (Isa isa : available()) {
    for (int model = 0; model < 2; ++model) {
      RngStream r(1, 2, static_cast<uint64_t>(model));
      auto v = random_vector<float>(n, r, -110, -30), ge = random_vector<float>(n, r, 0, 5),
           gi = random_vector<float>(n, r, 0, 400), theta = random_vector<float>(n, r, 0, 40);
      AlignedVector<int32_t> refr(static_cast<size_t>(n));
      for (int j = 0; j < n; ++j) refr[static_cast<size_t>(j)] = j % 4;
      auto v2 = v, ge2 = ge, gi2 = gi;
      auto refr2 = refr;
      AlignedVector<int32_t> sp(static_cast<size_t>(n)), sp2(static_cast<size_t>(n));
      ExcStep s;
      s.n = n;
      s.theta_scale = 0.999f;
      s.thr_base = -72.0f;
      s.v_rest = -65.0f;
      s.e_exc = 0.0f;
      s.e_inh = -100.0f;
      s.neg_dt_over_tau = -0.005f;
      s.decay_v = 0.995f;
      s.decay_ge = 0.6065f;
      s.decay_gi = 0.7788f;
      ExcStep a = s, b = s;
      a.v = v.data();
      a.ge = ge.data();
      a.gi = gi.data();
      a.refr = refr.data();
      a.theta = theta.data();
      a.spiked = sp.data();
      b.v = v2.data();
      b.ge = ge2.data();
      b.gi = gi2.data();
      b.refr = refr2.data();
      b.theta = theta.data();
      b.spiked = sp2.data();
      const Kernels& ref = kernels_generic();
      const Kernels& k = kernels(isa);
      for (int step = 0; step < 20; ++step) {
        const int ca = model ? ref.exc_step_current(a) : ref.exc_step_conductance(a);
        const int cb = model ? k.exc_step_current(b) : k.exc_step_conductance(b);
        ASSERT_EQ(ca, cb) << isa_name(isa);
        for (int j = 0; j < n; ++j) {
          const auto u = static_cast<size_t>(j);
          ASSERT_EQ(std::bit_cast<uint32_t>(v[u]), std::bit_cast<uint32_t>(v2[u])) << isa_name(isa);
          ASSERT_EQ(std::bit_cast<uint32_t>(ge[u]), std::bit_cast<uint32_t>(ge2[u]));
          ASSERT_EQ(std::bit_cast<uint32_t>(gi[u]), std::bit_cast<uint32_t>(gi2[u]));
          ASSERT_EQ(refr[u], refr2[u]);
          ASSERT_EQ(sp[u], sp2[u]);
        }
      }
    }
    // Fused add + dense depression == add_rows, then the sparse depression of the columns with
    // an amount and the clip of the rest (a row above w_max gets clipped, others unchanged).
    for (int count : {1, 2, 3, 5}) {
      RngStream rr(5, 5, static_cast<uint64_t>(count));
      auto wa = random_vector<float>(count * n, rr, 0, 1.0), wb = wa;
      wa[3] = wb[3] = 1.2f;  // an excess in row 0
      auto dep = random_vector<float>(n, rr, 0, 2e-4);
      for (int j = 0; j < n; j += 3) dep[static_cast<size_t>(j)] = 0.0f;
      auto ga = random_vector<float>(n, rr, 0, 3), gb = ga;
      std::vector<float*> ra, rb;
      for (int q = 0; q < count; ++q) {
        ra.push_back(wa.data() + q * n);
        rb.push_back(wb.data() + q * n);
      }
      kernels(isa).add_rows_depress(n, ga.data(), ra.data(), count, dep.data(), 1.0f);
      kernels_generic().add_rows(n, gb.data(), rb.data(), count);
      for (float* row : rb) {
        for (int j = 0; j < n; ++j) {
          float x = row[j] - dep[static_cast<size_t>(j)];
          x = x < 0.0f ? 0.0f : x;
          row[j] = x > 1.0f ? 1.0f : x;
        }
      }
      EXPECT_EQ(ga, gb) << isa_name(isa) << " " << count;
      EXPECT_EQ(wa, wb) << isa_name(isa) << " " << count;
    }
    // Dense row helpers.
    RngStream r(3, 3, 3);
    const int rows = 5;
    auto w = random_vector<float>(rows * n, r, 0, 1.3), w2 = w;
    auto f = random_vector<float>(n, r, 0.5, 2);
    AlignedVector<float> s1(static_cast<size_t>(n)), s2(static_cast<size_t>(n));
    kernels_generic().column_sums(rows, n, n, w.data(), s1.data());
    kernels(isa).column_sums(rows, n, n, w2.data(), s2.data());
    for (int j = 0; j < n; ++j) ASSERT_EQ(s1[static_cast<size_t>(j)], s2[static_cast<size_t>(j)]);
    std::vector<uint8_t> e1(rows), e2(rows);
    kernels_generic().scale_columns(rows, n, n, w.data(), f.data(), 1.0f, e1.data());
    kernels(isa).scale_columns(rows, n, n, w2.data(), f.data(), 1.0f, e2.data());
    EXPECT_EQ(w, w2);
    EXPECT_EQ(e1, e2);
  }
}

TEST(SnnKernels, TrainingIsBitIdenticalAcrossVariants) {
  std::vector<uint8_t> image(784);
  RngStream pix(4, 4, 4);
  for (auto& p : image) p = static_cast<uint8_t>(pix.uniform_below(256));
  std::vector<std::vector<float>> weights;
  for (Isa isa : available()) {
    Network net = Network::fresh(SnnParams{}, 784, 24, 3);
    ModelState m = ModelState::from(net);
    Simulator sim(net.params, m, isa);
    std::vector<int32_t> counts(24);
    for (int s = 0; s < 3; ++s) {
      RngStream rng(1, 1, static_cast<uint64_t>(s));
      sim.train_sample(image, rng, counts, s);
    }
    weights.emplace_back(m.weights.begin(), m.weights.end());
    weights.back().insert(weights.back().end(), m.theta.begin(), m.theta.end());
  }
  for (size_t q = 1; q < weights.size(); ++q) EXPECT_EQ(weights[q], weights[0]);
}

}  // namespace
}  // namespace hardy::snn::detail
