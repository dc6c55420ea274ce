// Reference and optimized kernels (every Isa available) give bit-identical outputs on every zoo
// model: the full test set for the small models, the first 1,000 images for the conv-heavy ones
// (the scalar reference needs ~30 ms per ResNet image; the full sets run under the `slow` label).
#include <gtest/gtest.h>

#include <cstdlib>

#include "hardy/qnn/int8_executor.h"
#include "zoo.h"

namespace hardy::qnn {
namespace {

class ZooKernels : public ::testing::TestWithParam<const char*> {};

int64_t images_to_compare(const testing::ZooModel& z) {
  const bool conv_heavy = z.name.starts_with("vgg") || z.name.starts_with("resnet");
  const char* all = std::getenv("HARDY_ZOO_ALL_IMAGES");
  return conv_heavy && !(all && *all == '1') ? 1000 : z.test.size();
}

TEST_P(ZooKernels, ReferenceEqualsOptimized) {
  const auto& z = testing::zoo_model(GetParam());
  ThreadPool pool(2);
  const int64_t n = images_to_compare(z);
  const auto reference = Int8Executor(z.model, KernelSet::kReference).run_dataset(z.test, n, pool);
  std::vector<Isa> isas = {Isa::kGeneric};
  if (cpu_supports(Isa::kAvx512Vnni)) isas.push_back(Isa::kAvx512Vnni);
  for (Isa isa : isas) {
    const auto optimized =
        Int8Executor(z.model, KernelSet::kOptimized, isa).run_dataset(z.test, n, pool);
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
