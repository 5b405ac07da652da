// Instructions per inference of single runtime kernels on a Cortex-M4 (QEMU mps2-an386,
// -icount shift=0, SysTick), DSP path: per call, per MAC, and for RNNPool per patch. The
// RNNPool layer of the RNNPool-Face-M4 detector (160x120x4 map, 8x8 patches at stride 4,
// h1 = h2 = 16, 1,131 patches) is the headline figure.
//
//   bench_kernels [--quick]      (--quick skips the Face-M4-sized layer)
// Every figure is printed twice: with the runtime linked as separate objects and compiled
// into the calling translation unit (RP_SINGLE_TU), where the constant params propagate.
// Exit status 2 if any kernel's bytes differ from the host's portable C.
//
// Beside each figure: Arm's CMSIS-NN on the same shape and the target of issue 15. CMSIS-NN is
// not a dependency: its figures are constants, measured once (kCmsisProvenance).
#include "tests/unit/runtime/KernelFirmware.h"

#include <cstdio>
#include <cstring>

using namespace rnnpoolc;
using namespace rnnpoolc::testing;

namespace {

Expected<KernelJob> conv(JobFactory &f, const char *name, int64_t inC, int64_t outC,
                         int64_t hw, int64_t k, int64_t stride, int64_t group) {
  ir::TensorId x = f.input({1, inC, hw, hw});
  ir::TensorId w = f.constant({outC, inC / group, k, k}, -1, 1), b = f.constant({outC}, -1, 1);
  ir::ConvAttrs a;
  a.kernel = {k, k};
  a.strides = {stride, stride};
  a.dilations = {1, 1};
  a.pads = {k / 2, k / 2, k / 2, k / 2};
  a.group = group;
  return f.finish(name, ir::OpKind::Conv, a, {x, w, b});
}

Expected<KernelJob> rnnpool(JobFactory &f, const char *name, int64_t k, int64_t h, int64_t w,
                            int64_t patch, int64_t stride, int64_t hidden) {
  std::vector<ir::TensorId> in{f.input({1, k, h, w})};
  for (int64_t cellIn : {k, hidden}) {
    in.push_back(f.constant({cellIn, hidden}, -0.7f, 0.7f));
    in.push_back(f.constant({hidden, hidden}, -0.25f, 0.25f));
    in.push_back(f.constant({1, hidden}, -0.5f, 0.5f));
    in.push_back(f.constant({1, hidden}, -0.5f, 0.5f));
    in.push_back(f.constant({1, 1}, 0.9f, 1.1f));
    in.push_back(f.constant({1, 1}, -4.1f, -3.9f));
  }
  ir::RNNPoolAttrs a;
  a.patch = {patch, patch};
  a.stride = {stride, stride};
  a.rnn1 = {hidden, 0, 0, ir::RnnNonlinearity::Sigmoid, ir::RnnNonlinearity::Tanh};
  a.rnn2 = a.rnn1;
  a.encoding = "node";
  return f.finish(name, ir::OpKind::RNNPool, a, in);
}

int report(const std::vector<KernelJob> &jobs, bool singleTu);

/// CMSIS-NN's instructions per MAC (add: per element) on a kernel's shape, and the target.
struct Reference {
  const char *kernel;
  double cmsis, target;
};

const char *const kCmsisProvenance =
    "CMSIS-NN: commit 99f736a, its fastest options (DSP paths, inline-assembly "
    "requantisation), arm-none-eabi-gcc 12 -O2 -mcpu=cortex-m4, the same shapes in QEMU "
    "mps2-an386 (-icount shift=0, SysTick); depthwise is arm_depthwise_conv_3x3_s8 "
    "(figures of issue 15, not measured by this program)";

const Reference kReferences[] = {
    {"conv 3x3 32->32, 16x16", 1.90, 1.20},
    {"conv 3x3 stride 2 1->8, 32x32 (stem)", 13.2, 4.0},
    {"conv 3x3 stride 2 1->4, 64x64 (face stem)", 20.4, 5.0},
    {"depthwise 3x3 32ch, 16x16", 7.27, 3.0},
    {"pointwise 32->64, 16x16", 2.52, 1.20},
    {"fully connected 512->10", 1.98, 1.30},
    {"add 32x16x16 (per element)", 55.0, 12.0},
};

const Reference *referenceOf(const std::string &kernel) {
  for (const Reference &r : kReferences)
    if (kernel == r.kernel)
      return &r;
  return nullptr;
}

} // namespace

int main(int argc, char **argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  JobFactory f(5);
  std::vector<Expected<KernelJob>> made;
  made.push_back(conv(f, "conv 3x3 32->32, 16x16", 32, 32, 16, 3, 1, 1));
  made.push_back(conv(f, "conv 3x3 stride 2 1->8, 32x32 (stem)", 1, 8, 32, 3, 2, 1));
  made.push_back(conv(f, "conv 3x3 stride 2 1->4, 64x64 (face stem)", 1, 4, 64, 3, 2, 1));
  made.push_back(conv(f, "depthwise 3x3 32ch, 16x16", 32, 32, 16, 3, 1, 32));
  made.push_back(conv(f, "pointwise 32->64, 16x16", 32, 64, 16, 1, 1, 1));
  {
    ir::TensorId x = f.input({1, 512});
    ir::TensorId w = f.constant({512, 10}, -0.1f, 0.1f);
    made.push_back(f.finish("fully connected 512->10", ir::OpKind::MatMul, ir::NoAttrs{}, {x, w}));
  }
  { // MACs = elements: the figure is instructions per element
    ir::TensorId x = f.input({1, 32, 16, 16}), y = f.extraInput({1, 32, 16, 16});
    made.push_back(f.finish("add 32x16x16 (per element)", ir::OpKind::Add, ir::NoAttrs{}, {x, y}));
  }
  made.push_back(rnnpool(f, "RNNPool 8x8/4, k4, h16, 16x16 (9 patches)", 4, 16, 16, 8, 4, 16));
  made.push_back(rnnpool(f, "RNNPool 4x4/2, k8, h8, 14x14 (fashion_rnnpool's)", 8, 14, 14, 4, 2,
                         8));
  if (!quick) {
    made.push_back(rnnpool(f, "RNNPool Face-M4: 160x120x4, 8x8/4, h16", 4, 120, 160, 8, 4, 16));
    if (made.back()) { // the same layer without sharing RNN1 segment summaries
      KernelJob plain = *made.back();
      plain.name = "  the same without segment reuse";
      plain.reuse = 0;
      made.push_back(std::move(plain));
    }
  }
  std::vector<KernelJob> jobs;
  for (auto &m : made) {
    if (!m) {
      std::fprintf(stderr, "error: %s\n", m.error().message().c_str());
      return 2;
    }
    jobs.push_back(std::move(*m));
  }
  int status = 0;
  for (bool singleTu : {false, true})
    status |= report(jobs, singleTu);
  std::printf("\n%s\n", kCmsisProvenance);
  return status ? 2 : 0;
}

namespace {

/// Runs the jobs on the board and prints one line per kernel.
int report(const std::vector<KernelJob> &jobs, bool singleTu) {
  auto results = runOnBoard(jobs, RNNPOOLC_BINARY_DIR "/bench-kernels", singleTu);
  if (!results) {
    std::fprintf(stderr, "error: %s\n", results.error().message().c_str());
    return 2;
  }
  std::printf("\n%s\n", singleTu ? "runtime in the model's translation unit (RP_SINGLE_TU, "
                                    "params propagated)"
                                  : "runtime linked as separate objects");
  std::printf("%-46s %14s %12s %10s %9s %7s %s\n", "kernel (Cortex-M4 DSP path, QEMU)",
              "instructions", "MACs", "instr/MAC", "CMSIS-NN", "target", "bit-exact vs host");
  int status = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const auto &r = (*results)[i];
    bool exact = r.output == runOnHost(jobs[i]);
    status |= exact ? 0 : 1;
    const Reference *ref = referenceOf(jobs[i].name);
    std::string cmsis = ref ? fmt::format("{:.2f}", ref->cmsis) : "-";
    std::string target = ref ? fmt::format("{:.2f}", ref->target) : "-";
    std::printf("%-46s %14.0f %12lld %10.2f %9s %7s %s\n", jobs[i].name.c_str(), r.instructions,
                static_cast<long long>(jobs[i].macs), r.instructions / double(jobs[i].macs),
                cmsis.c_str(), target.c_str(), exact ? "yes" : "NO");
    if (jobs[i].layer.kind == quant::KernelKind::RNNPool) {
      const auto &p = std::get<rp_rnnpool_params>(jobs[i].layer.params);
      std::printf("%-46s %14.0f per patch (%d patches)\n", "", r.instructions / (p.out_h * p.out_w),
                  p.out_h * p.out_w);
    }
  }
  return status;
}

} // namespace
