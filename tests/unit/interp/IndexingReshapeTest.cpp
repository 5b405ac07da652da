// Tests of Gather, ScatterND, Reshape, Flatten, Squeeze, Unsqueeze, Expand and Tile,
// including negative indices, 0 and -1 in Reshape, and shapes too large to materialise.
#include "InterpTestUtil.h"

#include <limits>

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using ir::DType;
using ir::OpKind;

TEST_CASE("Gather along any axis with negative indices", "[interp][gather]") {
  auto x = iota({3, 2});
  auto rows = list({-1, 0});
  requireFloats(eval1(makeNode(OpKind::Gather, ir::AxisAttrs{0}), {&x, &rows}), {2, 2},
                {4, 5, 0, 1});
  auto grid = ints({2, 2}, {1, 0, 0, -1}, DType::Int32);
  requireFloats(eval1(makeNode(OpKind::Gather, ir::AxisAttrs{1}), {&x, &grid}), {3, 2, 2},
                {1, 0, 0, 1, 3, 2, 2, 3, 5, 4, 4, 5});
  auto one = ints({}, {1});
  requireFloats(eval1(makeNode(OpKind::Gather, ir::AxisAttrs{0}), {&x, &one}), {2}, {2, 3});
  auto data = ints({3}, {10, 20, 30}, DType::Int16);
  auto picks = list({2, -3, 1});
  requireInts(eval1(makeNode(OpKind::Gather, ir::AxisAttrs{0}), {&data, &picks}), DType::Int16,
              {3}, {30, 10, 20});

  auto three = list({3});
  REQUIRE(contains(evalError(makeNode(OpKind::Gather, ir::AxisAttrs{0}), {&x, &three}),
                   "index 3 is out of range for axis 0 of size 3"));
  auto minus4 = list({-4});
  REQUIRE(contains(evalError(makeNode(OpKind::Gather, ir::AxisAttrs{0}), {&x, &minus4}),
                   "index -4"));
  auto fi = floats({1}, {0});
  REQUIRE(
      contains(evalError(makeNode(OpKind::Gather, ir::AxisAttrs{0}), {&x, &fi}), "indices"));
  REQUIRE(
      contains(evalError(makeNode(OpKind::Gather, ir::AxisAttrs{2}), {&x, &rows}), "axis 2"));
}

TEST_CASE("ScatterND writes elements and slices", "[interp][scatternd]") {
  auto data = floats({8}, {1, 2, 3, 4, 5, 6, 7, 8});
  auto where = ints({4, 1}, {4, 3, 1, 7});
  auto updates = floats({4}, {9, 10, 11, 12});
  requireFloats(eval1(makeNode(OpKind::ScatterND), {&data, &where, &updates}), {8},
                {1, 11, 3, 10, 9, 6, 7, 12});
  auto grid = floats({2, 2}, {0, 0, 0, 0});
  auto lastRow = ints({1, 1}, {-1});
  auto row = floats({1, 2}, {5, 6});
  requireFloats(eval1(makeNode(OpKind::ScatterND), {&grid, &lastRow, &row}), {2, 2},
                {0, 0, 5, 6});
  auto cell = ints({1, 2}, {0, 1});
  auto value = floats({1}, {7});
  requireFloats(eval1(makeNode(OpKind::ScatterND), {&grid, &cell, &value}), {2, 2},
                {0, 7, 0, 0});

  REQUIRE(contains(evalError(makeNode(OpKind::ScatterND), {&grid, &lastRow, &value}),
                   "updates have shape 1, expected 1x2"));
  auto far = ints({1, 1}, {2});
  REQUIRE(
      contains(evalError(makeNode(OpKind::ScatterND), {&grid, &far, &row}), "out of range"));
  auto deep = ints({1, 3}, {0, 0, 0});
  REQUIRE(
      contains(evalError(makeNode(OpKind::ScatterND), {&grid, &deep, &value}), "do not index"));
  auto intUpdates = ints({1, 2}, {5, 6});
  REQUIRE(contains(evalError(makeNode(OpKind::ScatterND), {&grid, &lastRow, &intUpdates}),
                   "dtypes"));
}

TEST_CASE("Reshape copies 0 dims and infers -1", "[interp][reshape]") {
  auto x = iota({2, 3, 4});
  auto copyAndInfer = list({0, -1});
  requireFloats(eval1(makeNode(OpKind::Reshape), {&x, &copyAndInfer}), {2, 12}, x.f);
  auto flat = list({-1});
  requireFloats(eval1(makeNode(OpKind::Reshape), {&x, &flat}), {24}, x.f);
  auto middle = list({4, 0, 2});
  requireFloats(eval1(makeNode(OpKind::Reshape), {&x, &middle}), {4, 3, 2}, x.f);
  auto empty = iota({0, 3});
  auto zeroKept = list({3, 0});
  ir::Node allowZero = makeNode(OpKind::Reshape, ir::ReshapeAttrs{true});
  requireFloats(eval1(allowZero, {&empty, &zeroKept}), {3, 0}, {});
  auto i = ints({2, 2}, {1, 2, 3, 4}, DType::Int8);
  auto row = list({1, 4});
  requireInts(eval1(makeNode(OpKind::Reshape), {&i, &row}), DType::Int8, {1, 4}, {1, 2, 3, 4});
}

TEST_CASE("Reshape rejects impossible and hostile shapes", "[interp][reshape]") {
  auto x = iota({2, 3, 4});
  auto twoInferred = list({-1, -1});
  REQUIRE(contains(evalError(makeNode(OpKind::Reshape), {&x, &twoInferred}), "more than one"));
  auto indivisible = list({5, -1});
  REQUIRE(contains(evalError(makeNode(OpKind::Reshape), {&x, &indivisible}), "cannot reshape"));
  auto tooDeep = list({0, 0, 0, 0});
  REQUIRE(contains(evalError(makeNode(OpKind::Reshape), {&x, &tooDeep}), "only 3 dims"));
  auto wrongCount = list({5});
  REQUIRE(contains(evalError(makeNode(OpKind::Reshape), {&x, &wrongCount}), "cannot reshape"));
  auto negative = list({-2, 12});
  REQUIRE(contains(evalError(makeNode(OpKind::Reshape), {&x, &negative}), "negative"));
  auto huge = list({int64_t{1} << 40, int64_t{1} << 40});
  REQUIRE(contains(evalError(makeNode(OpKind::Reshape), {&x, &huge}), "int64 range"));
  auto huge2 = list({std::numeric_limits<int64_t>::max(), -1});
  REQUIRE(contains(evalError(makeNode(OpKind::Reshape), {&x, &huge2}), "cannot reshape"));
  auto zeroAndInfer = list({0, -1});
  ir::Node allowZero = makeNode(OpKind::Reshape, ir::ReshapeAttrs{true});
  REQUIRE(contains(evalError(allowZero, {&x, &zeroAndInfer}), "zero dim"));
  auto floatShape = floats({1}, {24});
  REQUIRE(contains(evalError(makeNode(OpKind::Reshape), {&x, &floatShape}), "shape"));
}

TEST_CASE("Flatten, Squeeze and Unsqueeze", "[interp][reshape]") {
  auto x = iota({2, 3, 4});
  auto flatten = [](int64_t axis) { return makeNode(OpKind::Flatten, ir::AxisAttrs{axis}); };
  requireFloats(eval1(flatten(1), {&x}), {2, 12}, x.f);
  requireFloats(eval1(flatten(0), {&x}), {1, 24}, x.f);
  requireFloats(eval1(flatten(3), {&x}), {24, 1}, x.f);
  requireFloats(eval1(flatten(-1), {&x}), {6, 4}, x.f);
  REQUIRE(contains(evalError(flatten(4), {&x}), "axis 4"));

  auto y = iota({1, 3, 1});
  requireFloats(eval1(makeNode(OpKind::Squeeze), {&y}), {3}, y.f);
  auto last = list({-1});
  requireFloats(eval1(makeNode(OpKind::Squeeze), {&y, &last}), {1, 3}, y.f);
  auto middle = list({1});
  REQUIRE(contains(evalError(makeNode(OpKind::Squeeze), {&y, &middle}), "size 3"));

  auto v = iota({3});
  auto ends = list({0, -1});
  requireFloats(eval1(makeNode(OpKind::Unsqueeze), {&v, &ends}), {1, 3, 1}, v.f);
  auto m = iota({2, 3});
  requireFloats(eval1(makeNode(OpKind::Unsqueeze), {&m, &middle}), {2, 1, 3}, m.f);
  auto twice = list({0, 0});
  REQUIRE(contains(evalError(makeNode(OpKind::Unsqueeze), {&v, &twice}), "repeated"));
  auto far = list({2});
  REQUIRE(contains(evalError(makeNode(OpKind::Unsqueeze), {&v, &far}), "out of range"));
}

TEST_CASE("Expand and Tile repeat elements", "[interp][reshape]") {
  auto x = floats({3, 1}, {1, 2, 3});
  auto shape = list({2, 1, 2});
  requireFloats(eval1(makeNode(OpKind::Expand), {&x, &shape}), {2, 3, 2},
                {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
  auto keep = list({1});
  requireFloats(eval1(makeNode(OpKind::Expand), {&x, &keep}), {3, 1}, {1, 2, 3});
  auto incompatible = list({4, 4});
  REQUIRE(contains(evalError(makeNode(OpKind::Expand), {&x, &incompatible}), "cannot expand"));
  auto hostile = list({1 << 20, 1 << 20, 3, 1});
  REQUIRE(contains(evalError(makeNode(OpKind::Expand), {&x, &hostile}), "would produce"));

  auto t = floats({2, 2}, {1, 2, 3, 4});
  auto wide = list({1, 2});
  requireFloats(eval1(makeNode(OpKind::Tile), {&t, &wide}), {2, 4}, {1, 2, 1, 2, 3, 4, 3, 4});
  auto tall = list({2, 1});
  requireFloats(eval1(makeNode(OpKind::Tile), {&t, &tall}), {4, 2}, {1, 2, 3, 4, 1, 2, 3, 4});
  auto none = list({0, 1});
  requireFloats(eval1(makeNode(OpKind::Tile), {&t, &none}), {0, 2}, {});
  auto i = ints({2}, {7, 8}, DType::Int32);
  auto thrice = list({3});
  requireInts(eval1(makeNode(OpKind::Tile), {&i, &thrice}), DType::Int32, {6},
              {7, 8, 7, 8, 7, 8});
  REQUIRE(contains(evalError(makeNode(OpKind::Tile), {&t, &thrice}), "entries"));
  auto negative = list({-1, 1});
  REQUIRE(contains(evalError(makeNode(OpKind::Tile), {&t, &negative}), "negative"));
  auto big = list({int64_t{1} << 30, 1});
  REQUIRE(contains(evalError(makeNode(OpKind::Tile), {&t, &big}),
                   "would produce 4294967296 elements"));
  auto overflow = list({int64_t{1} << 62, int64_t{1} << 62});
  REQUIRE(contains(evalError(makeNode(OpKind::Tile), {&t, &overflow}), "int64 range"));
}
