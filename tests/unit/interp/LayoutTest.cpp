// Tests of Concat, Split, Slice, Transpose and Pad: uneven splits, negative and clamped
// slice bounds with negative steps, reversed dims, and every pad mode with cropping.
#include "InterpTestUtil.h"

#include <limits>

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using ir::DType;
using ir::OpKind;

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

ir::Node axisNode(OpKind op, int64_t axis, int outputs = 1) {
  return makeNode(op, ir::AxisAttrs{axis}, outputs);
}

ir::Node padNode(ir::PadMode mode) {
  return makeNode(OpKind::Pad, ir::PadAttrs{mode});
}

} // namespace

TEST_CASE("Concat joins along any axis", "[interp][layout]") {
  auto a = floats({2, 1}, {1, 2});
  auto b = floats({2, 2}, {3, 4, 5, 6});
  requireFloats(eval1(axisNode(OpKind::Concat, 1), {&a, &b}), {2, 3}, {1, 3, 4, 2, 5, 6});
  auto row = floats({1, 2}, {7, 8});
  requireFloats(eval1(axisNode(OpKind::Concat, 0), {&b, &row, &b}), {5, 2},
                {3, 4, 5, 6, 7, 8, 3, 4, 5, 6});
  auto i = ints({2}, {1, 2}, DType::Int32);
  auto j = ints({1}, {3}, DType::Int32);
  requireInts(eval1(axisNode(OpKind::Concat, 0), {&i, &j}), DType::Int32, {3}, {1, 2, 3});
  REQUIRE(contains(evalError(axisNode(OpKind::Concat, 0), {&a, &b}), "outside axis 0"));
  REQUIRE(contains(evalError(axisNode(OpKind::Concat, 0), {&i, &a}), "dtypes"));
  REQUIRE(contains(evalError(axisNode(OpKind::Concat, 2), {&a, &b}), "axis 2"));
}

TEST_CASE("Split in equal parts (last smaller) or by sizes", "[interp][layout]") {
  auto x = iota({7});
  std::vector<ir::TensorData> parts = evalAll(axisNode(OpKind::Split, 0, 3), {&x});
  REQUIRE(parts.size() == 3);
  requireFloats(parts[0], {3}, {0, 1, 2});
  requireFloats(parts[1], {3}, {3, 4, 5});
  requireFloats(parts[2], {1}, {6});
  auto sizes = list({2, 5});
  parts = evalAll(axisNode(OpKind::Split, 0, 2), {&x, &sizes});
  requireFloats(parts[0], {2}, {0, 1});
  requireFloats(parts[1], {5}, {2, 3, 4, 5, 6});
  auto m = iota({2, 4});
  parts = evalAll(axisNode(OpKind::Split, 1, 2), {&m});
  requireFloats(parts[0], {2, 2}, {0, 1, 4, 5});
  requireFloats(parts[1], {2, 2}, {2, 3, 6, 7});
  auto zeroPart = list({0, 7});
  parts = evalAll(axisNode(OpKind::Split, 0, 2), {&x, &zeroPart});
  REQUIRE(parts[0].shape == ir::Shape{0});

  auto wrongSum = list({2, 4});
  REQUIRE(contains(evalError(axisNode(OpKind::Split, 0, 2), {&x, &wrongSum}), "add up to 6"));
  REQUIRE(contains(evalError(axisNode(OpKind::Split, 0, 3), {&x, &wrongSum}), "3 outputs"));
  auto negative = list({-1, 8});
  REQUIRE(contains(evalError(axisNode(OpKind::Split, 0, 2), {&x, &negative}), "negative"));
  auto two = iota({2});
  REQUIRE(contains(evalError(axisNode(OpKind::Split, 0, 4), {&two}), "into 4 parts"));
}

TEST_CASE("Slice with negative, clamped and extreme bounds", "[interp][layout]") {
  auto x = iota({3, 4});
  auto s1 = list({1}), e3 = list({3}), axis0 = list({0}), axis1 = list({1});
  requireFloats(eval1(makeNode(OpKind::Slice), {&x, &s1, &e3, &axis0}), {2, 4},
                {4, 5, 6, 7, 8, 9, 10, 11});
  auto sLast = list({-1}), eMin = list({kMin}), back = list({-1});
  requireFloats(eval1(makeNode(OpKind::Slice), {&x, &sLast, &eMin, &axis1, &back}), {3, 4},
                {3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8});
  auto s01 = list({0, 1}), e23 = list({2, 3});
  requireFloats(eval1(makeNode(OpKind::Slice), {&x, &s01, &e23}), {2, 2}, {1, 2, 5, 6});
  requireFloats(eval1(makeNode(OpKind::Slice), {&x, &s01, &e23, nullptr, nullptr}), {2, 2},
                {1, 2, 5, 6});

  auto v = iota({5});
  auto s4 = list({4}), e0 = list({0}), minus2 = list({-2});
  requireFloats(eval1(makeNode(OpKind::Slice), {&v, &s4, &e0, &axis0, &minus2}), {2}, {4, 2});
  auto s10 = list({10}), eMinus10 = list({-10}), minus3 = list({-3});
  requireFloats(eval1(makeNode(OpKind::Slice), {&v, &s10, &eMinus10, &axis0, &minus3}), {2},
                {4, 1});
  auto sFar = list({-100}), eFar = list({100});
  requireFloats(eval1(makeNode(OpKind::Slice), {&v, &sFar, &eFar}), {5}, {0, 1, 2, 3, 4});
  auto s2 = list({2}), eMax = list({kMax});
  requireFloats(eval1(makeNode(OpKind::Slice), {&v, &s2, &eMax}), {3}, {2, 3, 4});
  auto sMax = list({kMax}), stepMin = list({kMin});
  requireFloats(eval1(makeNode(OpKind::Slice), {&v, &sMax, &eMin, &axis0, &stepMin}), {1}, {4});
  auto s3 = list({3}), e1 = list({1});
  requireFloats(eval1(makeNode(OpKind::Slice), {&v, &s3, &e1}), {0}, {});
  auto negAxis = list({-1});
  requireFloats(eval1(makeNode(OpKind::Slice), {&x, &s1, &e3, &negAxis}), {3, 2},
                {1, 2, 5, 6, 9, 10});
  auto iv = ints({4}, {10, 20, 30, 40}, DType::Int16);
  requireInts(eval1(makeNode(OpKind::Slice), {&iv, &sLast, &eMin, &axis0, &back}), DType::Int16,
              {4}, {40, 30, 20, 10});
}

TEST_CASE("Slice errors name the node", "[interp][layout]") {
  auto x = iota({3, 4});
  auto s = list({0}), e = list({2}), zero = list({0}), axis = list({0});
  REQUIRE(contains(evalError(makeNode(OpKind::Slice), {&x, &s, &e, &axis, &zero}), "zero"));
  auto s2 = list({0, 0}), e2 = list({1, 1}), twice = list({1, -1});
  REQUIRE(contains(evalError(makeNode(OpKind::Slice), {&x, &s2, &e2, &twice}), "repeated"));
  REQUIRE(contains(evalError(makeNode(OpKind::Slice), {&x, &s2, &e}), "entries"));
  auto far = list({2});
  REQUIRE(contains(evalError(makeNode(OpKind::Slice), {&x, &s, &e, &far}), "out of range"));
  auto fs = floats({1}, {0});
  REQUIRE(contains(evalError(makeNode(OpKind::Slice), {&x, &fs, &e}), "starts"));
}

TEST_CASE("Transpose permutes dims; an empty perm reverses them", "[interp][layout]") {
  auto x = iota({2, 3});
  requireFloats(eval1(makeNode(OpKind::Transpose), {&x}), {3, 2}, {0, 3, 1, 4, 2, 5});
  requireFloats(eval1(makeNode(OpKind::Transpose, ir::TransposeAttrs{{1, 0}}), {&x}), {3, 2},
                {0, 3, 1, 4, 2, 5});
  // out[a][b][c] = x[b][c][a] = 6b + 2c + a.
  auto cube = iota({2, 3, 2});
  requireFloats(eval1(makeNode(OpKind::Transpose, ir::TransposeAttrs{{2, 0, 1}}), {&cube}),
                {2, 2, 3}, {0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11});
  auto i = ints({1, 2}, {5, 6}, DType::UInt8);
  requireInts(eval1(makeNode(OpKind::Transpose), {&i}), DType::UInt8, {2, 1}, {5, 6});
  REQUIRE(contains(evalError(makeNode(OpKind::Transpose, ir::TransposeAttrs{{0, 0}}), {&x}),
                   "permutation"));
  REQUIRE(contains(evalError(makeNode(OpKind::Transpose, ir::TransposeAttrs{{0}}), {&x}),
                   "permutation"));
}

TEST_CASE("Pad in constant, edge and reflect modes", "[interp][layout]") {
  auto x = floats({2, 2}, {1, 2, 3, 4});
  auto pads = list({1, 0, 0, 1});
  auto nine = floats({}, {9});
  requireFloats(eval1(padNode(ir::PadMode::Constant), {&x, &pads, &nine}), {3, 3},
                {9, 9, 9, 1, 2, 9, 3, 4, 9});
  requireFloats(eval1(padNode(ir::PadMode::Constant), {&x, &pads}), {3, 3},
                {0, 0, 0, 1, 2, 0, 3, 4, 0});
  auto row = floats({1, 3}, {1, 2, 3});
  auto sides = list({0, 2, 0, 2});
  requireFloats(eval1(padNode(ir::PadMode::Edge), {&row, &sides}), {1, 7},
                {1, 1, 1, 2, 3, 3, 3});
  requireFloats(eval1(padNode(ir::PadMode::Reflect), {&row, &sides}), {1, 7},
                {3, 2, 1, 2, 3, 2, 1});
  // Pads wider than the axis keep reflecting, as numpy does.
  auto line = floats({3}, {1, 2, 3});
  auto wide = list({5, 5});
  requireFloats(eval1(padNode(ir::PadMode::Reflect), {&line, &wide}), {13},
                {2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2});
  auto single = floats({1}, {7});
  auto two = list({2, 1});
  requireFloats(eval1(padNode(ir::PadMode::Reflect), {&single, &two}), {4}, {7, 7, 7, 7});
  auto i = ints({2}, {5, 6}, DType::Int8);
  auto minus = ints({}, {-1}, DType::Int8);
  auto one = list({1, 1});
  requireInts(eval1(padNode(ir::PadMode::Constant), {&i, &one, &minus}), DType::Int8, {4},
              {-1, 5, 6, -1});
}

TEST_CASE("Pad with negative pads crops", "[interp][layout]") {
  auto x = iota({2, 3});
  auto crop = list({0, -1, 0, 1});
  requireFloats(eval1(padNode(ir::PadMode::Constant), {&x, &crop}), {2, 3}, {1, 2, 0, 4, 5, 0});
  auto v = floats({4}, {1, 2, 3, 4});
  auto cropThenReflect = list({-1, 2});
  requireFloats(eval1(padNode(ir::PadMode::Reflect), {&v, &cropThenReflect}), {5},
                {2, 3, 4, 3, 2});
  auto cropBoth = list({-1, -2});
  requireFloats(eval1(padNode(ir::PadMode::Edge), {&v, &cropBoth}), {1}, {2});
  auto all = list({-2, -2});
  requireFloats(eval1(padNode(ir::PadMode::Constant), {&v, &all}), {0}, {});

  auto tooMuch = list({-3, -2});
  REQUIRE(contains(evalError(padNode(ir::PadMode::Constant), {&v, &tooMuch}), "remove more"));
  auto emptyThenReflect = list({-4, 1});
  REQUIRE(contains(evalError(padNode(ir::PadMode::Reflect), {&v, &emptyThenReflect}),
                   "no elements"));
  auto short1 = list({1});
  REQUIRE(contains(evalError(padNode(ir::PadMode::Constant), {&v, &short1}), "entries"));
  auto pairValue = floats({2}, {1, 2});
  auto one = list({1, 1});
  REQUIRE(
      contains(evalError(padNode(ir::PadMode::Constant), {&v, &one, &pairValue}), "scalar"));
  auto huge = list({int64_t{1} << 50, 0});
  REQUIRE(contains(evalError(padNode(ir::PadMode::Constant), {&v, &huge}), "too large"));
  auto big = list({int64_t{1} << 35, 0});
  REQUIRE(contains(evalError(padNode(ir::PadMode::Constant), {&v, &big}), "would produce"));
}
