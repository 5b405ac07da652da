// targets/llvm, float build: the float model lowered with its verified plan (row bands,
// streamed input, a RAM budget) and compiled for the host, loaded in process, gives outputs
// within the float tolerance of the float interpreter (the C float build's check in QEMU);
// its module exports only the model.h API. And accumulating reductions as a Target
// capability: what the C and LLVM targets declare, an accumulating int8 plan run by the LLVM
// host object byte for byte as the fixed-point interpreter, a float lowering refusing one.
// About 10 s, mostly LLVM's O3.
#include "compiler/interp/FixedPoint.h"
#include "compiler/interp/Interpreter.h"
#include "compiler/plan/Planner.h"
#include "targets/FloatLowering.h"
#include "targets/Lowered.h"
#include "targets/Target.h"
#include "targets/llvm/LlvmTarget.h"
#include "targets/llvm/ModelModule.h"
#include "tests/unit/codegen/CodegenTestUtil.h"
#include "tests/unit/llvm/ResizeGraph.h"
#include "tests/unit/passes/Builder.h"

#include <llvm/AsmParser/Parser.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/SourceMgr.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

using namespace rnnpoolc;
using targets::Precision;
using targets::llvmgen::NativeModel;
using testing::example;

namespace {

/// A model file imported and canonicalised as `rnnpoolc compile --float` does.
ir::Graph floatGraph(const std::string &path) {
  auto imported = onnx_frontend::importModel(path);
  REQUIRE(imported);
  ir::Graph g = std::move(imported->graph);
  REQUIRE(passes::canonicalize(g));
  return g;
}

struct FloatRows {
  const NativeModel *model;
  std::vector<float> hwc;
  int32_t rowValues;
};

void readFloatRow(void *user, int32_t index, int32_t row, int8_t *dst) {
  auto *rows = static_cast<FloatRows *>(user);
  rows->model->quantizePixels(index,
                              rows->hwc.data() + static_cast<size_t>(row) * rows->rowValues,
                              rows->rowValues, dst);
}

/// Lowers the float build of `graph` under `options`, runs its host object in process and
/// checks every output against the float interpreter: the largest absolute difference
/// within 1e-4 x max(1, range of the interpreter's outputs). Returns the lowered model's
/// count of banded layers (row bands or tiles).
int checkFloatNative(const ir::Graph &graph, const ir::TensorData &input,
                     plan::PlanOptions options) {
  auto model = targets::lowerFloat(graph);
  REQUIRE(model);
  options.floatActivations = true;
  options.accumulateReductions = false; // no float target runs them
  auto plan = plan::makePlan(model->graph, options);
  REQUIRE(plan);
  auto lowered = targets::lower(*model, *plan);
  REQUIRE(lowered);
  CHECK(lowered->precision == Precision::Float);
  auto object = targets::llvmgen::compile(*lowered, {"host", "", false});
  REQUIRE(object);
  auto native = NativeModel::load(object->object, lowered->streamedInput);
  REQUIRE(native);
  std::vector<float> arena(static_cast<size_t>(lowered->arenaBytes) / 4 + 4, NAN);
  const ir::Shape &shape = input.shape;
  if (lowered->streamedInput) {
    const int64_t c = shape[1], hw = shape[2] * shape[3];
    FloatRows rows{native->get(), std::vector<float>(input.f.size()),
                   static_cast<int32_t>(shape[3] * c)};
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < hw; ++p)
        rows.hwc[static_cast<size_t>(p * c + ch)] = input.f[static_cast<size_t>(ch * hw + p)];
    (*native)->run(arena.data(), readFloatRow, &rows);
  } else {
    (*native)->quantizeInput(0, input.f.data(), 0, static_cast<int32_t>(input.numel()),
                             arena.data());
    (*native)->run(arena.data());
  }
  auto host = interp::run(model->graph, {input});
  REQUIRE(host);
  float lo = INFINITY, hi = -INFINITY, diff = 0;
  for (size_t k = 0; k < model->graph.outputs.size(); ++k) {
    const ir::Shape &y = model->graph.tensor(model->graph.outputs[k]).shape;
    const std::vector<float> &want = (*host)[k].f;
    REQUIRE((*native)->outputBytes(static_cast<int32_t>(k)) ==
            static_cast<int32_t>(4 * want.size()));
    const auto *got = reinterpret_cast<const float *>(
        (*native)->output(arena.data(), static_cast<int32_t>(k)));
    const int64_t c = y.size() == 4 ? y[1] : 1, hw = y.size() == 4 ? y[2] * y[3] : 1;
    for (size_t e = 0; e < want.size(); ++e) {
      // HWC in the arena for a 4-D output, the logical order otherwise.
      const size_t at = y.size() == 4 ? static_cast<size_t>((static_cast<int64_t>(e) % hw) * c +
                                                            static_cast<int64_t>(e) / hw)
                                      : e;
      lo = std::min(lo, want[e]), hi = std::max(hi, want[e]);
      const float d = std::fabs(got[at] - want[e]);
      diff = std::isnan(d) ? INFINITY : std::max(diff, d);
    }
  }
  INFO("max abs difference " << diff);
  CHECK(diff <= 1e-4f * std::max(1.0f, hi - lo));
  return static_cast<int>(std::count_if(lowered->layers.begin(), lowered->layers.end(),
                                        [](const auto &l) { return l.banded; }));
}

/// Conv 3x3 + ReLU + GlobalAveragePool + Flatten: a plan may accumulate the pool row by row.
ir::Graph gapGraph() {
  testing::Builder b;
  ir::TensorId x = b.input("x", {1, 3, 8, 7});
  ir::ConvAttrs c3;
  c3.kernel = {3, 3}, c3.strides = {1, 1}, c3.dilations = {1, 1}, c3.pads = {1, 1, 1, 1};
  x = b.node(ir::OpKind::Relu, "r1",
             {b.node(ir::OpKind::Conv, "c1", {x, b.constant("w1", {16, 3, 3, 3})}, c3)});
  b.g.outputs = {b.node(ir::OpKind::Flatten, "flat",
                        {b.node(ir::OpKind::GlobalAveragePool, "gap", {x})},
                        ir::AxisAttrs{1})};
  REQUIRE(passes::canonicalize(b.g));
  return std::move(b.g);
}

} // namespace

TEST_CASE("llvm backend, float: host object run in process == float interpreter") {
  SECTION("fashion_rnnpool: its plan; streamed; an 8K budget") {
    const ir::Graph g = floatGraph(example("fashion_rnnpool/model.onnx"));
    auto input = onnx_frontend::readTensorFile(example("fashion_rnnpool/image_4.npy"));
    REQUIRE(input);
    CHECK(checkFloatNative(g, *input, {}) > 0); // row bands and tiles through the object
    plan::PlanOptions streamed;
    streamed.streamInput = true;
    checkFloatNative(g, *input, streamed);
    plan::PlanOptions budget;
    budget.ramBudget = 8192;
    checkFloatNative(g, *input, budget);
  }
  SECTION("small_cnn, whole and streamed") {
    const ir::Graph g = floatGraph(example("small_cnn/model.onnx"));
    auto input = onnx_frontend::readTensorFile(example("small_cnn/input.npy"));
    REQUIRE(input);
    checkFloatNative(g, *input, {});
    plan::PlanOptions streamed;
    streamed.streamInput = true;
    checkFloatNative(g, *input, streamed);
  }
  SECTION("a global average pool over whole maps") {
    const ir::Graph g = gapGraph();
    checkFloatNative(g, calib::syntheticInputs(g, 1)[0][0], {});
  }
  SECTION("resize: nearest x2 into a skip add, bilinear to a size; streamed") {
    const ir::Graph g = testing::resizeGraph();
    const ir::TensorData input = calib::syntheticInputs(g, 1)[0][0];
    checkFloatNative(g, input, {});
    plan::PlanOptions streamed;
    streamed.streamInput = true;
    checkFloatNative(g, input, streamed);
  }
}

TEST_CASE("llvm backend, float: model.ll verifies and exports only the model.h API") {
  auto model = targets::lowerFloat(floatGraph(example("small_cnn/model.onnx")));
  REQUIRE(model);
  plan::PlanOptions options;
  options.floatActivations = true;
  auto plan = plan::makePlan(model->graph, options);
  REQUIRE(plan);
  auto lowered = targets::lower(*model, *plan);
  REQUIRE(lowered);
  for (const char *target : {"host", "cortex-m4"}) {
    INFO(target);
    auto object = targets::llvmgen::compile(*lowered, {target, "", /*emitLlvm=*/true});
    REQUIRE(object);
    llvm::LLVMContext ctx;
    llvm::SMDiagnostic diagnostic;
    auto parsed = llvm::parseAssemblyString(object->ir, diagnostic, ctx);
    REQUIRE(parsed);
    CHECK_FALSE(llvm::verifyModule(*parsed, nullptr));
    std::vector<std::string> external;
    for (const llvm::GlobalValue &g : parsed->global_values())
      if (!g.isDeclaration() && !g.hasLocalLinkage())
        external.push_back(g.getName().str());
    std::sort(external.begin(), external.end());
    auto api = targets::llvmgen::apiFunctions(*lowered);
    std::sort(api.begin(), api.end());
    CHECK(external == api);
    // Float kernels, not int8 ones: the module was linked with the float runtime.
    CHECK(object->ir.find("rp_conv_s8") == std::string::npos);
  }
}

TEST_CASE("targets: accumulating reductions are a capability of the target") {
  auto c = targets::makeCTarget();
  auto llvm = targets::llvmgen::makeLlvmTarget({"host", "", false});
  CHECK(c->accumulatesReductions(Precision::Int8));
  CHECK_FALSE(c->accumulatesReductions(Precision::Float));
  CHECK(llvm->accumulatesReductions(Precision::Int8));
  CHECK_FALSE(llvm->accumulatesReductions(Precision::Float));

  const ir::Graph g = gapGraph();
  auto sets = calib::syntheticInputs(g, 8);
  SECTION("an int8 plan that accumulates the pool: the LLVM object == the interpreter") {
    auto ranges = calib::calibrate(g, sets);
    REQUIRE(ranges);
    auto model = quant::quantize(g, *ranges);
    REQUIRE(model);
    for (bool stream : {false, true}) {
      INFO("streamed " << stream);
      plan::PlanOptions options;
      options.streamInput = stream;
      auto plan = plan::makePlan(model->graph, options);
      REQUIRE(plan);
      CHECK(std::any_of(plan->steps.begin(), plan->steps.end(),
                        [](const plan::Step &s) { return s.accumulate; }));
      auto lowered = targets::lower(*model, *plan);
      REQUIRE(lowered);
      auto object = targets::llvmgen::compile(*lowered, {"host", "", false});
      REQUIRE(object);
      auto native = NativeModel::load(object->object, lowered->streamedInput);
      REQUIRE(native);
      std::vector<int32_t> arena(static_cast<size_t>(lowered->arenaBytes) / 4 + 4, 0x5a5a5a5a);
      const ir::TensorData &x = sets[3][0];
      if (stream) {
        std::vector<float> hwc(x.f.size());
        const int64_t ch = x.shape[1], hw = x.shape[2] * x.shape[3];
        for (int64_t k = 0; k < ch; ++k)
          for (int64_t p = 0; p < hw; ++p)
            hwc[static_cast<size_t>(p * ch + k)] = x.f[static_cast<size_t>(k * hw + p)];
        FloatRows rows{native->get(), hwc, static_cast<int32_t>(x.shape[3] * ch)};
        (*native)->run(arena.data(), readFloatRow, &rows);
      } else {
        (*native)->quantizeInput(0, x.f.data(), 0, static_cast<int32_t>(x.numel()),
                                 arena.data());
        (*native)->run(arena.data());
      }
      auto host = interp::runFixedPoint(*model, {x});
      REQUIRE(host);
      const std::vector<int8_t> want = interp::toRuntimeLayout(host->quantized[0]);
      const int8_t *got = (*native)->output(arena.data(), 0);
      CHECK(std::vector<int8_t>(got, got + want.size()) == want);
    }
  }
  SECTION("a float lowering refuses a plan that accumulates, naming the node") {
    auto model = targets::lowerFloat(g);
    REQUIRE(model);
    plan::PlanOptions options;
    options.floatActivations = true;
    auto plan = plan::makePlan(model->graph, options);
    REQUIRE(plan);
    REQUIRE(std::any_of(plan->steps.begin(), plan->steps.end(),
                        [](const plan::Step &s) { return s.accumulate; }));
    auto lowered = targets::lower(*model, *plan);
    REQUIRE_FALSE(lowered);
    CHECK(lowered.error().message() ==
          "node 'gap' (GlobalAveragePool): the plan accumulates it a band of rows at a time, "
          "which its float kernel (global_avgpool) does not");
  }
}
