// Tests of interp::run on small hand-built graphs: values through Conv -> Relu ->
// GlobalAveragePool, the observer, input checks, and errors from nodes and bad wiring.
#include "InterpTestUtil.h"

using namespace rnnpoolc;
using namespace rnnpoolc::testing;
using ir::DType;
using ir::OpKind;

namespace {

ir::TensorId addTensor(ir::Graph &g, const std::string &name, ir::Shape shape = {},
                       bool shapeKnown = false) {
  ir::Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  t.shapeKnown = shapeKnown;
  return g.addTensor(t);
}

ir::Node graphNode(OpKind op, const std::string &name, std::vector<ir::TensorId> inputs,
                   std::vector<ir::TensorId> outputs, ir::Attrs attrs = ir::NoAttrs{}) {
  ir::Node node = makeNode(op, attrs);
  node.name = name;
  node.inputs = std::move(inputs);
  node.outputs = std::move(outputs);
  return node;
}

/// x (1x1x4x4) -> Conv 3x3 stride 2 pads 1 (bias -200) -> Relu -> GlobalAveragePool.
ir::Graph convReluPool() {
  ir::Graph g;
  ir::TensorId x = addTensor(g, "x", {1, 1, 4, 4}, true);
  ir::TensorId w = g.addConstant("w", floats({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}));
  ir::TensorId b = g.addConstant("b", floats({1}, {-200}));
  ir::TensorId c = addTensor(g, "c"), r = addTensor(g, "r"), y = addTensor(g, "y");
  ir::ConvAttrs conv;
  conv.kernel = {3, 3};
  conv.strides = {2, 2};
  conv.dilations = {1, 1};
  conv.pads = {1, 1, 1, 1};
  g.inputs = {x};
  g.nodes.push_back(graphNode(OpKind::Conv, "conv", {x, w, b}, {c}, conv));
  g.nodes.push_back(graphNode(OpKind::Relu, "relu", {c}, {r}));
  g.nodes.push_back(graphNode(OpKind::GlobalAveragePool, "pool", {r}, {y}));
  g.outputs = {y};
  return g;
}

} // namespace

TEST_CASE("run computes a Conv -> Relu -> GlobalAveragePool graph", "[interp][run]") {
  // The convolution gives 83, 178, 330, 528 (see ConvGemmTest); minus 200 and clipped at 0
  // that is 0, 0, 130, 328, whose mean is 114.5.
  ir::Graph g = convReluPool();
  std::vector<std::string> seen;
  std::vector<ir::Shape> shapes;
  auto observer = [&](const ir::Node &node, std::span<const ir::TensorData> outs) {
    seen.push_back(node.name);
    shapes.push_back(outs[0].shape);
  };
  auto out = interp::run(g, {iota({1, 1, 4, 4})}, observer);
  INFO((out ? std::string() : out.error().message()));
  REQUIRE(out);
  REQUIRE(out->size() == 1);
  requireFloats((*out)[0], {1, 1, 1, 1}, {114.5f});
  REQUIRE(seen == std::vector<std::string>{"conv", "relu", "pool"});
  REQUIRE(shapes == std::vector<ir::Shape>{{1, 1, 2, 2}, {1, 1, 2, 2}, {1, 1, 1, 1}});
}

TEST_CASE("run checks its inputs against the graph's", "[interp][run]") {
  ir::Graph g = convReluPool();
  auto wrongShape = interp::run(g, {iota({1, 1, 5, 5})});
  REQUIRE_FALSE(wrongShape);
  REQUIRE(wrongShape.error().message() == "input 'x' must have shape 1x1x4x4, not 1x1x5x5");
  auto wrongType = interp::run(g, {ir::TensorData::zeros(DType::Int8, {1, 1, 4, 4})});
  REQUIRE_FALSE(wrongType);
  REQUIRE(contains(wrongType.error().message(), "input 'x' must be float32, not int8"));
  auto wrongCount = interp::run(g, {});
  REQUIRE_FALSE(wrongCount);
  REQUIRE(contains(wrongCount.error().message(), "1 inputs"));
  ir::TensorData broken = iota({1, 1, 4, 4});
  broken.f.resize(3);
  auto brokenValue = interp::run(g, {broken});
  REQUIRE_FALSE(brokenValue);
  REQUIRE(contains(brokenValue.error().message(), "input 'x' holds 3 values"));
}

TEST_CASE("run returns intermediate values, inputs and constants as outputs", "[interp][run]") {
  ir::Graph g = convReluPool();
  ir::TensorId conv = g.nodes[0].outputs[0];
  g.outputs = {g.nodes[2].outputs[0], conv, g.inputs[0], g.nodes[0].inputs[1]};
  auto out = interp::run(g, {iota({1, 1, 4, 4})});
  INFO((out ? std::string() : out.error().message()));
  REQUIRE(out);
  REQUIRE(out->size() == 4);
  requireFloats((*out)[1], {1, 1, 2, 2}, {-117, -22, 130, 328});
  requireFloats((*out)[2], {1, 1, 4, 4}, iota({1, 1, 4, 4}).f);
  requireFloats((*out)[3], {1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST_CASE("run reports node errors and bad wiring", "[interp][run]") {
  SECTION("an error from a node propagates") {
    ir::Graph g;
    ir::TensorId x = addTensor(g, "x", {2, 3}, true);
    ir::TensorId shape = g.addConstant("shape", list({5, -1}));
    ir::TensorId y = addTensor(g, "y");
    g.inputs = {x};
    g.nodes.push_back(graphNode(OpKind::Reshape, "bad_reshape", {x, shape}, {y}));
    g.outputs = {y};
    auto out = interp::run(g, {iota({2, 3})});
    REQUIRE_FALSE(out);
    REQUIRE(contains(out.error().message(), "node 'bad_reshape' (Reshape): cannot reshape"));
  }
  SECTION("a value nobody computes") {
    ir::Graph g;
    ir::TensorId x = addTensor(g, "x", {2}, true);
    ir::TensorId ghost = addTensor(g, "ghost"), y = addTensor(g, "y");
    g.inputs = {x};
    g.nodes.push_back(graphNode(OpKind::Add, "add", {x, ghost}, {y}));
    g.outputs = {y};
    auto out = interp::run(g, {iota({2})});
    REQUIRE_FALSE(out);
    REQUIRE(contains(out.error().message(), "node 'add' (Add): input 'ghost' has no value"));
  }
  SECTION("a computed value that disagrees with the inferred type") {
    ir::Graph g;
    ir::TensorId x = addTensor(g, "x", {2}, true);
    ir::TensorId y = addTensor(g, "y", {3}, true);
    g.inputs = {x};
    g.nodes.push_back(graphNode(OpKind::Relu, "relu", {x}, {y}));
    g.outputs = {y};
    auto out = interp::run(g, {iota({2})});
    REQUIRE_FALSE(out);
    REQUIRE(contains(out.error().message(), "node 'relu' (Relu): internal"));
  }
  SECTION("an optional input left out") {
    ir::Graph g;
    ir::TensorId x = addTensor(g, "x", {3}, true);
    ir::TensorId lo = g.addConstant("lo", floats({}, {1}));
    ir::TensorId y = addTensor(g, "y");
    g.inputs = {x};
    g.nodes.push_back(graphNode(OpKind::Clip, "clip", {x, ir::kNoTensor, lo}, {y}));
    g.outputs = {y};
    auto out = interp::run(g, {iota({3})});
    INFO((out ? std::string() : out.error().message()));
    REQUIRE(out);
    requireFloats((*out)[0], {3}, {0, 1, 1});
  }
}

TEST_CASE("run frees values after their last use without losing shared ones", "[interp][run]") {
  // x feeds two branches; the first branch's value is read again by the last node.
  ir::Graph g;
  ir::TensorId x = addTensor(g, "x", {2}, true);
  ir::TensorId a = addTensor(g, "a"), b = addTensor(g, "b"), c = addTensor(g, "c");
  ir::TensorId unused = addTensor(g, "unused"), y = addTensor(g, "y");
  g.inputs = {x};
  g.nodes.push_back(graphNode(OpKind::Neg, "neg", {x}, {a}));
  g.nodes.push_back(graphNode(OpKind::Abs, "abs", {x}, {b}));
  g.nodes.push_back(graphNode(OpKind::Exp, "dead", {b}, {unused}));
  g.nodes.push_back(graphNode(OpKind::Mul, "mul", {a, b}, {c}));
  g.nodes.push_back(graphNode(OpKind::Sum, "sum", {c, a, x}, {y}));
  g.outputs = {y};
  auto out = interp::run(g, {floats({2}, {1, -2})});
  INFO((out ? std::string() : out.error().message()));
  REQUIRE(out);
  // a = {-1, 2}, b = {1, 2}, c = {-1, 4}; y = c + a + x = {-1, 4}.
  requireFloats((*out)[0], {2}, {-1, 4});
}
