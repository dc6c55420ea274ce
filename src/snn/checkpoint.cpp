// Training checkpoint files: "HARDYCKP", u32 version 1, u32 reserved 0, then sections (4-byte tag,
// u64 length, payload): FING fingerprint JSON text, STAT 3 × i64 counts + 2 × f64 + i64 next
// sample, LABL block labels, WGHT and THTA float32 model arrays, SIMS simulator state, and END!
// with the FNV-1a 64 of every preceding byte.
#include "checkpoint.h"

#include "hardy/core/binary_io.h"
#include "hardy/core/error.h"

namespace hardy::snn::detail {

using binio::put;
using binio::put_section;
using binio::Reader;

namespace {

constexpr char kMagic[8] = {'H', 'A', 'R', 'D', 'Y', 'C', 'K', 'P'};
constexpr uint32_t kVersion = 1;
constexpr uint64_t kMaxSection = uint64_t{1} << 34;

template <class T>
void put_vector_section(std::vector<uint8_t>& out, const char tag[4], const std::vector<T>& v) {
  binio::put_vector_section(out, tag, std::span<const T>(v));
}

}  // namespace

void write_checkpoint(const TrainCheckpoint& c, const std::string& path) {
  std::vector<uint8_t> out;
  binio::put_preamble(out, kMagic, kVersion);
  put_section(out, "FING", c.fingerprint.data(), c.fingerprint.size());
  std::vector<uint8_t> stat;
  stat.reserve(48);  // (also keeps GCC 12 from a false -Wstringop-overflow on the first insert)
  for (int64_t v : {c.next_sample, c.presentations, c.input_spikes, c.exc_spikes}) {
    put<int64_t>(stat, v);
  }
  put<double>(stat, c.seconds);
  put<double>(stat, c.running_accuracy);
  put_vector_section(out, "STAT", stat);
  put_vector_section(out, "LABL", c.block_labels);
  put_vector_section(out, "WGHT", c.weights);
  put_vector_section(out, "THTA", c.theta);
  put_vector_section(out, "SIMS", c.simulator);
  binio::put_checksum(out);
  binio::write_file_atomic(path, out, "checkpoint file");
}

TrainCheckpoint read_checkpoint(const std::string& path) {
  const std::vector<uint8_t> bytes = binio::read_file(path, "checkpoint file");
  Reader r(bytes, path);
  r.preamble(kMagic, "a hardy training checkpoint", kVersion, kVersion);
  TrainCheckpoint c;
  const auto fing = r.vector_section<char>("FING", kMaxSection);
  c.fingerprint.assign(fing.begin(), fing.end());
  Reader s(r.section("STAT", 4 * 8 + 2 * 8), path);
  c.next_sample = s.get<int64_t>("next sample");
  c.presentations = s.get<int64_t>("presentations");
  c.input_spikes = s.get<int64_t>("input spikes");
  c.exc_spikes = s.get<int64_t>("excitatory spikes");
  c.seconds = s.get<double>("seconds");
  c.running_accuracy = s.get<double>("running accuracy");
  c.block_labels = r.vector_section<uint8_t>("LABL", kMaxSection);
  c.weights = r.vector_section<float>("WGHT", kMaxSection);
  c.theta = r.vector_section<float>("THTA", kMaxSection);
  c.simulator = r.vector_section<uint8_t>("SIMS", kMaxSection);
  r.checksum_and_end();
  return c;
}

}  // namespace hardy::snn::detail
