// Optimized kernels (every Isa this CPU has) equal the scalar reference bit for bit on edge shapes.
#include <gtest/gtest.h>

#include "hardy/qnn/int8_executor.h"
#include "random_model.h"

namespace hardy::qnn {
namespace {

using testing::ConvShape;

using testing::available_isas;

// Runs the model's single node with the reference and each optimized Isa on `inputs` images.
void expect_identical(const QModel& m, RngStream& rng, int inputs, const std::string& what) {
  const Int8Executor reference(m, KernelSet::kReference);
  auto ref_ws = reference.make_workspace();
  for (Isa isa : available_isas()) {
    const Int8Executor optimized(m, KernelSet::kOptimized, isa);
    auto opt_ws = optimized.make_workspace();
    for (int i = 0; i < inputs; ++i) {
      const auto x = testing::random_bytes(m.input_elements(), rng);
      reference.run(x, ref_ws);
      optimized.run(x, opt_ws);
      const auto a = reference.output(ref_ws), b = optimized.output(opt_ws);
      ASSERT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end()))
          << what << " isa=" << isa_name(isa);
    }
  }
}

std::string describe(const ConvShape& s) {
  return "conv c_in=" + std::to_string(s.c_in) + " " + std::to_string(s.h) + "x" +
         std::to_string(s.w) + " c_out=" + std::to_string(s.c_out) +
         " k=" + std::to_string(s.kernel_h) + "x" + std::to_string(s.kernel_w) +
         " stride=" + std::to_string(s.stride_h) + "," + std::to_string(s.stride_w) +
         " pads=" + std::to_string(s.pad_top) + "," + std::to_string(s.pad_left) + "," +
         std::to_string(s.pad_bottom) + "," + std::to_string(s.pad_right) +
         " groups=" + std::to_string(s.groups);
}

TEST(KernelEquivalence, ConvSpatialSizesOneToTenAndPowersOfTwo) {
  RngStream rng(1, stream_tag("conv_sizes"), 0);
  for (int size : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 31, 32, 33}) {
    for (int k : {1, 3}) {
      if (k > size + 2) continue;
      const int pad = k / 2;
      ConvShape s{3, size, size + 1, 5, k, k, 1, 1, pad, pad, pad, pad, 1};
      expect_identical(testing::random_conv_model(s, rng), rng, 3, describe(s));
    }
  }
}

TEST(KernelEquivalence, ConvChannelCountsStridesPaddingsGroups) {
  RngStream rng(2, stream_tag("conv_mix"), 0);
  for (int c : {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17}) {
    for (int oc : {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17}) {
      ConvShape s{c, 7, 6, oc, 3, 3, 1, 1, 1, 1, 1, 1, 1};
      expect_identical(testing::random_conv_model(s, rng), rng, 2, describe(s));
    }
  }
  for (int stride : {1, 2, 3}) {
    for (int pad_a : {0, 1, 2}) {
      for (int pad_b : {0, 2}) {
        for (int groups : {1, 2, 3}) {
          ConvShape s{6,     11,    9,     6,     3,     4, stride, stride + 1 > 3 ? 1 : stride + 1,
                      pad_a, pad_b, pad_b, pad_a, groups};
          expect_identical(testing::random_conv_model(s, rng), rng, 2, describe(s));
        }
      }
    }
  }
}

TEST(KernelEquivalence, ConvRandomShapes) {
  RngStream rng(3, stream_tag("conv_random"), 0);
  for (int t = 0; t < 150; ++t) {
    const int groups = 1 + static_cast<int>(rng.uniform_below(4));
    const int kh = 1 + static_cast<int>(rng.uniform_below(5)),
              kw = 1 + static_cast<int>(rng.uniform_below(5));
    ConvShape s{groups * (1 + static_cast<int>(rng.uniform_below(9))),
                kh + static_cast<int>(rng.uniform_below(20)),
                kw + static_cast<int>(rng.uniform_below(20)),
                groups * (1 + static_cast<int>(rng.uniform_below(9))),
                kh,
                kw,
                1 + static_cast<int>(rng.uniform_below(3)),
                1 + static_cast<int>(rng.uniform_below(3)),
                static_cast<int>(rng.uniform_below(static_cast<uint64_t>(kh))),
                static_cast<int>(rng.uniform_below(static_cast<uint64_t>(kw))),
                static_cast<int>(rng.uniform_below(static_cast<uint64_t>(kh))),
                static_cast<int>(rng.uniform_below(static_cast<uint64_t>(kw))),
                groups};
    expect_identical(testing::random_conv_model(s, rng), rng, 2, describe(s));
  }
}

// The zoo's conv layers (the direct layouts: channel-interleaved for 4+ channels, stride 2 split
// into phases; column-interleaved for 1–3 channels at stride 1, else the im2col panel), and their
// tails: widths that leave 1, 15, 16 or 17 positions in the last vector of a padded row.
TEST(KernelEquivalence, ConvZooShapesAndRowTails) {
  RngStream rng(8, stream_tag("conv_zoo"), 0);
  const std::vector<ConvShape> zoo = {
      {1, 28, 28, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1},   // VGG / ResNet stem
      {16, 28, 28, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1},  // VGG conv2, ResNet block 1
      {16, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1},  // VGG conv3
      {32, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1},  // VGG conv4, ResNet block 3
      {32, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 4},  // ResNet grouped conv
      {16, 28, 28, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1},  // ResNet block 2, stride 2
      {16, 28, 28, 32, 1, 1, 2, 2, 0, 0, 0, 0, 1},  // ResNet projection
      {1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1},    // LeNet-5 conv1
      {6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1},   // LeNet-5 conv2
      {3, 6, 6, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3},      // a Pad carried by a depthwise 1×1 conv
  };
  for (const ConvShape& s : zoo) {
    expect_identical(testing::random_conv_model(s, rng), rng, 2, describe(s));
  }
  for (int w : {1, 14, 15, 16, 17, 18, 31, 32, 33}) {
    for (int c : {1, 3, 4, 5, 8}) {
      ConvShape s{c, 3, w, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1};
      expect_identical(testing::random_conv_model(s, rng), rng, 2, describe(s));
      ConvShape unpadded{c, 4, w + 2, 9, 3, 3, 1, 1, 0, 0, 0, 0, 1};
      expect_identical(testing::random_conv_model(unpadded, rng), rng, 2, describe(unpadded));
    }
  }
}

// Strided convs over 4+ channels read stride phases built from the input rows, 16 bytes at a time
// for stride 2 with the last block moved back: widths around 16 and 32, each padding on either
// side, 1×1 and 3×3 kernels, and a stride of 3 (the scalar rows).
TEST(KernelEquivalence, ConvStridedPhaseRowTails) {
  RngStream rng(9, stream_tag("conv_strided"), 0);
  for (int w : {1, 2, 7, 8, 9, 15, 16, 17, 18, 19, 28, 31, 32, 33, 34}) {
    for (int k : {1, 3}) {
      for (int pad_left : {0, 1, 2}) {
        for (int pad_right : {0, 1}) {
          if (w + pad_left + pad_right < k) continue;
          for (int stride : {2, 3}) {
            ConvShape s{5, 5, w, 6, k, k, stride, stride, 1, pad_left, 0, pad_right, 1};
            expect_identical(testing::random_conv_model(s, rng), rng, 2, describe(s));
          }
        }
      }
    }
  }
}

TEST(KernelEquivalence, DenseLengthsAroundPowersOfTwo) {
  RngStream rng(4, stream_tag("dense"), 0);
  std::vector<int> lengths = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 400, 784};
  for (int i = 2; i <= 10; ++i) {
    for (int d = -2; d <= 1; ++d) lengths.push_back((1 << i) + d);
  }
  for (int k : lengths) {
    for (int outs : {1, 2, 3, 4, 5, 7, 10, 15, 16, 17}) {
      expect_identical(testing::random_dense_model(k, outs, rng), rng, 2,
                       "dense k=" + std::to_string(k) + " outs=" + std::to_string(outs));
    }
  }
}

// run_batch shares each Dense weight load between 8 (or 4) images: batches of 1 to 8 images give
// each image's reference bytes.
TEST(KernelEquivalence, DenseBatchesOfOneToEightImages) {
  RngStream rng(11, stream_tag("dense_batch"), 0);
  for (const auto& [k, outs] :
       std::vector<std::pair<int, int>>{{1, 1}, {7, 17}, {100, 33}, {257, 48}, {784, 256}}) {
    const QModel m = testing::random_dense_model(k, outs, rng);
    const Int8Executor reference(m, KernelSet::kReference);
    auto ref_ws = reference.make_workspace();
    for (Isa isa : available_isas()) {
      const Int8Executor optimized(m, KernelSet::kOptimized, isa);
      for (int n = 1; n <= PackedModel::kMaxBatch; ++n) {
        std::vector<std::vector<uint8_t>> xs;
        std::vector<std::span<const uint8_t>> images;
        std::vector<Int8Executor::Workspace> ws;
        for (int i = 0; i < n; ++i) {
          xs.push_back(testing::random_bytes(m.input_elements(), rng));
          ws.push_back(optimized.make_workspace());
        }
        for (const auto& x : xs) images.emplace_back(x);
        optimized.run_batch(images, ws);
        for (int i = 0; i < n; ++i) {
          reference.run(xs[static_cast<size_t>(i)], ref_ws);
          const auto a = reference.output(ref_ws), b = optimized.output(ws[static_cast<size_t>(i)]);
          ASSERT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end()))
              << "dense " << k << "->" << outs << " batch " << n << " image " << i
              << " isa=" << isa_name(isa);
        }
      }
    }
  }
}

TEST(KernelEquivalence, PoolingWindowsStridesAndPaddings) {
  RngStream rng(6, stream_tag("pool"), 0);
  for (OpKind op : {OpKind::kMaxPool, OpKind::kAveragePool}) {
    for (int k : {1, 2, 3}) {
      for (int stride : {1, 2, 3}) {
        for (int pad : {0, 1}) {
          if (pad >= k) continue;
          for (int size : {2, 3, 5, 8, 13, 16, 17, 33}) {
            if (size + 2 * pad < k) continue;
            for (bool include_pad : {false, true}) {
              WindowParams w{k, k, stride, stride, pad, pad, pad, pad, 1, include_pad};
              expect_identical(testing::random_pool_model(op, 3, size, size + 1, w, rng), rng, 2,
                               std::string(op_name(op)) + " k=" + std::to_string(k) +
                                   " stride=" + std::to_string(stride) +
                                   " pad=" + std::to_string(pad) + " size=" + std::to_string(size));
            }
          }
        }
      }
    }
  }
}

// The single Add node of `m` on inputs a, b: every ISA's packed kernel gives the reference bytes.
void expect_add_equals_reference(const QModel& m, const std::vector<uint8_t>& a,
                                 const std::vector<uint8_t>& b, const std::string& what) {
  std::vector<uint8_t> expected(a.size()), got(a.size());
  const QValue* ins[] = {&m.value(0), &m.value(1)};
  const uint8_t* xs[] = {a.data(), b.data()};
  NodeIo io{ins, xs, &m.value(2), expected.data()};
  run_node_reference(m.nodes[0], io);
  for (Isa isa : available_isas()) {
    const PackedModel packed(m, isa);
    std::vector<uint8_t> scratch(packed.scratch_bytes() + 1);
    io.y = got.data();
    packed.run_node(0, io, scratch.data());
    EXPECT_EQ(expected, got) << what << " isa=" << isa_name(isa);
  }
}

TEST(KernelEquivalence, ResidualAddOfTwoRandomInputs) {
  RngStream rng(7, stream_tag("add"), 0);
  for (int t = 0; t < 200; ++t) {
    const int c = 1 + static_cast<int>(rng.uniform_below(17)),
              h = 1 + static_cast<int>(rng.uniform_below(9));
    const QModel m =
        testing::random_add_model(c, h, 1 + static_cast<int>(rng.uniform_below(9)), rng);
    const int64_t n = m.input_elements();
    const auto a = testing::random_bytes(n, rng), b = testing::random_bytes(n, rng);
    expect_add_equals_reference(m, a, b, "add " + std::to_string(c) + "x" + std::to_string(h));
  }
}

// Every pair of input bytes (one 256 × 256 tensor), for random scales and zero points and for the
// extremes: zero points 0 and 255, equal scales, one scale 2^8 times the other.
TEST(KernelEquivalence, ResidualAddOfEveryInputPair) {
  RngStream rng(10, stream_tag("add_pairs"), 0);
  std::vector<uint8_t> a(256 * 256), b(256 * 256);
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<uint8_t>(i % 256);
    b[i] = static_cast<uint8_t>(i / 256);
  }
  for (int t = 0; t < 24; ++t) {
    QModel m = testing::random_add_model(1, 256, 256, rng);
    if (t < 8) {
      m.values[0].quant.zero_point = t % 2 ? 255 : 0;
      m.values[1].quant.zero_point = t / 2 % 2 ? 255 : 0;
      const double sa = t / 4 % 2 ? 1.0 : 256.0, sb = 1.0, twice_max = 2.0 * std::max(sa, sb);
      m.nodes[0].add_input_multiplier = {quantize_multiplier(sa / twice_max),
                                         quantize_multiplier(sb / twice_max)};
    }
    expect_add_equals_reference(m, a, b, "add pairs, model " + std::to_string(t));
  }
}

TEST(KernelEquivalence, ExtremeInputsAndWeightsDoNotOverflow) {
  // All inputs 255 with zero point 0 and all weights −128: the largest accumulators a fault can
  // produce in these layer sizes.
  RngStream rng(5, stream_tag("extreme"), 0);
  QModel m = testing::random_conv_model({64, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1}, rng);
  for (auto& w : m.nodes[0].weight.data) w = -128;
  m.values[0].quant.zero_point = 0;
  const std::vector<uint8_t> x(static_cast<size_t>(m.input_elements()), 255);
  const Int8Executor reference(m, KernelSet::kReference);
  auto ref_ws = reference.make_workspace();
  reference.run(x, ref_ws);
  for (Isa isa : available_isas()) {
    const Int8Executor optimized(m, KernelSet::kOptimized, isa);
    auto ws = optimized.make_workspace();
    optimized.run(x, ws);
    const auto a = reference.output(ref_ws), b = optimized.output(ws);
    EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end())) << isa_name(isa);
  }
}

}  // namespace
}  // namespace hardy::qnn
