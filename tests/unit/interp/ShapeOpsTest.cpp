// Tests of Shape (start and end), Range (integer and float, empty and huge) and
// ConstantOfShape (dtypes, scalars, hostile sizes).
#include "InterpTestUtil.h"

#include <limits>

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using ir::DType;
using ir::OpKind;

namespace {

ir::Node shapeNode(int64_t start, std::optional<int64_t> end) {
  ir::ShapeAttrs attrs;
  attrs.start = start;
  attrs.end = end;
  return makeNode(OpKind::Shape, attrs);
}

ir::Node constantOfShape(DType dtype, double value) {
  return makeNode(OpKind::ConstantOfShape, ir::ConstantOfShapeAttrs{dtype, value});
}

} // namespace

TEST_CASE("Shape with start and end", "[interp][shape]") {
  auto x = iota({2, 3, 4});
  requireInts(eval1(makeNode(OpKind::Shape), {&x}), DType::Int64, {3}, {2, 3, 4});
  requireInts(eval1(shapeNode(1, std::nullopt), {&x}), DType::Int64, {2}, {3, 4});
  requireInts(eval1(shapeNode(-1, std::nullopt), {&x}), DType::Int64, {1}, {4});
  requireInts(eval1(shapeNode(0, -1), {&x}), DType::Int64, {2}, {2, 3});
  requireInts(eval1(shapeNode(2, 1), {&x}), DType::Int64, {0}, {});
  requireInts(eval1(shapeNode(-10, 10), {&x}), DType::Int64, {3}, {2, 3, 4});
  // Constant folding passes Shape a stand-in that has a shape but no values.
  ir::TensorData standIn;
  standIn.shape = {1, 3, 224, 224};
  requireInts(eval1(makeNode(OpKind::Shape), {&standIn}), DType::Int64, {4}, {1, 3, 224, 224});
}

TEST_CASE("Range over ints and floats", "[interp][range]") {
  auto range = [](const ir::TensorData &a, const ir::TensorData &b, const ir::TensorData &c) {
    return eval1(makeNode(OpKind::Range), {&a, &b, &c});
  };
  auto i1 = ints({}, {1}), i10 = ints({}, {10}), i3 = ints({}, {3});
  auto im3 = ints({}, {-3}), im1 = ints({}, {-1});
  requireInts(range(i1, i10, i3), DType::Int64, {3}, {1, 4, 7});
  requireInts(range(i10, i1, im3), DType::Int64, {3}, {10, 7, 4});
  requireInts(range(i1, i10, im1), DType::Int64, {0}, {});
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  auto nearMax = ints({}, {kMax - 2}), max = ints({}, {kMax}), one = ints({}, {1});
  requireInts(range(nearMax, max, one), DType::Int64, {2}, {kMax - 2, kMax - 1});
  auto s = ints({}, {5}, DType::Int32), l = ints({}, {-1}, DType::Int32);
  auto d = ints({}, {-2}, DType::Int32);
  requireInts(range(s, l, d), DType::Int32, {3}, {5, 3, 1});

  auto f0 = floats({}, {0}), f1 = floats({}, {1}), quarter = floats({}, {0.25f});
  requireFloats(range(f0, f1, quarter), {4}, {0, 0.25f, 0.5f, 0.75f});
  requireFloats(range(f1, f0, quarter), {0}, {});
  auto third = floats({}, {0.4f});
  requireFloats(range(f0, f1, third), {3}, {0, 0.4f, 0.8f});
}

TEST_CASE("Range errors and hostile counts", "[interp][range]") {
  auto i1 = ints({}, {1}), i10 = ints({}, {10}), zero = ints({}, {0});
  REQUIRE(contains(evalError(makeNode(OpKind::Range), {&i1, &i10, &zero}), "delta is zero"));
  auto min = ints({}, {std::numeric_limits<int64_t>::min()});
  auto max = ints({}, {std::numeric_limits<int64_t>::max()});
  auto one = ints({}, {1});
  REQUIRE(contains(evalError(makeNode(OpKind::Range), {&min, &max, &one}),
                   "would produce 18446744073709551615 elements"));
  auto f0 = floats({}, {0}), big = floats({}, {1e10f}), f1 = floats({}, {1});
  REQUIRE(contains(evalError(makeNode(OpKind::Range), {&f0, &big, &f1}), "would produce"));
  auto nan = floats({}, {std::numeric_limits<float>::quiet_NaN()});
  REQUIRE(contains(evalError(makeNode(OpKind::Range), {&f0, &nan, &f1}), "undefined"));
  auto pair = ints({2}, {1, 2});
  REQUIRE(contains(evalError(makeNode(OpKind::Range), {&pair, &i10, &one}), "scalars"));
  REQUIRE(contains(evalError(makeNode(OpKind::Range), {&f0, &i10, &one}), "dtypes"));
}

TEST_CASE("ConstantOfShape fills any dtype", "[interp][shape]") {
  auto shape = list({2, 3});
  requireFloats(eval1(constantOfShape(DType::Float32, 1.5), {&shape}), {2, 3},
                std::vector<float>(6, 1.5f));
  requireInts(eval1(constantOfShape(DType::Int32, 7), {&shape}), DType::Int32, {2, 3},
              std::vector<int64_t>(6, 7));
  auto one = list({1});
  requireInts(eval1(constantOfShape(DType::Bool, 1), {&one}), DType::Bool, {1}, {1});
  requireInts(eval1(constantOfShape(DType::Int8, 300), {&one}), DType::Int8, {1}, {44});
  auto none = list({});
  requireFloats(eval1(constantOfShape(DType::Float32, 2), {&none}), {}, {2});
  auto empty = list({0, 5});
  requireFloats(eval1(constantOfShape(DType::Float32, 2), {&empty}), {0, 5}, {});

  auto negative = list({2, -1});
  REQUIRE(contains(evalError(constantOfShape(DType::Float32, 0), {&negative}), "negative"));
  auto hostile = list({1 << 20, 1 << 20});
  REQUIRE(contains(evalError(constantOfShape(DType::Float32, 0), {&hostile}),
                   "would produce 1099511627776 elements"));
  auto overflow = list({int64_t{1} << 40, int64_t{1} << 40});
  REQUIRE(contains(evalError(constantOfShape(DType::Float32, 0), {&overflow}),
                   "would produce more than"));
}
