// `rnnpoolc plan`: plans a model's memory and prints, or writes, the verified plan.
#include "compiler/driver/Compile.h"
#include "compiler/driver/Driver.h"
#include "compiler/driver/Flags.h"
#include "compiler/plan/Planner.h"
#include "compiler/plan/Report.h"
#include "targets/FloatLowering.h"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace rnnpoolc::driver {
namespace {

constexpr const char *kHelp = R"(usage: rnnpoolc plan MODEL.onnx [options]

Plans every byte of working memory for one inference: operator order, which runs of
spatial ops execute in row bands or tiles, and arena offsets; verifies the plan; prints
one line per step and a summary with the layer-by-layer baseline. The plan is the one
'rnnpoolc compile' (with the same options) generates code for: of the quantised graph,
or with --float of the float build's graph, and its weights as emitted.

Options:
  --float                    plan float32 activations (default: int8)
  --mac-overhead P           extra MACs allowed for recomputed tile halos: 10% (default),
                             0.1, 0%
  --ram-budget BYTES         the fewest MACs whose peak fits, e.g. 128K, 1M, 96000;
                             an error if nothing fits
  --stream-input             the input arrives row by row (camera style), not as a frame
  --json FILE                write the whole plan as JSON (docs/plan-json.md)
  --svg FILE                 write the picture as SVG: the arena over time, RAM
                             against layer-by-layer, bytes live per op
  --html FILE                write one self-contained page: summary, picture, per-op
                             and step tables (opens in any browser, no network)
  --summary                  print only the summary
  --input-shape NAME=DIMS    fix the shape of an input, e.g. input=1x3x224x224
  --help                     print this help
)";

/// A file writer for text.
FileWriter textFile(const std::string &path, std::string text) {
  return {path, [text = std::move(text)](const std::string &tmp) -> Status {
            std::ofstream out(tmp, std::ios::binary);
            out << text;
            out.close();
            if (!out)
              return makeError("cannot write");
            return Status::ok();
          }};
}

/// The graph a build of `model` plans and the bytes of its weights as the build emits
/// them: int8, the model quantised; --float, lowered for the float build. Quantisation
/// here takes placeholder ranges instead of calibrating: the plan depends on the quantised
/// graph's nodes, shapes and types, which calibration does not change, not on its scales.
struct BuildGraph {
  ir::Graph graph;
  int64_t weightsBytes = 0;
};
Expected<BuildGraph> buildGraph(const ir::Graph &model, bool floatBuild) {
  if (floatBuild) {
    auto lowered = targets::lowerFloat(model);
    if (!lowered)
      return lowered.error();
    const int64_t weights = targets::floatWeightsBytes(*lowered);
    return BuildGraph{std::move(lowered->graph), weights};
  }
  ir::Graph prepared = model;
  RNNPOOLC_TRY(quant::prepareGraph(prepared));
  quant::Ranges ranges;
  for (size_t t = 0; t < prepared.numTensors(); ++t)
    ranges[prepared.tensor(static_cast<ir::TensorId>(t)).name] = quant::Range{-1.0f, 1.0f};
  auto quantized = quant::quantize(model, ranges);
  if (!quantized)
    return quantized.error();
  const int64_t weights = targets::c::weightsBytes(*quantized);
  return BuildGraph{std::move(quantized->graph), weights};
}

} // namespace

Expected<double> parsePercent(const std::string &text) {
  std::string s = text;
  bool percent = !s.empty() && s.back() == '%';
  if (percent)
    s.pop_back();
  char *end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !(v >= 0) || v > 1e6)
    return makeError("--mac-overhead wants a fraction or percentage such as 10%, got "
                     "'{}'",
                     text);
  return percent ? v / 100.0 : v;
}

Expected<int64_t> parseBytes(const std::string &text) {
  std::string s = text;
  int64_t scale = 1;
  if (!s.empty() && (s.back() == 'B' || s.back() == 'b'))
    s.pop_back();
  if (!s.empty() && (s.back() == 'K' || s.back() == 'k'))
    scale = 1024, s.pop_back();
  else if (!s.empty() && (s.back() == 'M' || s.back() == 'm'))
    scale = 1024 * 1024, s.pop_back();
  char *end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v <= 0 || v > (int64_t{1} << 40) / scale)
    return makeError("--ram-budget wants a positive size such as 128K, got '{}'", text);
  return v * scale;
}

Status runPlan(Args args) {
  std::string path, jsonPath, svgPath, htmlPath;
  bool summaryOnly = false;
  plan::PlanOptions options;
  std::map<std::string, ir::Shape> inputShapes;
  Flags flags("plan", kHelp, "rnnpoolc plan --help");
  flags.model(path)
      .flag("--float", options.floatActivations)
      .value("--mac-overhead", store(parsePercent, options.macOverhead))
      .value("--ram-budget", store(parseBytes, options.ramBudget))
      .flag("--stream-input", options.streamInput)
      .value("--json", jsonPath)
      .value("--svg", svgPath)
      .value("--html", htmlPath)
      .flag("--summary", summaryOnly)
      .values("--input-shape",
              [&](const std::string &v) { return parseInputShape(v, inputShapes); });
  auto helped = flags.parse(args);
  if (!helped)
    return helped.error();
  if (*helped)
    return Status::ok();
  auto model = loadModel(path, inputShapes);
  if (!model)
    return model.error();
  // The graph and options `compile` plans (its default C target); a model that build
  // cannot compile is planned as imported, with its activations at the build's size.
  GenerateOptions generate;
  generate.plan = options;
  const auto precision =
      options.floatActivations ? targets::Precision::Float : targets::Precision::Int8;
  plan::PlanOptions planOptions = planOptionsFor(generate, *makeTarget(generate), precision);
  auto build = buildGraph(model->graph, options.floatActivations);
  if (!build) {
    std::fprintf(stderr,
                 "note: %s: the %s build cannot compile this model (%s); planning the "
                 "imported graph instead\n",
                 path.c_str(), options.floatActivations ? "float" : "int8",
                 build.error().message().c_str());
    planOptions = options;
  }
  const ir::Graph &graph = build ? build->graph : model->graph;
  auto plan = plan::makePlan(graph, planOptions);
  if (!plan)
    return makeError("{}: {}", path, plan.error().message());
  if (build)
    plan->weightsBytes = build->weightsBytes;
  std::vector<FileWriter> files;
  if (!jsonPath.empty())
    files.push_back(textFile(jsonPath, plan::planJson(graph, *plan)));
  const std::string title = std::filesystem::path(path).filename().string();
  if (!svgPath.empty())
    files.push_back(textFile(svgPath, plan::planSvg(graph, *plan, title)));
  if (!htmlPath.empty())
    files.push_back(textFile(htmlPath, plan::planHtml(graph, *plan, title)));
  RNNPOOLC_TRY(writeAllOrNothing(files));
  std::string text = plan::planText(graph, *plan);
  if (summaryOnly)
    text = plan::planSummaryText(graph, *plan);
  fmt::print("{}", text);
  return Status::ok();
}

} // namespace rnnpoolc::driver
