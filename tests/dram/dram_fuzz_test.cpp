// Property: any corruption of a memspec, a command or access trace, a current table or the voltage
// study's CSV is either read or rejected with hardy::Error (never a crash or another exception);
// what is read satisfies the loader's invariants.
#include <gtest/gtest.h>

#include <fstream>

#include "hardy/core/error.h"
#include "hardy/core/rng.h"
#include "hardy/dram/address_mapping.h"
#include "hardy/dram/command_trace.h"
#include "hardy/dram/energy.h"
#include "hardy/dram/voltage.h"
#include "hardy/dram/voltage_study.h"
#include "test_util.h"

namespace hardy::dram {
namespace {

using testing::TempDir;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// Writes `trials` corruptions of `good` (a few bytes replaced by random or structural characters,
// sometimes truncated) to `path` and calls `load` on each; returns how many were rejected.
int fuzz(const std::string& good, const std::string& path, int trials, uint64_t tag,
         const std::function<void()>& load) {
  static const char kStructural[] = "{}[]\",:.-0123456789eE \n\tabcxyz#";
  int rejected = 0;
  for (int t = 0; t < trials; ++t) {
    RngStream rng(11, tag, static_cast<uint64_t>(t));
    std::string bytes = good;
    const int edits = 1 + static_cast<int>(rng.uniform_below(3));
    for (int e = 0; e < edits; ++e) {
      const auto i = rng.uniform_below(bytes.size());
      bytes[i] = rng.bernoulli(0.5) ? static_cast<char>(rng.next_u64())
                                    : kStructural[rng.uniform_below(sizeof kStructural - 1)];
    }
    if (rng.bernoulli(0.2)) bytes.resize(rng.uniform_below(bytes.size()));
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    try {
      load();
    } catch (const Error&) {
      ++rejected;
    }
  }
  return rejected;
}

TEST(DramFuzz, MemspecCorruptionsAreReadOrRejected) {
  TempDir dir;
  const std::string path = dir.file("m.json");
  const int rejected =
      fuzz(slurp(testing::data_file(testing::kLpddr3)), path, 800, stream_tag("fuzz.memspec"), [&] {
        const MemSpec s = load_memspec(path);
        const CommandEnergies e = command_energies(s);
        ASSERT_GE(e.act_j, 0);  // the loader's invariants keep every energy non-negative
        ASSERT_GE(e.pre_j, 0);
        ASSERT_GE(e.read_j, 0);
        ASSERT_GT(s.org.capacity_bytes(), 0);
      });
  EXPECT_GT(rejected, 150);
}

TEST(DramFuzz, TraceAndTableCorruptionsAreReadOrRejected) {
  TempDir dir;
  const MemSpec spec = load_memspec(testing::data_file(testing::kDdr3));
  const std::string cmd = dir.file("c.trace");
  fuzz("0,ACT,0\n10,RD,0\n14,WR,0\n40,PRE,0\n60,ACT,3\n70,RDA,3\n200,REF,0\n", cmd, 800,
       stream_tag("fuzz.cmd"),
       [&] { evaluate_commands(spec, read_command_trace(cmd, spec.org), cmd); });
  const std::string acc = dir.file("a.trace");
  fuzz("0x0 R\n0x40 W 100\n128,R\n# c\n4096 W\n", acc, 800, stream_tag("fuzz.acc"),
       [&] { read_access_trace(acc); });
  const std::string table = dir.file("t.csv");
  fuzz("vdd_v,idd0,idd3n\n1.0,0.5,0.5\n1.35,1.0,1.0\n", table, 800, stream_tag("fuzz.table"), [&] {
    VoltageOptions o;
    o.vdd_v = 1.2;
    o.currents = load_current_scale_table(table);
    at_voltage(load_memspec(testing::data_file(testing::kDdr3l)), o);
  });
  const std::string csv = dir.file("s.csv");
  fuzz(slurp(testing::data_file("voltage_study_faulty_cachelines.csv")).substr(0, 2000), csv, 800,
       stream_tag("fuzz.study"), [&] {
         const VoltageStudy s = VoltageStudy::load(csv);
         for (const auto& c : s.dimms()) {
           const double b = c.ber_at(c.max_vdd_v());
           ASSERT_TRUE(b > 0 && b <= 1) << b;
         }
       });
}

}  // namespace
}  // namespace hardy::dram
