// Folds DequantizeLinear of an integer constant (the int8 weights and int32 biases of a
// pre-quantised QDQ model) into a float constant that remembers the integers and their
// parameters, so that the quantiser can use the model's own values instead of new ones.
#include "compiler/interp/Interpreter.h"
#include "compiler/ir/ShapeInference.h"
#include "compiler/passes/Passes.h"

#include <algorithm>

namespace rnnpoolc::passes {
namespace {

bool isConstantInput(const ir::Graph &graph, ir::TensorId id) {
  return id == ir::kNoTensor || graph.tensor(id).isConstant();
}

/// The parameters of a DequantizeLinear whose scale and zero point are constants.
ir::QuantParams paramsOf(const ir::Graph &graph, const ir::Node &node) {
  ir::QuantParams p;
  const ir::TensorData &scale = *graph.tensor(node.inputs[1]).data;
  p.scale = scale.f;
  if (node.input(2) != ir::kNoTensor)
    p.zeroPoint = graph.tensor(node.inputs[2]).data->i;
  else
    p.zeroPoint.assign(p.scale.size(), 0);
  p.axis = p.scale.size() > 1 ? node.attr<ir::AxisAttrs>().axis : -1;
  return p;
}

} // namespace

Status foldDequantizedConstants(ir::Graph &graph) {
  std::vector<ir::Node> kept;
  kept.reserve(graph.nodes.size());
  bool folded = false;
  for (ir::Node &node : graph.nodes) {
    bool fold = node.op == ir::OpKind::DequantizeLinear &&
                std::all_of(node.inputs.begin(), node.inputs.end(),
                            [&](ir::TensorId id) { return isConstantInput(graph, id); });
    if (!fold) {
      kept.push_back(std::move(node));
      continue;
    }
    std::vector<const ir::TensorData *> args;
    for (ir::TensorId id : node.inputs)
      args.push_back(id == ir::kNoTensor ? nullptr : graph.tensor(id).data.get());
    auto values = interp::evaluate(node, args);
    if (!values)
      return values.error();
    ir::Tensor &out = graph.tensor(node.outputs[0]);
    out.data = std::make_shared<const ir::TensorData>(std::move(values->at(0)));
    out.integers = graph.tensor(node.inputs[0]).data;
    out.quant = paramsOf(graph, node);
    folded = true;
  }
  graph.nodes = std::move(kept);
  // A folded weight may make its reader foldable too (a DequantizeLinear -> Transpose of
  // weights): fold again then, as fold-constants would have done.
  for (const ir::Node &node : graph.nodes)
    if (folded && node.op != ir::OpKind::DequantizeLinear &&
        std::all_of(node.inputs.begin(), node.inputs.end(),
                    [&](ir::TensorId id) { return isConstantInput(graph, id); }))
      return foldConstantsAndInferShapes(graph);
  return Status::ok();
}

} // namespace rnnpoolc::passes
