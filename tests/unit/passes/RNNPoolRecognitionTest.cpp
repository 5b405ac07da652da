// Unit tests of the pieces of RNNPool recognition: element tracing through data movement,
// the FastGRNN step matcher, and the recogniser's handling of graphs that are not RNNPool.
// Whole layers in every export style are tested end to end (tests/e2e).
#include "compiler/passes/ElementTrace.h"
#include "compiler/passes/FastGrnnMatch.h"
#include "compiler/passes/Passes.h"
#include "tests/unit/passes/Builder.h"

using namespace rnnpoolc;
using testing::Builder;
using ir::OpKind;

namespace {

ir::TensorId scalar(Builder &b, const std::string &name, float value) {
  return b.g.addConstant(name, ir::TensorData::fromFloats({}, {value}));
}

/// One FastGRNN step on input x [B, k] and state h [B, hid]; `swap` writes every Add and
/// Mul with its operands the other way round; `update` is the update nonlinearity's op.
ir::TensorId fastGrnnStep(Builder &b, ir::TensorId x, ir::TensorId h, ir::TensorId w,
                          ir::TensorId u, ir::TensorId bz, ir::TensorId bh, bool swap,
                          OpKind update = OpKind::Tanh) {
  auto bin = [&](OpKind op, const char *name, ir::TensorId l, ir::TensorId r) {
    return swap ? b.node(op, name, {r, l}) : b.node(op, name, {l, r});
  };
  ir::TensorId pre = bin(OpKind::Add, "pre", b.node(OpKind::MatMul, "xw", {x, w}),
                         b.node(OpKind::MatMul, "hu", {h, u}));
  ir::TensorId z = b.node(OpKind::Sigmoid, "z", {bin(OpKind::Add, "gate_in", pre, bz)});
  ir::TensorId c = b.node(update, "c", {bin(OpKind::Add, "update_in", pre, bh)});
  ir::TensorId oneMinusZ = b.node(OpKind::Sub, "one_minus_z", {scalar(b, "one", 1), z});
  ir::TensorId coef = bin(OpKind::Add, "coef",
                          bin(OpKind::Mul, "zeta_term", scalar(b, "szeta", 0.25f), oneMinusZ),
                          scalar(b, "snu", 0.75f));
  return bin(OpKind::Add, "h_next", bin(OpKind::Mul, "zh", z, h),
             bin(OpKind::Mul, "cc", coef, c));
}

} // namespace

TEST_CASE("element tracing follows Transpose and Gather to the source element") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 2, 3, 4});
  ir::TransposeAttrs perm{{0, 1, 3, 2}};
  ir::TensorId t = b.node(OpKind::Transpose, "t", {x}, perm);
  ir::TensorId idx = b.ints("idx", {2, 0});
  ir::TensorId y = b.node(OpKind::Gather, "g", {t, idx}, ir::AxisAttrs{2});
  b.g.outputs = {y};
  REQUIRE(passes::foldConstantsAndInferShapes(b.g));

  passes::ElementTrace trace(b.g);
  const std::vector<int64_t> &ids = trace.ids(y);
  REQUIRE(ids.size() == 2 * 2 * 3);
  const int64_t picked[2] = {2, 0};
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 3; ++j) {
        auto origin = trace.origin(ids[(c * 2 + i) * 3 + j]);
        CHECK(origin.tensor == x);
        CHECK(origin.index == (c * 3 + j) * 4 + picked[i]);
      }
}

TEST_CASE("element tracing through ScatterND into a zero buffer marks untouched elements") {
  Builder b;
  ir::TensorId u = b.input("u", {1, 2});
  ir::TensorId zeros =
      b.g.addConstant("zeros", ir::TensorData::zeros(ir::DType::Float32, {3, 2}));
  ir::TensorId indices =
      b.g.addConstant("indices", ir::TensorData::fromInts(ir::DType::Int64, {1, 1}, {1}));
  ir::TensorId y = b.node(OpKind::ScatterND, "scatter", {zeros, indices, u});
  b.g.outputs = {y};
  REQUIRE(passes::foldConstantsAndInferShapes(b.g));

  passes::ElementTrace trace(b.g);
  const std::vector<int64_t> &ids = trace.ids(y);
  REQUIRE(ids.size() == 6);
  using T = passes::ElementTrace;
  CHECK(ids[0] == T::kZero);
  CHECK(ids[1] == T::kZero);
  CHECK(ids[2] == trace.idOf(u, 0));
  CHECK(ids[3] == trace.idOf(u, 1));
  CHECK(ids[4] == T::kZero);
  CHECK(ids[5] == T::kZero);
}

TEST_CASE("an arithmetic result is a source of its own, not traced through") {
  Builder b;
  ir::TensorId x = b.input("x", {2, 2});
  ir::TensorId r = b.node(OpKind::Relu, "r", {x});
  ir::TensorId y = b.node(OpKind::Transpose, "t", {r}, ir::TransposeAttrs{{1, 0}});
  b.g.outputs = {y};
  REQUIRE(passes::foldConstantsAndInferShapes(b.g));
  passes::ElementTrace trace(b.g);
  const std::vector<int64_t> &ids = trace.ids(y);
  REQUIRE(ids.size() == 4);
  CHECK(trace.origin(ids[1]).tensor == r);
  CHECK(trace.origin(ids[1]).index == 2);
}

TEST_CASE("the FastGRNN matcher finds a step in either operand order") {
  for (bool swap : {false, true}) {
    Builder b;
    ir::TensorId x = b.input("x", {5, 3});
    ir::TensorId h = b.input("h", {5, 4});
    ir::TensorId w = b.constant("W", {3, 4}), u = b.constant("U", {4, 4});
    ir::TensorId bz = b.constant("bz", {1, 4}), bh = b.constant("bh", {1, 4});
    ir::TensorId out = fastGrnnStep(b, x, h, w, u, bz, bh, swap);
    b.g.outputs = {out};
    REQUIRE(passes::foldConstantsAndInferShapes(b.g));

    auto steps = passes::findFastGrnnSteps(b.g);
    INFO("swapped operands: " << swap);
    REQUIRE(steps.size() == 1);
    const passes::FastGrnnStep &s = steps[0];
    CHECK(s.out == out);
    CHECK(s.x == x);
    CHECK(s.h == h);
    CHECK(s.w[0] == w);
    CHECK(s.w[1] == ir::kNoTensor);
    CHECK(s.u[0] == u);
    CHECK(s.bz == bz);
    CHECK(s.bh == bh);
    CHECK(s.zetaSigmoid == 0.25f);
    CHECK(s.nuSigmoid == 0.75f);
    CHECK(s.gate.kind == ir::RnnNonlinearity::Sigmoid);
    CHECK(s.update.kind == ir::RnnNonlinearity::Tanh);
    CHECK(s.nodes.size() == 13); // every op of the step, each once
  }
}

TEST_CASE("the FastGRNN matcher reports an unsupported nonlinearity by name") {
  Builder b;
  ir::TensorId x = b.input("x", {2, 3});
  ir::TensorId h = b.input("h", {2, 4});
  ir::TensorId out = fastGrnnStep(b, x, h, b.constant("W", {3, 4}), b.constant("U", {4, 4}),
                                  b.constant("bz", {1, 4}), b.constant("bh", {1, 4}),
                                  /*swap=*/false, OpKind::Relu);
  b.g.outputs = {out};
  REQUIRE(passes::foldConstantsAndInferShapes(b.g));
  auto steps = passes::findFastGrnnSteps(b.g);
  REQUIRE(steps.size() == 1);
  CHECK_FALSE(steps[0].update.kind.has_value());
  CHECK(steps[0].update.opName == "Relu");
}

TEST_CASE("a lone FastGRNN step is reported as a near miss and left unchanged") {
  Builder b;
  ir::TensorId x = b.input("x", {2, 3});
  ir::TensorId h = b.input("h", {2, 4});
  ir::TensorId out = fastGrnnStep(b, x, h, b.constant("W", {3, 4}), b.constant("U", {4, 4}),
                                  b.constant("bz", {1, 4}), b.constant("bh", {1, 4}),
                                  /*swap=*/true);
  b.g.outputs = {out};
  REQUIRE(passes::foldConstantsAndInferShapes(b.g));
  auto inputs = std::vector<ir::TensorData>{b.randomInput(0), b.randomInput(1)};
  auto before = testing::runGraph(b.g, inputs);
  size_t nodes = b.g.nodes.size();

  REQUIRE(passes::recogniseRNNPool(b.g));
  CHECK(b.g.nodes.size() == nodes);
  REQUIRE(b.g.nearMisses.size() == 1);
  CHECK_THAT(b.g.nearMisses[0].reason, Catch::Contains("FastGRNN"));
  CHECK(testing::maxAbsDiff(testing::runGraph(b.g, inputs)[0], before[0]) == 0);
}

TEST_CASE("graphs without FastGRNN steps pass through recognition untouched") {
  Builder b;
  ir::TensorId x = b.input("x", {1, 2, 6, 6});
  ir::TensorId y = b.node(OpKind::Conv, "conv", {x, b.constant("w", {4, 2, 3, 3})},
                          testing::conv3x3());
  b.g.outputs = {b.node(OpKind::Sigmoid, "s", {y})};
  REQUIRE(passes::foldConstantsAndInferShapes(b.g));
  REQUIRE(passes::recogniseRNNPool(b.g));
  CHECK(b.g.nodes.size() == 2);
  CHECK(b.g.nearMisses.empty());
}
