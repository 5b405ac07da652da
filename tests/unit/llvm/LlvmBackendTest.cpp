// targets/llvm: the LLVM backend's object for the host, loaded in process, gives every
// output byte for byte as the fixed-point interpreter (row-banded, streamed and
// RAM-budgeted plans; about 15 s, mostly LLVM's O3); its optimised module passes
// llvm::verifyModule; and the runtime bitcode missing a kernel or a params type, or an unknown
// CPU, is a one-line error.
#include "compiler/calib/Calibrate.h"
#include "compiler/interp/FixedPoint.h"
#include "compiler/plan/Builder.h"
#include "compiler/plan/Planner.h"
#include "compiler/plan/Verifier.h"
#include "targets/EmbeddedFiles.h"
#include "targets/Lowered.h"
#include "targets/llvm/LlvmTarget.h"
#include "targets/llvm/ModelModule.h"
#include "tests/unit/codegen/CodegenTestUtil.h"
#include "tests/unit/llvm/ResizeGraph.h"
#include "tests/unit/passes/Builder.h"
#include "tests/unit/plan/Schedules.h"

#include <llvm/AsmParser/Parser.h>
#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/SourceMgr.h>

#include <catch2/catch.hpp>

#include <cstring>
#include <set>

namespace rnnpoolc::targets {
std::span<const EmbeddedFile> runtimeBitcode();
}

using namespace rnnpoolc;
using targets::llvmgen::NativeModel;
using testing::example;
using testing::quantized;

namespace {

std::vector<std::string> fashionCalib() {
  std::vector<std::string> calib;
  for (int k = 0; k < 8; ++k)
    calib.push_back(example("fashion_rnnpool/image_" + std::to_string(k) + ".npy"));
  return calib;
}

struct Lowered {
  plan::Plan plan;
  targets::LoweredModel model;
};

Lowered lowerPlan(const quant::QuantizedModel &model, plan::Plan plan) {
  Lowered out{std::move(plan), {}};
  auto lowered = targets::lower(model, out.plan);
  REQUIRE(lowered);
  out.model = std::move(*lowered);
  return out;
}

/// The input of a streamed run: its rows in arena order, quantised by the model itself.
struct Rows {
  const NativeModel *model;
  std::vector<float> hwc;
  int32_t rowValues;
};

void readRow(void *user, int32_t index, int32_t row, int8_t *dst) {
  auto *rows = static_cast<Rows *>(user);
  rows->model->quantizePixels(index,
                              rows->hwc.data() + static_cast<size_t>(row) * rows->rowValues,
                              rows->rowValues, dst);
}

Lowered lowerWith(const quant::QuantizedModel &model, const plan::PlanOptions &options) {
  auto made = plan::makePlan(model.graph, options);
  REQUIRE(made);
  return lowerPlan(model, std::move(*made));
}

/// Compiles `model` for the host with `plan`, runs it in process and compares every
/// output with the fixed-point interpreter.
void checkNativePlan(const quant::QuantizedModel &model, const ir::TensorData &input,
                     plan::Plan plan) {
  Lowered l = lowerPlan(model, std::move(plan));
  auto object = targets::llvmgen::compile(l.model, {"host", "", false});
  REQUIRE(object);
  auto native = NativeModel::load(object->object, l.model.streamedInput);
  REQUIRE(native);
  std::vector<int32_t> words(static_cast<size_t>(l.model.arenaBytes) / 4 + 4, 0x5a5a5a5a);
  void *arena = words.data();
  const ir::Shape &shape = input.shape;
  if (l.model.streamedInput) {
    const int64_t c = shape[1], hw = shape[2] * shape[3];
    Rows rows{native->get(), std::vector<float>(input.f.size()),
              static_cast<int32_t>(shape[3] * c)};
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < hw; ++p)
        rows.hwc[static_cast<size_t>(p * c + ch)] = input.f[static_cast<size_t>(ch * hw + p)];
    (*native)->run(arena, readRow, &rows);
  } else {
    (*native)->quantizeInput(0, input.f.data(), 0, static_cast<int32_t>(input.numel()), arena);
    (*native)->run(arena);
  }
  auto host = interp::runFixedPoint(model, {input});
  REQUIRE(host);
  for (size_t k = 0; k < model.graph.outputs.size(); ++k) {
    const std::vector<int8_t> want = interp::toRuntimeLayout(host->quantized[k]);
    REQUIRE((*native)->outputBytes(static_cast<int32_t>(k)) ==
            static_cast<int32_t>(want.size()));
    const int8_t *got = (*native)->output(arena, static_cast<int32_t>(k));
    INFO("output " << k);
    CHECK(std::vector<int8_t>(got, got + want.size()) == want);
  }
}

/// The same with the plan makePlan makes under `options`.
void checkNative(const quant::QuantizedModel &model, const ir::TensorData &input,
                 const plan::PlanOptions &options) {
  auto made = plan::makePlan(model.graph, options);
  REQUIRE(made);
  checkNativePlan(model, input, std::move(*made));
}

} // namespace

TEST_CASE("llvm backend: host object run in process == fixed-point interpreter") {
  SECTION("fashion_rnnpool: row bands, RNNPool carrying its scratch; streamed; a 4K budget") {
    const auto calib = fashionCalib();
    auto model = quantized(example("fashion_rnnpool/model.onnx"), calib);
    auto input = onnx_frontend::readTensorFile(calib[2]);
    REQUIRE(input);
    checkNative(model, *input, {});
    plan::PlanOptions streamed;
    streamed.streamInput = true;
    checkNative(model, *input, streamed);
    plan::PlanOptions budget; // the fewest MACs within 4K: another schedule
    budget.ramBudget = 4096;
    checkNative(model, *input, budget);
  }
  SECTION("gates: squeeze-and-excitation [1, C, 1, 1] and spatial [1, 1, H, W]; streamed") {
    testing::Builder b;
    ir::ConvAttrs c3;
    c3.kernel = {3, 3}, c3.strides = {1, 1}, c3.dilations = {1, 1}, c3.pads = {1, 1, 1, 1};
    ir::ConvAttrs c1 = c3;
    c1.kernel = {1, 1}, c1.pads = {0, 0, 0, 0};
    ir::TensorId x = b.node(ir::OpKind::Relu, "r1",
                            {b.node(ir::OpKind::Conv, "c1",
                                    {b.input("x", {1, 3, 9, 7}), b.constant("w1", {8, 3, 3, 3})},
                                    c3)});
    ir::TensorId squeeze = b.node(ir::OpKind::GlobalAveragePool, "gap", {x});
    ir::TensorId excite = b.node(
        ir::OpKind::Sigmoid, "sig1",
        {b.node(ir::OpKind::Conv, "fc", {squeeze, b.constant("w2", {8, 8, 1, 1})}, c1)});
    x = b.node(ir::OpKind::Mul, "se", {x, excite});
    ir::TensorId mean = b.node(ir::OpKind::ReduceMean, "mean", {x, b.ints("axes", {1})});
    ir::TensorId spatial = b.node(ir::OpKind::Sigmoid, "sig2", {mean});
    x = b.node(ir::OpKind::Mul, "sa", {spatial, x});
    b.g.outputs = {b.node(ir::OpKind::Conv, "c2", {x, b.constant("w3", {4, 8, 3, 3})}, c3)};
    REQUIRE(passes::canonicalize(b.g));
    std::vector<std::vector<ir::TensorData>> sets;
    const quant::QuantizedModel model = testing::quantizedSynthetic(b.g, sets);
    size_t gates = 0;
    for (const quant::Layer &layer : model.layers)
      gates += layer.kind == quant::KernelKind::MulGate;
    CHECK(gates == 2);
    checkNative(model, sets[3][0], {});
    plan::PlanOptions streamed;
    streamed.streamInput = true;
    checkNative(model, sets[3][0], streamed);
  }
  SECTION("resize: nearest x2 into a skip add, bilinear to a size; streamed") {
    ir::Graph g = testing::resizeGraph();
    auto sets = calib::syntheticInputs(g, 8);
    auto ranges = calib::calibrate(g, sets);
    REQUIRE(ranges);
    auto model = quant::quantize(g, *ranges);
    REQUIRE(model);
    size_t resizes = 0;
    for (const quant::Layer &layer : model->layers)
      resizes += layer.kind == quant::KernelKind::Resize;
    CHECK(resizes == 2);
    checkNative(*model, sets[3][0], {});
    plan::PlanOptions streamed;
    streamed.streamInput = true;
    checkNative(*model, sets[3][0], streamed);
  }
  SECTION("depthwise convs in tiles, each over its expansion's tile; streamed") {
    // Inverted residuals whose depthwise convs (3x3 pad 1, 5x5 pad 2, 3x3 dilation 2,
    // 3x3 valid) run in place in one tiled region (plan::BuildOptions::tilesInPlace):
    // tiles at the map's edges hold rows above it, and the outputs are as wide as the
    // expansions' tiles.
    testing::Builder b;
    const std::vector<testing::InvertedResidual> dws = {
        {24, 3, 1, 1, 1}, {24, 5, 1, 2, 1}, {24, 3, 1, 2, 2}, {24, 3, 1, 0, 1}};
    b.g.outputs = {testing::invertedResiduals(b, b.input("x", {1, 4, 17, 15}), 4, dws, 6)};
    REQUIRE(passes::canonicalize(b.g));
    std::vector<std::vector<ir::TensorData>> sets;
    const quant::QuantizedModel model = testing::quantizedSynthetic(b.g, sets);
    const ir::Graph &g = model.graph;
    for (bool stream : {false, true})
      for (int64_t tile : {3, 4}) {
        INFO((stream ? "streamed" : "frame resident") << ", tiles of " << tile);
        const plan::Schedule schedule = testing::oneRegion(g, plan::Strategy::Tiles, tile);
        plan::BuildOptions options;
        options.streamInput = stream, options.rowLifetimes = true, options.rowRuns = 0;
        options.tilesInPlace = true;
        plan::Plan p = testing::verifiedPlan(g, schedule, options);
        std::set<std::string> inPlace;
        for (const plan::Step &s : p.steps)
          if (s.kind == plan::StepKind::Compute &&
              p.buffers[static_cast<size_t>(s.outputs[0])].aliasOf >= 0 &&
              g.nodes[s.node].op == ir::OpKind::Conv)
            inPlace.insert(g.nodes[s.node].name);
        CHECK(inPlace.size() == std::size(dws));
        checkNativePlan(model, sets[3][0], std::move(p));
      }
  }
  SECTION("Pads whose input rows lie in their output rings; streamed") {
    // A constant Pad on every side before a 3x3 valid conv, and an edge Pad of the bottom
    // row and right column (ReplicationPad2d((0, 1, 0, 1)), the authors' face detectors)
    // before a 1x1 conv: in one row-band region, each Pad's input row is written where the
    // Pad's output keeps it (plan::Buffer::within), at its pad_left-th pixel.
    testing::Builder b;
    auto conv = [&](const std::string &name, ir::TensorId x, int64_t out, int64_t in,
                    int64_t k) {
      ir::ConvAttrs a;
      a.kernel = {k, k}, a.strides = {1, 1}, a.dilations = {1, 1}, a.pads = {0, 0, 0, 0};
      a.group = 1;
      return b.node(
          ir::OpKind::Relu, name + "_relu",
          {b.node(ir::OpKind::Conv, name, {x, b.constant(name + "_w", {out, in, k, k})}, a)});
    };
    ir::TensorId x = b.input("x", {1, 3, 13, 11});
    x = conv("mix", x, 6, 3, 1);
    x = b.node(ir::OpKind::Pad, "pad", {x, b.ints("pads", {0, 0, 1, 1, 0, 0, 1, 1})},
               ir::PadAttrs{ir::PadMode::Constant});
    x = conv("conv", x, 8, 6, 3);
    x = b.node(ir::OpKind::Pad, "replicate", {x, b.ints("pads2", {0, 0, 0, 0, 0, 0, 1, 1})},
               ir::PadAttrs{ir::PadMode::Edge});
    b.g.outputs = {conv("head", x, 4, 8, 1)};
    REQUIRE(passes::canonicalize(b.g));
    std::vector<std::vector<ir::TensorData>> sets;
    const quant::QuantizedModel model = testing::quantizedSynthetic(b.g, sets);
    const ir::Graph &g = model.graph;
    for (bool stream : {false, true}) {
      INFO((stream ? "streamed" : "frame resident"));
      const plan::Schedule schedule = testing::oneRegion(g, plan::Strategy::RowBands);
      plan::BuildOptions options;
      options.streamInput = stream, options.rowLifetimes = true, options.rowRuns = 0;
      options.depthwiseInPlace = true;
      plan::Plan p = testing::verifiedPlan(g, schedule, options);
      CHECK(testing::padsWithViews(g, p) == std::set<std::string>{"pad", "replicate"});
      checkNativePlan(model, sets[3][0], std::move(p));
    }
  }
  SECTION("small_cnn") {
    auto model = quantized(example("small_cnn/model.onnx"), {});
    auto input = onnx_frontend::readTensorFile(example("small_cnn/input.npy"));
    REQUIRE(input);
    checkNative(model, *input, {});
  }
}

TEST_CASE("llvm backend: model.ll of both targets parses and passes verifyModule") {
  auto model = quantized(example("small_cnn/model.onnx"), {});
  Lowered l = lowerWith(model, {});
  for (const char *target : {"host", "cortex-m4"}) {
    INFO(target);
    auto object = targets::llvmgen::compile(l.model, {target, "", /*emitLlvm=*/true});
    REQUIRE(object);
    CHECK(object->object.substr(0, 4) == "\x7f"
                                         "ELF");
    llvm::LLVMContext ctx;
    llvm::SMDiagnostic diagnostic;
    auto parsed = llvm::parseAssemblyString(object->ir, diagnostic, ctx);
    REQUIRE(parsed);
    std::string errors;
    llvm::raw_string_ostream os(errors);
    CHECK_FALSE(llvm::verifyModule(*parsed, &os));
    CHECK(errors.empty());
    // Internalised: the model.h API is all that is left with external linkage.
    std::vector<std::string> external;
    for (const llvm::GlobalValue &g : parsed->global_values())
      if (!g.isDeclaration() && !g.hasLocalLinkage())
        external.push_back(g.getName().str());
    std::sort(external.begin(), external.end());
    auto api = targets::llvmgen::apiFunctions(l.model);
    std::sort(api.begin(), api.end());
    CHECK(external == api);
  }
}

TEST_CASE("llvm backend: a runtime bitcode without a kernel or a params type is an error") {
  auto model = quantized(example("small_cnn/model.onnx"), {});
  Lowered l = lowerWith(model, {});
  // The Cortex-M4 runtime: the host's conv kernels come in a module of their own
  // (host-conv.bc), linked in when a model is compiled.
  const targets::EmbeddedFile *file =
      targets::findFile(targets::runtimeBitcode(), "cortex-m4.bc");
  REQUIRE(file);
  llvm::LLVMContext ctx;
  auto load = [&]() {
    auto m = llvm::parseBitcodeFile(
        llvm::MemoryBufferRef(
            llvm::StringRef(reinterpret_cast<const char *>(file->data), file->size),
            "cortex-m4.bc"),
        ctx);
    if (!m)
      FAIL(llvm::toString(m.takeError()));
    return std::move(*m);
  };
  {
    auto runtime = load();
    REQUIRE(targets::llvmgen::buildModelModule(l.model, *runtime));
    runtime->getFunction("rp_conv_s8")->deleteBody();
    auto built = targets::llvmgen::buildModelModule(l.model, *runtime);
    REQUIRE_FALSE(built);
    CHECK(built.error().message() == "kernel 'rp_conv_s8' is missing from the runtime bitcode "
                                     "for thumbv7em-unknown-none-eabihf; rebuild rnnpoolc");
  }
  {
    auto runtime = load();
    llvm::StructType::getTypeByName(ctx, "struct.rp_conv_params")->setName("renamed");
    auto built = targets::llvmgen::buildModelModule(l.model, *runtime);
    REQUIRE_FALSE(built);
    CHECK(built.error().message().find("type 'rp_conv_params' is missing") == 0);
  }
}

TEST_CASE("llvm backend: unknown CPU or target") {
  auto status = targets::llvmgen::checkOptions({"cortex-m4", "pentium-m9", false});
  REQUIRE_FALSE(status);
  CHECK(status.error().message().find("unknown --cpu 'pentium-m9' for thumbv7em") == 0);
  CHECK(targets::llvmgen::checkOptions({"host", "", false}));
  CHECK(targets::llvmgen::checkOptions({"cortex-m4", "cortex-m7", false}));
  auto target = targets::llvmgen::checkOptions({"riscv", "", false});
  REQUIRE_FALSE(target);
  CHECK(target.error().message().find("unknown --target 'riscv'") == 0);
}
