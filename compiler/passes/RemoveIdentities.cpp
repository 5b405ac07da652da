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
  // Linear in the graph's size, however long the chains: one pass rewires every node to
  // the tensor at the start of its chain of identities (nodes are in topological order, so
  // a node's inputs are final when it is reached), a second renames producers' outputs to
  // the graph outputs that identities copy them to.
  const size_t tensors = graph.numTensors();
  std::vector<char> isOutput(tensors, 0);
  for (ir::TensorId id : graph.outputs)
    isOutput[static_cast<size_t>(id)] = 1;
  std::vector<ir::TensorId> source(tensors);
  for (size_t t = 0; t < tensors; ++t)
    source[t] = static_cast<ir::TensorId>(t);
  std::vector<char> doomed(graph.nodes.size(), 0);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    ir::Node &node = graph.nodes[n];
    for (ir::TensorId &in : node.inputs)
      if (in != ir::kNoTensor)
        in = source[static_cast<size_t>(in)];
    if (!isIdentity(graph, node) || isOutput[static_cast<size_t>(node.outputs[0])])
      continue;
    source[static_cast<size_t>(node.outputs[0])] = node.inputs[0];
    doomed[n] = 1;
  }

  // An identity that writes a graph output stays, unless its input has a producer and no
  // other reader: then that producer writes the output's name directly.
  std::vector<int> producer = graph.producers();
  std::vector<size_t> readers(tensors, 0);    // nodes reading the tensor, each counted once
  std::vector<size_t> lastReader(tensors, 0); // 1 + the last node counted
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    if (doomed[n])
      continue;
    for (ir::TensorId in : graph.nodes[n].inputs)
      if (in != ir::kNoTensor && lastReader[static_cast<size_t>(in)] != n + 1) {
        lastReader[static_cast<size_t>(in)] = n + 1;
        ++readers[static_cast<size_t>(in)];
      }
  }
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node &node = graph.nodes[n];
    if (doomed[n] || !isIdentity(graph, node))
      continue;
    ir::TensorId in = node.inputs[0], out = node.outputs[0];
    int p = producer[static_cast<size_t>(in)];
    if (p < 0 || readers[static_cast<size_t>(in)] != 1 || isOutput[static_cast<size_t>(in)])
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
