// Fuses an elementwise activation into the Conv or Gemm that produces its input, so that
// backends apply it while the accumulator is still in registers.
#include "compiler/ir/OpInfo.h"
#include "compiler/passes/PassUtil.h"
#include "compiler/passes/Passes.h"

#include <limits>

namespace rnnpoolc::passes {
namespace {

ir::Activation *fusedActivationOf(ir::Node &node) {
  if (node.op == ir::OpKind::Conv)
    return &node.attr<ir::ConvAttrs>().act;
  if (node.op == ir::OpKind::Gemm)
    return &node.attr<ir::GemmAttrs>().act;
  return nullptr;
}

} // namespace

Status fuseActivations(ir::Graph &graph) {
  std::vector<int> producer = graph.producers();
  std::vector<std::vector<size_t>> consumers = graph.consumers();
  std::vector<char> doomed(graph.nodes.size(), 0);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node &node = graph.nodes[n];
    if (node.inputs.empty() || node.inputs[0] == ir::kNoTensor)
      continue;
    auto act = ir::activationOf(graph, node);
    ir::TensorId x = node.inputs[0];
    int p = producer[static_cast<size_t>(x)];
    if (!act || p < 0 || !hasSingleUser(graph, consumers, x) ||
        !ir::isFloat(graph.tensor(x).dtype))
      continue;
    ir::Node &prev = graph.nodes[static_cast<size_t>(p)];
    ir::Activation *slot = fusedActivationOf(prev);
    if (!slot || slot->kind != ir::ActKind::None)
      continue;
    *slot = *act;
    prev.outputs[0] = node.outputs[0];
    doomed[n] = 1;
  }
  eraseNodes(graph, doomed);
  return Status::ok();
}

} // namespace rnnpoolc::passes
