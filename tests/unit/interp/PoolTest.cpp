// Tests of pooling, BatchNormalization and Softmax: ceil_mode with count_include_pad both
// ways, dilations, padding that max pooling ignores, global pools, and Softmax's opset-13
// and legacy coerce-to-2-D forms.
#include "InterpTestUtil.h"

#include <algorithm>
#include <cmath>

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using ir::DType;
using ir::OpKind;

namespace {

ir::PoolAttrs pool(ir::Ints kernel, ir::Ints strides, ir::Ints pads, bool ceilMode = false,
                   bool countIncludePad = false, ir::Ints dilations = {}) {
  ir::PoolAttrs a;
  a.kernel = std::move(kernel);
  a.strides = std::move(strides);
  a.pads = std::move(pads);
  a.dilations = dilations.empty() ? ir::Ints(a.kernel.size(), 1) : std::move(dilations);
  a.ceilMode = ceilMode;
  a.countIncludePad = countIncludePad;
  return a;
}

/// Softmax of one run, in the kernel's order of operations.
std::vector<float> softmaxOf(const std::vector<float> &x) {
  float max = *std::max_element(x.begin(), x.end()), sum = 0;
  std::vector<float> y;
  for (float v : x) {
    y.push_back(std::exp(v - max));
    sum += y.back();
  }
  for (float &v : y)
    v /= sum;
  return y;
}

} // namespace

TEST_CASE("MaxPool: plain, ceil_mode, dilations, and padding it ignores", "[interp][pool]") {
  auto x = iota({1, 1, 4, 4});
  requireFloats(eval1(makeNode(OpKind::MaxPool, pool({2, 2}, {2, 2}, {0, 0, 0, 0})), {&x}),
                {1, 1, 2, 2}, {5, 7, 13, 15});
  // The ONNX reference cases maxpool_2d_ceil and maxpool_2d_dilations (values 1..16).
  auto x1 = floats({1, 1, 4, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
  requireFloats(
      eval1(makeNode(OpKind::MaxPool, pool({3, 3}, {2, 2}, {0, 0, 0, 0}, true)), {&x1}),
      {1, 1, 2, 2}, {11, 12, 15, 16});
  requireFloats(
      eval1(makeNode(OpKind::MaxPool, pool({2, 2}, {1, 1}, {0, 0, 0, 0}, false, false, {2, 2})),
            {&x1}),
      {1, 1, 2, 2}, {11, 12, 15, 16});
  auto negative = floats({1, 1, 2, 2}, {-1, -2, -3, -4});
  requireFloats(
      eval1(makeNode(OpKind::MaxPool, pool({2, 2}, {1, 1}, {1, 1, 1, 1})), {&negative}),
      {1, 1, 3, 3}, {-1, -1, -2, -1, -1, -2, -3, -3, -4});
  auto i = ints({1, 1, 1, 4}, {-7, 3, 100, -128}, DType::Int8);
  requireInts(eval1(makeNode(OpKind::MaxPool, pool({1, 2}, {1, 2}, {0, 0, 0, 0})), {&i}),
              DType::Int8, {1, 1, 1, 2}, {3, 100});
  auto line = floats({1, 2, 5}, {1, 5, 2, 4, 3, 0, -1, -2, -3, -4});
  requireFloats(eval1(makeNode(OpKind::MaxPool, pool({3}, {2}, {1, 1})), {&line}), {1, 2, 3},
                {5, 5, 4, 0, -1, -3});
}

TEST_CASE("AveragePool with ceil_mode counts padding both ways", "[interp][pool]") {
  // 4x4 input x[r][c] = 4r + c, 3x3 windows at stride 2 with pads 1: ceil_mode adds a third
  // window starting at row 3, which covers row 3, the end pad row 4 and the overhang row 5.
  // Row taps inside the input: {0,1}, {1,2,3}, {3}; inside the padded input: 3, 3, 2.
  auto x = iota({1, 1, 4, 4});
  std::vector<float> sums = {10, 24, 10, 51, 90, 33, 25, 42, 15};
  std::vector<float> included = {9, 9, 6, 9, 9, 6, 6, 6, 4}; // Agrees with PyTorch.
  std::vector<float> excluded = {4, 6, 2, 6, 9, 3, 2, 3, 1};
  std::vector<float> withPad, withoutPad;
  for (size_t k = 0; k < sums.size(); ++k) {
    withPad.push_back(sums[k] / included[k]);
    withoutPad.push_back(sums[k] / excluded[k]);
  }
  auto include =
      pool({3, 3}, {2, 2}, {1, 1, 1, 1}, /*ceilMode=*/true, /*countIncludePad=*/true);
  auto exclude =
      pool({3, 3}, {2, 2}, {1, 1, 1, 1}, /*ceilMode=*/true, /*countIncludePad=*/false);
  requireFloats(eval1(makeNode(OpKind::AveragePool, include), {&x}), {1, 1, 3, 3}, withPad);
  requireFloats(eval1(makeNode(OpKind::AveragePool, exclude), {&x}), {1, 1, 3, 3}, withoutPad);
  // Without ceil_mode the third window does not exist.
  auto floorMode = pool({3, 3}, {2, 2}, {1, 1, 1, 1}, false, true);
  requireFloats(eval1(makeNode(OpKind::AveragePool, floorMode), {&x}), {1, 1, 2, 2},
                {10.f / 9, 24.f / 9, 51.f / 9, 90.f / 9});
}

TEST_CASE("AveragePool matches the ONNX reference and supports dilations", "[interp][pool]") {
  auto x1 = floats({1, 1, 4, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
  requireFloats(
      eval1(makeNode(OpKind::AveragePool, pool({3, 3}, {2, 2}, {0, 0, 0, 0}, true)), {&x1}),
      {1, 1, 2, 2}, {6, 7.5f, 12, 13.5f});
  auto dilated = pool({2, 2}, {1, 1}, {0, 0, 0, 0}, false, false, {2, 2});
  requireFloats(eval1(makeNode(OpKind::AveragePool, dilated), {&x1}), {1, 1, 2, 2},
                {6, 7, 10, 11});
  auto line = floats({1, 1, 4}, {1, 2, 3, 4});
  requireFloats(
      eval1(makeNode(OpKind::AveragePool, pool({2}, {2}, {1, 1}, false, true)), {&line}),
      {1, 1, 3}, {0.5f, 2.5f, 2});
}

TEST_CASE("pooling errors name the node", "[interp][pool]") {
  auto x = iota({1, 1, 4, 4});
  REQUIRE(contains(evalError(makeNode(OpKind::MaxPool), {&x}), "kernel_shape"));
  auto i = ints({1, 1, 1, 1}, {1});
  REQUIRE(contains(
      evalError(makeNode(OpKind::AveragePool, pool({1, 1}, {1, 1}, {0, 0, 0, 0})), {&i}),
      "float32"));
  auto flat = iota({4, 4});
  REQUIRE(contains(
      evalError(makeNode(OpKind::MaxPool, pool({2, 2}, {1, 1}, {0, 0, 0, 0})), {&flat}),
      "rank"));
  REQUIRE(contains(evalError(makeNode(OpKind::MaxPool, pool({2, 2}, {1}, {0, 0, 0, 0})), {&x}),
                   "strides"));
  REQUIRE(
      contains(evalError(makeNode(OpKind::MaxPool, pool({5, 5}, {1, 1}, {0, 0, 0, 0})), {&x}),
               "does not fit"));
  REQUIRE(contains(evalError(makeNode(OpKind::GlobalAveragePool), {&flat}), "rank"));
}

TEST_CASE("global pools reduce every spatial dim", "[interp][pool]") {
  auto x = iota({1, 2, 2, 2});
  requireFloats(eval1(makeNode(OpKind::GlobalAveragePool), {&x}), {1, 2, 1, 1}, {1.5f, 5.5f});
  requireFloats(eval1(makeNode(OpKind::GlobalMaxPool), {&x}), {1, 2, 1, 1}, {3, 7});
  auto line = floats({2, 1, 3}, {1, 2, 6, -1, -2, -3});
  requireFloats(eval1(makeNode(OpKind::GlobalAveragePool), {&line}), {2, 1, 1}, {3, -2});
  requireFloats(eval1(makeNode(OpKind::GlobalMaxPool), {&line}), {2, 1, 1}, {6, -1});
  auto i = ints({1, 2, 2}, {4, -9, -3, -1}, DType::Int8);
  requireInts(eval1(makeNode(OpKind::GlobalMaxPool), {&i}), DType::Int8, {1, 2, 1}, {4, -1});
}

TEST_CASE("BatchNormalization in inference form", "[interp][batchnorm]") {
  auto x = floats({1, 2, 1, 2}, {1, 2, 3, 4});
  auto scale = floats({2}, {1, 2});
  auto bias = floats({2}, {0, 1});
  auto mean = floats({2}, {1, 2});
  auto var = floats({2}, {4, 0.25f});
  ir::Node node = makeNode(OpKind::BatchNormalization, ir::BatchNormAttrs{0});
  requireFloats(eval1(node, {&x, &scale, &bias, &mean, &var}), {1, 2, 1, 2}, {0, 0.5f, 5, 9});
  auto flat = floats({2, 2}, {1, 2, 3, 4});
  requireFloats(eval1(node, {&flat, &scale, &bias, &mean, &var}), {2, 2}, {0, 1, 1, 9});
  auto wrong = floats({3}, {1, 1, 1});
  REQUIRE(contains(evalError(node, {&x, &scale, &bias, &mean, &wrong}), "var has shape 3"));
}

TEST_CASE("Softmax over one axis, or over a flattened block with coerce2D",
          "[interp][softmax]") {
  auto x = floats({1, 2, 2}, {1, 2, 3, 4});
  ir::TensorData y = eval1(makeNode(OpKind::Softmax, ir::SoftmaxAttrs{1, false}), {&x});
  std::vector<float> a = softmaxOf({1, 3}), b = softmaxOf({2, 4});
  requireFloats(y, {1, 2, 2}, {a[0], b[0], a[1], b[1]});
  ir::TensorData legacy = eval1(makeNode(OpKind::Softmax, ir::SoftmaxAttrs{1, true}), {&x});
  requireFloats(legacy, {1, 2, 2}, softmaxOf({1, 2, 3, 4}));
  ir::TensorData last = eval1(makeNode(OpKind::Softmax), {&x});
  std::vector<float> r0 = softmaxOf({1, 2}), r1 = softmaxOf({3, 4});
  requireFloats(last, {1, 2, 2}, {r0[0], r0[1], r1[0], r1[1]});
  // Large inputs do not overflow: the maximum is subtracted first.
  auto big = floats({2}, {1000, 1000});
  requireFloats(eval1(makeNode(OpKind::Softmax), {&big}), {2}, {0.5f, 0.5f});
  REQUIRE(contains(evalError(makeNode(OpKind::Softmax, ir::SoftmaxAttrs{3, false}), {&x}),
                   "axis 3"));
  auto scalar = floats({}, {1});
  REQUIRE(contains(evalError(makeNode(OpKind::Softmax), {&scalar}), "axis"));
}

TEST_CASE("3-D pooling", "[interp][pool]") {
  auto x = iota({1, 1, 2, 2, 2});
  auto whole = pool({2, 2, 2}, {1, 1, 1}, {0, 0, 0, 0, 0, 0});
  requireFloats(eval1(makeNode(OpKind::MaxPool, whole), {&x}), {1, 1, 1, 1, 1}, {7});
  requireFloats(eval1(makeNode(OpKind::AveragePool, whole), {&x}), {1, 1, 1, 1, 1}, {3.5f});
  auto padded = pool({2, 1, 1}, {1, 1, 1}, {1, 0, 0, 0, 0, 0}, false, true);
  requireFloats(eval1(makeNode(OpKind::AveragePool, padded), {&x}), {1, 1, 2, 2, 2},
                {0, 0.5f, 1, 1.5f, 2, 3, 4, 5});
  auto flat = iota({1, 1, 1, 1, 1, 2});
  REQUIRE(contains(evalError(makeNode(OpKind::MaxPool, pool({1, 1, 1, 1}, {}, {})), {&flat}),
                   "rank 3 to 5"));
}
