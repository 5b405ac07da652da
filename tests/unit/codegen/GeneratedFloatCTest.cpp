// targets/c float build: the generated float C, compiled for the host with gcc and clang
// (-Werror -pedantic, -lm), gives every step's output within 1e-4 of the range of the float
// interpreter's, for the example models and for small graphs covering each float kernel's
// variants (grouped / dilated / depthwise / pointwise conv with fused activations, pooling
// with padding and ceil mode, concat, softmax, unary ops, broadcasting binary ops, channel
// reductions, MatMul).
#include "compiler/interp/Interpreter.h"
#include "compiler/passes/Passes.h"
#include "compiler/plan/Builder.h"
#include "compiler/plan/Planner.h"
#include "compiler/plan/Verifier.h"
#include "frontends/onnx/Importer.h"
#include "frontends/onnx/TensorIO.h"
#include "targets/c/FloatEmitter.h"
#include "targets/c/OutputDir.h"
#include "targets/qemu/Process.h"
#include "tests/unit/passes/Builder.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>

using namespace rnnpoolc;
using rnnpoolc::testing::Builder;

namespace {

std::string example(const std::string &rel) {
  return std::string(RNNPOOLC_SOURCE_DIR) + "/examples/" + rel;
}

/// A host harness: reads input.bin (float32 sets for every input, logical NCHW order), runs
/// the model (handing a streamed input row by row), appends every step's float output
/// (MODEL_TRACE: node, count, values) to trace.bin and the outputs to output.bin.
const char *kHarness = R"(#include <stdio.h>
#include <stdint.h>
static FILE *trace_file;
#define MODEL_TRACE(node, values, count)                        \
  do {                                                          \
    const int32_t header[2] = {(node), (count)};                \
    fwrite(header, sizeof header[0], 2, trace_file);            \
    fwrite((values), sizeof(float), (size_t)(count), trace_file); \
  } while (0)
#include "model.c"
static unsigned char arena[MODEL_ARENA_BYTES] __attribute__((aligned(16)));
static float x[1 << 16];
#ifdef MODEL_STREAMED_INPUT
static void read_row(void *user, int32_t index, int32_t row, int8_t *dst) {
  float pixels[MODEL_INPUT0_ROW_VALUES];
  int32_t p, c;
  (void)user;
  for (p = 0; p < MODEL_INPUT0_COLS; ++p)
    for (c = 0; c < MODEL_INPUT0_CHANNELS; ++c)
      pixels[p * MODEL_INPUT0_CHANNELS + c] =
          x[(c * MODEL_INPUT0_ROWS + row) * MODEL_INPUT0_COLS + p];
  model_quantize_pixels(index, pixels, MODEL_INPUT0_ROW_VALUES, dst);
}
#endif
int main(void) {
  int32_t k;
  FILE *in = fopen("input.bin", "rb"), *out;
  trace_file = fopen("trace.bin", "wb");
  for (k = 0; k < MODEL_NUM_INPUTS; ++k) {
    int32_t n = model_input_elems(k);
    if (!in || n > (1 << 16) || fread(x, sizeof x[0], (size_t)n, in) != (size_t)n)
      return 1;
#ifndef MODEL_STREAMED_INPUT
    model_quantize_input(k, x, 0, n, arena);
#endif
  }
#ifdef MODEL_STREAMED_INPUT
  model_run(arena, read_row, 0);
#else
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

/// A float tensor in the runtime's layout (HWC for rank 4).
std::vector<float> runtimeLayout(const ir::TensorData &t) {
  if (t.shape.size() != 4)
    return t.f;
  const int64_t c = t.shape[1], hw = t.shape[2] * t.shape[3];
  std::vector<float> out(t.f.size());
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t p = 0; p < hw; ++p)
      out[static_cast<size_t>(p * c + ch)] = t.f[static_cast<size_t>(ch * hw + p)];
  return out;
}

/// `schedule` built into a plan, placed greedily by size and verified.
plan::Plan verifiedPlan(const ir::Graph &graph, const plan::Schedule &schedule,
                        const plan::BuildOptions &options) {
  auto built = plan::buildPlan(graph, schedule, options);
  INFO((built ? std::string() : built.error().message()));
  REQUIRE(built);
  plan::placeBuffers(*built, plan::Placement::Greedy);
  auto verified = plan::verifyPlan(graph, *built);
  INFO((verified ? std::string() : verified.error().message()));
  REQUIRE(verified);
  return std::move(*built);
}

/// The layer-by-layer plan of `graph` in node order (no regions), verified: every node runs
/// as one step over whole tensors, so that each step's output can be compared.
plan::Plan layerPlan(const ir::Graph &graph) {
  plan::Schedule schedule;
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    schedule.order.push_back(n);
  plan::BuildOptions options;
  options.floatActivations = true;
  return verifiedPlan(graph, schedule, options);
}

/// Largest |got - want| over the values, NaN counting as infinite, and the tolerance: 1e-4 of
/// the range of `want` (at least 1e-4).
std::pair<double, double> worstDiff(const std::vector<float> &want, const float *got) {
  float lo = *std::min_element(want.begin(), want.end());
  float hi = *std::max_element(want.begin(), want.end());
  double worst = 0;
  for (size_t e = 0; e < want.size(); ++e)
    worst = std::max(worst, std::isnan(got[e]) ? INFINITY : std::fabs(double(got[e] - want[e])));
  return {worst, 1e-4 * std::max(1.0f, hi - lo)};
}

/// Generates float C for `graph` following `plan` (the layer-by-layer plan when none),
/// builds it with `compiler`, runs it on `inputs` and checks the outputs, and every step that
/// computed a whole tensor, against the float interpreter's value of that node. With the
/// layer-by-layer plan every node but an in-place alias must have been traced.
void checkFloatC(const ir::Graph &graph, const std::vector<ir::TensorData> &inputs,
                 const std::string &name, const std::string &compiler,
                 const plan::Plan *given = nullptr) {
  auto model = targets::lowerFloat(graph);
  INFO((model ? std::string() : model.error().message()));
  REQUIRE(model);
  const plan::Plan plan = given ? *given : layerPlan(model->graph);
  auto files = targets::c::generateFloatC(*model, plan, {"host", "test", name, "0"});
  INFO((files ? std::string() : files.error().message()));
  REQUIRE(files);
  files->push_back({"harness.c", kHarness});
  std::string dir =
      std::string(RNNPOOLC_BINARY_DIR) + "/codegen-tests/float-" + name + "-" + compiler;
  REQUIRE(targets::c::writeDirectoryAtomically(dir, *files));
  std::ofstream bin(dir + "/input.bin", std::ios::binary);
  for (const ir::TensorData &x : inputs)
    bin.write(reinterpret_cast<const char *>(x.f.data()),
              static_cast<std::streamsize>(x.f.size() * sizeof(float)));
  bin.close();
  std::vector<std::string> cc = {compiler, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror",
                                 "-pedantic", "-o", "harness", "harness.c", "model_weights.c",
                                 "-lm"};
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

  // The interpreter's value of every node in the runtime's layout. An alias (Flatten,
  // Reshape) of a feature map keeps the map's HWC bytes, so it is compared with its input.
  std::map<ir::TensorId, std::vector<float>> values;
  for (size_t k = 0; k < inputs.size(); ++k)
    values[graph.inputs[k]] = runtimeLayout(inputs[k]);
  std::vector<std::vector<float>> host;
  auto result = interp::run(graph, inputs, [&](const ir::Node &node, auto outs) {
    size_t step = host.size();
    bool keepsBytes = model->steps[step].kind == targets::FloatKind::Alias &&
                      graph.tensor(node.inputs[0]).shape.size() == 4;
    host.push_back(keepsBytes ? values[node.inputs[0]] : runtimeLayout(outs[0]));
    values[node.outputs[0]] = host.back();
  });
  REQUIRE(result);
  REQUIRE(host.size() == graph.nodes.size());
  std::string trace = readFile(dir + "/trace.bin");
  std::vector<bool> traced(graph.nodes.size(), false);
  size_t at = 0;
  while (at + 2 * sizeof(int32_t) <= trace.size()) {
    int32_t header[2];
    std::memcpy(header, trace.data() + at, sizeof header);
    at += sizeof header;
    const auto node = static_cast<size_t>(header[0]), count = static_cast<size_t>(header[1]);
    REQUIRE(node < host.size());
    REQUIRE(at + count * sizeof(float) <= trace.size());
    const std::vector<float> &want = host[node];
    if (count == want.size()) { // a step over the whole output
      INFO("step of node " << node << " '" << graph.nodes[node].name << "'");
      std::vector<float> got(count);
      std::memcpy(got.data(), trace.data() + at, count * sizeof(float));
      auto [worst, tol] = worstDiff(want, got.data());
      INFO("worst |C - interpreter| " << worst << ", tolerance " << tol);
      CHECK(worst <= tol);
      traced[node] = true;
    }
    at += count * sizeof(float);
  }
  CHECK(at == trace.size());
  if (!given)
    for (size_t n = 0; n < graph.nodes.size(); ++n) {
      INFO("node " << n << " '" << graph.nodes[n].name << "' not traced");
      CHECK((traced[n] || model->steps[n].kind == targets::FloatKind::Alias));
    }
  std::string out = readFile(dir + "/output.bin");
  size_t offset = 0;
  for (ir::TensorId t : graph.outputs) {
    const std::vector<float> &want = values[t];
    INFO("output '" << graph.tensor(t).name << "'");
    REQUIRE(offset + want.size() * sizeof(float) <= out.size());
    std::vector<float> got(want.size());
    std::memcpy(got.data(), out.data() + offset, want.size() * sizeof(float));
    offset += want.size() * sizeof(float);
    auto [worst, tol] = worstDiff(want, got.data());
    INFO("worst |C - interpreter| " << worst << ", tolerance " << tol);
    CHECK(worst <= tol);
  }
  CHECK(offset == out.size());
}

ir::Graph loadExample(const std::string &path) {
  auto imported = onnx_frontend::importModel(path);
  REQUIRE(imported);
  ir::Graph g = std::move(imported->graph);
  REQUIRE(passes::canonicalize(g));
  return g;
}

/// Finishes a built graph (output, shapes) and checks it with both compilers.
void checkBuilt(Builder &b, ir::TensorId out, const std::string &name) {
  b.g.outputs = {out};
  auto folded = passes::foldConstantsAndInferShapes(b.g);
  INFO((folded ? std::string() : folded.error().message()));
  REQUIRE(folded);
  std::vector<ir::TensorData> inputs;
  for (size_t k = 0; k < b.g.inputs.size(); ++k)
    inputs.push_back(b.randomInput(k));
  for (const char *compiler : {"gcc", "clang-19"}) {
    INFO(compiler);
    checkFloatC(b.g, inputs, name, compiler);
  }
}

ir::ConvAttrs convAttrs(int64_t k, int64_t stride, int64_t pad, int64_t dilation, int64_t group,
                        ir::Activation act) {
  ir::ConvAttrs a;
  a.kernel = {k, k};
  a.strides = {stride, stride};
  a.dilations = {dilation, dilation};
  a.pads = {pad, pad, pad, pad};
  a.group = group;
  a.act = act;
  return a;
}

/// Adds one FastGRNN cell's constants (EdgeML orientation; a low-rank W as two factors).
void addCell(Builder &b, const std::string &p, int64_t in, int64_t hidden, int64_t rankW,
             int64_t rankU, std::vector<ir::TensorId> &inputs) {
  float wr = 1.5f / std::sqrt(float(in)), ur = 1.0f / std::sqrt(float(hidden));
  if (rankW > 0) {
    inputs.push_back(b.constant(p + "W1", {in, rankW}, -wr, wr));
    inputs.push_back(b.constant(p + "W2", {rankW, hidden}, -1, 1));
  } else {
    inputs.push_back(b.constant(p + "W", {in, hidden}, -wr, wr));
  }
  if (rankU > 0) {
    inputs.push_back(b.constant(p + "U1", {hidden, rankU}, -ur, ur));
    inputs.push_back(b.constant(p + "U2", {rankU, hidden}, -1, 1));
  } else {
    inputs.push_back(b.constant(p + "U", {hidden, hidden}, -ur, ur));
  }
  inputs.push_back(b.constant(p + "bz", {1, hidden}, -0.5f, 0.5f));
  inputs.push_back(b.constant(p + "bh", {1, hidden}, -0.5f, 0.5f));
  inputs.push_back(b.constant(p + "zeta", {1, 1}, 0.8f, 1.2f));
  inputs.push_back(b.constant(p + "nu", {1, 1}, -4.2f, -3.8f));
}

} // namespace

TEST_CASE("codegen: float C equals the float interpreter, step by step (examples)") {
  for (const char *compiler : {"gcc", "clang-19"}) {
    DYNAMIC_SECTION(compiler) {
      SECTION("fashion_rnnpool (conv, RNNPool, conv, flatten, fc)") {
        auto input = onnx_frontend::readTensorFile(example("fashion_rnnpool/image_3.npy"));
        REQUIRE(input);
        checkFloatC(loadExample(example("fashion_rnnpool/model.onnx")), {*input}, "fashion",
                    compiler);
      }
      SECTION("small_cnn") {
        auto input = onnx_frontend::readTensorFile(example("small_cnn/input.npy"));
        REQUIRE(input);
        checkFloatC(loadExample(example("small_cnn/model.onnx")), {*input}, "small_cnn",
                    compiler);
      }
    }
  }
}

TEST_CASE("codegen: float C kernels over their variants equal the float interpreter") {
  using K = ir::ActKind;
  SECTION("grouped, strided, dilated conv + hard-swish; depthwise + leaky ReLU; pointwise + "
          "sigmoid, tanh, hard-sigmoid, clip") {
    Builder b;
    ir::TensorId x = b.input("x", {1, 4, 13, 11});
    ir::TensorId y = b.node(ir::OpKind::Conv, "grouped",
                            {x, b.constant("w1", {6, 2, 3, 3}), b.constant("b1", {6})},
                            convAttrs(3, 2, 2, 2, 2, {K::HardSwish, 0, 0}));
    y = b.node(ir::OpKind::Conv, "depthwise", {y, b.constant("w2", {6, 1, 3, 3})},
               convAttrs(3, 1, 1, 1, 6, {K::LeakyRelu, 0.1f, 0}));
    y = b.node(ir::OpKind::Conv, "pointwise", {y, b.constant("w3", {5, 6, 1, 1})},
               convAttrs(1, 1, 0, 1, 1, {K::Sigmoid, 0, 0}));
    y = b.node(ir::OpKind::Tanh, "tanh", {y});
    y = b.node(ir::OpKind::HardSigmoid, "hsig", {y}, ir::AlphaBetaAttrs{0.3f, 0.4f});
    ir::TensorId lo = b.g.addConstant("lo", ir::TensorData::fromFloats({}, {0.45f}));
    ir::TensorId hi = b.g.addConstant("hi", ir::TensorData::fromFloats({}, {0.55f}));
    y = b.node(ir::OpKind::Clip, "clip", {y, lo, hi});
    checkBuilt(b, y, "conv-variants");
  }
  SECTION("max pool (ceil mode), average pool (padding counted and not), global max and "
          "average pool, concat, split") {
    Builder b;
    ir::TensorId x = b.input("x", {1, 3, 10, 10}); // ceil mode: 5x5, as the padded averages
    ir::PoolAttrs mp;
    mp.kernel = {3, 3}, mp.strides = {2, 2}, mp.dilations = {1, 1}, mp.pads = {0, 0, 0, 0};
    mp.ceilMode = true;
    ir::TensorId m = b.node(ir::OpKind::MaxPool, "maxpool", {x}, mp);
    ir::PoolAttrs ap = mp;
    ap.ceilMode = false, ap.pads = {1, 1, 1, 1}, ap.countIncludePad = true;
    ir::TensorId a1 = b.node(ir::OpKind::AveragePool, "avg_incl", {x}, ap);
    ap.countIncludePad = false;
    ir::TensorId a2 = b.node(ir::OpKind::AveragePool, "avg_excl", {x}, ap);
    ir::TensorId c = b.node(ir::OpKind::Concat, "concat", {m, a1, a2}, ir::AxisAttrs{1});
    ir::TensorId g1 = b.node(ir::OpKind::GlobalMaxPool, "gmax", {c});
    ir::TensorId g2 = b.node(ir::OpKind::GlobalAveragePool, "gavg", {c});
    ir::TensorId y = b.node(ir::OpKind::Add, "add", {g1, g2});
    b.node(ir::OpKind::Split, "split", {c}, ir::AxisAttrs{1}, 3); // 9 channels in three
    std::vector<ir::TensorId> parts = b.g.nodes.back().outputs;
    ir::TensorId sp = b.node(ir::OpKind::Add, "split_add", {parts[0], parts[2]});
    sp = b.node(ir::OpKind::GlobalAveragePool, "split_gavg", {sp});
    y = b.node(ir::OpKind::Concat, "concat_all", {y, sp}, ir::AxisAttrs{1});
    checkBuilt(b, y, "pool-variants");
  }
  SECTION("L2 normalisation over channels (Pow 2, ReduceSum, Sqrt, Add, Div), broadcasting "
          "Mul / Sub / Div, ReduceMean, Exp, Neg, Softplus, Abs, Reciprocal") {
    Builder b;
    ir::TensorId x = b.input("x", {1, 5, 6, 7});
    ir::TensorId two = b.g.addConstant("two", ir::TensorData::fromFloats({}, {2.0f}));
    ir::TensorId eps = b.g.addConstant("eps", ir::TensorData::fromFloats({}, {1e-3f}));
    ir::TensorId sq = b.node(ir::OpKind::Pow, "square", {x, two});
    ir::TensorId sum = b.node(ir::OpKind::ReduceSum, "sum", {sq, b.ints("axes", {1})},
                              ir::ReduceAttrs{true, false});
    ir::TensorId norm = b.node(ir::OpKind::Sqrt, "sqrt", {sum});
    norm = b.node(ir::OpKind::Add, "add_eps", {norm, eps});
    ir::TensorId y = b.node(ir::OpKind::Div, "normalise", {x, norm});
    y = b.node(ir::OpKind::Mul, "scale", {y, b.constant("scale", {1, 5, 1, 1}, 0.5f, 2.0f)});
    y = b.node(ir::OpKind::Sub, "shift", {b.constant("whole", {1, 5, 6, 7}), y});
    y = b.node(ir::OpKind::Exp, "exp", {b.node(ir::OpKind::Neg, "neg", {y})});
    y = b.node(ir::OpKind::Softplus, "softplus", {b.node(ir::OpKind::Neg, "neg2", {y})});
    ir::TensorId m = b.node(ir::OpKind::ReduceMean, "mean", {y, b.ints("axes1", {1})},
                            ir::ReduceAttrs{true, false});
    ir::TensorId r = b.node(ir::OpKind::Reciprocal, "recip",
                            {b.node(ir::OpKind::Add, "one_plus", {m, two})});
    y = b.node(ir::OpKind::Div, "per_pixel", {b.node(ir::OpKind::Abs, "abs", {y}), r});
    checkBuilt(b, y, "elementwise-variants");
  }
  SECTION("Floor and Ceil of the input (exact in both), Log, Erf") {
    Builder b;
    ir::TensorId x = b.input("x", {1, 3, 4, 5});
    ir::TensorId one = b.g.addConstant("one", ir::TensorData::fromFloats({}, {1.0f}));
    ir::TensorId y = b.node(ir::OpKind::Add, "steps", {b.node(ir::OpKind::Floor, "floor", {x}),
                                                       b.node(ir::OpKind::Ceil, "ceil", {x})});
    ir::TensorId l = b.node(
        ir::OpKind::Log, "log",
        {b.node(ir::OpKind::Add, "one_plus_abs", {b.node(ir::OpKind::Abs, "abs", {x}), one})});
    ir::TensorId e = b.node(ir::OpKind::Erf, "erf", {x});
    checkBuilt(b, b.node(ir::OpKind::Add, "sum", {b.node(ir::OpKind::Add, "sum1", {y, l}), e}),
               "floor-ceil-log-erf");
  }
  SECTION("Resize: nearest x2 (asymmetric, floor), bilinear to a size (align_corners)") {
    Builder b;
    ir::TensorId x = b.input("x", {1, 3, 4, 5});
    ir::TensorId s = b.g.addConstant("s", ir::TensorData::fromFloats({4}, {1, 1, 2, 2}));
    ir::TensorId y = b.node(ir::OpKind::Resize, "nearest", {x, ir::kNoTensor, s},
                            ir::ResizeAttrs{ir::ResizeMode::Nearest,
                                            ir::ResizeCoord::Asymmetric,
                                            ir::ResizeNearest::Floor});
    y = b.node(ir::OpKind::Resize, "bilinear",
               {y, ir::kNoTensor, ir::kNoTensor, b.ints("sz", {1, 3, 11, 7})},
               ir::ResizeAttrs{ir::ResizeMode::Linear, ir::ResizeCoord::AlignCorners, {}});
    checkBuilt(b, y, "resize");
  }
  SECTION("flatten of a feature map, MatMul, Gemm (transB, alpha, beta), ReLU, softmax") {
    Builder b;
    ir::TensorId x = b.input("x", {1, 3, 4, 5});
    ir::TensorId f = b.node(ir::OpKind::Flatten, "flatten", {x}, ir::AxisAttrs{1});
    ir::TensorId y = b.node(ir::OpKind::MatMul, "matmul", {f, b.constant("m", {60, 12})});
    y = b.node(ir::OpKind::Relu, "relu", {y});
    ir::GemmAttrs ga;
    ga.transB = true, ga.alpha = 0.5f, ga.beta = 2.0f;
    y = b.node(ir::OpKind::Gemm, "gemm", {y, b.constant("w", {7, 12}), b.constant("c", {7})},
               ga);
    y = b.node(ir::OpKind::Softmax, "softmax", {y}, ir::SoftmaxAttrs{-1, false});
    checkBuilt(b, y, "fc-variants");
  }
  SECTION("softmax over the channels of a feature map, and over all its values") {
    Builder b;
    ir::TensorId x = b.input("x", {1, 3, 4, 5});
    ir::TensorId y = b.node(ir::OpKind::Softmax, "classes", {x}, ir::SoftmaxAttrs{1, false});
    y = b.node(ir::OpKind::Softmax, "block", {y}, ir::SoftmaxAttrs{1, true}); // (opset 11)
    checkBuilt(b, y, "map-softmax");
  }
}

TEST_CASE("codegen: float C RNNPool over its variants equals the float interpreter") {
  using NL = ir::RnnNonlinearity;
  struct Case {
    const char *name;
    int64_t k, h, w, patchH, patchW, strideH, strideW, h1, h2;
    NL gate, update;
    int64_t rankW1, rankU1;
  };
  const Case cases[] = {
      {"8x8 stride 4 (overlap), sigmoid/tanh", 4, 16, 20, 8, 8, 4, 4, 8, 8, NL::Sigmoid,
       NL::Tanh, 0, 0},
      {"4x4 stride 4, quantSigm/quantTanh", 3, 12, 12, 4, 4, 4, 4, 6, 5, NL::QuantSigm,
       NL::QuantTanh, 0, 0},
      {"3x5 stride 2x3, tanh gate, sigmoid update, h = 16", 5, 11, 14, 3, 5, 2, 3, 16, 16,
       NL::Tanh, NL::Sigmoid, 0, 0},
      {"low-rank W1 and U1, quantTanh gate, quantSigm update", 8, 10, 10, 6, 6, 2, 2, 8, 4,
       NL::QuantTanh, NL::QuantSigm, 3, 2},
  };
  for (const Case &c : cases) {
    DYNAMIC_SECTION(c.name) {
      Builder b;
      std::vector<ir::TensorId> inputs{b.input("x", {1, c.k, c.h, c.w})};
      addCell(b, "rnn1_", c.k, c.h1, c.rankW1, c.rankU1, inputs);
      addCell(b, "rnn2_", c.h1, c.h2, 0, 0, inputs);
      ir::RNNPoolAttrs a;
      a.patch = {c.patchH, c.patchW};
      a.stride = {c.strideH, c.strideW};
      a.rnn1 = {c.h1, c.rankW1, c.rankU1, c.gate, c.update};
      a.rnn2 = {c.h2, 0, 0, c.gate, c.update};
      a.encoding = "node";
      checkBuilt(b, b.node(ir::OpKind::RNNPool, "pool", inputs, a), "rnnpool");
    }
  }
}

TEST_CASE("codegen: float lowering names the node of a form without a float kernel") {
  auto lowerError = [](Builder &b, ir::TensorId out) {
    b.g.outputs = {out};
    REQUIRE(passes::foldConstantsAndInferShapes(b.g));
    auto model = targets::lowerFloat(b.g);
    REQUIRE_FALSE(model);
    return model.error().message();
  };
  SECTION("reduction over the spatial axes") {
    Builder b;
    ir::TensorId x = b.input("x", {1, 3, 4, 4});
    std::string msg = lowerError(b, b.node(ir::OpKind::ReduceSum, "rows", {x, b.ints("a", {2})},
                                           ir::ReduceAttrs{true, false}));
    CHECK(msg.find("node 'rows' (ReduceSum)") != std::string::npos);
    CHECK(msg.find("channels") != std::string::npos);
  }
  SECTION("broadcasting a row across a feature map") {
    Builder b;
    ir::TensorId x = b.input("x", {1, 3, 4, 5});
    std::string msg =
        lowerError(b, b.node(ir::OpKind::Mul, "rowscale", {x, b.constant("r", {1, 1, 1, 5})}));
    CHECK(msg.find("node 'rowscale' (Mul)") != std::string::npos);
    CHECK(msg.find("per channel, per pixel or a scalar") != std::string::npos);
  }
  SECTION("softmax over the columns of a feature map (strided in its HWC layout)") {
    Builder b;
    ir::TensorId x = b.input("x", {1, 3, 4, 5});
    std::string msg =
        lowerError(b, b.node(ir::OpKind::Softmax, "sm", {x}, ir::SoftmaxAttrs{3, false}));
    CHECK(msg.find("node 'sm' (Softmax)") != std::string::npos);
    CHECK(msg.find("contiguous in memory") != std::string::npos);
  }
  SECTION("an op with no float kernel") {
    Builder b;
    ir::TensorId x = b.input("x", {1, 3, 4, 5});
    std::string msg = lowerError(b, b.node(ir::OpKind::Sum, "total", {x, x, x}));
    CHECK(msg == "node 'total' (Sum): has no float kernel in the C backend");
  }
  SECTION("a QDQ model's quantisation, with the way to the int8 build") {
    Builder b;
    ir::TensorId x = b.input("x", {1, 3, 4, 5});
    std::string msg = lowerError(
        b, b.node(ir::OpKind::QuantizeLinear, "q", {x, b.constant("s", {}, 0.1f, 0.1f)}));
    CHECK(msg.find("node 'q' (QuantizeLinear)") != std::string::npos);
    CHECK(msg.find("drop --float") != std::string::npos);
  }
}

namespace {

/// The regionable chain the planned float builds run: conv + ReLU, depthwise conv, a
/// per-channel Mul, a residual Add, Sigmoid, L2 normalisation, edge Pad, max pool, RNNPool.
ir::Graph plannedGraph() {
  using K = ir::ActKind;
  Builder b;
  ir::TensorId x = b.input("x", {1, 3, 26, 22});
  ir::TensorId c = b.node(ir::OpKind::Conv, "conv", {x, b.constant("w1", {6, 3, 3, 3})},
                          convAttrs(3, 1, 1, 1, 1, {K::Relu, 0, 0}));
  ir::TensorId y = b.node(ir::OpKind::Conv, "depthwise", {c, b.constant("w2", {6, 1, 3, 3})},
                          convAttrs(3, 1, 1, 1, 6, {K::None, 0, 0}));
  y = b.node(ir::OpKind::Mul, "scale", {y, b.constant("s", {1, 6, 1, 1}, 0.5f, 2.0f)});
  y = b.node(ir::OpKind::Add, "residual", {y, c});
  y = b.node(ir::OpKind::Sigmoid, "sigmoid", {y});
  y = b.node(ir::OpKind::L2Norm, "l2norm", {y, b.constant("g", {6}, 0.5f, 1.5f)},
             ir::L2NormAttrs{1e-3f, false, 1});
  ir::PadAttrs edge;
  edge.mode = ir::PadMode::Edge;
  y = b.node(ir::OpKind::Pad, "pad", {y, b.ints("pads", {0, 0, 1, 1, 0, 0, 1, 1})}, edge);
  ir::PoolAttrs mp;
  mp.kernel = {2, 2}, mp.strides = {2, 2}, mp.dilations = {1, 1}, mp.pads = {0, 0, 0, 0};
  y = b.node(ir::OpKind::MaxPool, "maxpool", {y}, mp);
  std::vector<ir::TensorId> inputs{y};
  addCell(b, "rnn1_", 6, 8, 0, 0, inputs);
  addCell(b, "rnn2_", 8, 4, 0, 0, inputs);
  ir::RNNPoolAttrs a;
  a.patch = {4, 4}, a.stride = {2, 2};
  a.rnn1 = {8, 0, 0, ir::RnnNonlinearity::Sigmoid, ir::RnnNonlinearity::Tanh};
  a.rnn2 = {4, 0, 0, ir::RnnNonlinearity::Sigmoid, ir::RnnNonlinearity::Tanh};
  a.encoding = "node";
  b.g.outputs = {b.node(ir::OpKind::RNNPool, "rnnpool", inputs, a)};
  auto folded = passes::foldConstantsAndInferShapes(b.g);
  INFO((folded ? std::string() : folded.error().message()));
  REQUIRE(folded);
  return std::move(b.g);
}

/// The whole graph as one region of `strategy` (tiles of the final op's rows x cols).
plan::Plan regionPlan(const ir::Graph &g, plan::Strategy strategy, int64_t rows, int64_t cols,
                      bool stream) {
  plan::Schedule schedule;
  plan::RegionInfo region;
  region.strategy = strategy, region.tileRows = rows, region.tileCols = cols;
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    schedule.order.push_back(n);
    REQUIRE(plan::isRegionable(g, g.nodes[n]));
    region.nodes.push_back(n);
  }
  schedule.regions.push_back(region);
  plan::BuildOptions options;
  options.floatActivations = true, options.streamInput = stream, options.carryScratch = true;
  return verifiedPlan(g, schedule, options);
}

} // namespace

TEST_CASE("codegen: float C follows a verified plan (row bands, tiles, streamed input)") {
  const ir::Graph g = plannedGraph();
  Builder inputs;
  inputs.g = g;
  const std::vector<ir::TensorData> x = {inputs.randomInput(0)};
  SECTION("the planner's own plans: row bands, and with the input streamed") {
    for (bool stream : {false, true}) {
      plan::PlanOptions options;
      options.floatActivations = true, options.streamInput = stream;
      auto planned = plan::makePlan(g, options);
      INFO((planned ? std::string() : planned.error().message()));
      REQUIRE(planned);
      CHECK(planned->streamedInput == stream);
      CHECK(std::any_of(planned->regions.begin(), planned->regions.end(), [](const auto &r) {
        return r.strategy == plan::Strategy::RowBands;
      }));
      CHECK(planned->summary.arenaBytes < planned->baseline.arenaBytes);
      checkFloatC(g, x, stream ? "planned-streamed" : "planned", "gcc", &*planned);
    }
  }
  SECTION("one region in row bands of 3 rows, streamed, and in 2 x 3 tiles") {
    plan::Plan bands = regionPlan(g, plan::Strategy::RowBands, 3, 0, /*stream=*/true);
    checkFloatC(g, x, "bands", "clang-19", &bands);
    plan::Plan tiles = regionPlan(g, plan::Strategy::Tiles, 2, 3, /*stream=*/false);
    checkFloatC(g, x, "tiles", "gcc", &tiles);
  }
}
