// `rnnpoolc run`: runs a model on input tensors and prints or saves its outputs.
#include "compiler/driver/Compile.h"
#include "compiler/driver/Flags.h"
#include "compiler/driver/Driver.h"
#include "compiler/interp/FixedPoint.h"
#include "compiler/interp/Interpreter.h"
#include "compiler/interp/PlanExecutor.h"
#include "compiler/plan/Planner.h"
#include "compiler/support/Escape.h"
#include "frontends/onnx/TensorIO.h"
#include "targets/llvm/LlvmTarget.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

namespace rnnpoolc::driver {
namespace {

constexpr const char *kHelp = R"(usage: rnnpoolc run MODEL.onnx --input FILE [options]

Runs the model on the given input (ONNX TensorProto .pb or NumPy .npy; repeat --input
for a model with several inputs, in the order of the model's inputs) and prints a summary
of each output.

Options:
  --input FILE               an input tensor (.pb or .npy)
  --output FILE              write the outputs (.pb or .npy by extension); with several
                             outputs, FILE's stem gets _0, _1, ... appended
  --board host               where to run: host (the float reference interpreter);
                             mps2-an386 or netduinoplus2 run generated C in QEMU (see
                             'rnnpoolc run --board mps2-an386 --help')
  --fixed                    on the host, run the quantised model through the fixed-point
                             runtime kernels (the bit-exact oracle of generated code) and
                             print its error against the float interpreter
  --calib FILE|DIR           calibration inputs for quantisation (.npy / .pb, a batch or
                             one sample per file; repeatable); without it, synthetic data;
                             for a model of several inputs, NAME=FILE|DIR per input
  --calib-percentile P       clip each range to the P-th percentile of its values
  --native                   with --board host: compile the quantised model with the LLVM
                             backend for this CPU (the verified plan, as 'rnnpoolc compile
                             --backend llvm --target host' writes model.o), run it in
                             process and check its outputs byte for byte against the
                             host fixed-point interpreter
  --float                    with --native: compile the float32 build instead and check
                             its outputs against the float interpreter (largest absolute
                             difference within 1e-4 x max(1, range of the outputs))
  --repeat N                 with --native: after one warm-up, time N inferences (input
                             quantisation included) and print the median
  --cpu NAME                 with --native: the CPU to compile for (default: this one)
  --ram-budget BYTES         with --native: plan for the fewest MACs whose peak fits
  --mac-overhead P           with --native: extra MACs allowed for recomputed tile halos
                             (default none on the host, or 10% with --ram-budget)
  --plan                     execute the memory plan step by step (row bands, tiles,
                             arena offsets) in the float interpreter instead of whole
                             tensors; the outputs must be the same bytes
  --stream-input             with --plan or --native: plan the input as streamed row by row
  --input-shape NAME=DIMS    fix the shape of an input, e.g. input=1x3x224x224
  --help                     print this help
)";

struct RunOptions {
  std::string model;
  std::vector<std::string> inputs;
  std::string output;
  std::string board = "host";
  bool fixed = false;
  std::vector<std::string> calib;
  double calibPercentile = 0;
  std::map<std::string, ir::Shape> inputShapes;
  bool planned = false, streamInput = false;
  bool native = false, floatMode = false;
  int64_t repeat = 0;
  std::string cpu;
  std::optional<int64_t> ramBudget;
  std::optional<double> macOverhead;
  std::vector<std::string> all;
};

/// --repeat: a positive count.
Expected<int64_t> parseRepeat(const std::string &text) {
  char *end = nullptr;
  const long long n = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || n < 1 || n > 1000000)
    return makeError("--repeat takes a count from 1 to 1000000, not '{}'", text);
  return static_cast<int64_t>(n);
}

Expected<RunOptions> parse(const Args &args, bool &helped) {
  RunOptions o;
  o.all = args;
  Flags flags("run", kHelp, "rnnpoolc run --help");
  flags.model(o.model)
      .values("--input", o.inputs)
      .value("--output", o.output)
      .value("--board", o.board)
      .flag("--fixed", o.fixed)
      .values("--calib", o.calib)
      .value("--calib-percentile", store(parseCalibPercentile, o.calibPercentile))
      .flag("--plan", o.planned)
      .flag("--native", o.native)
      .flag("--float", o.floatMode)
      .value("--repeat", store(parseRepeat, o.repeat))
      .value("--cpu", o.cpu)
      .value("--ram-budget", store(parseBytes, o.ramBudget))
      .value("--mac-overhead", store(parsePercent, o.macOverhead))
      .flag("--stream-input", o.streamInput)
      .values("--input-shape",
              [&](const std::string &v) { return parseInputShape(v, o.inputShapes); });
  auto parsed = flags.parse(args);
  if (!parsed)
    return parsed.error();
  helped = *parsed;
  if (helped)
    return o;
  if (o.board != "host")
    return makeError("run: board '{}' is not available yet; use --board host", o.board);
  if (!o.native && (o.repeat || !o.cpu.empty() || o.ramBudget || o.macOverhead))
    return makeError("run: {} needs --native", o.repeat         ? "--repeat"
                                               : !o.cpu.empty() ? "--cpu"
                                               : o.ramBudget    ? "--ram-budget"
                                                                : "--mac-overhead");
  if (o.floatMode && !o.native)
    return makeError("run: --float on the host needs --native (the host interpreter runs in "
                     "float already)");
  if (o.floatMode && !o.calib.empty())
    return makeError("run: --calib has no effect with --float (nothing is quantised); drop "
                     "one of them");
  if (o.native && (o.fixed || o.planned))
    return makeError("run: --native runs its build and checks it itself; drop {}",
                     o.fixed ? "--fixed" : "--plan");
  if (o.native)
    RNNPOOLC_TRY(checkBackend("llvm", o.cpu, false, "host"));
  if (!o.output.empty()) {
    std::string ext = std::filesystem::path(o.output).extension();
    if (ext != ".pb" && ext != ".npy")
      return makeError("{}: --output must end in .pb or .npy", o.output);
  }
  return o;
}

/// Reads the input files and checks them against the graph's inputs.
Expected<std::vector<ir::TensorData>> readInputs(const RunOptions &o, const ir::Graph &g) {
  if (o.inputs.size() != g.inputs.size())
    return makeError("{}: the model has {} input(s) but {} --input file(s) were given",
                     o.model, g.inputs.size(), o.inputs.size());
  std::vector<ir::TensorData> values;
  for (size_t k = 0; k < o.inputs.size(); ++k) {
    auto value = onnx_frontend::readTensorFile(o.inputs[k]);
    if (!value)
      return makeError("{}: {}", o.inputs[k], value.error().message());
    const ir::Tensor &in = g.tensor(g.inputs[k]);
    const bool batch =
        value->shape.size() == in.shape.size() && !in.shape.empty() && in.shape[0] == 1 &&
        value->shape[0] > 1 &&
        std::equal(in.shape.begin() + 1, in.shape.end(), value->shape.begin() + 1);
    if (batch && (o.fixed || (o.native && !o.floatMode)))
      return makeError(
          "{}: holds a batch of {} samples, but the fixed-point paths run one at a "
          "time (input '{}' is {}[{}]): pass one sample, or run the batch with "
          "--board, which takes a batch file as {} inferences",
          o.inputs[k], value->shape[0], in.name, ir::name(in.dtype), ir::toString(in.shape),
          value->shape[0]);
    if (value->shape != in.shape || value->dtype != in.dtype)
      return makeError("{}: holds {}[{}] but input '{}' of the model is {}[{}]; pass a matching "
                       "tensor or --input-shape",
                       o.inputs[k], ir::name(value->dtype), ir::toString(value->shape), in.name,
                       ir::name(in.dtype), ir::toString(in.shape));
    values.push_back(std::move(*value));
  }
  return values;
}

void printSummary(const std::string &name, const ir::TensorData &v) {
  fmt::print("output {}: {}[{}]", escapeForMessage(name), ir::name(v.dtype), ir::toString(v.shape));
  if (v.numel() == 0) {
    fmt::print("\n");
    return;
  }
  double lo = v.get(0), hi = lo, sum = 0;
  int64_t argmax = 0;
  for (int64_t k = 0; k < v.numel(); ++k) {
    double x = v.get(k);
    sum += x;
    lo = std::min(lo, x);
    if (x > hi) {
      hi = x;
      argmax = k;
    }
  }
  fmt::print(" min {:.6g} max {:.6g} mean {:.6g} argmax {}\n", lo, hi, sum / v.numel(), argmax);
  std::string head;
  for (int64_t k = 0; k < std::min<int64_t>(v.numel(), 10); ++k)
    head += fmt::format("{}{:.6g}", k ? " " : "", v.get(k));
  fmt::print("  [{}{}]\n", head, v.numel() > 10 ? " ..." : "");
}

/// How far the fixed-point output is from the float one, in values and output steps.
void printFixedError(const std::string &name, const ir::TensorData &ref,
                     const ir::TensorData &fixed, float step) {
  double worst = 0;
  for (int64_t k = 0; k < ref.numel(); ++k)
    worst = std::max(worst, std::abs(ref.get(k) - fixed.get(k)));
  fmt::print("fixed-point {}: max |fixed - float| {:.6g} ({:.3g} output steps of {:.6g})\n",
             escapeForMessage(name),
             worst, worst / step, step);
}

/// Writes every output or none.
Status writeOutputs(const std::string &base, const ir::Graph &g,
                    const std::vector<ir::TensorData> &values) {
  std::vector<FileWriter> files;
  for (size_t k = 0; k < values.size(); ++k)
    files.push_back({outputPath(base, k, values.size()), [&, k](const std::string &tmp) {
                       return onnx_frontend::writeTensorFile(tmp, values[k],
                                                             g.tensor(g.outputs[k]).name);
                     }});
  return writeAllOrNothing(files);
}

/// An input of a streamed native run, pixel by pixel with channels innermost.
struct StreamedInputs {
  const targets::llvmgen::NativeModel *model = nullptr;
  std::vector<std::vector<float>> hwc; ///< Per input.
  std::vector<int32_t> rowValues;      ///< Per input: values of one row.
};

void readStreamedRow(void *user, int32_t index, int32_t row, int8_t *dst) {
  auto *in = static_cast<StreamedInputs *>(user);
  const auto k = static_cast<size_t>(index);
  in->model->quantizePixels(index, in->hwc[k].data() + static_cast<size_t>(row) *
                                                          static_cast<size_t>(in->rowValues[k]),
                            in->rowValues[k], dst);
}

/// A float32 output of the native build (HWC for 4-D) as a logical NCHW tensor.
ir::TensorData floatOutput(const float *values, const ir::Shape &shape) {
  const size_t n = static_cast<size_t>(ir::numel(shape));
  std::vector<float> logical(values, values + n);
  if (shape.size() == 4) {
    const int64_t c = shape[1], hw = shape[2] * shape[3];
    for (int64_t p = 0; p < hw; ++p)
      for (int64_t ch = 0; ch < c; ++ch)
        logical[static_cast<size_t>(ch * hw + p)] = values[static_cast<size_t>(p * c + ch)];
  }
  return ir::TensorData::fromFloats(shape, std::move(logical));
}

/// The native int8 build's outputs, dequantised; `same` says whether they are the host
/// fixed-point interpreter's bytes.
Expected<std::vector<ir::TensorData>> fixedOutputs(const RunOptions &o,
                                                   const GeneratedModel &gen,
                                                   const targets::llvmgen::NativeModel &native,
                                                   const void *arena,
                                                   const std::vector<ir::TensorData> &inputs,
                                                   bool &same) {
  const ir::Graph &g = gen.model.graph;
  auto host = interp::runFixedPoint(gen.model, inputs);
  if (!host)
    return makeError("{}: host fixed-point run: {}", o.model, host.error().message());
  same = true;
  std::vector<ir::TensorData> outputs;
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    const ir::Tensor &t = g.tensor(g.outputs[k]);
    const int32_t n = native.outputBytes(static_cast<int32_t>(k));
    const int8_t *bytes = native.output(arena, static_cast<int32_t>(k));
    std::vector<int8_t> q(bytes, bytes + n);
    same = same && q == interp::toRuntimeLayout(host->quantized[k]);
    ir::TensorData logical = interp::fromRuntimeLayout(q, t.shape);
    std::vector<float> real(static_cast<size_t>(n));
    for (size_t e = 0; e < real.size(); ++e)
      real[e] = t.quant->scale[0] * static_cast<float>(logical.i[e] - t.quant->zeroPoint[0]);
    outputs.push_back(ir::TensorData::fromFloats(t.shape, std::move(real)));
  }
  fmt::print("native (LLVM, host {}): arena {} bytes; matches the host fixed-point "
             "interpreter byte for byte: {}\n",
             o.cpu.empty() ? "CPU" : o.cpu, gen.plan.summary.arenaBytes, same ? "yes" : "NO");
  return outputs;
}

/// The native float build's outputs; `same` says whether they are within the float
/// tolerance of the host float interpreter's: the largest absolute difference at most
/// 1e-4 x max(1, range of the interpreter's outputs), as the QEMU float build is checked.
Expected<std::vector<ir::TensorData>> floatOutputs(const RunOptions &o,
                                                   const GeneratedFloatModel &gen,
                                                   const targets::llvmgen::NativeModel &native,
                                                   const void *arena,
                                                   const std::vector<ir::TensorData> &inputs,
                                                   bool &same) {
  const ir::Graph &g = gen.model.graph;
  auto host = interp::run(g, inputs);
  if (!host)
    return makeError("{}: host float run: {}", o.model, host.error().message());
  float lo = INFINITY, hi = -INFINITY, diff = 0;
  std::vector<ir::TensorData> outputs;
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    const ir::Shape &shape = g.tensor(g.outputs[k]).shape;
    const auto *values =
        reinterpret_cast<const float *>(native.output(arena, static_cast<int32_t>(k)));
    outputs.push_back(floatOutput(values, shape));
    const std::vector<float> &mine = outputs.back().f, &want = (*host)[k].f;
    for (size_t e = 0; e < mine.size(); ++e) {
      lo = std::min(lo, want[e]), hi = std::max(hi, want[e]);
      const float d = std::fabs(mine[e] - want[e]);
      diff = std::isnan(d) ? INFINITY : std::max(diff, d);
    }
  }
  const double tolerance = 1e-4 * std::max(1.0, static_cast<double>(hi - lo));
  same = diff <= tolerance;
  fmt::print("native (LLVM, host {}, float32): arena {} bytes; matches the host float "
             "interpreter: {} (max abs difference {:.3g}, tolerance {:.3g})\n",
             o.cpu.empty() ? "CPU" : o.cpu, gen.plan.summary.arenaBytes, same ? "yes" : "NO",
             diff, tolerance);
  return outputs;
}

/// `rnnpoolc run --native [--float]`: the LLVM backend's host object, run in process.
Status runNative(const RunOptions &o, const LoadedModel &loaded,
                 const std::vector<ir::TensorData> &inputs) {
  GenerateOptions generate;
  generate.calib = o.calib;
  generate.calibPercentile = o.calibPercentile;
  generate.target = "host";
  generate.command = commandLine("run", o.all);
  generate.plan.streamInput = o.streamInput;
  if (o.ramBudget)
    generate.plan.ramBudget = *o.ramBudget;
  generate.macOverhead = o.macOverhead;
  generate.backend = "llvm";
  generate.cpu = o.cpu;
  std::optional<GeneratedModel> fixed;
  std::optional<GeneratedFloatModel> real;
  const std::vector<targets::GeneratedFile> *files = nullptr;
  const plan::Plan *plan = nullptr;
  if (o.floatMode) {
    auto gen = generateFloatModel(loaded, generate);
    if (!gen)
      return gen.error();
    real.emplace(std::move(*gen));
    files = &real->files, plan = &real->plan;
  } else {
    auto gen = generateModel(loaded, generate);
    if (!gen)
      return gen.error();
    fixed.emplace(std::move(*gen));
    files = &fixed->files, plan = &fixed->plan;
  }
  const auto object = std::find_if(files->begin(), files->end(),
                                   [](const auto &f) { return f.name == "model.o"; });
  const bool streamed = plan->streamedInput;
  auto native = targets::llvmgen::NativeModel::load(object->text, streamed);
  if (!native)
    return makeError("{}: {}", o.model, native.error().message());
  const size_t arenaBytes = (static_cast<size_t>(plan->summary.arenaBytes) + 15) / 16 * 16;
  std::unique_ptr<void, decltype(&std::free)> arena(std::aligned_alloc(16, std::max<size_t>(16, arenaBytes)),
                                                    &std::free);
  StreamedInputs streamedInputs;
  streamedInputs.model = native->get();
  for (const ir::TensorData &t : inputs) {
    const int64_t c = t.shape.size() == 4 ? t.shape[1] : 1;
    const int64_t hw = t.shape.size() == 4 ? t.shape[2] * t.shape[3] : t.numel();
    std::vector<float> hwc(t.f.size());
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < hw; ++p)
        hwc[static_cast<size_t>(p * c + ch)] = t.f[static_cast<size_t>(ch * hw + p)];
    streamedInputs.hwc.push_back(std::move(hwc));
    streamedInputs.rowValues.push_back(static_cast<int32_t>(
        t.shape.size() == 4 ? t.shape[3] * c : t.numel()));
  }
  auto infer = [&]() {
    if (streamed) {
      (*native)->run(arena.get(), readStreamedRow, &streamedInputs);
      return;
    }
    for (size_t k = 0; k < inputs.size(); ++k)
      (*native)->quantizeInput(static_cast<int32_t>(k), inputs[k].f.data(), 0,
                               static_cast<int32_t>(inputs[k].numel()), arena.get());
    (*native)->run(arena.get());
  };
  infer();
  bool same = false;
  auto outputs = real ? floatOutputs(o, *real, **native, arena.get(), inputs, same)
                      : fixedOutputs(o, *fixed, **native, arena.get(), inputs, same);
  if (!outputs)
    return outputs.error();
  for (size_t k = 0; k < outputs->size(); ++k)
    printSummary(loaded.graph.tensor(loaded.graph.outputs[k]).name, (*outputs)[k]);
  if (!same)
    return makeError("{}: the native outputs differ from the host {} interpreter; please "
                     "report this bug",
                     o.model, real ? "float" : "fixed-point");
  if (o.repeat > 0) {
    std::vector<double> ms;
    for (int64_t r = 0; r < o.repeat; ++r) {
      const auto start = std::chrono::steady_clock::now();
      infer();
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                             start)
                       .count());
    }
    std::sort(ms.begin(), ms.end());
    const size_t m = ms.size() / 2;
    const double median = ms.size() % 2 ? ms[m] : (ms[m - 1] + ms[m]) / 2;
    fmt::print("median {:.3f} ms per inference ({} runs after a warm-up)\n", median, ms.size());
  }
  if (!o.output.empty())
    RNNPOOLC_TRY(writeOutputs(o.output, loaded.graph, *outputs));
  return Status::ok();
}

} // namespace

Status runRun(Args args) {
  if (wantsBoard(args))
    return runBoard(args);
  bool helped = false;
  auto options = parse(args, helped);
  if (!options)
    return options.error();
  if (helped)
    return Status::ok();
  auto model = loadModel(options->model, options->inputShapes);
  if (!model)
    return model.error();
  const ir::Graph &g = model->graph;
  auto inputs = readInputs(*options, g);
  if (!inputs)
    return inputs.error();
  if (options->native)
    return runNative(*options, *model, *inputs);
  Expected<std::vector<ir::TensorData>> outputs = std::vector<ir::TensorData>{};
  if (options->planned) {
    plan::PlanOptions planOptions;
    planOptions.floatActivations = true;
    planOptions.streamInput = options->streamInput;
    auto plan = plan::makePlan(g, planOptions);
    if (!plan)
      return makeError("{}: {}", options->model, plan.error().message());
    outputs = interp::executePlan(g, *plan, *inputs);
  } else {
    outputs = interp::run(g, *inputs);
  }
  if (!outputs)
    return makeError("{}: {}", options->model, outputs.error().message());
  if (options->fixed) {
    auto quantized = quantizeLoaded(*model, options->calib, options->calibPercentile);
    if (!quantized)
      return quantized.error();
    auto fixed = interp::runFixedPoint(*quantized, *inputs);
    if (!fixed)
      return makeError("{}: {}", options->model, fixed.error().message());
    for (size_t k = 0; k < outputs->size(); ++k)
      printFixedError(g.tensor(g.outputs[k]).name, (*outputs)[k], fixed->dequantized[k],
                      quantized->graph.tensor(quantized->graph.outputs[k]).quant->scale[0]);
    *outputs = std::move(fixed->dequantized);
  }
  for (size_t k = 0; k < outputs->size(); ++k)
    printSummary(g.tensor(g.outputs[k]).name, (*outputs)[k]);
  if (!options->output.empty())
    RNNPOOLC_TRY(writeOutputs(options->output, g, *outputs));
  return Status::ok();
}

} // namespace rnnpoolc::driver
