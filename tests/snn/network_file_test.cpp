// .snn files: round trip, and every kind of damage (magic, version, truncation at any length,
// flipped bytes, unknown or out-of-range parameters, bad values) is a clear error naming the file.
#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <span>

#include "../test_temp_dir.h"
#include "hardy/core/error.h"
#include "hardy/core/hash.h"
#include "hardy/core/rng.h"
#include "hardy/snn/network.h"

namespace hardy::snn {
namespace {

std::string temp_path(const std::string& name) { return testing::test_temp_path(name); }

Network small_network() {
  Network n = Network::fresh(SnnParams{}, 784, 3, 7);
  n.theta_mv = {20.0f, 21.5f, 19.25f};
  n.labels = {3, kUnassigned, 9};
  n.class_responses.assign(30, 0.0f);
  n.class_responses[3 * 3 + 0] = 4.5f;  // neuron 0 answers class 3
  n.class_responses[1 * 3 + 0] = 1.25f;
  n.class_responses[9 * 3 + 2] = 2.0f;  // neuron 2 answers class 9
  n.dataset = "mnist";
  n.trained_samples = 1234;
  return n;
}

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Rebuilds a file with a modified JSON header (and a correct checksum), as a hostile or buggy
// writer could.
std::vector<uint8_t> with_header(const std::vector<uint8_t>& file,
                                 const std::function<void(nlohmann::json&)>& edit) {
  uint64_t h = 0;
  std::memcpy(&h, file.data() + 16, 8);
  nlohmann::json j =
      nlohmann::json::parse(file.begin() + 24, file.begin() + 24 + static_cast<ptrdiff_t>(h));
  edit(j);
  const std::string text = j.dump();
  std::vector<uint8_t> out(file.begin(), file.begin() + 16);
  const uint64_t len = text.size();
  out.insert(out.end(), reinterpret_cast<const uint8_t*>(&len),
             reinterpret_cast<const uint8_t*>(&len) + 8);
  out.insert(out.end(), text.begin(), text.end());
  // Sections up to END!, then a fresh END!.
  out.insert(out.end(), file.begin() + 24 + static_cast<ptrdiff_t>(h), file.end() - 20);
  const uint64_t sum = fnv1a64(out);
  const char tag[4] = {'E', 'N', 'D', '!'};
  out.insert(out.end(), tag, tag + 4);
  const uint64_t eight = 8;
  out.insert(out.end(), reinterpret_cast<const uint8_t*>(&eight),
             reinterpret_cast<const uint8_t*>(&eight) + 8);
  out.insert(out.end(), reinterpret_cast<const uint8_t*>(&sum),
             reinterpret_cast<const uint8_t*>(&sum) + 8);
  return out;
}

std::string parse_error(const std::vector<uint8_t>& bytes) {
  try {
    parse_network(bytes, "net.snn");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(NetworkFile, RoundTrip) {
  const Network n = small_network();
  const std::string path = temp_path("rt.snn");
  save_network(n, path);
  const Network m = load_network(path);
  EXPECT_EQ(m.neurons, 3);
  EXPECT_EQ(m.inputs, 784);
  EXPECT_EQ(m.weights, n.weights);
  EXPECT_EQ(m.theta_mv, n.theta_mv);
  EXPECT_EQ(m.labels, n.labels);
  EXPECT_EQ(m.class_responses, n.class_responses);
  EXPECT_EQ(m.dataset, "mnist");
  EXPECT_EQ(m.seed, 7u);
  EXPECT_EQ(m.trained_samples, 1234);
  EXPECT_EQ(params_to_map(m.params), params_to_map(n.params));
  // An unlabelled network round-trips too.
  Network u = n;
  u.labels.clear();
  u.class_responses.clear();
  save_network(u, path);
  EXPECT_TRUE(load_network(path).labels.empty());
  // Responses need labels.
  u.class_responses = n.class_responses;
  EXPECT_THROW(save_network(u, path), FormatError);
}

TEST(NetworkFile, VersionOneFilesStillLoadWithoutResponses) {
  Network n = small_network();
  n.class_responses.clear();
  const std::string path = temp_path("v1.snn");
  save_network(n, path);
  auto bytes = read_all(path);
  bytes[8] = 1;  // version 1 had no "responses" key and no RESP section
  const auto v1 = with_header(bytes, [](nlohmann::json& j) { j.erase("responses"); });
  const Network m = parse_network(v1, "v1.snn");
  EXPECT_EQ(m.labels, n.labels);
  EXPECT_TRUE(m.class_responses.empty());
  EXPECT_EQ(m.weights, n.weights);
  // A version-1 header with the version-2 key, and a version-2 header without it, are errors.
  std::string msg = parse_error(with_header(bytes, [](nlohmann::json&) {}));
  EXPECT_NE(msg.find("responses"), std::string::npos) << msg;
  bytes[8] = 2;
  msg = parse_error(with_header(bytes, [](nlohmann::json& j) { j.erase("responses"); }));
  EXPECT_NE(msg.find("responses"), std::string::npos) << msg;
}

TEST(NetworkFile, WrongMagicAndVersion) {
  const std::string path = temp_path("magic.snn");
  save_network(small_network(), path);
  auto bytes = read_all(path);
  auto bad = bytes;
  bad[0] = 'X';
  std::string msg = parse_error(bad);
  EXPECT_NE(msg.find("net.snn"), std::string::npos) << msg;
  EXPECT_NE(msg.find("magic"), std::string::npos) << msg;
  bad = bytes;
  bad[8] = 3;
  msg = parse_error(bad);
  EXPECT_NE(msg.find("version"), std::string::npos) << msg;
  EXPECT_NE(msg.find("found 3"), std::string::npos) << msg;
}

TEST(NetworkFile, EveryTruncationIsAFormatErrorNeverACrash) {
  const std::string path = temp_path("trunc.snn");
  save_network(small_network(), path);
  const auto bytes = read_all(path);
  for (size_t len = 0; len < bytes.size(); len += (len < 200 ? 1 : 97)) {
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(len));
    try {
      parse_network(cut, "net.snn");
      FAIL() << "accepted a file truncated to " << len << " bytes";
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find("net.snn"), std::string::npos);
    }
  }
  std::vector<uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_NE(parse_error(longer).find("trailing"), std::string::npos);
}

TEST(NetworkFile, FlippedBytesAreCaught) {
  const std::string path = temp_path("flip.snn");
  save_network(small_network(), path);
  const auto bytes = read_all(path);
  for (size_t pos = 0; pos < bytes.size(); pos += 331) {
    auto bad = bytes;
    bad[pos] ^= 0x10;
    EXPECT_THROW(parse_network(bad, "net.snn"), Error) << "byte " << pos;
  }
}

TEST(NetworkFile, HeaderProblemsNameTheKey) {
  const std::string path = temp_path("header.snn");
  save_network(small_network(), path);
  const auto bytes = read_all(path);
  EXPECT_EQ(parse_error(with_header(bytes, [](nlohmann::json&) {})), "");

  std::string msg = parse_error(
      with_header(bytes, [](nlohmann::json& j) { j["params"]["exc.tau_mystery_ms"] = "3"; }));
  EXPECT_NE(msg.find("exc.tau_mystery_ms"), std::string::npos) << msg;
  EXPECT_NE(msg.find("net.snn"), std::string::npos) << msg;

  msg =
      parse_error(with_header(bytes, [](nlohmann::json& j) { j["params"]["stdp.w_max"] = "-1"; }));
  EXPECT_NE(msg.find("stdp.w_max"), std::string::npos) << msg;

  msg = parse_error(with_header(bytes, [](nlohmann::json& j) { j["neurons"] = 4; }));
  EXPECT_NE(msg.find("WGHT"), std::string::npos) << msg;

  msg = parse_error(with_header(bytes, [](nlohmann::json& j) { j["neurons"] = -4; }));
  EXPECT_NE(msg.find("neurons"), std::string::npos) << msg;

  msg = parse_error(with_header(bytes, [](nlohmann::json& j) { j["color"] = "red"; }));
  EXPECT_NE(msg.find("color"), std::string::npos) << msg;

  msg = parse_error(with_header(bytes, [](nlohmann::json& j) { j.erase("seed"); }));
  EXPECT_NE(msg.find("seed"), std::string::npos) << msg;

  msg = parse_error(with_header(bytes, [](nlohmann::json& j) { j["params"] = 5; }));
  EXPECT_FALSE(msg.empty());

  msg = parse_error(with_header(bytes, [](nlohmann::json& j) { j["labelled"] = "yes"; }));
  EXPECT_NE(msg.find("labelled"), std::string::npos) << msg;
}

TEST(NetworkFile, ValuesOutOfRangeAreRejected) {
  Network n = small_network();
  n.weights[5] = -0.5f;
  EXPECT_THROW(save_network(n, temp_path("neg.snn")), FormatError);

  // Write a valid file, then poke a NaN weight and a bad label with a fixed checksum.
  const std::string path = temp_path("vals.snn");
  save_network(small_network(), path);
  auto bytes = read_all(path);
  uint64_t h = 0;
  std::memcpy(&h, bytes.data() + 16, 8);
  const size_t weights_at = 24 + h + 12;
  auto fix_checksum = [](std::vector<uint8_t>& b) {
    const uint64_t sum = fnv1a64(std::span(b).first(b.size() - 20));
    std::memcpy(b.data() + b.size() - 8, &sum, 8);
  };
  auto bad = bytes;
  const uint32_t nan = 0x7fc00000u;
  std::memcpy(bad.data() + weights_at + 4 * 10, &nan, 4);
  fix_checksum(bad);
  std::string msg = parse_error(bad);
  EXPECT_NE(msg.find("weight 3,1"), std::string::npos) << msg;

  // Sections end with LABL (3 bytes), RESP (12-byte head + 30 floats), END! (20 bytes).
  const size_t resp_end = bytes.size() - 20;
  const size_t labels_end = resp_end - (12 + 30 * 4);
  bad = bytes;
  bad[labels_end - 1] = 12;  // last label
  fix_checksum(bad);
  msg = parse_error(bad);
  EXPECT_NE(msg.find("label of neuron 2"), std::string::npos) << msg;

  bad = bytes;
  const float negative = -1.0f;
  std::memcpy(bad.data() + resp_end - 4, &negative, 4);  // class 9, neuron 2
  fix_checksum(bad);
  msg = parse_error(bad);
  EXPECT_NE(msg.find("class response 9,2"), std::string::npos) << msg;
}

TEST(NetworkFile, RandomMutationsAreRejectedOrReadNeverCrash) {
  const std::string path = temp_path("mutate.snn");
  save_network(small_network(), path);
  const auto bytes = read_all(path);
  RngStream r(1, stream_tag("snn_file_mutation"), 0);
  int rejected = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    auto bad = bytes;
    const int edits = 1 + static_cast<int>(r.uniform_below(4));
    for (int e = 0; e < edits; ++e) {
      const auto pos = static_cast<size_t>(r.uniform_below(bad.size()));
      switch (r.uniform_below(3)) {
        case 0:
          bad[pos] = static_cast<uint8_t>(r.uniform_below(256));
          break;
        case 1:
          bad.resize(pos);
          break;
        default:
          bad.insert(bad.begin() + static_cast<ptrdiff_t>(pos), static_cast<uint8_t>(r.next_u64()));
      }
      if (bad.empty()) break;
    }
    try {
      parse_network(bad, "net.snn");
    } catch (const Error&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 2900);  // the checksum catches nearly everything that parses
}

TEST(NetworkFile, MissingFileAndGarbage) {
  EXPECT_THROW(load_network("/nonexistent/x.snn"), FileError);
  const std::string path = temp_path("garbage.snn");
  std::ofstream(path) << "this is not a network";
  try {
    load_network(path);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
}

}  // namespace
}  // namespace hardy::snn
