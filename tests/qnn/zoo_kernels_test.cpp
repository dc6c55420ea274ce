// Reference and optimized kernels (every Isa available) give bit-identical outputs on every zoo
// model's full test set.
#include <gtest/gtest.h>

#include "hardy/qnn/int8_executor.h"
#include "zoo.h"

namespace hardy::qnn {
namespace {

class ZooKernels : public ::testing::TestWithParam<const char*> {};

TEST_P(ZooKernels, ReferenceEqualsOptimizedOnFullTestSet) {
  const auto& z = testing::zoo_model(GetParam());
  ThreadPool pool(2);
  const auto reference =
      Int8Executor(z.model, KernelSet::kReference).run_dataset(z.test, z.test.size(), pool);
  std::vector<Isa> isas = {Isa::kGeneric};
  if (cpu_supports(Isa::kAvx512Vnni)) isas.push_back(Isa::kAvx512Vnni);
  for (Isa isa : isas) {
    const auto optimized =
        Int8Executor(z.model, KernelSet::kOptimized, isa).run_dataset(z.test, z.test.size(), pool);
    ASSERT_EQ(optimized.size(), reference.size());
    size_t first_difference = optimized.size();
    for (size_t i = 0; i < optimized.size() && first_difference == optimized.size(); ++i) {
      if (optimized[i] != reference[i]) first_difference = i;
    }
    EXPECT_EQ(first_difference, optimized.size())
        << GetParam() << " " << isa_name(isa) << ": first differing output byte";
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ZooKernels, ::testing::ValuesIn(testing::kZooModels));

}  // namespace
}  // namespace hardy::qnn
