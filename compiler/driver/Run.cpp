// `rnnpoolc run`: runs a model on input tensors and prints or saves its outputs.
#include "compiler/driver/Compile.h"
#include "compiler/driver/Flags.h"
#include "compiler/driver/Driver.h"
#include "compiler/interp/FixedPoint.h"
#include "compiler/interp/Interpreter.h"
#include "compiler/plan/Executor.h"
#include "compiler/plan/Planner.h"
#include "compiler/support/Escape.h"
#include "frontends/onnx/TensorIO.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

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
                             one sample per file; repeatable); without it, synthetic data
  --calib-percentile P       clip each range to the P-th percentile of its values
  --plan                     execute the memory plan step by step (row bands, tiles,
                             arena offsets) in the float interpreter instead of whole
                             tensors; the outputs must be the same bytes
  --stream-input             with --plan: plan the input as streamed row by row
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
};

Expected<RunOptions> parse(const Args &args, bool &helped) {
  RunOptions o;
  Flags flags("run", kHelp, "rnnpoolc run --help");
  flags.model(o.model)
      .values("--input", o.inputs)
      .value("--output", o.output)
      .value("--board", o.board)
      .flag("--fixed", o.fixed)
      .values("--calib", o.calib)
      .value("--calib-percentile", store(parseCalibPercentile, o.calibPercentile))
      .flag("--plan", o.planned)
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
  Expected<std::vector<ir::TensorData>> outputs = std::vector<ir::TensorData>{};
  if (options->planned) {
    plan::PlanOptions planOptions;
    planOptions.floatActivations = true;
    planOptions.streamInput = options->streamInput;
    auto plan = plan::makePlan(g, planOptions);
    if (!plan)
      return makeError("{}: {}", options->model, plan.error().message());
    outputs = plan::executePlan(g, *plan, *inputs);
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
