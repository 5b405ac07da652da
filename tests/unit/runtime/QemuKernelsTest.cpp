// The DSP path on a real instruction set: each kernel built with arm-none-eabi-gcc for
// Cortex-M4 (where __ARM_FEATURE_DSP selects SMLAD / SXTAB16 loops) and run in QEMU
// (mps2-an386) must produce the bytes of the host's portable C kernels. Takes ~10 s.
#include "tests/unit/runtime/KernelFirmware.h"

#include <catch2/catch.hpp>

using namespace rnnpoolc;
using namespace rnnpoolc::testing;

namespace {

ir::ConvAttrs convAttrs(int64_t k, int64_t stride, int64_t pad, int64_t group) {
  ir::ConvAttrs a;
  a.kernel = {k, k};
  a.strides = {stride, stride};
  a.dilations = {1, 1};
  a.pads = {pad, pad, pad, pad};
  a.group = group;
  return a;
}

KernelJob conv(JobFactory &f, const char *name, int64_t inC, int64_t outC, int64_t hw,
               int64_t k, int64_t stride, int64_t group, ir::Activation act = {}) {
  ir::TensorId x = f.input({1, inC, hw, hw});
  ir::TensorId w = f.constant({outC, inC / group, k, k}, -1, 1), b = f.constant({outC}, -1, 1);
  ir::ConvAttrs a = convAttrs(k, stride, k / 2, group);
  a.act = act;
  auto job = f.finish(name, ir::OpKind::Conv, a, {x, w, b});
  INFO((job ? std::string() : job.error().message()));
  REQUIRE(job);
  return *job;
}

KernelJob rnnpool(JobFactory &f, const char *name, int64_t k, int64_t hw, int64_t patch,
                  int64_t stride, int64_t h) {
  std::vector<ir::TensorId> in{f.input({1, k, hw, hw})};
  for (int64_t cellIn : {k, h}) {
    in.push_back(f.constant({cellIn, h}, -0.7f, 0.7f));
    in.push_back(f.constant({h, h}, -0.25f, 0.25f));
    in.push_back(f.constant({1, h}, -0.5f, 0.5f));
    in.push_back(f.constant({1, h}, -0.5f, 0.5f));
    in.push_back(f.constant({1, 1}, 0.9f, 1.1f));
    in.push_back(f.constant({1, 1}, -4.1f, -3.9f));
  }
  ir::RNNPoolAttrs a;
  a.patch = {patch, patch};
  a.stride = {stride, stride};
  a.rnn1 = {h, 0, 0, ir::RnnNonlinearity::Sigmoid, ir::RnnNonlinearity::Tanh};
  a.rnn2 = a.rnn1;
  a.encoding = "node";
  auto job = f.finish(name, ir::OpKind::RNNPool, a, in);
  INFO((job ? std::string() : job.error().message()));
  REQUIRE(job);
  return *job;
}

} // namespace

TEST_CASE("kernels on Cortex-M4 in QEMU (DSP path) match the host's portable C",
          "[runtime][qemu]") {
  JobFactory f(21);
  std::vector<KernelJob> jobs;
  jobs.push_back(conv(f, "conv 3x3 8->8", 8, 8, 10, 3, 1, 1));
  jobs.push_back(conv(f, "conv 3x3 stride 2, 1 input channel", 1, 8, 12, 3, 2, 1));
  jobs.push_back(conv(f, "conv 3x3, 1 input channel, ReLU6, odd width", 1, 5, 9, 3, 1, 1,
                      {ir::ActKind::Clip, 0.0f, 6.0f}));
  jobs.push_back(
      conv(f, "conv 3x3, 1 input channel, 260 columns (strips)", 1, 2, 260, 3, 1, 1));
  jobs.push_back(conv(f, "conv 3x3 5->6 (channel tail)", 5, 6, 7, 3, 1, 1));
  jobs.push_back(conv(f, "conv 5x5 3->6 (window as bytes)", 3, 6, 9, 5, 1, 1));
  jobs.push_back(conv(f, "conv 2x2 stride 2, 3->5 (12 taps)", 3, 5, 9, 2, 2, 1));
  jobs.push_back(conv(f, "depthwise 3x3", 8, 8, 10, 3, 1, 8));
  jobs.push_back(conv(f, "pointwise 16->16", 16, 16, 8, 1, 1, 1));
  /* Four-pixel path: an odd number of weight groups, a tail, three pixels left per row. */
  jobs.push_back(conv(f, "pointwise 13->9, ReLU, width 7", 13, 9, 7, 1, 1, 1,
                      {ir::ActKind::Relu}));
  jobs.push_back(conv(f, "pointwise 36->5, clip [0, 0.3]", 36, 5, 6, 1, 1, 1,
                      {ir::ActKind::Clip, 0.0f, 0.3f}));
  jobs.push_back(conv(f, "conv 3x3 16->7 (odd width and channels)", 16, 7, 7, 3, 1, 1));
  /* Windows longer than the quad buffer: chunks, two channel blocks, pairs or columns left. */
  jobs.push_back(conv(f, "conv 3x3 32->36 (quads in chunks, a pair left)", 32, 36, 7, 3, 1, 1,
                      {ir::ActKind::Relu}));
  jobs.push_back(conv(f, "conv 3x3 64->8 (quads in chunks, columns left)", 64, 8, 5, 3, 1, 1));
  jobs.push_back(conv(f, "pointwise 200->12 (quads in chunks)", 200, 12, 6, 1, 1, 1));
  /* Windows longer than the column buffer too (3 x 3 x 160 = 1,440 > RP_COL_MAX): the pixels
   * a row's quads leave go to the portable loops (a 3 x 3 head over a 160-channel map once
   * overran the column on the stack: RPool_Face_C's heads faulted in QEMU). */
  jobs.push_back(
      conv(f, "conv 3x3 160->4, width 6 (two left, long windows)", 160, 4, 6, 3, 1, 1));
  jobs.push_back(
      conv(f, "conv 3x3 128->6, width 2 (no quad, long windows)", 128, 6, 2, 3, 1, 1));
  jobs.push_back(
      conv(f, "pointwise 1280->5, width 5 (one left, long windows)", 1280, 5, 5, 1, 1, 1));
  /* The quads' assembly channel loop: 1 to 48 groups of four inputs (the first on the bias,
   * then one, two and four at a time), 1 to 17 output channels, pointwise windows and
   * gathered ones (3x3, strided 1x1); rows that end in one, two or three pixels (a last quad
   * ending at the edge, or pairs). */
  for (auto [in, out, hw, name] :
       {std::tuple{4, 3, 9, "pointwise 4->3 (one group)"}, {8, 1, 7, "pointwise 8->1"},
        {12, 17, 6, "pointwise 12->17 (three groups)"}, {20, 8, 5, "pointwise 20->8"},
        {28, 5, 6, "pointwise 28->5 (seven groups)"}, {192, 6, 5, "pointwise 192->6"}})
    jobs.push_back(conv(f, name, in, out, hw, 1, 1, 1));
  jobs.push_back(conv(f, "conv 3x3 stride 2 8->6 (72 inputs)", 8, 6, 11, 3, 2, 1));
  jobs.push_back(conv(f, "conv 1x1 stride 2 24->10", 24, 10, 13, 1, 2, 1));
  jobs.push_back(conv(f, "pointwise 256->8, width 7 (chunks, three left)", 256, 8, 7, 1, 1, 1));
  jobs.push_back(conv(f, "depthwise 3x3, 7 channels (tail)", 7, 7, 9, 3, 1, 7));
  jobs.push_back(conv(f, "depthwise 3x3 stride 2, 14 channels (channel planes, tail)", 14, 14,
                      11, 3, 2, 14));
  /* Regions of three rows or fewer: pixel pairs straight from the rows. */
  jobs.push_back(conv(f, "depthwise 3x3 stride 2, 5x5, 12 channels (pixel pairs)", 12, 12, 5,
                      3, 2, 12));
  jobs.push_back(conv(f, "depthwise 3x3, 3x3, 9 channels (pixel pairs, tail)", 9, 9, 3, 3, 1,
                      9));
  /* Planes whose rows hold an odd number of pairs and one more output (the assembly's
   * leading pair and last output). */
  jobs.push_back(conv(f, "depthwise 3x3, 11x11, 6 channels (planes, odd)", 6, 6, 11, 3, 1, 6));
  jobs.push_back(conv(f, "depthwise 3x3, 4 channels, 140x140 (plane chunks)", 4, 4, 140, 3, 1,
                      4, {ir::ActKind::Clip, 0.0f, 6.0f}));
  /* Channel planes with no padding column and with more than four (the gather's portable
   * rows). */
  for (auto [pad, hw, name] : {std::tuple{0, 12, "depthwise 3x3 pad 0, 12x12, 6 channels"},
                               {5, 6, "depthwise 3x3 pad 5, 6x6, 6 channels"}}) {
    ir::TensorId x = f.input({1, 6, hw, hw});
    ir::TensorId w = f.constant({6, 1, 3, 3}, -1, 1), b = f.constant({6}, -1, 1);
    ir::ConvAttrs a = convAttrs(3, 1, pad, 6);
    auto job = f.finish(name, ir::OpKind::Conv, a, {x, w, b});
    REQUIRE(job);
    jobs.push_back(*job);
  }
  /* Four rows per pass over an even and an odd number of groups of four inputs, with input
   * tails; then two rows, or two and one. */
  for (auto [in, out, name] : {std::tuple{67, 10, "fully connected 67->10"},
                               {37, 7, "fully connected 37->7"}}) {
    ir::TensorId x = f.input({1, in});
    ir::TensorId w = f.constant({in, out}, -0.3f, 0.3f);
    auto job = f.finish(name, ir::OpKind::MatMul, ir::NoAttrs{}, {x, w});
    REQUIRE(job);
    jobs.push_back(*job);
  }
  for (auto [op, name] : {std::pair{ir::OpKind::MaxPool, "max pool 3x3 stride 2 pad 1"},
                          {ir::OpKind::AveragePool, "average pool 3x3 stride 2 pad 1, ceil"}}) {
    ir::PoolAttrs a;
    a.kernel = {3, 3};
    a.strides = {2, 2};
    a.dilations = {1, 1};
    a.pads = {1, 1, 1, 1};
    a.ceilMode = op == ir::OpKind::AveragePool;
    auto job = f.finish(name, op, a, {f.input({1, 6, 10, 10})});
    REQUIRE(job);
    jobs.push_back(*job);
  }
  jobs.push_back(rnnpool(f, "RNNPool 8x8 stride 4, k 4, h 16", 4, 16, 8, 4, 16));
  jobs.push_back(rnnpool(f, "RNNPool 4x4 stride 2, k 3, h 8", 3, 10, 4, 2, 8));
  auto results = runOnBoard(jobs, RNNPOOLC_BINARY_DIR "/qemu-kernels");
  INFO((results ? std::string() : results.error().message()));
  REQUIRE(results);
  for (size_t i = 0; i < jobs.size(); ++i) {
    INFO(jobs[i].name);
    CHECK((*results)[i].output == runOnHost(jobs[i]));
    std::printf("%-40s %10.0f instructions, %6.2f per MAC\n", jobs[i].name.c_str(),
                (*results)[i].instructions,
                (*results)[i].instructions / double(std::max<int64_t>(1, jobs[i].macs)));
  }
}
