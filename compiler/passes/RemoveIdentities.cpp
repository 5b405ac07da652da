// Removes nodes that copy their input unchanged, rewiring their users to the input.
#include "compiler/passes/PassUtil.h"
#include "compiler/passes/Passes.h"

namespace rnnpoolc::passes {
namespace {

bool allZero(const ir::Graph &graph, ir::TensorId id) {
  const ir::Tensor &t = graph.tensor(id);
  if (!t.isConstant())
    return false;
  for (int64_t k = 0; k < t.data->numel(); ++k)
    if (t.data->get(k) != 0)
      return false;
  return true;
}

/// Whether `node`'s single output equals its first input, element for element.
bool isIdentity(const ir::Graph &graph, const ir::Node &node) {
  if (node.outputs.size() != 1 || node.inputs.empty() || node.inputs[0] == ir::kNoTensor)
    return false;
  const ir::Tensor &in = graph.tensor(node.inputs[0]);
  const ir::Tensor &out = graph.tensor(node.outputs[0]);
  if (in.shape != out.shape || in.dtype != out.dtype)
    return false;
  switch (node.op) {
  case ir::OpKind::Identity:
  case ir::OpKind::Cast:
  case ir::OpKind::Reshape:
  case ir::OpKind::Flatten:
  case ir::OpKind::Squeeze:
  case ir::OpKind::Unsqueeze:
  case ir::OpKind::Expand: return true;
  case ir::OpKind::Concat: return node.inputs.size() == 1;
  case ir::OpKind::Pad: return allZero(graph, node.inputs[1]);
  case ir::OpKind::Transpose: {
    const ir::Ints &perm = node.attr<ir::TransposeAttrs>().perm;
    for (size_t k = 0; k < perm.size(); ++k)
      if (perm[k] != static_cast<int64_t>(k))
        return false;
    return !perm.empty() || in.shape.size() <= 1;
  }
  default: return false;
  }
}

} // namespace

Status removeIdentities(ir::Graph &graph) {
  std::vector<int> producer = graph.producers();
  std::vector<std::vector<size_t>> consumers = graph.consumers();
  std::vector<char> doomed(graph.nodes.size(), 0);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node &node = graph.nodes[n];
    if (!isIdentity(graph, node))
      continue;
    ir::TensorId in = node.inputs[0], out = node.outputs[0];
    auto &inUsers = consumers[static_cast<size_t>(in)];
    if (!isGraphOutput(graph, out)) {
      graph.replaceAllUses(out, in);
      // This node no longer reads `in`; the nodes that read `out` now do.
      std::erase(inUsers, n);
      for (size_t user : consumers[static_cast<size_t>(out)])
        inUsers.push_back(user);
      doomed[n] = 1;
      continue;
    }
    // `out` names a graph output: keep that name by making in's producer write it, when
    // nothing else reads `in`.
    int p = producer[static_cast<size_t>(in)];
    if (p < 0 || !hasSingleUser(graph, consumers, in))
      continue;
    for (ir::TensorId &o : graph.nodes[static_cast<size_t>(p)].outputs)
      if (o == in)
        o = out;
    producer[static_cast<size_t>(out)] = p;
    doomed[n] = 1;
  }
  eraseNodes(graph, doomed);
  return Status::ok();
}

} // namespace rnnpoolc::passes
