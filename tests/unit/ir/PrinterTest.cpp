// The graph printer: a golden listing of a small graph, and the attributes of every struct.
#include "compiler/ir/Printer.h"
#include "compiler/ir/ShapeInference.h"
#include "tests/unit/passes/Builder.h"

using namespace rnnpoolc;
using namespace rnnpoolc::ir;
using rnnpoolc::testing::Builder;

namespace {

std::string attrsOf(OpKind op, Attrs attrs) {
  Node n;
  n.op = op;
  n.attrs = std::move(attrs);
  return printAttrs(n);
}

} // namespace

TEST_CASE("printGraph lists inputs, constants, nodes and outputs", "[ir][printer]") {
  Builder b;
  TensorId x = b.input("x", {1, 3, 8, 8});
  TensorId w = b.g.addConstant("w", TensorData::zeros(DType::Float32, {8, 3, 3, 3}));
  TensorId bias =
      b.g.addConstant("b", TensorData::fromFloats({8}, {0, 0.5f, 1, 1.5f, 2, 2.5f, 3, -0.25f}));
  ConvAttrs conv = rnnpoolc::testing::conv3x3();
  conv.act.kind = ActKind::Relu;
  TensorId y = b.node(OpKind::Conv, "conv1", {x, w, bias}, conv);
  TensorId flat = b.node(OpKind::Reshape, "reshape", {y, b.ints("shape", {1, -1})});
  TensorId six = b.g.addConstant("six", TensorData::fromFloats({}, {6}));
  TensorId clipped = b.node(OpKind::Clip, "clip", {flat, kNoTensor, six});
  AxisAttrs axis1;
  axis1.axis = 1;
  b.node(OpKind::Split, "split", {clipped}, axis1, /*outputs=*/2);
  b.g.outputs = {b.g.nodes.back().outputs[0], b.g.nodes.back().outputs[1]};
  for (Node &node : b.g.nodes)
    REQUIRE(inferShapes(b.g, node));

  const char *expected =
      "input %x: float32[1x3x8x8]\n"
      "%w: float32[8x3x3x3] = const\n"
      "%b: float32[8] = const [0, 0.5, 1, 1.5, 2, 2.5, 3, -0.25]\n"
      "%shape: int64[2] = const [1, -1]\n"
      "%six: float32[] = const [6]\n"
      "%conv1_out: float32[1x8x8x8] = Conv(%x, %w, %b) {kernel=3x3 strides=1x1 "
      "pads=1,1,1,1 dilations=1x1 group=1 act=relu}  # conv1\n"
      "%reshape_out: float32[1x512] = Reshape(%conv1_out, %shape) {allowzero=0}  # reshape\n"
      "%clip_out: float32[1x512] = Clip(%reshape_out, _, %six)  # clip\n"
      "%split_out: float32[1x256], %split_out_2: float32[1x256] = Split(%clip_out) "
      "{axis=1}  # split\n"
      "output %split_out\n"
      "output %split_out_2\n";
  REQUIRE(printGraph(b.g) == expected);
}

TEST_CASE("printGraph marks shapes not yet inferred", "[ir][printer]") {
  Builder b;
  TensorId x = b.input("x", {2});
  b.g.outputs = {b.node(OpKind::Relu, "", {x})};
  REQUIRE(printGraph(b.g) == "input %x: float32[2]\n"
                             "%_out: float32[?] = Relu(%x)\n"
                             "output %_out\n");
}

TEST_CASE("printAttrs covers every attribute struct", "[ir][printer]") {
  REQUIRE(attrsOf(OpKind::Relu, NoAttrs{}).empty());

  ConvAttrs conv;
  conv.kernel = {3};
  conv.autoPad = AutoPad::SameLower;
  conv.group = 2;
  conv.act = {ActKind::Clip, 0, 6};
  REQUIRE(attrsOf(OpKind::Conv, conv) == "kernel=3 auto_pad=same_lower group=2 act=clip(0,6)");

  GemmAttrs gemm;
  gemm.alpha = 0.5f;
  gemm.transB = true;
  gemm.act = {ActKind::LeakyRelu, 0.1f, 0};
  REQUIRE(attrsOf(OpKind::Gemm, gemm) ==
          "alpha=0.5 beta=1 transA=0 transB=1 act=leakyrelu(0.1)");

  PoolAttrs pool;
  pool.kernel = {2, 2};
  pool.strides = {2, 2};
  pool.pads = {0, 0, 1, 1};
  pool.ceilMode = true;
  REQUIRE(attrsOf(OpKind::AveragePool, pool) ==
          "kernel=2x2 strides=2x2 pads=0,0,1,1 ceil_mode=1 count_include_pad=0");
  REQUIRE(attrsOf(OpKind::MaxPool, pool) == "kernel=2x2 strides=2x2 pads=0,0,1,1 ceil_mode=1");

  AxisAttrs axis;
  axis.axis = -1;
  REQUIRE(attrsOf(OpKind::Concat, axis) == "axis=-1");
  REQUIRE(attrsOf(OpKind::LeakyRelu, AlphaBetaAttrs{0.01f, 0}) == "alpha=0.01");
  REQUIRE(attrsOf(OpKind::HardSigmoid, AlphaBetaAttrs{0.2f, 0.5f}) == "alpha=0.2 beta=0.5");
  REQUIRE(attrsOf(OpKind::BatchNormalization, BatchNormAttrs{}) == "epsilon=1e-05");
  REQUIRE(attrsOf(OpKind::Softmax, SoftmaxAttrs{1, true}) == "axis=1 coerce2d=1");
  REQUIRE(attrsOf(OpKind::ReduceMean, ReduceAttrs{false, true}) ==
          "keepdims=0 noop_with_empty_axes=1");
  REQUIRE(attrsOf(OpKind::Reshape, ReshapeAttrs{true}) == "allowzero=1");
  REQUIRE(attrsOf(OpKind::Transpose, TransposeAttrs{}) == "perm=reverse");
  REQUIRE(attrsOf(OpKind::Transpose, TransposeAttrs{{0, 2, 3, 1}}) == "perm=0,2,3,1");
  REQUIRE(attrsOf(OpKind::Pad, PadAttrs{PadMode::Reflect}) == "mode=reflect");
  REQUIRE(attrsOf(OpKind::Shape, ShapeAttrs{1, -1}) == "start=1 end=-1");
  REQUIRE(attrsOf(OpKind::Shape, ShapeAttrs{}) == "start=0");
  REQUIRE(attrsOf(OpKind::Cast, CastAttrs{DType::UInt8}) == "to=uint8");
  REQUIRE(attrsOf(OpKind::ConstantOfShape, ConstantOfShapeAttrs{DType::Int64, 1}) ==
          "dtype=int64 value=1");
}
