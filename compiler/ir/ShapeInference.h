// Static shape and dtype inference, one op at a time.
#pragma once

#include "compiler/ir/Graph.h"
#include "compiler/ir/ShapeUtil.h"

namespace rnnpoolc::ir {

/// Sets dtype, shape and shapeKnown of every output of `node` from its inputs, which must
/// all have known shapes. Parameters that determine a shape (Reshape's shape, Slice's
/// starts, Pad's pads, ...) must be constants; a non-constant one is an error naming the
/// node and the operand. Also checks the node against its inputs: ranks, dims that must
/// agree (Conv channels vs weights, MatMul inner dims, broadcasting, Concat dims), axes in
/// range, attribute values that make sense (positive strides and kernels, group dividing
/// the channels, ...), and normalises negative axes in attributes. Every problem is an
/// Error from nodeError().
Status inferShapes(Graph &graph, Node &node);

} // namespace rnnpoolc::ir
