// Shape inference of RNNPool: checks the attributes and every weight operand against the
// shapes the attributes imply, and computes [N, 4*h2, (H-r)/sh+1, (W-c)/sw+1].
#include "compiler/ir/ShapeInference.h"

namespace rnnpoolc::ir::detail {
namespace {

/// Errors unless input i is a float32 constant of exactly `shape`.
Status requireWeight(const Graph &graph, const Node &node, size_t i, std::string_view what,
                     const Shape &shape) {
  if (!hasInput(node, i))
    return nodeError(node, "{} (input {}) is missing", what, i);
  const Tensor &t = inputOf(graph, node, i);
  if (!t.isConstant())
    return nodeError(node, "{} (input {}, '{}') must be a constant", what, i, t.name);
  if (t.dtype != DType::Float32)
    return nodeError(node, "{} (input {}) must be float32, not {}", what, i, name(t.dtype));
  if (t.shape != shape)
    return nodeError(node, "{} (input {}) must have shape {}, not {}", what, i,
                     toString(shape), toString(t.shape));
  return Status::ok();
}

/// Errors unless input i is a float32 constant holding `count` values as [count] or
/// [1, count] (a scalar also passes for count 1).
Status requireVector(const Graph &graph, const Node &node, size_t i, std::string_view what,
                     int64_t count) {
  if (!hasInput(node, i))
    return nodeError(node, "{} (input {}) is missing", what, i);
  const Tensor &t = inputOf(graph, node, i);
  if (!t.isConstant())
    return nodeError(node, "{} (input {}, '{}') must be a constant", what, i, t.name);
  if (t.dtype != DType::Float32)
    return nodeError(node, "{} (input {}) must be float32, not {}", what, i, name(t.dtype));
  bool ok = t.shape == Shape{count} || t.shape == Shape{1, count} ||
            (count == 1 && (t.shape.empty() || t.shape == Shape{1, 1}));
  if (!ok)
    return nodeError(node, "{} (input {}) must have {} value{} ([{}] or [1x{}]), not {}", what,
                     i, count, count == 1 ? "" : "s", count, count, toString(t.shape));
  return Status::ok();
}

/// Checks one cell's attributes and operands for input size `in`.
Status checkCell(const Graph &graph, const Node &node, const FastGrnnAttrs &cell,
                 std::string_view label, size_t first, int64_t in) {
  int64_t h = cell.hidden;
  if (h <= 0)
    return nodeError(node, "{} hidden size must be positive, not {}", label, h);
  if (cell.rankW < 0 || cell.rankU < 0)
    return nodeError(node, "{} ranks must be >= 0, not {} and {}", label, cell.rankW,
                     cell.rankU);
  FastGrnnOperands ops = fastGrnnOperands(cell, first);
  std::string l(label);
  if (cell.rankW > 0) {
    RNNPOOLC_TRY(requireWeight(graph, node, ops.w[0], l + " W1", {in, cell.rankW}));
    RNNPOOLC_TRY(requireWeight(graph, node, ops.w[1], l + " W2", {cell.rankW, h}));
  } else {
    RNNPOOLC_TRY(requireWeight(graph, node, ops.w[0], l + " W", {in, h}));
  }
  if (cell.rankU > 0) {
    RNNPOOLC_TRY(requireWeight(graph, node, ops.u[0], l + " U1", {h, cell.rankU}));
    RNNPOOLC_TRY(requireWeight(graph, node, ops.u[1], l + " U2", {cell.rankU, h}));
  } else {
    RNNPOOLC_TRY(requireWeight(graph, node, ops.u[0], l + " U", {h, h}));
  }
  RNNPOOLC_TRY(requireVector(graph, node, ops.bz, l + " b_z", h));
  RNNPOOLC_TRY(requireVector(graph, node, ops.bh, l + " b_h", h));
  RNNPOOLC_TRY(requireVector(graph, node, ops.zeta, l + " zeta", 1));
  return requireVector(graph, node, ops.nu, l + " nu", 1);
}

} // namespace

Status inferRNNPool(Graph &graph, Node &node) {
  const auto &a = node.attr<RNNPoolAttrs>();
  const Tensor &x = inputOf(graph, node, 0);
  if (x.dtype != DType::Float32)
    return nodeError(node, "input must be float32, not {}", name(x.dtype));
  if (x.shape.size() != 4)
    return nodeError(node, "input must be N x k x H x W, not {}", toString(x.shape));
  if (a.patch.size() != 2 || a.stride.size() != 2)
    return nodeError(node, "patch and stride must have 2 values each, not {} and {}",
                     a.patch.size(), a.stride.size());
  for (size_t d = 0; d < 2; ++d) {
    if (a.patch[d] <= 0 || a.stride[d] <= 0)
      return nodeError(node, "patch {} and stride {} must be positive",
                       formatInts(a.patch), formatInts(a.stride));
    if (a.patch[d] > x.shape[2 + d])
      return nodeError(node, "patch {} does not fit the input {}", formatInts(a.patch),
                       toString(x.shape));
  }
  size_t expected = rnnPoolInputCount(a);
  if (node.inputs.size() != expected)
    return nodeError(node, "has {} inputs; ranks {},{} / {},{} need {}", node.inputs.size(),
                     a.rnn1.rankW, a.rnn1.rankU, a.rnn2.rankW, a.rnn2.rankU, expected);
  RNNPOOLC_TRY(checkCell(graph, node, a.rnn1, "rnn1", 1, x.shape[1]));
  RNNPOOLC_TRY(checkCell(graph, node, a.rnn2, "rnn2", fastGrnnOperands(a.rnn1, 1).end,
                         a.rnn1.hidden));
  Shape out{x.shape[0], 4 * a.rnn2.hidden, (x.shape[2] - a.patch[0]) / a.stride[0] + 1,
            (x.shape[3] - a.patch[1]) / a.stride[1] + 1};
  return setOutput(graph, node, 0, DType::Float32, std::move(out));
}

} // namespace rnnpoolc::ir::detail
