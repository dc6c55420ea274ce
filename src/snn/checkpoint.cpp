// Training checkpoint files: "HARDYCKP", u32 version 1, u32 reserved 0, then sections (4-byte tag,
// u64 length, payload): FING fingerprint JSON text, STAT 3 × i64 counts + 2 × f64 + i64 next
// sample, LABL block labels, WGHT and THTA float32 model arrays, SIMS simulator state, and END!
// with the FNV-1a 64 of every preceding byte.
#include "checkpoint.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "binary_io.h"
#include "hardy/core/error.h"

namespace hardy::snn::detail {
namespace {

constexpr char kMagic[8] = {'H', 'A', 'R', 'D', 'Y', 'C', 'K', 'P'};
constexpr uint32_t kVersion = 1;
constexpr uint64_t kMaxSection = uint64_t{1} << 34;

template <class T>
void put_vector_section(std::vector<uint8_t>& out, const char tag[4], const std::vector<T>& v) {
  put_section(out, tag, v.data(), v.size() * sizeof(T));
}

// A section of any length up to kMaxSection, as whole elements of T.
template <class T>
std::vector<T> get_vector_section(Reader& r, const char tag[4]) {
  auto t = r.take(4, std::string("section tag ") + std::string(tag, 4));
  if (std::memcmp(t.data(), tag, 4) != 0) {
    throw FormatError(r.source(), "section tag", "'" + std::string(tag, 4) + "'",
                      "'" + Reader::printable(t) + "'");
  }
  const auto n = r.get<uint64_t>(std::string(tag, 4) + " length");
  if (n > kMaxSection || n % sizeof(T) != 0) {
    throw FormatError(r.source(), std::string(tag, 4) + " length",
                      "a multiple of " + std::to_string(sizeof(T)) + " bytes", std::to_string(n));
  }
  auto bytes = r.take(n, std::string(tag, 4) + " payload");
  std::vector<T> v(static_cast<size_t>(n / sizeof(T)));
  std::memcpy(v.data(), bytes.data(), bytes.size());
  return v;
}

}  // namespace

void write_checkpoint(const TrainCheckpoint& c, const std::string& path) {
  std::vector<uint8_t> out(kMagic, kMagic + 8);
  put<uint32_t>(out, kVersion);
  put<uint32_t>(out, 0);
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
  const uint64_t sum = fnv1a(out);
  put_section(out, "END!", &sum, sizeof sum);

  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw FileError(tmp, "cannot create checkpoint file");
    f.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
    f.flush();
    if (!f) throw FileError(tmp, "write failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw FileError(path, "cannot replace checkpoint: " + ec.message());
}

TrainCheckpoint read_checkpoint(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw FileError(path, "cannot open checkpoint file");
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)),
                                   std::istreambuf_iterator<char>());
  if (f.bad()) throw FileError(path, "read failed");
  Reader r(bytes, path);
  auto magic = r.take(8, "magic");
  if (std::memcmp(magic.data(), kMagic, 8) != 0) {
    throw FormatError(path, "magic", "'HARDYCKP' (a hardy training checkpoint)",
                      "'" + Reader::printable(magic) + "'");
  }
  const auto version = r.get<uint32_t>("version");
  if (version != kVersion) {
    throw FormatError(path, "version", std::to_string(kVersion), std::to_string(version));
  }
  if (r.get<uint32_t>("reserved") != 0) throw FormatError(path, "reserved field", "0", "other");
  TrainCheckpoint c;
  const auto fing = get_vector_section<char>(r, "FING");
  c.fingerprint.assign(fing.begin(), fing.end());
  const auto stat = get_vector_section<uint8_t>(r, "STAT");
  if (stat.size() != 4 * 8 + 2 * 8) {
    throw FormatError(path, "STAT length", "48 bytes", std::to_string(stat.size()));
  }
  Reader s(stat, path);
  c.next_sample = s.get<int64_t>("next sample");
  c.presentations = s.get<int64_t>("presentations");
  c.input_spikes = s.get<int64_t>("input spikes");
  c.exc_spikes = s.get<int64_t>("excitatory spikes");
  c.seconds = s.get<double>("seconds");
  c.running_accuracy = s.get<double>("running accuracy");
  c.block_labels = get_vector_section<uint8_t>(r, "LABL");
  c.weights = get_vector_section<float>(r, "WGHT");
  c.theta = get_vector_section<float>(r, "THTA");
  c.simulator = get_vector_section<uint8_t>(r, "SIMS");
  const size_t body = r.offset();
  auto end = r.section("END!", 8);
  uint64_t stored = 0;
  std::memcpy(&stored, end.data(), 8);
  if (stored != fnv1a(std::span<const uint8_t>(bytes).subspan(0, body))) {
    throw FormatError(path, "checksum", "the FNV-1a of the file", "another (file corrupted)");
  }
  if (r.remaining() != 0) {
    throw FormatError(path, "end of file", "no bytes after END!",
                      std::to_string(r.remaining()) + " trailing bytes");
  }
  return c;
}

}  // namespace hardy::snn::detail
