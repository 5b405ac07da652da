// targets/c: the generated C, compiled for the host with gcc and clang (-Werror -pedantic),
// follows the memory plan (row bands, tiles, streamed input) and gives every whole
// intermediate tensor and every output byte for byte as the host fixed-point interpreter;
// the emitted text has the structure DESIGN.md section 6 promises; output directories are
// atomic.
#include "compiler/calib/Calibrate.h"
#include "compiler/interp/FixedPoint.h"
#include "compiler/passes/Passes.h"
#include "compiler/plan/Planner.h"
#include "frontends/onnx/Importer.h"
#include "frontends/onnx/TensorIO.h"
#include "targets/c/CEmitter.h"
#include "targets/c/OutputDir.h"
#include "targets/qemu/Process.h"
#include "tests/unit/codegen/CodegenTestUtil.h"
#include "tests/unit/passes/Builder.h"
#include "tests/unit/plan/Schedules.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <map>
#include <fstream>

using namespace rnnpoolc;
namespace fs = std::filesystem;

namespace {

using testing::example;
using testing::quantized;

/// A host harness: reads input.bin (float32, NCHW), runs the model once, writes every
/// step's output buffer (MODEL_TRACE: node, buffer, byte count, bytes) to trace.bin and
/// the outputs to output.bin. With STREAMED, the input reaches model_run() row by row.
const char *kHarness = R"(#include <stdio.h>
#include <stdint.h>
#include <string.h>
static FILE *trace_file;
static void trace(int32_t node, const int8_t *bytes, const void *step);
#define MODEL_TRACE(node, bytes, step) trace((node), (bytes), (step))
#include "model.c"
static void trace(int32_t node, const int8_t *bytes, const void *step) {
  const model_step *s = (const model_step *)step;
  const model_buffer *b = &model_buffers[s->out];
  int32_t header[3];
  header[0] = node;
  header[1] = s->out;
  header[2] = (b->ring_rows ? b->ring_rows : b->rows) * b->cols * b->channels;
  fwrite(header, sizeof header, 1, trace_file);
  fwrite(bytes, 1, (size_t)header[2], trace_file);
}
static unsigned char arena[MODEL_ARENA_BYTES] __attribute__((aligned(16)));
static float x[MODEL_INPUT0_ELEMS];
#ifdef STREAMED
/* Rows of the NCHW frame x, quantised into dst with channels innermost. */
static void read_row(void *user, int32_t index, int32_t row, int8_t *dst) {
  const int32_t cols = MODEL_INPUT0_COLS, channels = MODEL_INPUT0_CHANNELS;
  static float pixels[MODEL_INPUT0_ROW_BYTES];
  int32_t c, k;
  (void)user;
  for (k = 0; k < cols; ++k)
    for (c = 0; c < channels; ++c)
      pixels[k * channels + c] = x[(c * MODEL_INPUT0_ROWS + row) * cols + k];
  model_quantize_pixels(index, pixels, MODEL_INPUT0_ROW_BYTES, dst);
}
#endif
int main(void) {
  int32_t k;
  FILE *in = fopen("input.bin", "rb"), *out;
  if (!in || fread(x, sizeof x[0], MODEL_INPUT0_ELEMS, in) != MODEL_INPUT0_ELEMS)
    return 1;
  trace_file = fopen("trace.bin", "wb");
#ifdef STREAMED
  model_run(arena, read_row, 0);
#else
  model_quantize_input(0, x, 0, MODEL_INPUT0_ELEMS, arena);
  model_run(arena);
#endif
  out = fopen("output.bin", "wb");
  for (k = 0; k < MODEL_NUM_OUTPUTS; ++k)
    fwrite(model_output(arena, k), 1, (size_t)model_output_bytes(k), out);
  return fclose(trace_file) != 0 || fclose(out) != 0;
}
)";

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Generates C for `model` under `options`, builds it with `compiler` and checks every
/// node whose output the plan holds whole, and every model output, against the host.
/// Returns the plan, so that callers can check its shape.
/// Generates C for `plan`, compiles it with `compiler`, runs it on `input` and checks every
/// whole tensor it traces and every output against the host fixed-point interpreter.
void checkPlanAgainstHost(const quant::QuantizedModel &model, const ir::TensorData &input,
                          const std::string &name, const std::string &compiler,
                          const plan::Plan &plan) {
  auto files = targets::c::generateC(model, plan, {"host", "test", name, "0"});
  REQUIRE(files);
  files->push_back({"harness.c", kHarness});
  std::string dir = std::string(RNNPOOLC_BINARY_DIR) + "/codegen-tests/" + name + "-" + compiler;
  REQUIRE(targets::c::writeDirectoryAtomically(dir, *files));
  std::ofstream(dir + "/input.bin", std::ios::binary)
      .write(reinterpret_cast<const char *>(input.f.data()),
             static_cast<std::streamsize>(input.f.size() * sizeof(float)));
  std::vector<std::string> cc = {compiler, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror",
                                 "-pedantic", "-o", "harness", "harness.c", "model_weights.c"};
  if (plan.streamedInput)
    cc.push_back("-DSTREAMED");
#ifdef RNNPOOLC_SANITIZE
  // The sanitizer build (make test-sanitize) runs the generated C under the same sanitizers.
  cc.insert(cc.begin() + 1, {"-fsanitize=" RNNPOOLC_SANITIZE, "-fno-sanitize-recover=all"});
#endif
  auto build = qemu::runProcess(cc, dir, 120);
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
  // The last trace record of each node whose buffer holds its whole output.
  std::string trace = readFile(dir + "/trace.bin");
  std::map<int32_t, std::vector<int8_t>> last;
  size_t records = 0;
  for (size_t at = 0; at + 12 <= trace.size(); ++records) {
    int32_t header[3];
    std::memcpy(header, trace.data() + at, sizeof header);
    at += sizeof header;
    REQUIRE(at + static_cast<size_t>(header[2]) <= trace.size());
    const plan::Buffer &b = plan.buffers.at(static_cast<size_t>(header[1]));
    if (b.kind == plan::BufferKind::Region &&
        b.region == plan::wholeRegion(model.graph.tensor(b.tensor)))
      last[header[0]].assign(trace.begin() + at, trace.begin() + at + header[2]);
    at += static_cast<size_t>(header[2]);
  }
  CHECK(records > 0);
  for (const auto &[node, bytes] : last) {
    INFO("node '" << model.graph.nodes[node].name << "'");
    CHECK(bytes == host.at(static_cast<size_t>(node)));
  }
  std::string outputs = readFile(dir + "/output.bin");
  size_t at = 0;
  for (size_t k = 0; k < model.graph.outputs.size(); ++k) {
    std::vector<int8_t> want = interp::toRuntimeLayout(result->quantized[k]);
    INFO("output " << k);
    REQUIRE(at + want.size() <= outputs.size());
    CHECK(std::vector<int8_t>(outputs.begin() + at, outputs.begin() + at + want.size()) == want);
    at += want.size();
  }
  CHECK(at == outputs.size());
}

plan::Plan checkAgainstHost(const quant::QuantizedModel &model, const ir::TensorData &input,
                            const std::string &name, const std::string &compiler,
                            const plan::PlanOptions &options = {}) {
  auto made = plan::makePlan(model.graph, options);
  REQUIRE(made);
  checkPlanAgainstHost(model, input, name, compiler, *made);
  return std::move(*made);
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
        plan::Plan p = checkAgainstHost(model, *input, "fashion", compiler);
        CHECK(!p.regions.empty()); // the plan is not layer by layer: regions are exercised
        plan::PlanOptions streamed;
        streamed.streamInput = true;
        p = checkAgainstHost(model, *input, "fashion-streamed", compiler, streamed);
        CHECK(p.streamedInput);
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
        auto sets = calib::syntheticInputs(b.g, 8);
        auto ranges = calib::calibrate(b.g, sets);
        REQUIRE(ranges);
        auto model = quant::quantize(b.g, *ranges);
        INFO((model ? std::string() : model.error().message()));
        REQUIRE(model);
        checkAgainstHost(*model, sets[0][0], "norm_kernels", compiler);
      }
      SECTION("a global average pool accumulating a row at a time") {
        // conv -> 1x1 conv to 24 channels -> GAP -> flatten: the pool ends a row-band region,
        // so its 24-channel input is never whole (rp_global_avgpool_rows_s8 / _finish_s8).
        testing::Builder b;
        ir::TensorId x = b.input("x", {1, 3, 10, 9});
        ir::ConvAttrs c3;
        c3.kernel = {3, 3}, c3.strides = {1, 1}, c3.dilations = {1, 1}, c3.pads = {1, 1, 1, 1};
        ir::ConvAttrs c1 = c3;
        c1.kernel = {1, 1}, c1.pads = {0, 0, 0, 0};
        x = b.node(ir::OpKind::Relu, "r1",
                   {b.node(ir::OpKind::Conv, "c1", {x, b.constant("w1", {8, 3, 3, 3})}, c3)});
        x = b.node(ir::OpKind::Relu, "r2",
                   {b.node(ir::OpKind::Conv, "c2", {x, b.constant("w2", {24, 8, 1, 1})}, c1)});
        b.g.outputs = {b.node(ir::OpKind::Flatten, "flat",
                              {b.node(ir::OpKind::GlobalAveragePool, "gap", {x})},
                              ir::AxisAttrs{1})};
        REQUIRE(passes::canonicalize(b.g));
        std::vector<std::vector<ir::TensorData>> sets;
        const quant::QuantizedModel model = testing::quantizedSynthetic(b.g, sets);
        for (bool stream : {false, true}) {
          plan::PlanOptions options;
          options.streamInput = stream;
          plan::Plan p = checkAgainstHost(model, sets[1][0], stream ? "gap-streamed" : "gap",
                                          compiler, options);
          int accumulating = 0;
          for (const plan::Step &s : p.steps)
            accumulating += s.accumulate;
          CHECK(accumulating == 10);
          CHECK(p.summary.arenaBytes < 24 * 10 * 9);
        }
      }
      SECTION("expansions computed inside their depthwise convs' tiles") {
        // Inverted residuals in one tiled region, each 1x1 expansion computed by its
        // depthwise conv's steps 16 or 5 channels at a time (plan::Step::fusedExpansion,
        // rp_expand_dw_s8): 3x3 and 5x5 windows, stride 2, dilation 2, a valid conv, and
        // channel counts that are and are not multiples of 16; frame resident and streamed
        // (the first expansion reads the streamed rows).
        testing::Builder b;
        const std::vector<testing::InvertedResidual> blocks = {{40, 3, 1, 1, 1},
                                                               {24, 3, 2, 1, 1},
                                                               {33, 5, 1, 2, 1},
                                                               {16, 3, 1, 2, 2},
                                                               {48, 3, 1, 0, 1}};
        b.g.outputs = {
            testing::invertedResiduals(b, b.input("x", {1, 3, 23, 21}), 3, blocks, 5)};
        REQUIRE(passes::canonicalize(b.g));
        std::vector<std::vector<ir::TensorData>> sets;
        const quant::QuantizedModel model = testing::quantizedSynthetic(b.g, sets);
        const ir::Graph &g = model.graph;
        for (bool stream : {false, true})
          for (int64_t tile : {2, 3}) {
            INFO((stream ? "streamed" : "frame resident") << ", tiles of " << tile);
            plan::BuildOptions options;
            options.streamInput = stream, options.rowLifetimes = true, options.rowRuns = 0;
            options.fuseExpansions = true, options.fuseEverywhere = true;
            options.fuseGroup = tile == 2 ? 16 : 5; // (5: every block ends in a partial group)
            const plan::Plan p = testing::verifiedPlan(
                g, testing::oneRegion(g, plan::Strategy::Tiles, tile), options);
            std::set<std::string> fused;
            for (const plan::Step &s : p.steps)
              if (s.kind == plan::StepKind::Compute && s.fusedExpansion >= 0)
                fused.insert(g.nodes[static_cast<size_t>(s.fusedExpansion)].name);
            CHECK(fused.size() == blocks.size());
            checkPlanAgainstHost(
                model, sets[2][0],
                fmt::format("fused-{}-{}", stream ? "streamed" : "frame", tile), compiler, p);
          }
        // The same blocks in one row-band region, each expansion computed by its conv's
        // row bands (plan::Step::fusedRows, rp_expand_dw_rows_s8), which carry from band to
        // band the rows consecutive windows share: two of a 3x3 window, one at stride 2,
        // four of a 5x5 window or of a 3x3 one dilated by 2.
        for (bool stream : {false, true}) {
          INFO((stream ? "streamed" : "frame resident") << ", row bands");
          plan::BuildOptions options;
          options.streamInput = stream, options.rowLifetimes = true, options.rowRuns = 0;
          options.fuseRows = true, options.fuseEverywhere = true;
          options.fuseGroup = stream ? 16 : 5;
          const plan::Plan p = testing::verifiedPlan(
              g, testing::oneRegion(g, plan::Strategy::RowBands, 1), options);
          std::set<std::string> fused;
          int carried = 0;
          for (const plan::Step &s : p.steps)
            if (s.kind == plan::StepKind::Compute && s.fusedExpansion >= 0) {
              fused.insert(g.nodes[static_cast<size_t>(s.fusedExpansion)].name);
              carried += s.fusedRows && s.reads[0].row0 > 0;
            }
          CHECK(fused.size() == blocks.size());
          CHECK(carried > 40);
          checkPlanAgainstHost(model, sets[2][0],
                               fmt::format("fused-rows-{}", stream ? "streamed" : "frame"),
                               compiler, p);
        }
      }
      SECTION("small_cnn") {
        auto model = quantized(example("small_cnn/model.onnx"), {});
        auto input = onnx_frontend::readTensorFile(example("small_cnn/input.npy"));
        REQUIRE(input);
        plan::Plan p = checkAgainstHost(model, *input, "small_cnn", compiler);
        CHECK(!p.regions.empty());
        plan::PlanOptions streamed;
        streamed.streamInput = true;
        checkAgainstHost(model, *input, "small_cnn-streamed", compiler, streamed);
      }
    }
  }
}
