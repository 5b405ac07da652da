// Tests of the reductions: axes from the optional input (negative, absent, empty),
// keepdims, noop_with_empty_axes, integer sums and means, and bad axes.
#include "InterpTestUtil.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using ir::DType;
using ir::OpKind;

namespace {

ir::Node reduce(OpKind op, bool keepDims = true, bool noop = false) {
  return makeNode(op, ir::ReduceAttrs{keepDims, noop});
}

} // namespace

TEST_CASE("reductions over given axes, with and without keepdims", "[interp][reduce]") {
  auto x = iota({2, 3});
  auto axis1 = list({1});
  requireFloats(eval1(reduce(OpKind::ReduceSum), {&x, &axis1}), {2, 1}, {3, 12});
  requireFloats(eval1(reduce(OpKind::ReduceSum, false), {&x, &axis1}), {2}, {3, 12});
  auto minus2 = list({-2});
  requireFloats(eval1(reduce(OpKind::ReduceSum), {&x, &minus2}), {1, 3}, {3, 5, 7});
  requireFloats(eval1(reduce(OpKind::ReduceMean), {&x, &axis1}), {2, 1}, {1, 4});
  requireFloats(eval1(reduce(OpKind::ReduceMax), {&x, &axis1}), {2, 1}, {2, 5});
  requireFloats(eval1(reduce(OpKind::ReduceMin, false), {&x, &minus2}), {3}, {0, 1, 2});
  auto cube = iota({2, 2, 2});
  auto outer = list({0, 2});
  requireFloats(eval1(reduce(OpKind::ReduceSum), {&cube, &outer}), {1, 2, 1}, {10, 18});
  requireFloats(eval1(reduce(OpKind::ReduceMean, false), {&cube, &outer}), {2}, {2.5f, 4.5f});
}

TEST_CASE("reductions without axes reduce everything or nothing", "[interp][reduce]") {
  auto x = iota({2, 3});
  requireFloats(eval1(reduce(OpKind::ReduceSum), {&x}), {1, 1}, {15});
  requireFloats(eval1(reduce(OpKind::ReduceSum, false), {&x}), {}, {15});
  auto none = list({});
  requireFloats(eval1(reduce(OpKind::ReduceMean), {&x, &none}), {1, 1}, {2.5f});
  requireFloats(eval1(reduce(OpKind::ReduceMax, true, true), {&x}), {2, 3}, x.f);
  requireFloats(eval1(reduce(OpKind::ReduceMax, true, true), {&x, &none}), {2, 3}, x.f);
  auto scalar = floats({}, {7});
  requireFloats(eval1(reduce(OpKind::ReduceMin), {&scalar}), {}, {7});
}

TEST_CASE("integer reductions wrap and truncate", "[interp][reduce]") {
  auto x = ints({2, 2}, {1, 2, 3, 5}, DType::Int32);
  requireInts(eval1(reduce(OpKind::ReduceMean, false), {&x}), DType::Int32, {}, {2});
  auto axis0 = list({0});
  requireInts(eval1(reduce(OpKind::ReduceMax), {&x, &axis0}), DType::Int32, {1, 2}, {3, 5});
  auto neg = ints({2}, {-7, 0}, DType::Int32);
  requireInts(eval1(reduce(OpKind::ReduceMean), {&neg}), DType::Int32, {1}, {-3});
  auto big = ints({2}, {100, 100}, DType::Int8);
  requireInts(eval1(reduce(OpKind::ReduceSum), {&big}), DType::Int8, {1}, {-56});
}

TEST_CASE("reduction errors name the node", "[interp][reduce]") {
  auto x = iota({2, 3});
  auto outOfRange = list({2});
  REQUIRE(contains(evalError(reduce(OpKind::ReduceSum), {&x, &outOfRange}), "out of range"));
  auto repeated = list({1, -1});
  REQUIRE(contains(evalError(reduce(OpKind::ReduceSum), {&x, &repeated}), "repeated"));
  auto floatAxes = floats({1}, {0});
  REQUIRE(contains(evalError(reduce(OpKind::ReduceSum), {&x, &floatAxes}), "axes"));
  auto matrixAxes = ints({1, 1}, {0});
  REQUIRE(contains(evalError(reduce(OpKind::ReduceSum), {&x, &matrixAxes}), "1-D"));
}

TEST_CASE("L2Norm normalises along its axis, with eps inside or outside and a scale",
          "[interp][l2norm]") {
  std::vector<float> v = {3, 4, 0, 0, 1, 2, 2, -1, 0, 5, 12, 0};
  ir::TensorData x = ir::TensorData::fromFloats({1, 3, 2, 2}, v); // pixel 0: 3, 1, 0
  ir::TensorData scale = ir::TensorData::fromFloats({3}, {1, 2, -3});
  for (bool inside : {false, true}) {
    auto out = evalNode(makeNode(OpKind::L2Norm, ir::L2NormAttrs{0.5f, inside, 1}),
                        {&x, &scale});
    REQUIRE(out);
    for (size_t p = 0; p < 4; ++p) {
      double sum = 0;
      for (size_t c = 0; c < 3; ++c)
        sum += double(v[c * 4 + p]) * v[c * 4 + p];
      double norm = inside ? std::sqrt(sum + 0.5) : std::sqrt(sum) + 0.5;
      for (size_t c = 0; c < 3; ++c)
        CHECK((*out)[0].f[c * 4 + p] == Approx(v[c * 4 + p] / norm * scale.f[c]).epsilon(1e-6));
    }
  }
  // Along the last axis, LpNormalization's default: rows [3, 4] and [2, -1].
  auto out = evalNode(makeNode(OpKind::L2Norm, ir::L2NormAttrs{0.0f, false, -1}), {&x});
  REQUIRE(out);
  CHECK((*out)[0].f[0] == Approx(0.6));
  CHECK((*out)[0].f[1] == Approx(0.8));
  CHECK((*out)[0].f[6] == Approx(2.0 / std::sqrt(5.0)));
  CHECK((*out)[0].f[7] == Approx(-1.0 / std::sqrt(5.0)));
}
