// Human-readable listing of a graph, for debugging and golden tests.
#pragma once

#include "compiler/ir/Graph.h"

#include <string>

namespace rnnpoolc::ir {

/// One line per graph input, node and output, e.g.
///   %conv1_out: float32[1x8x16x16] = Conv(%x, %w, %b) {kernel=3x3 strides=1x1 ...}  # conv1
std::string printGraph(const Graph &graph);
/// The attributes of a node as "key=value" pairs separated by spaces ("" when none).
std::string printAttrs(const Node &node);

} // namespace rnnpoolc::ir
