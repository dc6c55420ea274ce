// Memspec loading: a key table with units and ranges, DRAMPower's names, unknown keys rejected.
#include "hardy/dram/memspec.h"

#include <bit>
#include <cmath>
#include <fstream>
#include <sstream>

#include "hardy/core/error.h"

namespace hardy::dram {
namespace {

enum class Kind { kInt, kDouble };
// Whether a key must be present: always, never (optional), or exactly when the memory type has a
// second rail (LPDDR3); second-rail keys are rejected for single-rail types.
enum class Need { kRequired, kOptional, kRail2Required, kRail2Optional };

struct Key {
  const char* section;
  const char* name;
  Kind kind;
  Need need;
  double min, max;
  const char* unit;
};

constexpr double kMaxCycles = 1e7;
constexpr double kMaxMilliamps = 1e5;

// DRAMPower legacy (`develop`) names; docs/dram.md's memspec table follows this order.
const std::vector<Key>& keys() {
  static const std::vector<Key> kKeys = {
      {"memarchitecturespec", "width", Kind::kInt, Need::kRequired, 8, 1024, "bit"},
      {"memarchitecturespec", "nbrOfBanks", Kind::kInt, Need::kRequired, 1, 64, "1"},
      {"memarchitecturespec", "nbrOfRanks", Kind::kInt, Need::kRequired, 1, 16, "1"},
      {"memarchitecturespec", "nbrOfBankGroups", Kind::kInt, Need::kOptional, 1, 1, "1"},
      {"memarchitecturespec", "nbrOfColumns", Kind::kInt, Need::kRequired, 1, 65536, "1"},
      {"memarchitecturespec", "nbrOfRows", Kind::kInt, Need::kRequired, 2, 16777216, "1"},
      {"memarchitecturespec", "dataRate", Kind::kInt, Need::kRequired, 1, 4, "1"},
      {"memarchitecturespec", "burstLength", Kind::kInt, Need::kRequired, 1, 32, "1"},
      {"memarchitecturespec", "nbrOfChannels", Kind::kInt, Need::kOptional, 1, 16, "1"},
      {"memarchitecturespec", "nbrOfSubarrays", Kind::kInt, Need::kOptional, 1, 65536, "1"},
      {"memtimingspec", "clkMhz", Kind::kDouble, Need::kRequired, 1, 10000, "MHz"},
      {"memtimingspec", "RC", Kind::kInt, Need::kRequired, 1, kMaxCycles, "ck"},
      {"memtimingspec", "RCD", Kind::kInt, Need::kRequired, 1, kMaxCycles, "ck"},
      {"memtimingspec", "RP", Kind::kInt, Need::kRequired, 1, kMaxCycles, "ck"},
      {"memtimingspec", "RAS", Kind::kInt, Need::kRequired, 1, kMaxCycles, "ck"},
      {"memtimingspec", "RFC", Kind::kInt, Need::kRequired, 1, kMaxCycles, "ck"},
      {"memtimingspec", "REFI", Kind::kInt, Need::kRequired, 1, kMaxCycles, "ck"},
      {"memtimingspec", "RL", Kind::kInt, Need::kRequired, 0, kMaxCycles, "ck"},
      {"memtimingspec", "WL", Kind::kInt, Need::kRequired, 0, kMaxCycles, "ck"},
      {"memtimingspec", "CL", Kind::kInt, Need::kOptional, 0, kMaxCycles, "ck"},
      {"memtimingspec", "AL", Kind::kInt, Need::kOptional, 0, kMaxCycles, "ck"},
      {"memtimingspec", "CCD", Kind::kInt, Need::kRequired, 1, kMaxCycles, "ck"},
      {"memtimingspec", "RRD", Kind::kInt, Need::kRequired, 0, kMaxCycles, "ck"},
      {"memtimingspec", "FAW", Kind::kInt, Need::kRequired, 0, kMaxCycles, "ck"},
      {"memtimingspec", "RTP", Kind::kInt, Need::kRequired, 0, kMaxCycles, "ck"},
      {"memtimingspec", "WR", Kind::kInt, Need::kRequired, 0, kMaxCycles, "ck"},
      {"memtimingspec", "WTR", Kind::kInt, Need::kRequired, 0, kMaxCycles, "ck"},
      {"memtimingspec", "DQSCK", Kind::kInt, Need::kOptional, 0, kMaxCycles, "ck"},
      {"memtimingspec", "XP", Kind::kInt, Need::kOptional, 0, kMaxCycles, "ck"},
      {"memtimingspec", "XPDLL", Kind::kInt, Need::kOptional, 0, kMaxCycles, "ck"},
      {"memtimingspec", "XS", Kind::kInt, Need::kOptional, 0, kMaxCycles, "ck"},
      {"memtimingspec", "XSDLL", Kind::kInt, Need::kOptional, 0, kMaxCycles, "ck"},
      {"memtimingspec", "CKE", Kind::kInt, Need::kOptional, 0, kMaxCycles, "ck"},
      {"memtimingspec", "CKESR", Kind::kInt, Need::kOptional, 0, kMaxCycles, "ck"},
      {"mempowerspec", "idd01", Kind::kDouble, Need::kRequired, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd2n1", Kind::kDouble, Need::kRequired, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd3n1", Kind::kDouble, Need::kRequired, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd4r", Kind::kDouble, Need::kRequired, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd4w", Kind::kDouble, Need::kRequired, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd51", Kind::kDouble, Need::kRequired, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd2p0", Kind::kDouble, Need::kOptional, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd2p1", Kind::kDouble, Need::kOptional, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd3p0", Kind::kDouble, Need::kOptional, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd3p1", Kind::kDouble, Need::kOptional, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd61", Kind::kDouble, Need::kOptional, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "vdd1", Kind::kDouble, Need::kRequired, 0.1, 5, "V"},
      {"mempowerspec", "idd02", Kind::kDouble, Need::kRail2Required, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd2n2", Kind::kDouble, Need::kRail2Required, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd3n2", Kind::kDouble, Need::kRail2Required, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd4r2", Kind::kDouble, Need::kRail2Required, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd4w2", Kind::kDouble, Need::kRail2Required, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd52", Kind::kDouble, Need::kRail2Required, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd2p02", Kind::kDouble, Need::kRail2Optional, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd2p12", Kind::kDouble, Need::kRail2Optional, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd3p02", Kind::kDouble, Need::kRail2Optional, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd3p12", Kind::kDouble, Need::kRail2Optional, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "idd62", Kind::kDouble, Need::kRail2Optional, 0, kMaxMilliamps, "mA"},
      {"mempowerspec", "vdd2", Kind::kDouble, Need::kRail2Required, 0.1, 5, "V"},
      // I/O and termination powers (mW per pin) are accepted for compatibility with DRAMPower's
      // files; hardy does not model I/O energy (DRAMPower adds it only with --io_term).
      {"mempowerspec", "capacitance", Kind::kDouble, Need::kOptional, 0, 1, "F"},
      {"mempowerspec", "ioPower", Kind::kDouble, Need::kOptional, 0, 1e4, "mW"},
      {"mempowerspec", "wrOdtPower", Kind::kDouble, Need::kOptional, 0, 1e4, "mW"},
      {"mempowerspec", "termRdPower", Kind::kDouble, Need::kOptional, 0, 1e4, "mW"},
      {"mempowerspec", "termWrPower", Kind::kDouble, Need::kOptional, 0, 1e4, "mW"},
  };
  return kKeys;
}

std::string number_text(double v) {
  std::ostringstream s;
  s.precision(12);
  s << v;
  return s.str();
}

std::string json_text(const nlohmann::json& v) {
  std::string t = v.dump();
  return t.size() > 40 ? t.substr(0, 37) + "..." : t;
}

std::string range_text(const Key& k) {
  return (k.kind == Kind::kInt ? "an integer in [" : "a number in [") + number_text(k.min) + ", " +
         number_text(k.max) + "] " + k.unit;
}

bool is_power_of_two(int64_t v) { return v > 0 && std::has_single_bit(static_cast<uint64_t>(v)); }

class Reader {
 public:
  Reader(const nlohmann::json& doc, std::string source) : doc_(doc), source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& where, const std::string& expected,
                         const std::string& found) const {
    throw FormatError(source_, where, expected, found);
  }

  void check_sections() const {
    if (!doc_.is_object()) fail("top level", "a JSON object", json_text(doc_));
    for (const auto& [name, value] : doc_.items()) {
      if (name == "memoryId" || name == "memoryType") {
        if (!value.is_string()) fail(name, "a string", json_text(value));
      } else if (name == "memarchitecturespec" || name == "memtimingspec" ||
                 name == "mempowerspec" || name == "assumptions") {
        if (!value.is_object()) fail(name, "an object", json_text(value));
      } else {
        fail("key '" + name + "'",
             "one of memoryId, memoryType, memarchitecturespec, memtimingspec, mempowerspec, "
             "assumptions",
             "an unknown key");
      }
    }
    for (const char* required :
         {"memoryId", "memoryType", "memarchitecturespec", "memtimingspec", "mempowerspec"}) {
      if (!doc_.contains(required)) fail(required, "this key", "it missing");
    }
  }

  // Every key of the three spec sections is in the table; returns values by "section.key".
  std::map<std::string, double> read_values(bool two_rails) const {
    std::map<std::string, double> values;
    for (const char* section : {"memarchitecturespec", "memtimingspec", "mempowerspec"}) {
      for (const auto& [name, value] : doc_.at(section).items()) {
        const Key* key = nullptr;
        for (const auto& k : keys()) {
          if (section == std::string(k.section) && name == k.name) key = &k;
        }
        const std::string where = std::string(section) + "." + name;
        if (key == nullptr) fail(where, "a known key (docs/dram.md lists them)", "an unknown key");
        const bool rail2 = key->need == Need::kRail2Required || key->need == Need::kRail2Optional;
        if (rail2 && !two_rails) {
          fail(where, "no second-rail key for a single-rail " + doc_.at("memoryType").dump(),
               "it present");
        }
        if (!value.is_number()) fail(where, range_text(*key), json_text(value));
        const double v = value.get<double>();
        if (!std::isfinite(v) || v < key->min || v > key->max ||
            (key->kind == Kind::kInt && v != std::floor(v))) {
          fail(where, range_text(*key), json_text(value));
        }
        values[where] = v;
      }
    }
    for (const auto& k : keys()) {
      const bool required =
          k.need == Need::kRequired || (k.need == Need::kRail2Required && two_rails);
      const std::string where = std::string(k.section) + "." + k.name;
      if (required && !values.count(where)) fail(where, range_text(k), "it missing");
    }
    return values;
  }

  std::map<std::string, std::string> read_assumptions(
      const std::map<std::string, double>& values) const {
    std::map<std::string, std::string> out;
    if (!doc_.contains("assumptions")) return out;
    for (const auto& [name, value] : doc_.at("assumptions").items()) {
      const std::string where = "assumptions." + name;
      if (!value.is_string() || value.get<std::string>().empty()) {
        fail(where, "a non-empty string (why the value is assumed)", json_text(value));
      }
      if (!values.count(name))
        fail(where, "the name of a key present in this file", "'" + name + "'");
      out[name] = value.get<std::string>();
    }
    return out;
  }

 private:
  const nlohmann::json& doc_;
  std::string source_;
};

// DRAMPower's names for the same currents on rail 1 and rail 2.
struct RailKeys {
  const char *name, *vdd, *idd0, *idd2n, *idd3n, *idd4r, *idd4w, *idd5, *idd2p0, *idd2p1, *idd3p0,
      *idd3p1, *idd6;
};
constexpr RailKeys kRail1Keys{"VDD1",  "vdd1",   "idd01",  "idd2n1", "idd3n1", "idd4r", "idd4w",
                              "idd51", "idd2p0", "idd2p1", "idd3p0", "idd3p1", "idd61"};
constexpr RailKeys kRail2Keys{"VDD2",    "vdd2",    "idd02", "idd2n2",  "idd3n2",
                              "idd4r2",  "idd4w2",  "idd52", "idd2p02", "idd2p12",
                              "idd3p02", "idd3p12", "idd62"};

Rail read_rail(const Reader& r, const std::map<std::string, double>& values, const RailKeys& k) {
  auto get = [&](const char* key) {
    auto it = values.find(std::string("mempowerspec.") + key);
    return it == values.end() ? 0.0 : it->second;
  };
  constexpr double kAmperesPerMilliampere = 1e-3;
  auto amperes = [&](const char* key) { return get(key) * kAmperesPerMilliampere; };
  Rail rail;
  rail.name = k.name;
  rail.vdd_v = get(k.vdd);
  rail.idd0_a = amperes(k.idd0);
  rail.idd2n_a = amperes(k.idd2n);
  rail.idd3n_a = amperes(k.idd3n);
  rail.idd4r_a = amperes(k.idd4r);
  rail.idd4w_a = amperes(k.idd4w);
  rail.idd5_a = amperes(k.idd5);
  rail.idd2p0_a = amperes(k.idd2p0);
  rail.idd2p1_a = amperes(k.idd2p1);
  rail.idd3p0_a = amperes(k.idd3p0);
  rail.idd3p1_a = amperes(k.idd3p1);
  rail.idd6_a = amperes(k.idd6);
  // Each command's energy is its current above the background it replaces; a negative one means
  // the memspec is wrong, not that the command saves energy.
  auto at_least = [&](const char* key, const char* floor_key) {
    if (get(key) < get(floor_key)) {
      r.fail(std::string("mempowerspec.") + key,
             std::string("at least ") + floor_key + " (" + number_text(get(floor_key)) + " mA)",
             number_text(get(key)));
    }
  };
  at_least(k.idd0, k.idd3n);
  at_least(k.idd0, k.idd2n);
  at_least(k.idd4r, k.idd3n);
  at_least(k.idd4w, k.idd3n);
  at_least(k.idd5, k.idd3n);
  return rail;
}

}  // namespace

std::string memory_type_name(MemoryType type) {
  return type == MemoryType::kLpddr3 ? "LPDDR3" : "DDR3";
}

MemSpec parse_memspec(const nlohmann::json& doc, const std::string& source) {
  Reader r(doc, source);
  r.check_sections();
  MemSpec s;
  s.source = source;
  s.id = doc.at("memoryId").get<std::string>();
  if (s.id.empty()) r.fail("memoryId", "a non-empty string", "\"\"");
  const std::string type = doc.at("memoryType").get<std::string>();
  if (type == "DDR3") {
    s.type = MemoryType::kDdr3;
  } else if (type == "LPDDR3") {
    s.type = MemoryType::kLpddr3;
  } else {
    r.fail("memoryType", "DDR3 or LPDDR3 (DDR3L is DDR3 at 1.35 V)", "\"" + type + "\"");
  }
  const bool two_rails = s.type == MemoryType::kLpddr3;
  const auto v = r.read_values(two_rails);
  auto get = [&](const char* key, double fallback = 0) {
    auto it = v.find(key);
    return it == v.end() ? fallback : it->second;
  };
  auto geti = [&](const char* key, int64_t fallback = 0) {
    return static_cast<int64_t>(get(key, static_cast<double>(fallback)));
  };

  Organisation& o = s.org;
  o.width_bits = static_cast<int>(geti("memarchitecturespec.width"));
  o.banks = static_cast<int>(geti("memarchitecturespec.nbrOfBanks"));
  o.ranks = static_cast<int>(geti("memarchitecturespec.nbrOfRanks"));
  o.columns = geti("memarchitecturespec.nbrOfColumns");
  o.rows = geti("memarchitecturespec.nbrOfRows");
  o.data_rate = static_cast<int>(geti("memarchitecturespec.dataRate"));
  o.burst_length = static_cast<int>(geti("memarchitecturespec.burstLength"));
  o.channels = static_cast<int>(geti("memarchitecturespec.nbrOfChannels", 1));
  o.subarrays = static_cast<int>(geti("memarchitecturespec.nbrOfSubarrays", 1));
  auto need_pow2 = [&](const char* key, int64_t value) {
    if (!is_power_of_two(value)) {
      r.fail(std::string("memarchitecturespec.") + key,
             "a power of two (addresses split into bit fields)", std::to_string(value));
    }
  };
  need_pow2("width", o.width_bits);
  need_pow2("nbrOfBanks", o.banks);
  need_pow2("nbrOfRanks", o.ranks);
  need_pow2("nbrOfColumns", o.columns);
  need_pow2("nbrOfRows", o.rows);
  need_pow2("burstLength", o.burst_length);
  need_pow2("nbrOfChannels", o.channels);
  need_pow2("nbrOfSubarrays", o.subarrays);
  if (o.burst_length % o.data_rate != 0) {
    r.fail("memarchitecturespec.burstLength",
           "a multiple of dataRate (" + std::to_string(o.data_rate) + ")",
           std::to_string(o.burst_length));
  }
  if (o.columns < o.burst_length) {
    r.fail("memarchitecturespec.nbrOfColumns",
           "at least burstLength (" + std::to_string(o.burst_length) + ")",
           std::to_string(o.columns));
  }
  if (o.subarrays > o.rows) {
    r.fail("memarchitecturespec.nbrOfSubarrays",
           "at most nbrOfRows (" + std::to_string(o.rows) + ")", std::to_string(o.subarrays));
  }

  Timing& t = s.timing;
  t.clk_mhz = get("memtimingspec.clkMhz");
  t.rc = geti("memtimingspec.RC");
  t.rcd = geti("memtimingspec.RCD");
  t.rp = geti("memtimingspec.RP");
  t.ras = geti("memtimingspec.RAS");
  t.rfc = geti("memtimingspec.RFC");
  t.refi = geti("memtimingspec.REFI");
  t.rl = geti("memtimingspec.RL");
  t.wl = geti("memtimingspec.WL");
  t.cl = geti("memtimingspec.CL");
  t.al = geti("memtimingspec.AL");
  t.ccd = geti("memtimingspec.CCD");
  t.rrd = geti("memtimingspec.RRD");
  t.faw = geti("memtimingspec.FAW");
  t.rtp = geti("memtimingspec.RTP");
  t.wr = geti("memtimingspec.WR");
  t.wtr = geti("memtimingspec.WTR");
  t.dqsck = geti("memtimingspec.DQSCK");
  t.xp = geti("memtimingspec.XP");
  t.xpdll = geti("memtimingspec.XPDLL");
  t.xs = geti("memtimingspec.XS");
  t.xsdll = geti("memtimingspec.XSDLL");
  t.cke = geti("memtimingspec.CKE");
  t.ckesr = geti("memtimingspec.CKESR");
  // E_PRE uses tRC − tRAS and refresh must leave time for traffic: reject what would make an
  // energy negative or a refresh interval shorter than a refresh.
  if (t.rc < t.ras) {
    r.fail("memtimingspec.RC", "at least RAS (" + std::to_string(t.ras) + ")",
           std::to_string(t.rc));
  }
  if (t.refi <= t.rfc) {
    r.fail("memtimingspec.REFI", "more than RFC (" + std::to_string(t.rfc) + ")",
           std::to_string(t.refi));
  }

  s.rails.push_back(read_rail(r, v, kRail1Keys));
  if (two_rails) s.rails.push_back(read_rail(r, v, kRail2Keys));
  s.assumptions = r.read_assumptions(v);
  return s;
}

MemSpec load_memspec(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw FileError(path, "cannot open memspec file");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw FormatError(path, "byte " + std::to_string(e.byte), "valid JSON", "a syntax error");
  }
  return parse_memspec(doc, path);
}

nlohmann::json MemSpec::to_json() const {
  nlohmann::json rails_json = nlohmann::json::array();
  for (const Rail& r : rails) {
    rails_json.push_back({{"name", r.name},
                          {"vdd_v", r.vdd_v},
                          {"idd0_a", r.idd0_a},
                          {"idd2n_a", r.idd2n_a},
                          {"idd3n_a", r.idd3n_a},
                          {"idd4r_a", r.idd4r_a},
                          {"idd4w_a", r.idd4w_a},
                          {"idd5_a", r.idd5_a}});
  }
  return {{"id", id},
          {"type", memory_type_name(type)},
          {"source", source},
          {"organisation",
           {{"channels", org.channels},
            {"ranks", org.ranks},
            {"banks", org.banks},
            {"subarrays", org.subarrays},
            {"rows", org.rows},
            {"columns", org.columns},
            {"width_bits", org.width_bits},
            {"data_rate", org.data_rate},
            {"burst_length", org.burst_length},
            {"capacity_bytes", org.capacity_bytes()}}},
          {"timing_ck",
           {{"clk_mhz", timing.clk_mhz},
            {"rcd", timing.rcd},
            {"rp", timing.rp},
            {"ras", timing.ras},
            {"rc", timing.rc},
            {"rfc", timing.rfc},
            {"refi", timing.refi},
            {"rl", timing.rl},
            {"wl", timing.wl},
            {"ccd", timing.ccd},
            {"rrd", timing.rrd},
            {"faw", timing.faw},
            {"rtp", timing.rtp},
            {"wr", timing.wr},
            {"wtr", timing.wtr}}},
          {"rails", rails_json},
          {"assumptions", assumptions}};
}

}  // namespace hardy::dram
