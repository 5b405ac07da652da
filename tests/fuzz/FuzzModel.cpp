// libFuzzer target over the whole compiler path, in process: ONNX bytes -> import ->
// canonicalise -> plan (int8 and float) -> float interpreter and planned execution ->
// calibrate and quantise -> plan the quantised graph -> fixed-point interpreter -> generate
// the int8 and float C (in memory). Errors are values: every stage that reports one ends
// the input quietly; anything else (a sanitizer report, an abort, an uncaught exception, a
// timeout) is a finding. See docs/testing.md ("Fuzzing").
#include "compiler/calib/Calibrate.h"
#include "compiler/interp/FixedPoint.h"
#include "compiler/interp/Interpreter.h"
#include "compiler/ir/OpInfo.h"
#include "compiler/passes/Passes.h"
#include "compiler/interp/PlanExecutor.h"
#include "compiler/plan/Planner.h"
#include "compiler/plan/Report.h"
#include "compiler/quant/Quantize.h"
#include "frontends/onnx/Importer.h"
#include "targets/c/CEmitter.h"
#include "targets/c/FloatEmitter.h"
#include "targets/FloatLowering.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

using namespace rnnpoolc;

namespace {

// Work bounds, so that a campaign runs hundreds of inputs a second: a graph with more
// activation elements than kMaxElementsToPlan is imported and canonicalised only (planning
// a whole zoo model takes seconds under ASan and coverage); one with more MACs than
// kMaxMacsToRun is planned but not executed. They bound the fuzzer's work only: what
// rnnpoolc accepts is the importer's business, and whole models go through every command
// in the structure-aware mutator (mutate.py).
constexpr int64_t kMaxElementsToPlan = int64_t{1} << 14;
constexpr int64_t kMaxMacsToRun = int64_t{1} << 20;

/// RNNPOOLC_FUZZ_SKIP=stage,...: stages left out, so that a long campaign can look past a
/// known defect while it is being fixed. Stages: executor (the planned executor),
/// fixedpoint (the fixed-point interpreter), quantize (calibration, quantisation, the
/// int8 plan and C), floatc (the float C).
bool skipped(const char *stage) {
  static const std::string skip = [] {
    const char *env = std::getenv("RNNPOOLC_FUZZ_SKIP");
    return "," + std::string(env ? env : "") + ",";
  }();
  return skip.find("," + std::string(stage) + ",") != std::string::npos;
}

struct Size {
  int64_t elements = 0, macs = 0;
};

/// Activation elements (all non-constant tensors) and MACs of a canonical graph; a shape
/// whose element count overflows counts as too big.
Size sizeOf(const ir::Graph &graph) {
  Size size;
  for (size_t t = 0; t < graph.numTensors(); ++t) {
    const ir::Tensor &tensor = graph.tensor(static_cast<ir::TensorId>(t));
    if (tensor.isConstant())
      continue;
    auto n = ir::checkedNumel(tensor.shape);
    if (!n || *n > kMaxElementsToPlan)
      return {kMaxElementsToPlan + 1, 0};
    size.elements += *n;
  }
  for (const ir::Node &node : graph.nodes)
    size.macs += ir::macs(graph, node);
  return size;
}

void fuzzFloat(const ir::Graph &graph, bool run, bool stream) {
  plan::PlanOptions options;
  options.floatActivations = true;
  options.streamInput = stream;
  auto plan = plan::makePlan(graph, options);
  if (!plan)
    return;
  (void)plan::planText(graph, *plan);
  (void)plan::planJson(graph, *plan);
  (void)plan::planSvg(graph, *plan);
  if (run) {
    auto inputs = calib::syntheticInputs(graph, 1);
    (void)interp::run(graph, inputs[0]);
    if (!skipped("executor"))
      (void)interp::executePlan(graph, *plan, inputs[0]);
  }
  if (skipped("floatc"))
    return;
  auto lowered = targets::lowerFloat(graph);
  if (!lowered)
    return;
  if (auto loweredPlan = plan::makePlan(lowered->graph, options))
    (void)targets::c::generateFloatC(*lowered, *loweredPlan, {"host", "fuzz", "fuzz.onnx", "0"});
}

void fuzzFixed(const ir::Graph &graph, bool stream) {
  auto needed = quant::needsCalibration(graph);
  if (!needed)
    return;
  quant::Ranges ranges;
  auto sets = calib::syntheticInputs(graph, 2);
  if (*needed) {
    auto calibrated = calib::calibrate(graph, sets);
    if (!calibrated)
      return;
    ranges = std::move(*calibrated);
  }
  auto model = quant::quantize(graph, ranges);
  if (!model)
    return;
  if (!skipped("fixedpoint"))
    (void)interp::runFixedPoint(*model, sets[0]);
  plan::PlanOptions options;
  options.streamInput = stream;
  auto plan = plan::makePlan(model->graph, options);
  if (!plan)
    return;
  (void)targets::c::weightsBytes(*model);
  (void)targets::c::generateC(*model, *plan, {"cortex-m4", "fuzz", "fuzz.onnx", "0"});
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string bytes(reinterpret_cast<const char *>(data), size);
  // No external data: a fuzzed path must not read the machine's files.
  auto imported = onnx_frontend::importModelFromBytes(bytes, /*baseDir=*/"");
  if (!imported)
    return 0;
  ir::Graph graph = std::move(imported->graph);
  if (!passes::canonicalize(graph))
    return 0;
  Size work = sizeOf(graph);
  if (work.elements > kMaxElementsToPlan)
    return 0;
  const bool run = work.macs <= kMaxMacsToRun;
  // The input's rows streamed or its frame resident: one of the two per input (planning is
  // most of an input's time), chosen by its length so that mutations visit both.
  const bool stream = size % 2 == 1;
  fuzzFloat(graph, run, stream);
  if (run && !skipped("quantize"))
    fuzzFixed(graph, stream);
  return 0;
}
