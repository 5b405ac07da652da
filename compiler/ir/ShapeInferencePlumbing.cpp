// Shape inference of the ops whose output shape comes from operand values: Pad, Resize, Expand,
// Tile, Shape, Range and ConstantOfShape. Those operands must be constants.
#include "compiler/ir/Resize.h"
#include "compiler/ir/ShapeInference.h"

#include <cmath>

namespace rnnpoolc::ir::detail {
namespace {

Status inferPad(Graph &graph, const Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  PadMode mode = node.attr<PadAttrs>().mode;
  size_t rank = x.shape.size();
  Ints pads;
  RNNPOOLC_TRY(constantInts(graph, node, 1, "pads", pads));
  if (pads.size() != 2 * rank)
    return nodeError(node,
                     "pads has {} values; an input of rank {} needs {} (begins, then "
                     "ends)",
                     pads.size(), rank, 2 * rank);
  if (hasInput(node, 2) && numel(inputOf(graph, node, 2).shape) > 1)
    return nodeError(node, "pad value must be a scalar, not {}",
                     toString(inputOf(graph, node, 2).shape));
  Shape out = x.shape;
  for (size_t d = 0; d < rank; ++d) {
    int64_t begin = pads[d], end = pads[d + rank], dim = x.shape[d];
    if (begin < -kMaxElements || begin > kMaxElements || end < -kMaxElements ||
        end > kMaxElements)
      return nodeError(node, "pads {} are too large", formatInts(pads));
    out[d] = dim + begin + end;
    if (out[d] < 0)
      return nodeError(node, "pads {},{} on axis {} of size {} leave a negative size", begin,
                       end, d, dim);
    if (mode == PadMode::Reflect && (begin >= dim || end >= dim) && (begin > 0 || end > 0))
      return nodeError(node, "reflect pads {},{} on axis {} must be smaller than its size {}",
                       begin, end, d, dim);
    if (mode == PadMode::Edge && dim == 0 && (begin > 0 || end > 0))
      return nodeError(node, "edge padding cannot extend axis {} of size 0", d);
  }
  return setOutput(graph, node, 0, x.dtype, std::move(out));
}

Status inferExpand(Graph &graph, const Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  Ints shape;
  RNNPOOLC_TRY(constantInts(graph, node, 1, "shape", shape));
  for (int64_t d : shape)
    if (d < 0 || d > kMaxElements)
      return nodeError(node, "shape {} has an invalid dim {}", formatInts(shape), d);
  auto out = broadcastShapes(x.shape, shape);
  if (!out)
    return nodeError(node, "cannot expand {} to {}: dims must be equal or 1", toString(x.shape),
                     formatInts(shape));
  return setOutput(graph, node, 0, x.dtype, std::move(*out));
}

Status inferTile(Graph &graph, const Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  Ints repeats;
  RNNPOOLC_TRY(constantInts(graph, node, 1, "repeats", repeats));
  if (repeats.size() != x.shape.size())
    return nodeError(node, "repeats has {} values for an input of rank {}", repeats.size(),
                     x.shape.size());
  Shape out = x.shape;
  for (size_t d = 0; d < out.size(); ++d) {
    if (repeats[d] < 0 || repeats[d] > kMaxElements)
      return nodeError(node, "repeat count {} is out of range", repeats[d]);
    out[d] *= repeats[d]; // Both factors are at most 2^31: no overflow.
  }
  return setOutput(graph, node, 0, x.dtype, std::move(out));
}

Status inferShapeOp(Graph &graph, const Node &node) {
  auto rank = static_cast<int64_t>(inputOf(graph, node, 0).shape.size());
  const auto &attrs = node.attr<ShapeAttrs>();
  auto clampToRank = [rank](int64_t v) {
    if (v < 0)
      v = v < -rank ? 0 : v + rank;
    return std::min(v, rank);
  };
  int64_t start = clampToRank(attrs.start), end = clampToRank(attrs.end.value_or(rank));
  return setOutput(graph, node, 0, DType::Int64, {std::max<int64_t>(end - start, 0)});
}

/// Reads input i, which must be a constant with one element.
Status constantScalar(const Graph &graph, const Node &node, size_t i, std::string_view what,
                      const TensorData *&value) {
  const Tensor &t = inputOf(graph, node, i);
  if (!t.isConstant())
    return nodeError(node,
                     "{} {} is not a constant (computed at run time); rnnpoolc needs "
                     "static shapes: export with fixed input sizes",
                     opName(node.op), what);
  if (numel(t.shape) != 1 || t.data->numel() != 1)
    return nodeError(node, "{} must be a scalar, not {}", what, toString(t.shape));
  if (t.dtype == DType::Bool)
    return nodeError(node, "{} must be a number, not bool", what);
  value = t.data.get();
  return Status::ok();
}

/// ceil(diff / delta) for delta != 0, exactly, in 128 bits.
__int128 ceilDiv(__int128 diff, __int128 delta) {
  __int128 q = diff / delta;
  return (diff % delta != 0 && ((diff > 0) == (delta > 0))) ? q + 1 : q;
}

Status inferRange(Graph &graph, const Node &node) {
  const TensorData *start = nullptr, *limit = nullptr, *delta = nullptr;
  RNNPOOLC_TRY(constantScalar(graph, node, 0, "start", start));
  RNNPOOLC_TRY(constantScalar(graph, node, 1, "limit", limit));
  RNNPOOLC_TRY(constantScalar(graph, node, 2, "delta", delta));
  DType type = start->dtype;
  if (limit->dtype != type || delta->dtype != type)
    return nodeError(node, "start, limit and delta must have one element type; got {}, {}, {}",
                     name(type), name(limit->dtype), name(delta->dtype));
  if (delta->get(0) == 0)
    return nodeError(node, "delta is 0; the range would never end");
  int64_t count = 0;
  if (isFloat(type)) {
    double n = std::ceil((limit->get(0) - start->get(0)) / delta->get(0));
    if (!std::isfinite(n))
      return nodeError(node, "start, limit and delta must be finite");
    if (n > static_cast<double>(kMaxElements))
      return nodeError(node, "output would have {} elements; more than 2^31 is not supported",
                       n);
    count = n > 0 ? static_cast<int64_t>(n) : 0;
  } else {
    __int128 diff = static_cast<__int128>(limit->i[0]) - start->i[0];
    __int128 n = ceilDiv(diff, delta->i[0]);
    if (n > kMaxElements)
      return nodeError(node, "output would have {} elements; more than 2^31 is not supported",
                       static_cast<double>(n));
    count = n > 0 ? static_cast<int64_t>(n) : 0;
  }
  return setOutput(graph, node, 0, type, {count});
}

Status inferConstantOfShape(Graph &graph, const Node &node) {
  DType type = node.attr<ConstantOfShapeAttrs>().dtype;
  if (!isValidDType(type))
    return nodeError(node, "value type {} is unknown", static_cast<int>(type));
  Ints shape;
  RNNPOOLC_TRY(constantInts(graph, node, 0, "shape", shape));
  for (int64_t d : shape)
    if (d < 0)
      return nodeError(node, "shape {} has a negative dim", formatInts(shape));
  return setOutput(graph, node, 0, type, shape);
}

Status inferResize(Graph &graph, const Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  if (!isFloat(x.dtype))
    return nodeError(node, "Resize takes a float input, not {}", name(x.dtype));
  auto out = resizeOutputShape(graph, node);
  if (!out)
    return out.error();
  return setOutput(graph, node, 0, x.dtype, std::move(*out));
}

} // namespace

Status inferPlumbingOp(Graph &graph, Node &node) {
  switch (node.op) {
  case OpKind::Pad:
    return inferPad(graph, node);
  case OpKind::Resize:
    return inferResize(graph, node);
  case OpKind::Expand:
    return inferExpand(graph, node);
  case OpKind::Tile:
    return inferTile(graph, node);
  case OpKind::Shape:
    return inferShapeOp(graph, node);
  case OpKind::Range:
    return inferRange(graph, node);
  case OpKind::ConstantOfShape:
    return inferConstantOfShape(graph, node);
  default:
    return nodeError(node, "internal: not a shape plumbing op");
  }
}

} // namespace rnnpoolc::ir::detail
