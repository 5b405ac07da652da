// A tiny graph builder for pass tests.
#pragma once

#include "compiler/interp/Interpreter.h"
#include "compiler/ir/Graph.h"
#include "compiler/ir/Validator.h"
#include "compiler/passes/Passes.h"

#include <catch2/catch.hpp>

#include <random>

namespace rnnpoolc::testing {

class Builder {
public:
  ir::Graph g;

  ir::TensorId input(const std::string &name, ir::Shape shape) {
    ir::Tensor t;
    t.name = name;
    t.shape = std::move(shape);
    t.shapeKnown = true;
    ir::TensorId id = g.addTensor(t);
    g.inputs.push_back(id);
    return id;
  }

  ir::TensorId constant(const std::string &name, ir::Shape shape, float lo = -1, float hi = 1) {
    std::vector<float> values(static_cast<size_t>(ir::numel(shape)));
    std::uniform_real_distribution<float> dist(lo, hi);
    for (float &v : values)
      v = dist(rng_);
    return g.addConstant(name, ir::TensorData::fromFloats(std::move(shape), std::move(values)));
  }

  ir::TensorId ints(const std::string &name, std::vector<int64_t> values) {
    auto n = static_cast<int64_t>(values.size());
    return g.addConstant(name, ir::TensorData::fromInts(ir::DType::Int64, {n}, std::move(values)));
  }

  /// Adds a node with default attributes and fresh outputs; returns its first output.
  ir::TensorId node(ir::OpKind op, const std::string &name, std::vector<ir::TensorId> inputs,
                    ir::Attrs attrs = {}, int outputs = 1) {
    ir::Node n;
    n.name = name;
    n.op = op;
    n.attrs = std::holds_alternative<ir::NoAttrs>(attrs) ? ir::defaultAttrs(op) : attrs;
    n.inputs = std::move(inputs);
    for (int k = 0; k < outputs; ++k) {
      ir::Tensor t;
      t.name = g.uniqueTensorName(name + "_out");
      n.outputs.push_back(g.addTensor(t));
    }
    g.nodes.push_back(n);
    return n.outputs[0];
  }

  ir::TensorData randomInput(size_t k) {
    const ir::Tensor &t = g.tensor(g.inputs[k]);
    std::vector<float> values(static_cast<size_t>(ir::numel(t.shape)));
    std::uniform_real_distribution<float> dist(-2, 2);
    for (float &v : values)
      v = dist(rng_);
    return ir::TensorData::fromFloats(t.shape, std::move(values));
  }

private:
  std::mt19937 rng_{42};
};

inline ir::ConvAttrs conv3x3(int64_t pad = 1, int64_t group = 1) {
  ir::ConvAttrs a;
  a.kernel = {3, 3};
  a.strides = {1, 1};
  a.dilations = {1, 1};
  a.pads = {pad, pad, pad, pad};
  a.group = group;
  return a;
}

inline std::vector<ir::TensorData> runGraph(const ir::Graph &g,
                                            const std::vector<ir::TensorData> &inputs) {
  auto out = interp::run(g, inputs);
  INFO((out ? std::string() : out.error().message()));
  REQUIRE(out);
  return *out;
}

inline float maxAbsDiff(const ir::TensorData &a, const ir::TensorData &b) {
  REQUIRE(a.shape == b.shape);
  float worst = 0;
  for (int64_t k = 0; k < a.numel(); ++k)
    worst = std::max(worst, static_cast<float>(std::abs(a.get(k) - b.get(k))));
  return worst;
}

/// Runs `pass` after shape inference; checks that the graph stays valid and that its
/// outputs on random inputs move by at most `tol`.
template <typename Pass> void checkPreservesOutputs(Builder &b, Pass pass, float tol) {
  REQUIRE(passes::foldConstantsAndInferShapes(b.g));
  std::vector<ir::TensorData> inputs;
  for (size_t k = 0; k < b.g.inputs.size(); ++k)
    inputs.push_back(b.randomInput(k));
  auto before = runGraph(b.g, inputs);
  auto status = pass(b.g);
  INFO((status ? std::string() : status.error().message()));
  REQUIRE(status);
  auto valid = ir::validate(b.g);
  INFO((valid ? std::string() : valid.error().message()));
  REQUIRE(valid);
  auto after = runGraph(b.g, inputs);
  REQUIRE(before.size() == after.size());
  for (size_t k = 0; k < before.size(); ++k)
    REQUIRE(maxAbsDiff(before[k], after[k]) <= tol);
}

inline int countOps(const ir::Graph &g, ir::OpKind op) {
  int n = 0;
  for (const ir::Node &node : g.nodes)
    n += node.op == op;
  return n;
}

} // namespace rnnpoolc::testing
