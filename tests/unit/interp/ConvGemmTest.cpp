// Tests of the compute kernels: Conv (pads, strides, dilations, groups, depthwise, 1-D,
// auto_pad, fused activation), Gemm and MatMul, with values worked out by hand.
#include "InterpTestUtil.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using ir::DType;
using ir::OpKind;

namespace {

ir::ConvAttrs conv(ir::Ints kernel, ir::Ints strides, ir::Ints pads, ir::Ints dilations = {},
                   int64_t group = 1) {
  ir::ConvAttrs a;
  a.kernel = std::move(kernel);
  a.strides = std::move(strides);
  a.pads = std::move(pads);
  a.dilations = dilations.empty() ? ir::Ints(a.kernel.size(), 1) : std::move(dilations);
  a.group = group;
  return a;
}

ir::TensorData filled(ir::Shape shape, float value) {
  return floats(shape, std::vector<float>(static_cast<size_t>(ir::numel(shape)), value));
}

ir::GemmAttrs gemm(float alpha, float beta, bool transA, bool transB) {
  ir::GemmAttrs a;
  a.alpha = alpha;
  a.beta = beta;
  a.transA = transA;
  a.transB = transB;
  return a;
}

} // namespace

TEST_CASE("Conv 3x3 with pads 1 and stride 2, by hand", "[interp][conv]") {
  // x[r][c] = 4r + c; w[ky][kx] = 3ky + kx + 1. Output (0,0) sees x[0..1][0..1] against
  // w[1..2][1..2]: 0*5 + 1*6 + 4*8 + 5*9 = 83; (1,1) sees the full window: 528.
  auto x = iota({1, 1, 4, 4});
  auto w = floats({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  auto b = floats({1}, {0.5f});
  ir::Node node = makeNode(OpKind::Conv, conv({3, 3}, {2, 2}, {1, 1, 1, 1}));
  requireFloats(eval1(node, {&x, &w}), {1, 1, 2, 2}, {83, 178, 330, 528});
  requireFloats(eval1(node, {&x, &w, &b}), {1, 1, 2, 2}, {83.5f, 178.5f, 330.5f, 528.5f});
}

TEST_CASE("Conv matches the ONNX reference cases", "[interp][conv]") {
  auto x = iota({1, 1, 7, 5});
  auto w = filled({1, 1, 3, 3}, 1);
  requireFloats(eval1(makeNode(OpKind::Conv, conv({3, 3}, {2, 2}, {1, 1, 1, 1})), {&x, &w}),
                {1, 1, 4, 3}, {12, 27, 24, 63, 108, 81, 123, 198, 141, 112, 177, 124});
  requireFloats(eval1(makeNode(OpKind::Conv, conv({3, 3}, {2, 2}, {1, 0, 1, 0})), {&x, &w}),
                {1, 1, 4, 2}, {21, 33, 99, 117, 189, 207, 171, 183});
  auto x5 = iota({1, 1, 5, 5});
  ir::ConvAttrs same = conv({3, 3}, {2, 2}, {});
  same.autoPad = ir::AutoPad::SameLower;
  requireFloats(eval1(makeNode(OpKind::Conv, same), {&x5, &w}), {1, 1, 3, 3},
                {12, 27, 24, 63, 108, 81, 72, 117, 84});
  // Attributes left empty take their defaults, and the kernel comes from the weights.
  requireFloats(eval1(makeNode(OpKind::Conv), {&x5, &w}), {1, 1, 3, 3},
                {54, 63, 72, 99, 108, 117, 144, 153, 162});
}

TEST_CASE("grouped Conv reads only its group's channels", "[interp][conv]") {
  auto x = iota({1, 4, 2, 2});
  auto w = floats({2, 2, 1, 1}, {1, 10, 100, 1000});
  ir::Node node = makeNode(OpKind::Conv, conv({1, 1}, {1, 1}, {0, 0, 0, 0}, {}, /*group=*/2));
  requireFloats(eval1(node, {&x, &w}), {1, 2, 2, 2},
                {40, 51, 62, 73, 12800, 13900, 15000, 16100});
}

TEST_CASE("depthwise Conv with pads", "[interp][conv]") {
  auto x = iota({1, 2, 3, 3});
  std::vector<float> weights(9, 1.0f);
  weights.resize(18, 2.0f);
  auto w = floats({2, 1, 3, 3}, weights);
  ir::Node node = makeNode(OpKind::Conv, conv({3, 3}, {1, 1}, {1, 1, 1, 1}, {}, /*group=*/2));
  requireFloats(eval1(node, {&x, &w}), {1, 2, 3, 3},
                {8, 15, 12, 21, 36, 27, 20, 33, 24, //
                 88, 138, 96, 150, 234, 162, 112, 174, 120});
}

TEST_CASE("dilated Conv", "[interp][conv]") {
  // Each output adds x[i][j], x[i][j+2], x[i+2][j] and x[i+2][j+2]: 20i + 4j + 24.
  auto x = iota({1, 1, 5, 5});
  auto w = filled({1, 1, 2, 2}, 1);
  ir::Node node = makeNode(OpKind::Conv, conv({2, 2}, {1, 1}, {0, 0, 0, 0}, {2, 2}));
  requireFloats(eval1(node, {&x, &w}), {1, 1, 3, 3}, {24, 28, 32, 44, 48, 52, 64, 68, 72});
}

TEST_CASE("1-D Conv and a fused activation", "[interp][conv]") {
  auto x = floats({1, 1, 5}, {1, 2, 3, 4, 5});
  auto w = floats({1, 1, 3}, {1, 0, -1});
  ir::ConvAttrs attrs = conv({3}, {2}, {1, 1});
  requireFloats(eval1(makeNode(OpKind::Conv, attrs), {&x, &w}), {1, 1, 3}, {-2, -2, 4});
  attrs.act = {ir::ActKind::Relu, 0, 0};
  requireFloats(eval1(makeNode(OpKind::Conv, attrs), {&x, &w}), {1, 1, 3}, {0, 0, 4});
  attrs.act = {ir::ActKind::Clip, -1, 1};
  requireFloats(eval1(makeNode(OpKind::Conv, attrs), {&x, &w}), {1, 1, 3}, {-1, -1, 1});
}

TEST_CASE("Conv errors name the node", "[interp][conv]") {
  auto x = iota({1, 3, 4, 4});
  auto w = filled({2, 2, 3, 3}, 1);
  ir::Node node = makeNode(OpKind::Conv, conv({3, 3}, {1, 1}, {0, 0, 0, 0}));
  REQUIRE(contains(evalError(node, {&x, &w}), "input channels"));
  ir::Node grouped = makeNode(OpKind::Conv, conv({3, 3}, {1, 1}, {0, 0, 0, 0}, {}, 2));
  REQUIRE(contains(evalError(grouped, {&x, &w}), "group 2"));
  auto w3 = filled({2, 3, 3, 3}, 1);
  auto badBias = floats({3}, {1, 2, 3});
  REQUIRE(contains(evalError(node, {&x, &w3, &badBias}), "bias"));
  auto tiny = iota({1, 3, 2, 2});
  REQUIRE(contains(evalError(node, {&tiny, &w3}), "does not fit"));
  auto flat = iota({3, 4});
  REQUIRE(contains(evalError(node, {&flat, &w3}), "rank"));
  ir::Node wrongKernel = makeNode(OpKind::Conv, conv({5, 5}, {1, 1}, {0, 0, 0, 0}));
  REQUIRE(contains(evalError(wrongKernel, {&x, &w3}), "kernel_shape"));
  ir::Node zeroStride = makeNode(OpKind::Conv, conv({3, 3}, {0, 1}, {0, 0, 0, 0}));
  REQUIRE(contains(evalError(zeroStride, {&x, &w3}), "strides"));
  ir::Node hugePad = makeNode(OpKind::Conv, conv({3, 3}, {1, 1}, {1, 1, int64_t{1} << 40, 1}));
  REQUIRE(contains(evalError(hugePad, {&x, &w3}), "too large"));
  auto ix = ints({1, 1, 1, 1}, {1});
  REQUIRE(contains(evalError(node, {&ix, &w3}), "float32"));
}

TEST_CASE("Gemm with alpha, beta, transposes and a broadcast C", "[interp][gemm]") {
  // A·B = [[13, 16], [40, 52]]; y = 2 * A·B + 0.5 * C.
  auto a = iota({2, 3});
  auto b = floats({3, 2}, {1, 2, 3, 4, 5, 6});
  auto c = floats({2}, {10, 20});
  std::vector<float> expected = {31, 42, 85, 114};
  requireFloats(eval1(makeNode(OpKind::Gemm, gemm(2, 0.5f, false, false)), {&a, &b, &c}),
                {2, 2}, expected);
  auto at = floats({3, 2}, {0, 3, 1, 4, 2, 5});
  auto bt = floats({2, 3}, {1, 3, 5, 2, 4, 6});
  requireFloats(eval1(makeNode(OpKind::Gemm, gemm(2, 0.5f, true, true)), {&at, &bt, &c}),
                {2, 2}, expected);
  auto column = floats({2, 1}, {1, 2});
  requireFloats(eval1(makeNode(OpKind::Gemm, gemm(1, 1, false, false)), {&a, &b, &column}),
                {2, 2}, {14, 17, 42, 54});
  requireFloats(eval1(makeNode(OpKind::Gemm), {&a, &b}), {2, 2}, {13, 16, 40, 52});
  ir::GemmAttrs relu = gemm(-1, 1, false, false);
  relu.act = {ir::ActKind::Relu, 0, 0};
  auto big = floats({}, {20});
  requireFloats(eval1(makeNode(OpKind::Gemm, relu), {&a, &b, &big}), {2, 2}, {7, 4, 0, 0});

  REQUIRE(contains(evalError(makeNode(OpKind::Gemm), {&a, &a}), "inner dims"));
  auto badC = floats({3}, {1, 2, 3});
  REQUIRE(contains(evalError(makeNode(OpKind::Gemm), {&a, &b, &badC}), "C of shape 3"));
  auto vec = floats({3}, {1, 2, 3});
  REQUIRE(contains(evalError(makeNode(OpKind::Gemm), {&vec, &b}), "matrices"));
}

TEST_CASE("MatMul handles 1-D operands and batch broadcasting", "[interp][matmul]") {
  auto a = iota({2, 3});
  auto b = floats({3, 2}, {1, 2, 3, 4, 5, 6});
  requireFloats(eval1(makeNode(OpKind::MatMul), {&a, &b}), {2, 2}, {13, 16, 40, 52});
  auto row = floats({3}, {0, 1, 2});
  auto ones = floats({3}, {1, 1, 1});
  requireFloats(eval1(makeNode(OpKind::MatMul), {&row, &b}), {2}, {13, 16});
  requireFloats(eval1(makeNode(OpKind::MatMul), {&a, &ones}), {2}, {3, 12});
  requireFloats(eval1(makeNode(OpKind::MatMul), {&row, &ones}), {}, {3});

  auto batchA = floats({2, 1, 1, 2}, {1, 2, 3, 4});
  auto batchB = floats({3, 2, 1}, {1, 0, 0, 1, 1, 1});
  requireFloats(eval1(makeNode(OpKind::MatMul), {&batchA, &batchB}), {2, 3, 1, 1},
                {1, 2, 3, 3, 4, 7});
  auto ia = ints({1, 2}, {100000, 2}, DType::Int32);
  auto ib = ints({2, 1}, {100000, 3}, DType::Int32);
  requireInts(eval1(makeNode(OpKind::MatMul), {&ia, &ib}), DType::Int32, {1, 1},
              {static_cast<int32_t>(int64_t{10000000000} + 6)});

  REQUIRE(contains(evalError(makeNode(OpKind::MatMul), {&a, &a}), "inner dims"));
  auto x = iota({2, 2, 3});
  auto y = iota({3, 3, 2});
  REQUIRE(contains(evalError(makeNode(OpKind::MatMul), {&x, &y}), "batch dims"));
  auto scalar = floats({}, {1});
  REQUIRE(contains(evalError(makeNode(OpKind::MatMul), {&scalar, &a}), "rank 1"));
}

TEST_CASE("3-D Conv", "[interp][conv]") {
  // Each depth slice of a 2x2x2 input against a 1x2x2 kernel of ones: 0+1+2+3 and 4+5+6+7.
  auto x = iota({1, 1, 2, 2, 2});
  auto w = filled({1, 1, 1, 2, 2}, 1);
  ir::Node node = makeNode(OpKind::Conv, conv({1, 2, 2}, {1, 1, 1}, {0, 0, 0, 0, 0, 0}));
  requireFloats(eval1(node, {&x, &w}), {1, 1, 2, 1, 1}, {6, 22});
  ir::Node padded = makeNode(OpKind::Conv, conv({1, 2, 2}, {2, 1, 1}, {1, 0, 0, 0, 0, 0}));
  requireFloats(eval1(padded, {&x, &w}), {1, 1, 2, 1, 1}, {0, 22});
}
