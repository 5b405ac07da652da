// Constant folding fused with shape inference: one sweep in dependency order.
#include "compiler/interp/Interpreter.h"
#include "compiler/ir/ShapeInference.h"
#include "compiler/passes/Passes.h"

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

} // namespace

Status foldConstantsAndInferShapes(ir::Graph &graph) {
  RNNPOOLC_TRY(graph.sortTopologically());
  std::vector<ir::Node> kept;
  kept.reserve(graph.nodes.size());
  for (ir::Node &node : graph.nodes) {
    RNNPOOLC_TRY(ir::inferShapes(graph, node));
    if (isFoldable(graph, node)) {
      RNNPOOLC_TRY(fold(graph, node));
      continue;
    }
    kept.push_back(std::move(node));
  }
  graph.nodes = std::move(kept);
  return Status::ok();
}

} // namespace rnnpoolc::passes
