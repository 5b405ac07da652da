// Tests of the IR graph container: naming, topological order, cycles, compaction.
#include "compiler/ir/Graph.h"

#include <catch2/catch.hpp>

using namespace rnnpoolc;
using namespace rnnpoolc::ir;

namespace {

TensorId addActivation(Graph &g, const std::string &name) {
  Tensor t;
  t.name = name;
  return g.addTensor(t);
}

Node unary(OpKind op, const std::string &name, TensorId in, TensorId out) {
  Node n;
  n.name = name;
  n.op = op;
  n.attrs = defaultAttrs(op);
  n.inputs = {in};
  n.outputs = {out};
  return n;
}

} // namespace

TEST_CASE("ops table maps names both ways", "[ir]") {
  REQUIRE(opName(OpKind::Conv) == "Conv");
  REQUIRE(opFromName("GlobalAveragePool") == OpKind::GlobalAveragePool);
  REQUIRE_FALSE(opFromName("NoSuchOp"));
  REQUIRE(arityOf(OpKind::Conv).minInputs == 2);
  REQUIRE(arityOf(OpKind::Concat).maxInputs == -1);
  REQUIRE(std::holds_alternative<ConvAttrs>(defaultAttrs(OpKind::Conv)));
}

TEST_CASE("unique tensor names get numbered suffixes", "[ir]") {
  Graph g;
  addActivation(g, "x");
  REQUIRE(g.uniqueTensorName("y") == "y");
  REQUIRE(g.uniqueTensorName("x") == "x_2");
  addActivation(g, "x_2");
  REQUIRE(g.uniqueTensorName("x") == "x_3");
  REQUIRE(g.findTensor("x_2") == 1);
}

TEST_CASE("topological order is stable and sorts out-of-order nodes", "[ir]") {
  Graph g;
  TensorId a = addActivation(g, "a"), b = addActivation(g, "b"), c = addActivation(g, "c");
  g.inputs = {a};
  g.nodes.push_back(unary(OpKind::Relu, "second", b, c));
  g.nodes.push_back(unary(OpKind::Relu, "first", a, b));
  g.outputs = {c};
  auto order = g.topologicalOrder();
  REQUIRE(order);
  REQUIRE(*order == std::vector<size_t>{1, 0});
  REQUIRE(g.sortTopologically());
  REQUIRE(g.nodes[0].name == "first");
  REQUIRE(*g.topologicalOrder() == std::vector<size_t>{0, 1});
}

TEST_CASE("a cycle is reported with a node on it", "[ir]") {
  Graph g;
  TensorId a = addActivation(g, "a"), b = addActivation(g, "b");
  g.nodes.push_back(unary(OpKind::Relu, "p", a, b));
  g.nodes.push_back(unary(OpKind::Relu, "q", b, a));
  auto order = g.topologicalOrder();
  REQUIRE_FALSE(order);
  REQUIRE_THAT(order.error().message(), Catch::Contains("cycle"));
  REQUIRE_THAT(order.error().message(), Catch::Contains("node 'p' (Relu)"));
}

TEST_CASE("compact drops unused tensors and renumbers references", "[ir]") {
  Graph g;
  TensorId unused = addActivation(g, "unused");
  TensorId a = addActivation(g, "a"), b = addActivation(g, "b");
  (void)unused;
  g.inputs = {a};
  g.nodes.push_back(unary(OpKind::Relu, "r", a, b));
  g.outputs = {b};
  g.compact();
  REQUIRE(g.numTensors() == 2);
  REQUIRE(g.tensor(g.inputs[0]).name == "a");
  REQUIRE(g.tensor(g.outputs[0]).name == "b");
  REQUIRE(g.nodes[0].inputs[0] == g.inputs[0]);
  REQUIRE_FALSE(g.findTensor("unused"));
}

TEST_CASE("replaceAllUses rewires node inputs and graph outputs", "[ir]") {
  Graph g;
  TensorId a = addActivation(g, "a"), b = addActivation(g, "b"), c = addActivation(g, "c");
  g.nodes.push_back(unary(OpKind::Relu, "r", a, b));
  g.outputs = {a};
  g.replaceAllUses(a, c);
  REQUIRE(g.nodes[0].inputs[0] == c);
  REQUIRE(g.outputs[0] == c);
}
