// Helpers for the interpreter's unit tests: building single nodes and tensors, evaluating
// them, and checking exact values or error messages.
#pragma once

#include "compiler/interp/Interpreter.h"

#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>
#include <vector>

namespace rnnpoolc::testing {

inline ir::TensorData floats(ir::Shape shape, std::vector<float> values) {
  return ir::TensorData::fromFloats(std::move(shape), std::move(values));
}

inline ir::TensorData ints(ir::Shape shape, std::vector<int64_t> values,
                           ir::DType dtype = ir::DType::Int64) {
  return ir::TensorData::fromInts(dtype, std::move(shape), std::move(values));
}

/// A 1-D int64 tensor, the usual form of shape, axes and pads operands.
inline ir::TensorData list(std::vector<int64_t> values) {
  auto n = static_cast<int64_t>(values.size());
  return ir::TensorData::fromInts(ir::DType::Int64, {n}, std::move(values));
}

/// 0, 1, 2, ... as floats, in the given shape.
inline ir::TensorData iota(ir::Shape shape) {
  std::vector<float> values(static_cast<size_t>(ir::numel(shape)));
  for (size_t k = 0; k < values.size(); ++k)
    values[k] = static_cast<float>(k);
  return floats(std::move(shape), std::move(values));
}

/// A node named "n" with `outputs` outputs; default attributes unless given.
inline ir::Node makeNode(ir::OpKind op, ir::Attrs attrs = ir::NoAttrs{}, int outputs = 1) {
  ir::Node node;
  // Move-assigned: copying a literal here trips a false -Wrestrict in GCC 12 at -O2.
  node.name = std::string("n");
  node.op = op;
  node.attrs = std::holds_alternative<ir::NoAttrs>(attrs) ? ir::defaultAttrs(op) : attrs;
  for (int k = 0; k < outputs; ++k)
    node.outputs.push_back(k);
  return node;
}

inline Expected<std::vector<ir::TensorData>>
evalNode(const ir::Node &node, std::initializer_list<const ir::TensorData *> inputs) {
  std::vector<const ir::TensorData *> args(inputs);
  return interp::evaluate(node, args);
}

/// Evaluates a node that must succeed; returns all its outputs.
inline std::vector<ir::TensorData>
evalAll(const ir::Node &node, std::initializer_list<const ir::TensorData *> inputs) {
  auto out = evalNode(node, inputs);
  INFO((out ? std::string() : out.error().message()));
  REQUIRE(out);
  return *out;
}

/// Evaluates a single-output node that must succeed.
inline ir::TensorData eval1(const ir::Node &node,
                            std::initializer_list<const ir::TensorData *> inputs) {
  std::vector<ir::TensorData> out = evalAll(node, inputs);
  REQUIRE(out.size() == 1);
  return out[0];
}

/// Evaluates a node that must fail; returns the message, which must name the node.
inline std::string evalError(const ir::Node &node,
                             std::initializer_list<const ir::TensorData *> inputs) {
  auto out = evalNode(node, inputs);
  REQUIRE_FALSE(out);
  const std::string &message = out.error().message();
  INFO(message);
  REQUIRE(message.find("node 'n'") != std::string::npos);
  return message;
}

inline bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

/// Checks dtype, shape and exact float values.
inline void requireFloats(const ir::TensorData &t, const ir::Shape &shape,
                          const std::vector<float> &values) {
  REQUIRE(t.dtype == ir::DType::Float32);
  REQUIRE(t.shape == shape);
  REQUIRE(t.f == values);
}

/// Checks dtype, shape and exact integer values.
inline void requireInts(const ir::TensorData &t, ir::DType dtype, const ir::Shape &shape,
                        const std::vector<int64_t> &values) {
  REQUIRE(t.dtype == dtype);
  REQUIRE(t.shape == shape);
  REQUIRE(t.i == values);
}

} // namespace rnnpoolc::testing
