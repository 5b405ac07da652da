// Constant folding fused with shape inference: one sweep in dependency order.
#include "compiler/interp/Interpreter.h"
#include "compiler/ir/ShapeInference.h"
#include "compiler/passes/Passes.h"
#include "compiler/support/Limits.h"

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
      continue;
    }
    kept.push_back(std::move(node));
  }
  graph.nodes = std::move(kept);
  return Status::ok();
}

} // namespace rnnpoolc::passes
