// Parameters: defaults are the original's, YAML loading rejects unknown keys and bad values with
// the file, key and line named, overrides validate on a copy.
#include "hardy/snn/params.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "../test_temp_dir.h"
#include "hardy/core/error.h"
#include "hardy/core/rng.h"

namespace hardy::snn {
namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = testing::test_temp_path(name);
  std::ofstream(path) << text;
  return path;
}

template <class E>
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

TEST(SnnParams, DefaultsAreTheOriginalAndValid) {
  const SnnParams p;
  EXPECT_NO_THROW(p.validate());
  EXPECT_EQ(p.presentation_steps(), 700);
  EXPECT_EQ(p.rest_steps(), 300);
  EXPECT_EQ(p.exc_refractory_steps(), 10);
  EXPECT_EQ(p.inh_refractory_steps(), 4);
  EXPECT_DOUBLE_EQ(p.w_exc_inh, 10.4);
  EXPECT_DOUBLE_EQ(p.w_inh_exc, 17.0);
  EXPECT_DOUBLE_EQ(p.norm_sum, 78.0);
  EXPECT_DOUBLE_EQ(p.max_rate_hz, 63.75);
}

TEST(SnnParams, PerImageNormalisationScalesRatesToTheTotal) {
  SnnParams p;
  EXPECT_DOUBLE_EQ(p.full_pixel_rate_hz(0, 1000), 63.75);  // off: the original rule
  EXPECT_DOUBLE_EQ(p.full_pixel_rate_hz(2, 1000), 63.75 + 2 * 31.875);
  p.total_rate_hz = 2000.0;
  // 300 pixels of 255: first-presentation rates sum to 300 · r = 2000 Hz.
  const int64_t sum = 300 * 255;
  EXPECT_NEAR(300 * p.full_pixel_rate_hz(0, sum), 2000.0, 1e-9);
  // Retries keep the image's factor: rate ∝ (max + a · increment).
  EXPECT_NEAR(p.full_pixel_rate_hz(1, sum) / p.full_pixel_rate_hz(0, sum), (63.75 + 31.875) / 63.75,
              1e-12);
  EXPECT_DOUBLE_EQ(p.full_pixel_rate_hz(0, 0), 63.75);  // a black image stays silent anyway
  p.total_rate_hz = -1.0;
  EXPECT_THROW(p.validate(), ConfigError);
}

TEST(SnnParams, TableAndMapAgreeAndKeysAreUnique) {
  const auto table = parameter_table();
  const auto map = params_to_map(SnnParams{});
  std::set<std::string> keys;
  for (const auto& row : table) {
    EXPECT_TRUE(keys.insert(row.key).second) << row.key;
    ASSERT_TRUE(map.count(row.key)) << row.key;
    EXPECT_EQ(map.at(row.key), row.default_value);
  }
  EXPECT_EQ(keys.size(), map.size());
}

TEST(SnnParams, MapRoundTripIsExact) {
  SnnParams p;
  p.exc_tau_m_ms = 0.1 + 0.2;  // not a short decimal
  p.model = ModelKind::kCurrent;
  p.stdp_rule = StdpRule::kPostPre;
  p.reset_state = true;
  const auto m = params_to_map(p);
  const SnnParams q = params_from_map(m, "test");
  EXPECT_EQ(params_to_map(q), m);
  EXPECT_EQ(q.exc_tau_m_ms, p.exc_tau_m_ms);
}

TEST(SnnParams, YamlNestedAndDottedKeys) {
  const auto path = write_temp("ok.yaml",
                               "model: current\n"
                               "exc:\n  tau_m_ms: 50\n  v_thresh_mv: -50\n"
                               "stdp.norm_sum: 78.4\n"
                               "time: {reset_state: true}\n");
  const SnnParams p = load_params(path);
  EXPECT_EQ(p.model, ModelKind::kCurrent);
  EXPECT_DOUBLE_EQ(p.exc_tau_m_ms, 50);
  EXPECT_DOUBLE_EQ(p.exc_v_thresh_mv, -50);
  EXPECT_DOUBLE_EQ(p.norm_sum, 78.4);
  EXPECT_TRUE(p.reset_state);
}

TEST(SnnParams, UnknownKeyNamesFileKeyAndLine) {
  const auto path = write_temp("unknown.yaml", "exc:\n  tau_m_ms: 50\n  tau_mm_ms: 3\n");
  const std::string msg = error_of<ConfigError>([&] { load_params(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("exc.tau_mm_ms"), std::string::npos) << msg;
  EXPECT_NE(msg.find(":3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown key"), std::string::npos) << msg;
}

TEST(SnnParams, OutOfRangeAndMalformedValues) {
  const auto neg = write_temp("neg.yaml", "inh:\n  tau_m_ms: -1\n");
  std::string msg = error_of<ConfigError>([&] { load_params(neg); });
  EXPECT_NE(msg.find("inh.tau_m_ms"), std::string::npos) << msg;
  EXPECT_NE(msg.find(neg), std::string::npos) << msg;

  const auto text = write_temp("text.yaml", "stdp:\n  nu_pre: fast\n");
  msg = error_of<ConfigError>([&] { load_params(text); });
  EXPECT_NE(msg.find("stdp.nu_pre"), std::string::npos) << msg;
  EXPECT_NE(msg.find("fast"), std::string::npos) << msg;

  const auto not_multiple = write_temp("dt.yaml", "time:\n  presentation_ms: 350.25\n");
  msg = error_of<ConfigError>([&] { load_params(not_multiple); });
  EXPECT_NE(msg.find("time.presentation_ms"), std::string::npos) << msg;

  const auto reset = write_temp("reset.yaml", "exc:\n  v_reset_mv: -40\n");
  msg = error_of<ConfigError>([&] { load_params(reset); });
  EXPECT_NE(msg.find("exc.v_reset_mv"), std::string::npos) << msg;

  const auto list = write_temp("list.yaml", "exc:\n  tau_m_ms: [1, 2]\n");
  msg = error_of<ConfigError>([&] { load_params(list); });
  EXPECT_NE(msg.find("exc.tau_m_ms"), std::string::npos) << msg;

  const auto bad_yaml = write_temp("bad.yaml", "exc: {tau_m_ms: 3\n");
  msg = error_of<ConfigError>([&] { load_params(bad_yaml); });
  EXPECT_NE(msg.find(bad_yaml), std::string::npos) << msg;

  const auto choice = write_temp("choice.yaml", "model: quantum\n");
  msg = error_of<ConfigError>([&] { load_params(choice); });
  EXPECT_NE(msg.find("conductance or current"), std::string::npos) << msg;
}

TEST(SnnParams, MutatedConfigsFailCleanly) {
  const std::string text =
      "model: conductance\nexc:\n  tau_m_ms: 100\n  v_thresh_mv: -52\n"
      "stdp: {nu_pre: 0.0001, norm_sum: 78}\n";
  RngStream r(2, stream_tag("snn_yaml_mutation"), 0);
  const char alphabet[] = "abz019.:-{}[], \n\t#'\"&*!|>";
  for (int trial = 0; trial < 400; ++trial) {
    std::string t = text;
    for (int e = 0; e < 3; ++e) {
      t[static_cast<size_t>(r.uniform_below(t.size()))] =
          alphabet[r.uniform_below(sizeof alphabet - 1)];
    }
    const auto path = write_temp("mut.yaml", t);
    try {
      load_params(path);
    } catch (const Error&) {
    }
  }
}

TEST(SnnParams, MissingFileIsAFileError) {
  EXPECT_THROW(load_params("/nonexistent/hardy.yaml"), FileError);
}

TEST(SnnParams, OverridesValidateOnACopy) {
  const SnnParams p;
  const SnnParams q = apply_override(p, "exc.tau_m_ms=50");
  EXPECT_DOUBLE_EQ(q.exc_tau_m_ms, 50);
  EXPECT_DOUBLE_EQ(p.exc_tau_m_ms, 100);
  EXPECT_THROW(apply_override(p, "exc.tau_m_ms"), ConfigError);
  EXPECT_THROW(apply_override(p, "nope=1"), ConfigError);
  EXPECT_THROW(apply_override(p, "time.dt_ms=0"), ConfigError);
  EXPECT_THROW(apply_override(p, "input.min_spikes=1.5"), ConfigError);
  EXPECT_THROW(apply_override(p, "stdp.w_max=nan"), ConfigError);
}

// Library errors name the assignment and its meaning, never a command-line flag.
TEST(SnnParams, OverrideErrorsNameTheAssignmentNotAFlag) {
  const SnnParams p;
  std::string msg = error_of<ConfigError>([&] { apply_override(p, "exc.tau_m_ms"); });
  EXPECT_EQ(msg, "parameter override 'exc.tau_m_ms': expected key=value");
  msg = error_of<ConfigError>([&] { apply_override(p, "nope=1"); });
  EXPECT_EQ(msg.rfind("parameter override 'nope=1': unknown key 'nope'", 0), 0u) << msg;
  msg = error_of<ConfigError>([&] { apply_override(p, "time.dt_ms=0"); });
  EXPECT_EQ(msg.rfind("parameter override 'time.dt_ms=0'", 0), 0u) << msg;
  EXPECT_NE(msg.find("time.dt_ms"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("--"), std::string::npos) << msg;
}

TEST(SnnParams, ShippedConfigsLoad) {
  for (const char* name :
       {"diehl_cook_2015.yaml", "bindsnet_current.yaml", "fashion_mnist_tuned.yaml"}) {
    const std::string path = std::string(HARDY_SOURCE_DIR) + "/configs/snn/" + name;
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path;
    EXPECT_NO_THROW(load_params(path)) << path;
  }
  const SnnParams original =
      load_params(std::string(HARDY_SOURCE_DIR) + "/configs/snn/diehl_cook_2015.yaml");
  EXPECT_EQ(params_to_map(original), params_to_map(SnnParams{}));
}

}  // namespace
}  // namespace hardy::snn
