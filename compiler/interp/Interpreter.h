// The float reference interpreter: straightforward, obviously correct, and the oracle for
// every later stage (passes, quantisation, code generators).
#pragma once

#include "compiler/ir/Graph.h"

#include <functional>
#include <span>

namespace rnnpoolc::interp {

/// Computes the outputs of one node from its input values (nullptr for an omitted optional
/// input). Output shapes are computed from the actual values, so this also serves constant
/// folding. Float math is float32, in the order a naive loop nest gives; elementwise
/// activations call ir::applyActivation so that fused and unfused graphs agree exactly.
Expected<std::vector<ir::TensorData>> evaluate(const ir::Node &node,
                                               std::span<const ir::TensorData *const> inputs);

/// Called after each node with the node and its output values (e.g. for calibration).
using Observer = std::function<void(const ir::Node &, std::span<const ir::TensorData>)>;

/// Runs a whole graph. `inputs` are in the order of graph.inputs and must match their
/// dtypes and shapes; returns the values of graph.outputs in order.
Expected<std::vector<ir::TensorData>> run(const ir::Graph &graph,
                                          const std::vector<ir::TensorData> &inputs,
                                          const Observer &observer = nullptr);

} // namespace rnnpoolc::interp
