// Finds the unrolled steps of FastGRNN cells in a graph by their algebra:
//   h' = z*h + (sigmoid(zeta)*(1 - z) + sigmoid(nu)) * c
//   z  = gate(pre + b_z),  c = update(pre + b_h),  pre = x W (+ h U)
// with W and U full-rank or products of two factors, sigmoid(zeta) and sigmoid(nu) folded
// to scalar constants, and additions and products in either operand order.
#pragma once

#include "compiler/ir/Graph.h"

#include <optional>
#include <string>

namespace rnnpoolc::passes {

/// A nonlinearity applied in a cell; `kind` is empty when the op is not one RNNPool
/// supports (then `opName` says what it was, for the near-miss report).
struct CellNonlinearity {
  std::optional<ir::RnnNonlinearity> kind;
  std::string opName;
};

/// One unrolled step of a FastGRNN cell.
struct FastGrnnStep {
  ir::TensorId out = ir::kNoTensor; ///< h'
  ir::TensorId x = ir::kNoTensor;   ///< the step's input, [B, in]
  /// The previous state; kNoTensor when it is a constant zero (the first step).
  ir::TensorId h = ir::kNoTensor;
  ir::TensorId w[2] = {ir::kNoTensor, ir::kNoTensor}; ///< W, or W1 and W2
  /// U, or U1 and U2; u[0] is kNoTensor when the step has no h U term (h = 0).
  ir::TensorId u[2] = {ir::kNoTensor, ir::kNoTensor};
  ir::TensorId bz = ir::kNoTensor, bh = ir::kNoTensor;
  float zetaSigmoid = 0, nuSigmoid = 0;
  CellNonlinearity gate, update;
  std::vector<size_t> nodes; ///< The step's arithmetic nodes.
};

/// Every FastGRNN step in `graph` (shapes must be known), in node order.
std::vector<FastGrnnStep> findFastGrnnSteps(const ir::Graph &graph);

} // namespace rnnpoolc::passes
