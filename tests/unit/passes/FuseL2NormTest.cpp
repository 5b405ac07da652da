// fuse-l2norm: the forms of an L2 normalisation it fuses (structure and numbers before and
// after), and near misses it must leave alone.
#include "compiler/ir/Validator.h"
#include "compiler/passes/Passes.h"
#include "tests/unit/passes/Builder.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using ir::OpKind;

namespace {

/// How the chain is written.
struct Form {
  bool mulSquare = false;         ///< Mul(x, x) instead of Pow(x, 2)
  bool epsFirst = false;          ///< Add(eps, sqrt) instead of Add(sqrt, eps)
  bool epsInside = false;         ///< Sqrt(Add(sum, eps))
  bool noEps = false;             ///< Sqrt(sum) alone
  bool reciprocal = false;        ///< Mul(x, Reciprocal(norm)) instead of Div(x, norm)
  ir::Shape scale = {1, 6, 1, 1}; ///< empty: no scale Mul
  int64_t axis = 1;
  float exponent = 2, eps = 1e-10f;
  bool intExponent = false; ///< Pow(x, int64 2)
};

/// x [1, 6, 5, 4] -> relu -> the chain; returns the chain's output.
ir::TensorId buildChain(Builder &b, const Form &f) {
  ir::TensorId x = b.node(OpKind::Relu, "relu", {b.input("x", {1, 6, 5, 4})});
  ir::TensorId sq =
      f.mulSquare
          ? b.node(OpKind::Mul, "sq", {x, x})
          : b.node(OpKind::Pow, "pow",
                   {x, f.intExponent ? b.g.addConstant("two", ir::TensorData::scalarInt(2))
                                     : b.g.addConstant("two", ir::TensorData::fromFloats(
                                                                  {}, {f.exponent}))});
  ir::TensorId sum = b.node(OpKind::ReduceSum, "sum", {sq, b.ints("axes", {f.axis})},
                            ir::ReduceAttrs{true, false});
  ir::TensorId eps = b.g.addConstant("eps", ir::TensorData::fromFloats({}, {f.eps}));
  ir::TensorId norm;
  if (f.noEps)
    norm = b.node(OpKind::Sqrt, "sqrt", {sum});
  else if (f.epsInside)
    norm = b.node(OpKind::Sqrt, "sqrt", {b.node(OpKind::Add, "add", {sum, eps})});
  else {
    ir::TensorId root = b.node(OpKind::Sqrt, "sqrt", {sum});
    norm = f.epsFirst ? b.node(OpKind::Add, "add", {eps, root})
                      : b.node(OpKind::Add, "add", {root, eps});
  }
  ir::TensorId y =
      f.reciprocal ? b.node(OpKind::Mul, "mulr", {x, b.node(OpKind::Reciprocal, "rec", {norm})})
                   : b.node(OpKind::Div, "div", {x, norm});
  if (!f.scale.empty())
    y = b.node(OpKind::Mul, "scale", {y, b.constant("s", f.scale, 1.0f, 20.0f)});
  return y;
}

/// Runs fuse-l2norm on the chain; checks validity and the outputs before and after.
void runPass(Builder &b, ir::TensorId out) {
  b.g.outputs = {out};
  REQUIRE(passes::foldConstantsAndInferShapes(b.g));
  std::vector<ir::TensorData> inputs = {b.randomInput(0)};
  auto before = runGraph(b.g, inputs);
  REQUIRE(passes::fuseL2Norm(b.g));
  auto valid = ir::validate(b.g);
  INFO((valid ? std::string() : valid.error().message()));
  REQUIRE(valid);
  auto after = runGraph(b.g, inputs);
  CHECK(maxAbsDiff(before[0], after[0]) <= 1e-4f);
}

} // namespace

TEST_CASE("fuse-l2norm fuses every written form into one L2Norm", "[passes][l2norm]") {
  std::pair<const char *, Form> forms[] = {
      {"S3FD: pow, add eps after sqrt, div, channel scale", Form{}},
      {"mul square, eps first", Form{.mulSquare = true, .epsFirst = true}},
      {"eps inside the sqrt", Form{.epsInside = true, .eps = 1e-3f}},
      {"no eps, reciprocal", Form{.noEps = true, .reciprocal = true}},
      {"no scale", Form{.scale = {}}},
      {"scalar scale, negative axis", Form{.scale = {1}, .axis = -3}},
      {"scale as [C, 1, 1]", Form{.scale = {6, 1, 1}}},
      {"integer exponent", Form{.intExponent = true}},
  };
  for (const auto &[name, form] : forms) {
    SECTION(name) {
      Builder b;
      runPass(b, buildChain(b, form));
      REQUIRE(b.g.nodes.size() == 2); // relu, l2norm
      const ir::Node &n = b.g.nodes[1];
      REQUIRE(n.op == OpKind::L2Norm);
      CHECK(n.inputs[0] == b.g.nodes[0].outputs[0]);
      CHECK(n.outputs[0] == b.g.outputs[0]);
      CHECK(n.attr<ir::L2NormAttrs>().epsInsideSqrt == form.epsInside);
      CHECK(n.attr<ir::L2NormAttrs>().eps == (form.noEps ? 0.0f : form.eps));
      REQUIRE(n.inputs.size() == (form.scale.empty() ? 1u : 2u));
      if (!form.scale.empty())
        CHECK(b.g.tensor(n.inputs[1]).shape == ir::Shape{ir::numel(form.scale)});
    }
  }
}

TEST_CASE("fuse-l2norm leaves near misses alone", "[passes][l2norm]") {
  SECTION("sum over another axis") {
    Builder b;
    runPass(b, buildChain(b, Form{.axis = 2}));
    CHECK(countOps(b.g, OpKind::L2Norm) == 0);
    CHECK(countOps(b.g, OpKind::ReduceSum) == 1);
  }
  SECTION("cube instead of square") {
    Builder b;
    runPass(b, buildChain(b, Form{.exponent = 3}));
    CHECK(countOps(b.g, OpKind::L2Norm) == 0);
  }
  SECTION("an intermediate tensor with another reader") {
    Builder b;
    ir::TensorId y = buildChain(b, Form{});
    ir::TensorId sum = b.g.nodes[2].outputs[0]; // relu, pow, sum
    REQUIRE(b.g.nodes[2].op == OpKind::ReduceSum);
    b.g.outputs = {y, sum};
    REQUIRE(passes::foldConstantsAndInferShapes(b.g));
    REQUIRE(passes::fuseL2Norm(b.g));
    CHECK(countOps(b.g, OpKind::L2Norm) == 0);
    CHECK(b.g.nodes.size() == 7);
  }
  SECTION("a scale that varies along rows: normalisation fused, the Mul kept") {
    Builder b;
    runPass(b, buildChain(b, Form{.scale = {1, 1, 5, 1}}));
    CHECK(countOps(b.g, OpKind::L2Norm) == 1);
    CHECK(countOps(b.g, OpKind::Mul) == 1);
    CHECK(b.g.nodes[1].inputs.size() == 1);
  }
  SECTION("numerator other than the normalised tensor") {
    Builder b;
    ir::TensorId x = b.node(OpKind::Relu, "relu", {b.input("x", {1, 6, 5, 4})});
    ir::TensorId other = b.node(OpKind::Neg, "neg", {x});
    ir::TensorId sq = b.node(OpKind::Mul, "sq", {x, x});
    ir::TensorId sum = b.node(OpKind::ReduceSum, "sum", {sq, b.ints("axes", {1})},
                              ir::ReduceAttrs{true, false});
    ir::TensorId norm = b.node(OpKind::Sqrt, "sqrt", {sum});
    runPass(b, b.node(OpKind::Div, "div", {other, norm}));
    CHECK(countOps(b.g, OpKind::L2Norm) == 0);
  }
}

TEST_CASE("the canonical pipeline fuses L2 normalisation", "[passes][l2norm]") {
  Builder b;
  b.g.outputs = {buildChain(b, Form{})};
  std::vector<ir::TensorData> inputs = {b.randomInput(0)};
  auto before = runGraph(b.g, inputs);
  REQUIRE(passes::canonicalize(b.g));
  CHECK(countOps(b.g, OpKind::L2Norm) == 1);
  CHECK(b.g.nodes.size() == 2);
  CHECK(maxAbsDiff(before[0], runGraph(b.g, inputs)[0]) <= 1e-4f);
}
