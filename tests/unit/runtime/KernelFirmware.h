// Runs single runtime kernels on a QEMU Cortex-M4 board (the DSP-extension path, as
// arm-none-eabi-gcc -mcpu=cortex-m4 selects it) and returns their output bytes and the
// instructions each call took. Used by the DSP == portable test and bench/kernels.
#pragma once

#include "compiler/calib/Calibrate.h"
#include "compiler/interp/FixedPoint.h"
#include "compiler/ir/OpInfo.h"
#include "compiler/passes/Passes.h"
#include "targets/c/CParams.h"
#include "targets/qemu/Firmware.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

namespace rnnpoolc::testing {

/// One kernel call (conv, pooling, fully connected, RNNPool or a same-shape add) with its
/// input bytes (runtime layout; an add's two inputs one after the other).
struct KernelJob {
  std::string name;
  quant::Layer layer;
  ir::Shape inShape, outShape; ///< logical NCHW (or [1, K]) shapes
  std::vector<int8_t> input;
  int64_t macs = 0;
  int32_t reuse = 1; ///< RNNPool: share RNN1 segment summaries between patches
};

struct KernelResult {
  std::vector<int8_t> output;
  double instructions = 0;
};

/// Builds one-node graphs with random constants and quantises them into kernel jobs
/// (calibrated on synthetic inputs in [-1, 1]).
class JobFactory {
public:
  explicit JobFactory(uint32_t seed) : rng_(seed) {}

  ir::TensorId input(ir::Shape shape) {
    g_ = ir::Graph();
    ir::Tensor t;
    t.name = "x";
    t.shape = std::move(shape);
    t.shapeKnown = true;
    g_.inputs = {g_.addTensor(t)};
    return g_.inputs[0];
  }
  /// A further graph input (an add's second operand), after input().
  ir::TensorId extraInput(ir::Shape shape) {
    ir::Tensor t;
    t.name = g_.uniqueTensorName("x");
    t.shape = std::move(shape);
    t.shapeKnown = true;
    g_.inputs.push_back(g_.addTensor(t));
    return g_.inputs.back();
  }
  ir::TensorId constant(ir::Shape shape, float lo, float hi) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(static_cast<size_t>(ir::numel(shape)));
    for (float &x : v)
      x = d(rng_);
    return g_.addConstant(g_.uniqueTensorName("c"),
                          ir::TensorData::fromFloats(std::move(shape), std::move(v)));
  }
  /// Adds the node, quantises the graph and returns the job (random input bytes).
  Expected<KernelJob> finish(std::string name, ir::OpKind op, ir::Attrs attrs,
                             std::vector<ir::TensorId> inputs);

  ir::Graph &graph() { return g_; }

private:
  ir::Graph g_;
  std::mt19937 rng_;
};

inline int32_t dim32(const ir::Shape &s, size_t i) { return static_cast<int32_t>(s.at(i)); }

/// The C statement that runs `job` number i from in_i into out_buf.
inline std::string kernelCall(const KernelJob &job, size_t i) {
  std::string p = fmt::format("&L{}", i), in = fmt::format("(int8_t *)in_{}", i);
  if (job.layer.kind == quant::KernelKind::FullyConnected)
    return fmt::format("rp_fc_s8({}, {}, out_buf);", p, in);
  if (job.layer.kind == quant::KernelKind::Add) {
    const int64_t n = ir::numel(job.outShape);
    return fmt::format("rp_add_s8({}, {}, {} + {}, out_buf, {});", p, in, in, n, n);
  }
  const ir::Shape &is = job.inShape, &os = job.outShape;
  std::string views = fmt::format(
      "rp_view vi = rp_view_whole({}, {}, {}); rp_view vo = rp_view_whole(out_buf, {}, {}); "
      "rp_region r = rp_region_whole({}, {});",
      in, dim32(is, 2), dim32(is, 3), dim32(os, 2), dim32(os, 3), dim32(os, 2), dim32(os, 3));
  if (job.layer.kind == quant::KernelKind::RNNPool)
    return views + fmt::format(" rp_rnnpool_s8({}, &vi, &vo, &r, scratch, {});", p, job.reuse);
  const char *fn = job.layer.kind == quant::KernelKind::MaxPool   ? "rp_maxpool_s8"
                   : job.layer.kind == quant::KernelKind::AvgPool ? "rp_avgpool_s8"
                                                                  : "rp_conv_s8";
  return views + fmt::format(" {}({}, &vi, &vo, &r);", fn, p);
}

/// The C initialiser of a job's params struct, written here field by field from
/// rnnpoolc_runtime.h (independent of targets/c, so that this test checks the kernels only).
inline std::string paramsText(const quant::Layer &layer, const std::string &base) {
  auto arr = [&](const std::string &field) { return targets::c::arraySymbol(base, field); };
  auto cell = [&](const rp_fastgrnn_params &c, const std::string &k) {
    return fmt::format("{{{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}}}", c.in_dim,
                       c.hidden, c.x_zp, c.x_shift, arr(k + "w"), arr(k + "u"), arr(k + "bz"),
                       arr(k + "bh"), c.acc_mult, c.acc_shift, c.zeta, c.nu, c.gate, c.update,
                       c.state_shift);
  };
  if (const auto *p = std::get_if<rp_conv_params>(&layer.params))
    return fmt::format("static const rp_conv_params {} = {{{}, {}, {}, {}, {}, {}, {}, {}, {}, "
                       "{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}}};\n",
                       base, p->in_h, p->in_w, p->in_c, p->out_h, p->out_w, p->out_c, p->k_h,
                       p->k_w, p->stride_h, p->stride_w, p->dil_h, p->dil_w, p->pad_top,
                       p->pad_left, p->groups, p->in_zp, p->out_zp, p->act_min, p->act_max,
                       arr("weights"), arr("bias"), arr("mult"), arr("shift"));
  if (const auto *p = std::get_if<rp_fc_params>(&layer.params))
    return fmt::format("static const rp_fc_params {} = {{{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, "
                       "{}}};\n",
                       base, p->rows, p->in_features, p->out_features, p->in_zp, p->out_zp,
                       p->act_min, p->act_max, arr("weights"), arr("bias"), arr("mult"),
                       arr("shift"));
  if (const auto *p = std::get_if<rp_add_params>(&layer.params))
    return fmt::format("static const rp_add_params {} = {{{}, {}, {}, {}, {}, {}, {}, {}, {}, "
                       "{}, {}, {}}};\n",
                       base, p->in1_zp, p->in2_zp, p->out_zp, p->left_shift, p->in1_mult,
                       p->in1_shift, p->in2_mult, p->in2_shift, p->out_mult, p->out_shift,
                       p->act_min, p->act_max);
  if (const auto *p = std::get_if<rp_pool_params>(&layer.params))
    return fmt::format("static const rp_pool_params {} = {{{}, {}, {}, {}, {}, {}, {}, {}, {}, "
                       "{}, {}, {}, {}, {}, {}}};\n",
                       base, p->in_h, p->in_w, p->channels, p->out_h, p->out_w, p->k_h, p->k_w,
                       p->stride_h, p->stride_w, p->pad_top, p->pad_left, p->pad_bottom,
                       p->pad_right, p->count_include_pad, p->zp);
  const auto &p = std::get<rp_rnnpool_params>(layer.params);
  return fmt::format("static const rp_rnnpool_params {} = {{{}, {}, {}, {}, {}, {}, {}, {}, {}, "
                     "{}, {}, {}, {}, {}}};\n",
                     base, p.in_h, p.in_w, p.in_c, p.out_h, p.out_w, p.patch_h, p.patch_w,
                     p.stride_h, p.stride_w, cell(p.rnn1, "rnn1."), cell(p.rnn2, "rnn2."),
                     p.out_zp, p.out_mult, p.out_shift);
}

/// Writes kernels.c: every job's constants and input, and a main() that runs each job once
/// between SysTick readings and appends its output to output.bin.
inline Expected<std::string> kernelSource(const std::vector<KernelJob> &jobs, size_t outBytes,
                                          size_t scratchBytes, bool singleTu) {
  std::string s = "/* Generated by the rnnpoolc kernel tests: one call per kernel. */\n"
                  "#include \"rnnpoolc_runtime.h\"\n#include \"fw.h\"\n\n";
  if (singleTu) // the runtime in this translation unit, specialised to the static params
    s = "/* Generated by the rnnpoolc kernel tests: one call per kernel. */\n"
        "#define RP_SINGLE_TU 1\n#include \"rnnpoolc_runtime_all.c\"\n#include \"fw.h\"\n\n";
  for (size_t i = 0; i < jobs.size(); ++i) {
    std::string base = fmt::format("L{}", i);
    for (const auto &a : jobs[i].layer.arrays)
      s += "static " + targets::c::arrayDefinition(*a, targets::c::arraySymbol(base, a->field),
                                                   /*isExtern=*/false);
    s += paramsText(jobs[i].layer, base);
    quant::ConstArray in;
    in.ctype = "int8_t";
    in.s8 = jobs[i].input;
    s += "static " + targets::c::arrayDefinition(in, fmt::format("in_{}", i), false);
  }
  s += fmt::format("static int8_t out_buf[{}];\nstatic int32_t scratch[{}];\n\n", outBytes,
                   scratchBytes / 4 + 1);
  s += "int main(void) {\n  int out = fw_open_write(\"output.bin\");\n  uint64_t t0;\n"
       "  if (out < 0)\n    return 1;\n  (void)scratch;\n";
  for (size_t i = 0; i < jobs.size(); ++i)
    s += fmt::format("  {{\n    {}\n    fw_counter_start();\n    t0 = fw_ticks();\n"
                     "    {{ {} }}\n    fw_print_value(\"ticks\", fw_ticks() - t0);\n"
                     "    if (fw_write_all(out, out_buf, {}) != 0)\n      return 1;\n  }}\n",
                     "/* " + jobs[i].name + " */", kernelCall(jobs[i], i),
                     ir::numel(jobs[i].outShape));
  s += "  fw_close(out);\n  return 0;\n}\n";
  return s;
}

/// Builds and runs the jobs on mps2-an386 in `dir`. `singleTu`: compile the runtime into
/// the same translation unit (RP_SINGLE_TU), as generated code may, so that the C compiler
/// can specialise the kernels to their constant params; otherwise link its object files.
inline Expected<std::vector<KernelResult>> runOnBoard(const std::vector<KernelJob> &jobs,
                                                      const std::string &dir,
                                                      bool singleTu = false) {
  const qemu::Board *board = qemu::findBoard("mps2-an386");
  size_t outBytes = 1, scratch = 4;
  for (const auto &j : jobs) {
    outBytes = std::max(outBytes, static_cast<size_t>(ir::numel(j.outShape)));
    if (j.layer.kind == quant::KernelKind::RNNPool) {
      const auto &p = std::get<rp_rnnpool_params>(j.layer.params);
      scratch = std::max(scratch, rp_rnnpool_scratch_bytes(&p, p.out_w, 1));
    }
  }
  auto source = kernelSource(jobs, outBytes, scratch, singleTu);
  if (!source)
    return source.error();
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/kernels.c") << *source;
  qemu::FirmwareSpec spec;
  spec.board = board;
  spec.dir = dir;
  spec.sources = {dir + "/kernels.c"};
  if (!singleTu)
    for (const char *f : {"rp_eltwise.c", "rp_conv.c", "rp_fc_pool.c", "rp_rnnpool.c"})
      spec.sources.push_back(std::string(RNNPOOLC_SOURCE_DIR "/runtime/") + f);
  spec.includeDirs = {RNNPOOLC_SOURCE_DIR "/runtime"};
  auto elf = qemu::buildFirmware(spec);
  if (!elf)
    return elf.error();
  auto run = qemu::runFirmware(*board, *elf, dir, 120);
  if (!run)
    return run.error();
  std::ifstream file(dir + "/output.bin", std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(file)), {});
  const auto &ticks = run->values["ticks"];
  if (ticks.size() != jobs.size())
    return makeError("the firmware reported {} timings for {} kernels", ticks.size(),
                     jobs.size());
  std::vector<KernelResult> results;
  size_t at = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    auto n = static_cast<size_t>(ir::numel(jobs[i].outShape));
    if (at + n > bytes.size())
      return makeError("output.bin is short: {} bytes", bytes.size());
    KernelResult r;
    r.output.assign(bytes.begin() + static_cast<ptrdiff_t>(at),
                    bytes.begin() + static_cast<ptrdiff_t>(at + n));
    r.instructions = static_cast<double>(ticks[i]) * board->instructionsPerTick;
    results.push_back(std::move(r));
    at += n;
  }
  return results;
}

/// The same jobs on the host through the portable C kernels.
inline std::vector<int8_t> runOnHost(const KernelJob &job) {
  std::vector<int8_t> in = job.input, out(static_cast<size_t>(ir::numel(job.outShape)));
  if (job.layer.kind == quant::KernelKind::FullyConnected) {
    rp_fc_s8(&std::get<rp_fc_params>(job.layer.params), in.data(), out.data());
    return out;
  }
  if (job.layer.kind == quant::KernelKind::Add) {
    const auto n = static_cast<int32_t>(out.size());
    rp_add_s8(&std::get<rp_add_params>(job.layer.params), in.data(), in.data() + n, out.data(),
              n);
    return out;
  }
  rp_view vi = rp_view_whole(in.data(), dim32(job.inShape, 2), dim32(job.inShape, 3));
  rp_view vo = rp_view_whole(out.data(), dim32(job.outShape, 2), dim32(job.outShape, 3));
  rp_region r = rp_region_whole(dim32(job.outShape, 2), dim32(job.outShape, 3));
  switch (job.layer.kind) {
  case quant::KernelKind::Conv:
    rp_conv_s8(&std::get<rp_conv_params>(job.layer.params), &vi, &vo, &r);
    break;
  case quant::KernelKind::MaxPool:
    rp_maxpool_s8(&std::get<rp_pool_params>(job.layer.params), &vi, &vo, &r);
    break;
  case quant::KernelKind::AvgPool:
    rp_avgpool_s8(&std::get<rp_pool_params>(job.layer.params), &vi, &vo, &r);
    break;
  case quant::KernelKind::RNNPool: {
    const auto &p = std::get<rp_rnnpool_params>(job.layer.params);
    std::vector<int32_t> scratch(rp_rnnpool_scratch_bytes(&p, p.out_w, job.reuse) / 4 + 1);
    rp_rnnpool_s8(&p, &vi, &vo, &r, scratch.data(), job.reuse);
    break;
  }
  default: break;
  }
  return out;
}

inline Expected<KernelJob> JobFactory::finish(std::string name, ir::OpKind op, ir::Attrs attrs,
                                              std::vector<ir::TensorId> inputs) {
  ir::Node node;
  node.name = name;
  node.op = op;
  node.attrs = std::move(attrs);
  node.inputs = std::move(inputs);
  ir::Tensor out;
  out.name = "y";
  node.outputs = {g_.addTensor(out)};
  g_.outputs = node.outputs;
  g_.nodes = {node};
  RNNPOOLC_TRY(passes::foldConstantsAndInferShapes(g_));
  auto ranges = calib::calibrate(g_, calib::syntheticInputs(g_, 4));
  if (!ranges)
    return ranges.error();
  auto model = quant::quantize(g_, *ranges);
  if (!model)
    return model.error();
  KernelJob job;
  job.name = std::move(name);
  job.layer = model->layers.at(0);
  job.inShape = g_.tensor(g_.inputs[0]).shape;
  job.outShape = g_.tensor(g_.outputs[0]).shape;
  job.macs = ir::macs(g_, g_.nodes[0]);
  std::uniform_int_distribution<int> byte(-128, 127);
  int64_t inBytes = 0;
  for (ir::TensorId t : g_.inputs)
    inBytes += ir::numel(g_.tensor(t).shape);
  job.input.resize(static_cast<size_t>(inBytes));
  for (auto &b : job.input)
    b = static_cast<int8_t>(byte(rng_));
  return job;
}

} // namespace rnnpoolc::testing
