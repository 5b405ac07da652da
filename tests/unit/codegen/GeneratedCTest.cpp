// targets/c: the generated C, compiled for the host with gcc and clang (-Werror -pedantic),
// gives every step's output byte for byte as the host fixed-point interpreter; the emitted
// text has the structure DESIGN.md section 6 promises; output directories are atomic.
#include "compiler/interp/FixedPoint.h"
#include "compiler/passes/Passes.h"
#include "frontends/onnx/Importer.h"
#include "frontends/onnx/TensorIO.h"
#include "targets/c/ArenaLayout.h"
#include "targets/c/CEmitter.h"
#include "targets/c/OutputDir.h"
#include "targets/qemu/Process.h"
#include "tests/unit/passes/Builder.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace rnnpoolc;
namespace fs = std::filesystem;

namespace {

std::string example(const std::string &rel) {
  return std::string(RNNPOOLC_SOURCE_DIR) + "/examples/" + rel;
}

/// Imports, canonicalises and quantises a model, calibrated on `calib` (.npy samples).
quant::QuantizedModel quantized(const std::string &path, const std::vector<std::string> &calib) {
  auto imported = onnx_frontend::importModel(path);
  REQUIRE(imported);
  ir::Graph g = std::move(imported->graph);
  REQUIRE(passes::canonicalize(g));
  std::vector<std::vector<ir::TensorData>> sets;
  for (const std::string &file : calib) {
    auto value = onnx_frontend::readTensorFile(file);
    REQUIRE(value);
    sets.push_back({*value});
  }
  if (sets.empty())
    sets = quant::syntheticInputs(g, 8);
  auto ranges = quant::calibrate(g, sets);
  REQUIRE(ranges);
  auto model = quant::quantize(g, *ranges);
  REQUIRE(model);
  return std::move(*model);
}

/// A host harness: reads input.bin (float32), runs the model, and appends every step's
/// output (MODEL_TRACE) to trace.bin.
const char *kHarness = R"(#include <stdio.h>
#include <stdint.h>
static FILE *trace_file;
#define MODEL_TRACE(step, bytes, count) fwrite((bytes), 1, (size_t)(count), trace_file)
#include "model.c"
static unsigned char arena[MODEL_ARENA_BYTES] __attribute__((aligned(16)));
int main(void) {
  static float x[MODEL_INPUT0_ELEMS];
  FILE *in = fopen("input.bin", "rb");
  if (!in || fread(x, sizeof x[0], MODEL_INPUT0_ELEMS, in) != MODEL_INPUT0_ELEMS)
    return 1;
  trace_file = fopen("trace.bin", "wb");
  model_quantize_input(0, x, 0, MODEL_INPUT0_ELEMS, arena);
  model_run(arena);
  return fclose(trace_file) != 0;
}
)";

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Generates C for `model`, builds it with `compiler` and checks each step against the host.
void checkAgainstHost(const quant::QuantizedModel &model, const ir::TensorData &input,
                      const std::string &name, const std::string &compiler) {
  auto layout = targets::c::layerByLayerLayout(model);
  auto files = targets::c::generateC(model, layout, {"host", "test", name, "0"});
  REQUIRE(files);
  files->push_back({"harness.c", kHarness});
  std::string dir = std::string(RNNPOOLC_BINARY_DIR) + "/codegen-tests/" + name + "-" + compiler;
  REQUIRE(targets::c::writeDirectoryAtomically(dir, *files));
  std::ofstream(dir + "/input.bin", std::ios::binary)
      .write(reinterpret_cast<const char *>(input.f.data()),
             static_cast<std::streamsize>(input.f.size() * sizeof(float)));
  auto build = qemu::runProcess({compiler, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror",
                                 "-pedantic", "-o", "harness", "harness.c", "model_weights.c"},
                                dir, 120);
  REQUIRE(build);
  INFO(build->err);
  REQUIRE(build->exitCode == 0);
  auto run = qemu::runProcess({"./harness"}, dir, 60);
  REQUIRE(run);
  REQUIRE(run->exitCode == 0);

  std::vector<std::vector<int8_t>> host;
  auto result = interp::runFixedPoint(model, {input}, [&](size_t, const std::vector<int8_t> &b) {
    host.push_back(b);
  });
  REQUIRE(result);
  std::string trace = readFile(dir + "/trace.bin");
  size_t at = 0;
  for (size_t step = 0; step < host.size(); ++step) {
    INFO("step " << step << " node '" << model.graph.nodes[step].name << "'");
    REQUIRE(at + host[step].size() <= trace.size());
    std::vector<int8_t> got(trace.begin() + at, trace.begin() + at + host[step].size());
    CHECK(got == host[step]);
    at += host[step].size();
  }
  CHECK(at == trace.size());
}

} // namespace

TEST_CASE("codegen: generated C equals the host fixed-point interpreter, step by step") {
  for (const char *compiler : {"gcc", "clang-19"}) {
    DYNAMIC_SECTION(compiler) {
      SECTION("fashion_rnnpool (conv, RNNPool, conv, flatten, fc)") {
        std::vector<std::string> calib;
        for (int k = 0; k < 8; ++k)
          calib.push_back(example("fashion_rnnpool/image_" + std::to_string(k) + ".npy"));
        auto model = quantized(example("fashion_rnnpool/model.onnx"), calib);
        auto input = onnx_frontend::readTensorFile(calib[0]);
        REQUIRE(input);
        checkAgainstHost(model, *input, "fashion", compiler);
      }
      SECTION("pad, gated mul, split, L2Norm, channel mul (rp_norm.c), padded avgpool") {
        testing::Builder b;
        ir::TensorId x = b.input("x", {1, 4, 6, 5});
        ir::TensorId p = b.node(ir::OpKind::Pad, "pad", {x, b.ints("pads", {0, 0, 1, 1, 0, 0, 0, 2})});
        ir::TensorId g = b.node(ir::OpKind::Sigmoid, "gate", {p});
        ir::TensorId m = b.node(ir::OpKind::Mul, "mul", {p, g});
        b.node(ir::OpKind::Split, "split", {m, b.ints("sizes", {3, 1})}, ir::AxisAttrs{1}, 2);
        ir::TensorId left = b.g.nodes.back().outputs[0], right = b.g.nodes.back().outputs[1];
        ir::TensorId n = b.node(ir::OpKind::L2Norm, "l2", {left, b.constant("s", {3}, 2, 9)},
                                ir::L2NormAttrs{1e-6f, false, 1});
        ir::TensorId k = b.node(ir::OpKind::Mul, "k", {right, b.constant("kc", {1}, -2, -1)});
        ir::TensorId cat = b.node(ir::OpKind::Concat, "cat", {n, k}, ir::AxisAttrs{1});
        // Average pooling counting bottom/right padding: needs pad_bottom / pad_right.
        ir::PoolAttrs avg;
        avg.kernel = {3, 3}, avg.strides = {2, 2}, avg.dilations = {1, 1};
        avg.pads = {1, 1, 1, 1}, avg.countIncludePad = true;
        b.g.outputs = {b.node(ir::OpKind::AveragePool, "avg", {cat}, avg)};
        REQUIRE(passes::foldConstantsAndInferShapes(b.g));
        auto sets = quant::syntheticInputs(b.g, 8);
        auto ranges = quant::calibrate(b.g, sets);
        REQUIRE(ranges);
        auto model = quant::quantize(b.g, *ranges);
        INFO((model ? std::string() : model.error().message()));
        REQUIRE(model);
        checkAgainstHost(*model, sets[0][0], "norm_kernels", compiler);
      }
      SECTION("small_cnn") {
        auto model = quantized(example("small_cnn/model.onnx"), {});
        auto input = onnx_frontend::readTensorFile(example("small_cnn/input.npy"));
        REQUIRE(input);
        checkAgainstHost(model, *input, "small_cnn", compiler);
      }
    }
  }
}
