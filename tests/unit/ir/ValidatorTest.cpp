// The IR validator: a well-formed graph passes, and each broken invariant is reported with
// the node or tensor at fault.
#include "compiler/ir/Validator.h"
#include "compiler/ir/ShapeInference.h"
#include "tests/unit/passes/Builder.h"

using namespace rnnpoolc;
using namespace rnnpoolc::ir;
using Catch::Contains;
using rnnpoolc::testing::Builder;

namespace {

/// x -> Conv -> Relu -> output, shapes inferred.
Builder smallGraph() {
  Builder b;
  TensorId x = b.input("x", {1, 3, 8, 8});
  TensorId y = b.node(OpKind::Conv, "conv", {x, b.constant("w", {4, 3, 3, 3})},
                      rnnpoolc::testing::conv3x3());
  b.g.outputs = {b.node(OpKind::Relu, "relu", {y})};
  for (Node &node : b.g.nodes)
    REQUIRE(inferShapes(b.g, node));
  return b;
}

std::string invalid(const Graph &g) {
  auto status = validate(g);
  REQUIRE_FALSE(status);
  return status.error().message();
}

} // namespace

TEST_CASE("validate accepts a well-formed graph", "[ir][validator]") {
  Builder b = smallGraph();
  auto status = validate(b.g);
  INFO((status ? std::string() : status.error().message()));
  REQUIRE(status);
}

TEST_CASE("validate rejects out-of-order nodes", "[ir][validator]") {
  Builder b = smallGraph();
  std::swap(b.g.nodes[0], b.g.nodes[1]);
  REQUIRE_THAT(invalid(b.g), Contains("node 'relu' (Relu)") && Contains("produced later") &&
                                 Contains("'conv'"));
}

TEST_CASE("validate rejects a tensor produced twice", "[ir][validator]") {
  Builder b = smallGraph();
  b.g.nodes[1].outputs[0] = b.g.nodes[0].outputs[0];
  REQUIRE_THAT(invalid(b.g),
               Contains("node 'relu'") && Contains("'conv_out' is produced twice"));
}

TEST_CASE("validate rejects writing a constant or a graph input", "[ir][validator]") {
  Builder b = smallGraph();
  b.g.nodes[1].outputs[0] = b.g.nodes[0].inputs[1];
  REQUIRE_THAT(invalid(b.g), Contains("node 'relu'") && Contains("'w' is a constant"));
  Builder c = smallGraph();
  c.g.nodes[1].outputs[0] = c.g.inputs[0];
  REQUIRE_THAT(invalid(c.g), Contains("node 'relu'") && Contains("'x' is a graph input"));
}

TEST_CASE("validate rejects a wrong arity", "[ir][validator]") {
  Builder b = smallGraph();
  b.g.nodes[1].inputs.push_back(b.g.inputs[0]);
  REQUIRE_THAT(invalid(b.g), Contains("node 'relu' (Relu)") && Contains("2 inputs"));
  Builder c = smallGraph();
  c.g.nodes[0].outputs.push_back(c.g.nodes[1].outputs[0]);
  REQUIRE_THAT(invalid(c.g), Contains("node 'conv' (Conv)") && Contains("2 outputs"));
  Builder d = smallGraph();
  d.g.nodes[0].inputs[1] = kNoTensor;
  REQUIRE_THAT(invalid(d.g),
               Contains("node 'conv'") && Contains("required input 1 is omitted"));
}

TEST_CASE("validate rejects a mismatched attribute struct", "[ir][validator]") {
  Builder b = smallGraph();
  b.g.nodes[0].attrs = PoolAttrs{};
  REQUIRE_THAT(invalid(b.g), Contains("node 'conv' (Conv)") && Contains("attribute struct"));
}

TEST_CASE("validate rejects unknown or negative shapes", "[ir][validator]") {
  Builder b = smallGraph();
  b.g.tensor(b.g.nodes[0].outputs[0]).shapeKnown = false;
  REQUIRE_THAT(invalid(b.g), Contains("'conv_out' has no known shape"));
  Builder c = smallGraph();
  c.g.tensor(c.g.outputs[0]).shape = {1, -4};
  REQUIRE_THAT(invalid(c.g), Contains("'relu_out' has an invalid shape"));
}

TEST_CASE("validate rejects undefined inputs and outputs", "[ir][validator]") {
  Builder b = smallGraph();
  Tensor orphan;
  orphan.name = "orphan";
  orphan.shapeKnown = true;
  TensorId id = b.g.addTensor(orphan);
  b.g.nodes[1].inputs[0] = id;
  REQUIRE_THAT(invalid(b.g), Contains("node 'relu'") && Contains("'orphan' is never defined"));
  Builder c = smallGraph();
  c.g.outputs.push_back(c.g.addTensor(orphan));
  REQUIRE_THAT(invalid(c.g), Contains("graph output 'orphan' is never defined"));
  Builder d = smallGraph();
  d.g.nodes[1].inputs[0] = 999;
  REQUIRE_THAT(invalid(d.g), Contains("node 'relu'") && Contains("refers to no tensor"));
}

TEST_CASE("validate rejects duplicate names and inconsistent constants", "[ir][validator]") {
  Builder b = smallGraph();
  b.g.tensor(b.g.outputs[0]).name = "x";
  REQUIRE_THAT(invalid(b.g), Contains("tensor name 'x' is used twice"));
  Builder c = smallGraph();
  c.g.tensor(c.g.nodes[0].inputs[1]).shape = {4, 3, 3, 2};
  REQUIRE_THAT(invalid(c.g), Contains("constant 'w'"));
}

TEST_CASE("validate rejects an unknown op kind", "[ir][validator]") {
  Builder b = smallGraph();
  b.g.nodes[1].op = static_cast<OpKind>(999);
  REQUIRE_THAT(invalid(b.g), Contains("node 'relu'") && Contains("unknown op kind 999"));
}
