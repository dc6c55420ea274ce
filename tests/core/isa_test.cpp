// Instruction sets: names round-trip, the order is by capability, HARDY_ISA is obeyed or refused.
#include "hardy/core/isa.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "hardy/core/error.h"

namespace hardy {
namespace {

// Sets HARDY_ISA for one scope and restores the previous value after it.
class ScopedIsaEnv {
 public:
  explicit ScopedIsaEnv(const char* value) {
    if (const char* old = std::getenv("HARDY_ISA")) old_ = old;
    setenv("HARDY_ISA", value, 1);
  }
  ~ScopedIsaEnv() {
    if (old_) {
      setenv("HARDY_ISA", old_->c_str(), 1);
    } else {
      unsetenv("HARDY_ISA");
    }
  }

 private:
  std::optional<std::string> old_;
};

TEST(Isa, NamesRoundTripAndAreTheDocumentedOnes) {
  EXPECT_STREQ(isa_name(Isa::kGeneric), "generic");
  EXPECT_STREQ(isa_name(Isa::kAvx2), "avx2");
  EXPECT_STREQ(isa_name(Isa::kAvx512), "avx512");
  EXPECT_STREQ(isa_name(Isa::kAvx512Vnni), "avx512-vnni");
  for (Isa isa : kAllIsas) EXPECT_EQ(parse_isa(isa_name(isa)), isa);
}

TEST(Isa, UnknownNameIsAConfigErrorListingTheValidNames) {
  for (const char* bad : {"bogus", "", "AVX2", "portable", "avx512vnni"}) {
    try {
      parse_isa(bad);
      FAIL() << bad;
    } catch (const ConfigError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(std::string("'") + bad + "'"), std::string::npos) << msg;
      EXPECT_NE(msg.find("generic, avx2, avx512, avx512-vnni"), std::string::npos) << msg;
    }
  }
}

TEST(Isa, OrderedByCapabilityAndSupportIsDownwardClosed) {
  EXPECT_LT(Isa::kGeneric, Isa::kAvx2);
  EXPECT_LT(Isa::kAvx2, Isa::kAvx512);
  EXPECT_LT(Isa::kAvx512, Isa::kAvx512Vnni);
  EXPECT_TRUE(cpu_supports(Isa::kGeneric));
  // A CPU that has a level has every level below it.
  for (size_t i = 1; i < kAllIsas.size(); ++i) {
    if (cpu_supports(kAllIsas[i])) {
      EXPECT_TRUE(cpu_supports(kAllIsas[i - 1])) << i;
    }
  }
}

TEST(Isa, DetectIsTheBestSupportedWithoutHardyIsa) {
  ScopedIsaEnv env("");  // empty counts as unset
  const Isa best = detect_isa();
  EXPECT_TRUE(cpu_supports(best));
  for (Isa isa : kAllIsas) {
    if (isa > best) {
      EXPECT_FALSE(cpu_supports(isa)) << isa_name(isa);
    }
  }
}

TEST(Isa, HardyIsaForcesASupportedLevel) {
  for (Isa isa : kAllIsas) {
    if (!cpu_supports(isa)) continue;
    ScopedIsaEnv env(isa_name(isa));
    EXPECT_EQ(detect_isa(), isa);
  }
}

TEST(Isa, HardyIsaUnknownOrUnsupportedIsAConfigError) {
  {
    ScopedIsaEnv env("bogus");
    try {
      detect_isa();
      FAIL();
    } catch (const ConfigError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("HARDY_ISA"), std::string::npos) << msg;
      EXPECT_NE(msg.find("'bogus'"), std::string::npos) << msg;
    }
  }
  for (Isa isa : kAllIsas) {
    if (cpu_supports(isa)) continue;
    ScopedIsaEnv env(isa_name(isa));
    EXPECT_THROW(detect_isa(), ConfigError) << isa_name(isa);
  }
}

}  // namespace
}  // namespace hardy
