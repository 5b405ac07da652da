// `rnnpoolc compile`: a model -> a directory of C sources for a microcontroller project.
#include "compiler/driver/Compile.h"
#include "compiler/driver/Flags.h"

#include "compiler/plan/Report.h"
#include "targets/Lowered.h"
#include "targets/c/OutputDir.h"
#include "targets/llvm/LlvmTarget.h"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>

namespace rnnpoolc::driver {
namespace {

constexpr const char *kHelp = R"(usage: rnnpoolc compile MODEL.onnx -o DIR [options]

Quantises the model, plans its arena (row bands, tiles, the least peak RAM; see
'rnnpoolc plan') and writes C for a microcontroller into DIR: model.h (API, sizes as
#defines), model.c (the plan's schedule), model_weights.c (const data), the runtime
sources, model.mk and CMakeLists.txt fragments, plan.txt, plan.json and plan.svg.
DIR is replaced as a whole, and only when everything was written.

Options:
  -o DIR, --output DIR       the output directory
  --target cortex-m4|host    the code's target (default cortex-m4; the C is portable and
                             uses the DSP instructions where __ARM_FEATURE_DSP is defined)
  --calib FILE|DIR           calibration inputs (.npy / .pb, a batch or one sample per
                             file; repeatable); without it, synthetic data and a warning;
                             for a model of several inputs, NAME=FILE|DIR per input
  --calib-percentile P       clip each range to the P-th percentile (e.g. 99.99) of the
                             calibration values on each side instead of min/max
  --float                    a float32 build instead (same files and model.h API; no
                             quantisation, so --calib is not used; links libm; planned
                             like the int8 build, 4 bytes an activation; C or LLVM)
  --backend c|llvm           c (default): C sources as above; llvm: the same plan compiled
                             by LLVM into one object, model.o, beside the same model.h
                             and plan reports (fixed point or --float)
  --cpu NAME                 with --backend llvm: the CPU to tune for (default cortex-m4,
                             or the host's own CPU for --target host)
  --emit-llvm                with --backend llvm: also write the optimised module, model.ll
  --stream-input             the input arrives row by row through a callback
                             (model_run(arena, read_row, user)): the frame is never whole
  --ram-budget BYTES         the fewest MACs whose peak fits, e.g. 128K; an error if none
  --mac-overhead P           extra MACs allowed for recomputed tile halos (default 10%;
                             none for --backend llvm --target host, where time matters
                             more than RAM, unless --ram-budget is given)
  --input-shape NAME=DIMS    fix the shape of an input, e.g. input=1x3x224x224
  --help                     print this help
)";

} // namespace

Status checkBackend(const std::string &backend, const std::string &cpu, bool emitLlvm,
                    const std::string &target) {
  if (backend != "c" && backend != "llvm")
    return makeError("unknown --backend '{}'; use c or llvm", backend);
  if (backend == "c" && (!cpu.empty() || emitLlvm))
    return makeError("{} needs --backend llvm", cpu.empty() ? "--emit-llvm" : "--cpu");
  if (backend == "llvm")
    return targets::llvmgen::checkOptions({target, cpu, emitLlvm});
  return Status::ok();
}

namespace {

struct CompileOptions {
  std::string model, output, target = "cortex-m4", backend = "c", cpu;
  std::vector<std::string> calib;
  double calibPercentile = 0;
  bool floatMode = false, emitLlvm = false;
  plan::PlanOptions plan;
  std::optional<double> macOverhead;
  std::map<std::string, ir::Shape> inputShapes;
};

Expected<CompileOptions> parse(const Args &args, bool &helped) {
  CompileOptions o;
  Flags flags("compile", kHelp, "rnnpoolc compile --help");
  flags.model(o.model)
      .value("-o,--output", o.output)
      .value("--target", o.target)
      .values("--calib", o.calib)
      .value("--calib-percentile", store(parseCalibPercentile, o.calibPercentile))
      .flag("--float", o.floatMode)
      .value("--backend", o.backend)
      .value("--cpu", o.cpu)
      .flag("--emit-llvm", o.emitLlvm)
      .flag("--stream-input", o.plan.streamInput)
      .value("--ram-budget", store(parseBytes, o.plan.ramBudget))
      .value("--mac-overhead", store(parsePercent, o.macOverhead))
      .values("--input-shape",
              [&](const std::string &v) { return parseInputShape(v, o.inputShapes); });
  auto parsed = flags.parse(args);
  if (!parsed)
    return parsed.error();
  helped = *parsed;
  if (helped)
    return o;
  if (o.output.empty())
    return makeError("compile: missing -o DIR, the output directory");
  if (o.target != "cortex-m4" && o.target != "host")
    return makeError("compile: unknown --target '{}'; use cortex-m4 or host", o.target);
  if (o.floatMode && !o.calib.empty())
    return makeError("compile: --calib has no effect with --float (nothing is quantised); "
                     "drop one of them");
  RNNPOOLC_TRY(checkBackend(o.backend, o.cpu, o.emitLlvm, o.target));
  return o;
}

/// FNV-1a, 64 bits, of a file's bytes: a model fingerprint for the banners.
std::string fingerprint(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  uint64_t h = 0xcbf29ce484222325ull;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    for (std::streamsize k = 0; k < in.gcount(); ++k)
      h = (h ^ static_cast<unsigned char>(buffer[k])) * 0x100000001b3ull;
  }
  return fmt::format("fnv1a64:{:016x}", h);
}

} // namespace

std::string commandLine(const std::string &subcommand, const std::vector<std::string> &args) {
  std::string s = "rnnpoolc " + subcommand;
  for (const std::string &a : args)
    s += " " + a;
  return s;
}

namespace {

/// The plan reports of an output directory: plan.txt, plan.json and plan.svg.
void addReports(std::vector<targets::GeneratedFile> &files, const ir::Graph &graph,
                const plan::Plan &plan) {
  files.push_back({"plan.txt", plan::planText(graph, plan)});
  files.push_back({"plan.json", plan::planJson(graph, plan)});
  files.push_back({"plan.svg", plan::planSvg(graph, plan)});
}

/// Refuses maps too large for generated code (rows and columns are int16 in the step
/// tables) before calibration and planning, which on a map of a million columns take
/// minutes before the lowering would refuse it.
Status checkCodeLimits(const LoadedModel &loaded) {
  if (Status s = targets::checkMapLimits(loaded.graph); !s)
    return makeError("{}: {}", loaded.path, s.error().message());
  return Status::ok();
}

} // namespace

std::unique_ptr<targets::Target> makeTarget(const GenerateOptions &options) {
  if (options.backend == "llvm")
    return targets::llvmgen::makeLlvmTarget({options.target, options.cpu, options.emitLlvm});
  return targets::makeCTarget();
}

plan::PlanOptions planOptionsFor(const GenerateOptions &options, const targets::Target &target,
                                 targets::Precision precision) {
  plan::PlanOptions out = options.plan;
  out.floatActivations = precision == targets::Precision::Float;
  out.accumulateReductions =
      out.accumulateReductions && target.accumulatesReductions(precision);
  out.depthwiseInPlace = out.depthwiseInPlace && target.runsDepthwiseInPlace();
  out.fuseExpansions = out.fuseExpansions && target.fusesExpansions();
  if (options.macOverhead)
    out.macOverhead = *options.macOverhead;
  else if (!target.recomputesByDefault() && out.ramBudget == 0)
    out.macOverhead = 0;
  return out;
}

Expected<GeneratedModel> generateModel(const LoadedModel &loaded, const GenerateOptions &options) {
  RNNPOOLC_TRY(checkCodeLimits(loaded));
  auto quantized = quantizeLoaded(loaded, options.calib, options.calibPercentile);
  if (!quantized)
    return quantized.error();
  std::unique_ptr<targets::Target> target = makeTarget(options);
  auto plan = plan::makePlan(quantized->graph,
                             planOptionsFor(options, *target, targets::Precision::Int8));
  if (!plan)
    return makeError("{}: {}", loaded.path, plan.error().message());
  GeneratedModel out{std::move(*quantized), std::move(*plan), {}};
  out.plan.weightsBytes = targets::c::weightsBytes(out.model); // as emitted, biases int32
  targets::c::CodegenOptions codegen{options.target, options.command, loaded.path,
                                     fingerprint(loaded.path)};
  auto files = targets::generate(*target, out.model, out.plan, codegen);
  if (!files)
    return makeError("{}: {}", loaded.path, files.error().message());
  out.files = std::move(*files);
  addReports(out.files, out.model.graph, out.plan);
  return out;
}

Expected<GeneratedFloatModel> generateFloatModel(const LoadedModel &loaded,
                                                 const GenerateOptions &options) {
  RNNPOOLC_TRY(checkCodeLimits(loaded));
  auto lowered = targets::lowerFloat(loaded.graph);
  if (!lowered)
    return makeError("{}: {}", loaded.path, lowered.error().message());
  std::unique_ptr<targets::Target> target = makeTarget(options);
  auto plan = plan::makePlan(lowered->graph,
                             planOptionsFor(options, *target, targets::Precision::Float));
  if (!plan)
    return makeError("{}: {}", loaded.path, plan.error().message());
  GeneratedFloatModel out{std::move(*lowered), std::move(*plan), {}};
  out.plan.weightsBytes = targets::floatWeightsBytes(out.model);
  targets::c::CodegenOptions codegen{options.target, options.command, loaded.path,
                                     fingerprint(loaded.path)};
  auto files = targets::generate(*target, out.model, out.plan, codegen);
  if (!files)
    return makeError("{}: {}", loaded.path, files.error().message());
  out.files = std::move(*files);
  addReports(out.files, out.model.graph, out.plan);
  return out;
}

Status runCompile(Args args) {
  const std::vector<std::string> &all = args;
  bool helped = false;
  auto options = parse(args, helped);
  if (!options)
    return options.error();
  if (helped)
    return Status::ok();
  auto loaded = loadModel(options->model, options->inputShapes);
  if (!loaded)
    return loaded.error();
  GenerateOptions generate;
  generate.calib = options->calib;
  generate.calibPercentile = options->calibPercentile;
  generate.target = options->target;
  generate.command = commandLine("compile", all);
  generate.plan = options->plan;
  generate.backend = options->backend;
  generate.cpu = options->cpu;
  generate.emitLlvm = options->emitLlvm;
  generate.macOverhead = options->macOverhead;
  if (options->floatMode) {
    auto generated = generateFloatModel(*loaded, generate);
    if (!generated)
      return generated.error();
    RNNPOOLC_TRY(targets::c::writeDirectoryAtomically(options->output, generated->files));
    const plan::Summary &sum = generated->plan.summary;
    fmt::print("wrote {}: float32 build, arena {} bytes (layer by layer: {}), weights {} "
               "bytes, {} steps\n",
               options->output, sum.arenaBytes, generated->plan.baseline.arenaBytes,
               generated->plan.weightsBytes, generated->plan.steps.size());
    return Status::ok();
  }
  auto generated = generateModel(*loaded, generate);
  if (!generated)
    return generated.error();
  RNNPOOLC_TRY(targets::c::writeDirectoryAtomically(options->output, generated->files));
  const plan::Summary &sum = generated->plan.summary;
  fmt::print("wrote {}: arena {} bytes (layer by layer: {}), weights {} bytes, {} steps\n",
             options->output, sum.arenaBytes, generated->plan.baseline.arenaBytes,
             targets::c::weightsBytes(generated->model), generated->plan.steps.size());
  return Status::ok();
}

} // namespace rnnpoolc::driver
