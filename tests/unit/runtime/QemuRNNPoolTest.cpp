// The RNNPool kernel's Cortex-M4 paths (inline-assembly dot products of the FastGRNN cells,
// the paired update) on a real instruction set: layers with 8 or 16 hidden units, whose cells
// take the assembly (RNN1 with 4, 8 and 16 input channels, RNN2 with 8 and 16), built with
// arm-none-eabi-gcc and run in QEMU (mps2-an386), must produce the bytes of the host's
// portable C on extreme inputs (all -128, all 127, alternating) and random ones. ~5 s.
#include "tests/unit/runtime/KernelFirmware.h"

#include <catch2/catch.hpp>

using namespace rnnpoolc;
using namespace rnnpoolc::testing;

namespace {

KernelJob rnnpool(JobFactory &f, std::string name, int64_t k, int64_t hw, int64_t patch,
                  int64_t stride, int64_t h, int64_t h2, float wRange, bool bigZetaNu) {
  std::vector<ir::TensorId> in{f.input({1, k, hw, hw})};
  for (auto [cellIn, hidden] : {std::pair{k, h}, std::pair{h, h2}}) {
    in.push_back(f.constant({cellIn, hidden}, -wRange, wRange));
    in.push_back(f.constant({hidden, hidden}, -wRange, wRange));
    in.push_back(f.constant({1, hidden}, -0.5f, 0.5f));
    in.push_back(f.constant({1, hidden}, -0.5f, 0.5f));
    in.push_back(f.constant({1, 1}, 0.9f, 1.1f));
    in.push_back(f.constant({1, 1}, -4.1f, -3.9f));
  }
  ir::RNNPoolAttrs a;
  a.patch = {patch, patch};
  a.stride = {stride, stride};
  a.rnn1 = {h, 0, 0, ir::RnnNonlinearity::Sigmoid, ir::RnnNonlinearity::Tanh};
  a.rnn2 = {h2, 0, 0, ir::RnnNonlinearity::Sigmoid, ir::RnnNonlinearity::Tanh};
  a.encoding = "node";
  auto job = f.finish(name.c_str(), ir::OpKind::RNNPool, a, in);
  INFO((job ? std::string() : job.error().message()));
  REQUIRE(job);
  if (bigZetaNu) { // zeta = nu = 1 (Q14 16384; the quantiser stops at 16383): coef reaches 2^15
    auto &p = std::get<rp_rnnpool_params>(job->layer.params);
    p.rnn1.zeta = p.rnn1.nu = p.rnn2.zeta = p.rnn2.nu = 16384;
  }
  return *job;
}

} // namespace

TEST_CASE("RNNPool on Cortex-M4 in QEMU (assembly cells) matches the host's portable C",
          "[runtime][qemu]") {
  JobFactory f(41);
  std::vector<KernelJob> jobs;
  // (channels, map, patch, stride, hidden, weight range, zeta = nu = 1): overlapping and
  // disjoint patches, odd sides (RNN2's middle summary, column pairs that wrap around the
  // column cache and take the portable step), weights small and large (saturated gates), 16
  // and 8 hidden units (fashion_rnnpool's layer is k 8, h 8, 4x4 patches), and RNN2 with
  // other than RNN1's (its x pass over 8 inputs for 16 units and 16 inputs for 8). The weight
  // ranges give accumulator shifts of 13 to 17, so each of the update's three forms
  // (saturating both nonlinearity inputs, the tanh input only, neither; the shifts of 16 and
  // more take the tables without fraction extraction) runs; zeta + nu = 2^15 (Q14) takes the
  // second pass's MLA form.
  const std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, float, bool> shapes[] = {
      {4, 16, 8, 4, 16, 16, 0.7f, false}, {16, 10, 4, 2, 16, 16, 0.5f, false},
      {4, 12, 6, 6, 16, 16, 3.0f, false}, {4, 13, 5, 2, 16, 16, 1.0f, false},
      {4, 12, 8, 4, 16, 16, 0.15f, false}, {4, 12, 8, 4, 16, 16, 0.7f, true},
      {8, 14, 4, 2, 8, 8, 0.7f, false},    {4, 11, 5, 3, 8, 8, 0.5f, false},
      {16, 9, 3, 2, 8, 8, 0.2f, true},     {4, 12, 8, 4, 16, 8, 0.7f, false},
      {8, 10, 4, 2, 8, 16, 0.5f, false}};
  for (auto [k, hw, patch, stride, h, h2, range, bigZetaNu] : shapes) {
    const std::string shape = "RNNPool k " + std::to_string(k) + ", h " + std::to_string(h) +
                              (h2 != h ? ", h2 " + std::to_string(h2) : std::string()) +
                              ", " + std::to_string(hw) +
                              "x" + std::to_string(hw) + ", " + std::to_string(patch) + "/" +
                              std::to_string(stride) + ", weights +-" +
                              std::to_string(range).substr(0, 3) +
                              (bigZetaNu ? ", zeta = nu = 1" : "");
    KernelJob base =
        rnnpool(f, shape + ", random", k, hw, patch, stride, h, h2, range, bigZetaNu);
    jobs.push_back(base);
    for (int pattern = 0; pattern < 3; ++pattern) {
      KernelJob job = base;
      const char *what[] = {", all -128", ", all 127", ", alternating"};
      job.name = shape + what[pattern];
      for (size_t i = 0; i < job.input.size(); ++i)
        job.input[i] = pattern == 0 ? int8_t(-128)
                                    : pattern == 1 ? int8_t(127)
                                                   : int8_t(i % 2 ? 127 : -128);
      jobs.push_back(std::move(job));
    }
  }
  // The output requantisation outside the shifts that fold the zero point into the rounding
  // constant (a factor of 1/2 and one below 2^-23), on the first shape: its general path.
  for (int32_t outShift : {0, -24}) {
    KernelJob job = jobs[0];
    job.name += ", output shift " + std::to_string(outShift);
    std::get<rp_rnnpool_params>(job.layer.params).out_shift = outShift;
    jobs.push_back(std::move(job));
  }
  auto results = runOnBoard(jobs, RNNPOOLC_BINARY_DIR "/qemu-rnnpool");
  INFO((results ? std::string() : results.error().message()));
  REQUIRE(results);
  for (size_t i = 0; i < jobs.size(); ++i) {
    INFO(jobs[i].name);
    CHECK((*results)[i].output == runOnHost(jobs[i]));
  }
}
