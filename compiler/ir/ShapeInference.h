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

namespace rnnpoolc::ir::detail {

// Shared by the ShapeInference*.cpp files (one per op family); not for use elsewhere.

/// No tensor may have more elements than this, nor a dim larger than it: a hostile shape
/// becomes an error instead of an overflow or an allocation failure later on.
constexpr int64_t kMaxElements = int64_t{1} << 31;

/// The i-th input of `node`, which must be present.
const Tensor &inputOf(const Graph &graph, const Node &node, size_t i);
/// Whether the optional i-th input of `node` is present.
inline bool hasInput(const Node &node, size_t i) {
  return node.input(i) != kNoTensor;
}
/// Checks `shape` (dims in [0, kMaxElements], at most kMaxElements elements) and stores
/// it with `dtype` in the k-th output, marking the shape known.
Status setOutput(Graph &graph, const Node &node, size_t k, DType dtype, Shape shape);
/// Whether `type` is one of the DType enumerators (a corrupt value is not).
bool isValidDType(DType type);
/// Errors unless input i holds integers (not float, not bool); `what` names the operand.
Status requireIntegerInput(const Graph &graph, const Node &node, size_t i,
                           std::string_view what);
/// The values of input i, which must be a constant integer scalar or 1-D tensor: the form
/// of shape, axes, pads and repeats operands. `what` names the operand in errors.
Status constantInts(const Graph &graph, const Node &node, size_t i, std::string_view what,
                    Ints &values);
/// A list of ints for messages, e.g. "[2, -1]" (toString is for shapes).
std::string formatInts(const Ints &values);
/// Normalises every axis of `axes` against `rank`; errors on out-of-range or repeated axes.
Status normalizeAxes(const Node &node, Ints &axes, int64_t rank, std::string_view what);
/// Normalises an axis attribute in place against `rank`, or errors.
Status normalizeAxisAttr(const Node &node, int64_t &axis, int64_t rank);

/// Shape inference of one op family; each handles the ops its file lists.
Status inferComputeOp(Graph &graph, Node &node);  // ShapeInferenceCompute.cpp
Status inferLayoutOp(Graph &graph, Node &node);   // ShapeInferenceLayout.cpp
Status inferPlumbingOp(Graph &graph, Node &node); // ShapeInferencePlumbing.cpp
Status inferRNNPool(Graph &graph, Node &node);    // ShapeInferenceRNNPool.cpp
Status inferQuantOp(Graph &graph, Node &node);    // ShapeInferenceQuant.cpp

} // namespace rnnpoolc::ir::detail
