// Shape inference of QuantizeLinear and DequantizeLinear: the integer types ONNX allows,
// per-tensor or per-axis scales and zero points, and scales that can be divided by.
#include "compiler/ir/ShapeInference.h"

#include <cmath>

namespace rnnpoolc::ir::detail {
namespace {

bool isQuantType(DType type) {
  return type == DType::Int8 || type == DType::UInt8;
}

/// Checks the scale and zero point of a (de)quantisation of `x` against each other and
/// against x; normalises the node's axis when the parameters are per axis.
Status checkParams(const Graph &graph, Node &node, const Tensor &x) {
  const Tensor &scale = inputOf(graph, node, 1);
  if (scale.dtype != DType::Float32)
    return nodeError(node, "scale must be float32, not {}", name(scale.dtype));
  if (scale.shape.size() > 1)
    return nodeError(node, "scale must be a scalar or 1-D, not {}", toString(scale.shape));
  const int64_t count = numel(scale.shape);
  if (scale.shape.size() == 1 && count != 1) { // per axis
    int64_t &axis = node.attr<AxisAttrs>().axis;
    RNNPOOLC_TRY(normalizeAxisAttr(node, axis, static_cast<int64_t>(x.shape.size())));
    if (count != x.shape[static_cast<size_t>(axis)])
      return nodeError(node,
                       "scale has {} values, but axis {} of input '{}' {} has {}; give one "
                       "scale per channel of the axis or a scalar",
                       count, axis, x.name, toString(x.shape),
                       x.shape[static_cast<size_t>(axis)]);
  }
  if (scale.isConstant())
    for (int64_t k = 0; k < count; ++k) {
      double s = scale.data->get(k);
      if (!(s > 0) || !std::isfinite(s))
        return nodeError(node,
                         "scale value {} (at index {}) must be positive and finite; fix the "
                         "model's quantisation parameters",
                         s, k);
    }
  if (!hasInput(node, 2))
    return Status::ok();
  const Tensor &zp = inputOf(graph, node, 2);
  if (!isQuantType(zp.dtype) && !(zp.dtype == DType::Int32 && x.dtype == DType::Int32))
    return nodeError(node,
                     "zero point has type {}; {} supports int8 and uint8 (and int32 to "
                     "dequantise int32 biases)",
                     name(zp.dtype), opName(node.op));
  if (numel(zp.shape) != count || zp.shape.size() > 1)
    return nodeError(node, "zero point has shape {} but scale has shape {}; they must match",
                     toString(zp.shape), toString(scale.shape));
  return Status::ok();
}

Status inferQuantize(Graph &graph, Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  if (x.dtype != DType::Float32 && x.dtype != DType::Int32)
    return nodeError(node, "input '{}' must be float32 or int32, not {}", x.name,
                     name(x.dtype));
  RNNPOOLC_TRY(checkParams(graph, node, x));
  DType out = hasInput(node, 2) ? inputOf(graph, node, 2).dtype : DType::UInt8;
  if (!isQuantType(out))
    return nodeError(node, "quantises to {}; use an int8 or uint8 zero point", name(out));
  return setOutput(graph, node, 0, out, x.shape);
}

Status inferDequantize(Graph &graph, Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  if (!isQuantType(x.dtype) && x.dtype != DType::Int32)
    return nodeError(node,
                     "input '{}' has type {}; DequantizeLinear supports int8, uint8 and "
                     "int32",
                     x.name, name(x.dtype));
  RNNPOOLC_TRY(checkParams(graph, node, x));
  if (hasInput(node, 2) && inputOf(graph, node, 2).dtype != x.dtype)
    return nodeError(node, "zero point has type {} but input '{}' has type {}; they must match",
                     name(inputOf(graph, node, 2).dtype), x.name, name(x.dtype));
  return setOutput(graph, node, 0, DType::Float32, x.shape);
}

} // namespace

Status inferQuantOp(Graph &graph, Node &node) {
  if (node.op == OpKind::QuantizeLinear)
    return inferQuantize(graph, node);
  return inferDequantize(graph, node);
}

} // namespace rnnpoolc::ir::detail
