// Structural invariants of a graph, checked between passes.
#pragma once

#include "compiler/ir/Graph.h"

namespace rnnpoolc::ir {

/// Checks that: tensor ids are in range and names unique; every tensor is produced at
/// most once, never a constant or graph input; nodes are in topological order and every
/// non-optional input is defined before use; operand counts match arityOf(); the attribute
/// struct matches the op; every tensor has a known shape with no negative dims; graph
/// outputs are defined. Returns the first violation.
Status validate(const Graph &graph);

} // namespace rnnpoolc::ir
