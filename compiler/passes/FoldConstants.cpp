// Constant folding fused with shape inference: one sweep in dependency order. A folded
// constant read only by broadcasting elementwise ops is then kept at its smallest shape
// (an Expand of a [1, C, 1, 1] scale to the map's size stays [1, C, 1, 1]).
#include "compiler/interp/Interpreter.h"
#include "compiler/ir/ShapeInference.h"
#include "compiler/passes/PassUtil.h"
#include "compiler/passes/Passes.h"
#include "compiler/support/Limits.h"

#include <set>

namespace rnnpoolc::passes {
namespace {

/// Folding materialises values; past this many elements a tensor is better computed at
/// run time than stored in flash.
constexpr int64_t kMaxFoldedElements = int64_t{1} << 22;

bool isFoldable(const ir::Graph &graph, const ir::Node &node) {
  for (ir::TensorId out : node.outputs)
    if (ir::numel(graph.tensor(out).shape) > kMaxFoldedElements)
      return false;
  // A Shape only needs its input's shape, which inference has just established.
  if (node.op == ir::OpKind::Shape)
    return true;
  // Left to foldDequantizedConstants, which keeps the integers and their parameters.
  if (node.op == ir::OpKind::DequantizeLinear)
    return false;
  for (ir::TensorId in : node.inputs)
    if (in != ir::kNoTensor && !graph.tensor(in).isConstant())
      return false;
  return true;
}

Status fold(ir::Graph &graph, const ir::Node &node) {
  std::vector<const ir::TensorData *> args;
  ir::TensorData shapeOnly; // Shape reads no values: give it an empty stand-in.
  for (ir::TensorId in : node.inputs) {
    if (in == ir::kNoTensor) {
      args.push_back(nullptr);
    } else if (const ir::Tensor &t = graph.tensor(in); t.isConstant()) {
      args.push_back(t.data.get());
    } else {
      shapeOnly.dtype = t.dtype;
      shapeOnly.shape = t.shape;
      args.push_back(&shapeOnly);
    }
  }
  auto values = interp::evaluate(node, args);
  if (!values)
    return values.error();
  for (size_t k = 0; k < node.outputs.size(); ++k) {
    ir::Tensor &out = graph.tensor(node.outputs[k]);
    ir::TensorData &value = (*values)[k];
    if (value.shape != out.shape || value.dtype != out.dtype)
      return ir::nodeError(node, "internal: folded value {} {} disagrees with inferred {} {}",
                           ir::name(value.dtype), ir::toString(value.shape),
                           ir::name(out.dtype), ir::toString(out.shape));
    out.data = std::make_shared<const ir::TensorData>(std::move(value));
  }
  return Status::ok();
}

/// Ops that broadcast every input against the others (numpy style), so that a constant
/// input can be any shape that broadcasts to the same output: the binary ops that may also
/// run in place (Add, Sub, Mul, Div, Max, Min), whose backend kernels take per-channel and
/// per-pixel operands. Pow, Sum and the comparisons keep their constants' shapes.
bool broadcastsInputs(ir::OpKind op) {
  const ir::OpProperties &p = ir::propertiesOf(op);
  return p.family == ir::OpFamily::Binary && p.inPlace;
}

/// Whether every element of `d` equals its neighbour at index 0 along `axis`.
bool constantAlong(const ir::TensorData &d, size_t axis) {
  const std::vector<int64_t> strides = ir::stridesOf(d.shape);
  const int64_t stride = strides[axis], extent = d.shape[axis], block = stride * extent;
  for (int64_t k = 0; k < d.numel(); ++k)
    if ((k % block) >= stride && d.get(k) != d.get(k - (k % block) + (k % stride)))
      return false;
  return true;
}

/// `d` with `axis` cut down to its first index.
ir::TensorData firstAlong(const ir::TensorData &d, size_t axis) {
  ir::TensorData out;
  out.dtype = d.dtype;
  out.shape = d.shape;
  out.shape[axis] = 1;
  const std::vector<int64_t> strides = ir::stridesOf(d.shape);
  const int64_t stride = strides[axis], block = stride * d.shape[axis];
  for (int64_t k = 0; k < d.numel(); ++k) {
    if ((k % block) >= stride)
      continue;
    if (ir::isFloat(d.dtype))
      out.f.push_back(d.f[k]);
    else
      out.i.push_back(d.i[k]);
  }
  return out;
}

/// Whether every reader of `t` would compute the same output shape if `t` were 1 along
/// `axis` (another input of the reader spans that axis fully).
bool readersKeepShape(const ir::Graph &graph, const std::vector<size_t> &readers,
                      ir::TensorId t, size_t axis) {
  const ir::Shape &shape = graph.tensor(t).shape;
  for (size_t r : readers) {
    const ir::Node &node = graph.nodes[r];
    const ir::Shape &outShape = graph.tensor(node.outputs[0]).shape;
    const size_t fromEnd = shape.size() - axis; // right-aligned, as broadcasting is
    bool covered = false;
    for (ir::TensorId in : node.inputs) {
      if (in == t || in == ir::kNoTensor)
        continue;
      const ir::Shape &other = graph.tensor(in).shape;
      covered =
          covered || (other.size() >= fromEnd && other[other.size() - fromEnd] == shape[axis]);
    }
    if (!covered || outShape.size() < shape.size())
      return false;
  }
  return true;
}

/// Shrinks each folded constant that only broadcasting ops read to its smallest shape:
/// every axis along which its values do not change, and which another input of each reader
/// spans, becomes 1. Saves flash, and lets per-channel kernels see a per-channel operand.
void shrinkBroadcastConstants(ir::Graph &graph, const std::set<ir::TensorId> &folded) {
  auto consumers = graph.consumers();
  for (ir::TensorId t : folded) {
    ir::Tensor &tensor = graph.tensor(t);
    const std::vector<size_t> &readers = consumers[static_cast<size_t>(t)];
    if (readers.empty() || isGraphOutput(graph, t) || tensor.shape.size() < 1)
      continue;
    bool onlyBroadcast = std::all_of(readers.begin(), readers.end(), [&](size_t r) {
      return broadcastsInputs(graph.nodes[r].op);
    });
    if (!onlyBroadcast)
      continue;
    ir::TensorData value = *tensor.data;
    for (size_t axis = 0; axis < value.shape.size(); ++axis)
      if (value.shape[axis] > 1 && readersKeepShape(graph, readers, t, axis) &&
          constantAlong(value, axis))
        value = firstAlong(value, axis);
    if (value.shape == tensor.shape)
      continue;
    tensor.shape = value.shape;
    tensor.data = std::make_shared<const ir::TensorData>(std::move(value));
  }
}

/// Bytes a tensor of `shape` takes in the compiler: float32, or int64 for integers.
int64_t hostBytes(const ir::Tensor &t) {
  return ir::numel(t.shape) * (ir::isFloat(t.dtype) ? 4 : 8);
}

} // namespace

Status foldConstantsAndInferShapes(ir::Graph &graph) {
  RNNPOOLC_TRY(graph.sortTopologically());
  // The documented limits (docs/cli.md), checked as soon as a shape is known: before any
  // kernel computes a tensor that large, and before folding piles up constants.
  int64_t constantBytes = 0;
  for (size_t t = 0; t < graph.numTensors(); ++t)
    if (const ir::Tensor &tensor = graph.tensor(static_cast<ir::TensorId>(t)); tensor.isConstant())
      constantBytes += hostBytes(tensor);
  std::vector<ir::Node> kept;
  kept.reserve(graph.nodes.size());
  std::set<ir::TensorId> folded;
  for (ir::Node &node : graph.nodes) {
    RNNPOOLC_TRY(ir::inferShapes(graph, node));
    int64_t outputBytes = 0;
    for (ir::TensorId out : node.outputs) {
      const ir::Tensor &t = graph.tensor(out);
      if (ir::numel(t.shape) > limits::kMaxTensorElements)
        return ir::nodeError(node,
                             "output '{}' would have {} elements ({}); the limit is {} "
                             "elements per tensor (docs/cli.md, Limits)",
                             t.name, ir::numel(t.shape), ir::toString(t.shape),
                             limits::kMaxTensorElements);
      outputBytes += hostBytes(t);
    }
    if (isFoldable(graph, node)) {
      constantBytes += outputBytes;
      if (constantBytes > limits::kMaxConstantBytes)
        return ir::nodeError(node,
                             "folding it makes the model's constants exceed {} bytes; the "
                             "limit is {} bytes of constants (docs/cli.md, Limits)",
                             limits::kMaxConstantBytes, limits::kMaxConstantBytes);
      RNNPOOLC_TRY(fold(graph, node));
      folded.insert(node.outputs.begin(), node.outputs.end());
      continue;
    }
    kept.push_back(std::move(node));
  }
  graph.nodes = std::move(kept);
  shrinkBroadcastConstants(graph, folded);
  return Status::ok();
}

} // namespace rnnpoolc::passes
