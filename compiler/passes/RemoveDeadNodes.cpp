// Removes nodes whose results nobody reads, then tensors nobody refers to.
#include "compiler/passes/PassUtil.h"
#include "compiler/passes/Passes.h"

namespace rnnpoolc::passes {

Status removeDeadNodes(ir::Graph &graph) {
  std::vector<char> live(graph.numTensors(), 0);
  for (ir::TensorId out : graph.outputs)
    live[static_cast<size_t>(out)] = 1;
  // Nodes are in dependency order, so one backward sweep sees every user before its
  // producer.
  std::vector<char> doomed(graph.nodes.size(), 1);
  for (size_t n = graph.nodes.size(); n-- > 0;) {
    const ir::Node &node = graph.nodes[n];
    for (ir::TensorId out : node.outputs)
      if (live[static_cast<size_t>(out)])
        doomed[n] = 0;
    if (doomed[n])
      continue;
    for (ir::TensorId in : node.inputs)
      if (in != ir::kNoTensor)
        live[static_cast<size_t>(in)] = 1;
  }
  eraseNodes(graph, doomed);
  graph.compact();
  return Status::ok();
}

} // namespace rnnpoolc::passes
