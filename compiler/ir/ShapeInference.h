// Static shape and dtype inference, one op at a time.
#pragma once

#include "compiler/ir/Graph.h"

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

/// Spatial output size of a sliding window (Conv, pooling) along one axis:
/// floor or ceil of (in + padBegin + padEnd - dilation*(kernel-1) - 1) / stride, plus 1.
int64_t slidingOutputSize(int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                          int64_t padBegin, int64_t padEnd, bool ceilMode);

/// Numpy multidirectional broadcast of two shapes, or nullopt if they are incompatible.
std::optional<Shape> broadcastShapes(const Shape &a, const Shape &b);

} // namespace rnnpoolc::ir
