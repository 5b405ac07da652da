// Structural checks on an ONNX graph before the ONNX checker sees it: names, producers,
// cycles and order. They give clearer messages than the checker for the same faults.
#pragma once

#include "compiler/support/Error.h"

#include <onnx/onnx_pb.h>

namespace rnnpoolc::onnx_frontend {

/// Names every unnamed node "<OpType>_<index>" (index = position in the file), made
/// unique against the other node names, so that every later message can name it.
void nameUnnamedNodes(onnx::GraphProto &graph);

/// Checks that every node input and graph output is produced by exactly one node,
/// initializer or graph input, and that the graph is acyclic; then reorders the nodes
/// topologically (stable: an already sorted graph keeps its order), since some exporters
/// write valid graphs out of order.
Status checkAndSortGraph(onnx::GraphProto &graph);

} // namespace rnnpoolc::onnx_frontend
