// Moves a softmax ahead of the Transpose that feeds it, and merges consecutive Transposes:
// - Softmax(axis k) of Transpose(x, p) becomes Transpose(Softmax(x, axis p[k]), p);
// - Transpose(Transpose(x, p), q) becomes Transpose(x, r) with r[i] = p[q[i]].
//
// PyTorch exports softmax(x, dim=1) of a map below opset 13 as Transpose to NHWC, Softmax
// over the last axis and Transpose back: after both rewrites it is a softmax over the
// channels, which the backends run over each pixel's contiguous channels (a map's last axis
// is strided in their HWC layout), and the identity Transpose left goes in remove-identities.
#include "compiler/passes/PassUtil.h"
#include "compiler/passes/Passes.h"

#include <numeric>
#include <utility>

namespace rnnpoolc::passes {
namespace {

/// A Transpose's permutation, the empty one (reverse the dims) spelt out.
ir::Ints permOf(const ir::Graph &graph, const ir::Node &node) {
  ir::Ints perm = node.attr<ir::TransposeAttrs>().perm;
  if (perm.empty()) {
    perm.resize(graph.tensor(node.inputs[0]).shape.size());
    std::iota(perm.rbegin(), perm.rend(), 0);
  }
  return perm;
}

/// Softmax nodes read their Transpose's input instead, the Transpose moved after them.
void softmaxBeforeTranspose(ir::Graph &graph) {
  const std::vector<int> producers = graph.producers();
  const auto consumers = graph.consumers();
  std::vector<int> feeder(graph.nodes.size(), -1); // per softmax: the Transpose moved
  std::vector<int64_t> from(graph.nodes.size(), 0); // per softmax: its axis, normalised
  std::vector<char> moved(graph.nodes.size(), 0);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node &node = graph.nodes[n];
    if (node.op != ir::OpKind::Softmax || node.inputs.empty() ||
        node.inputs[0] == ir::kNoTensor)
      continue;
    const ir::TensorId t = node.inputs[0];
    const int p = producers[static_cast<size_t>(t)];
    if (p < 0 || graph.nodes[static_cast<size_t>(p)].op != ir::OpKind::Transpose ||
        !hasSingleUser(graph, consumers, t))
      continue;
    const auto &a = node.attr<ir::SoftmaxAttrs>();
    const auto rank = static_cast<int64_t>(graph.tensor(t).shape.size());
    const int64_t axis = a.axis < 0 ? a.axis + rank : a.axis;
    if (axis < 0 || axis >= rank || (a.coerce2D && axis != rank - 1) ||
        static_cast<int64_t>(permOf(graph, graph.nodes[static_cast<size_t>(p)]).size()) != rank)
      continue;
    feeder[n] = p, from[n] = axis, moved[static_cast<size_t>(p)] = 1;
  }
  std::vector<ir::Node> nodes;
  nodes.reserve(graph.nodes.size());
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    if (moved[n])
      continue; // (after its softmax)
    ir::Node &node = graph.nodes[n];
    if (feeder[n] < 0) {
      nodes.push_back(std::move(node));
      continue;
    }
    ir::Node &after = graph.nodes[static_cast<size_t>(feeder[n])];
    const ir::Ints perm = permOf(graph, after);
    auto &a = node.attr<ir::SoftmaxAttrs>();
    ir::Tensor s;
    s.name = graph.uniqueTensorName(graph.tensor(node.outputs[0]).name + "_before_transpose");
    s.dtype = graph.tensor(after.inputs[0]).dtype;
    s.shape = graph.tensor(after.inputs[0]).shape;
    s.shapeKnown = true;
    const ir::TensorId sid = graph.addTensor(std::move(s));
    a.axis = perm[static_cast<size_t>(from[n])];
    a.coerce2D = false;
    node.inputs[0] = after.inputs[0];
    after.inputs[0] = sid;
    after.outputs[0] = std::exchange(node.outputs[0], sid);
    after.attrs = ir::TransposeAttrs{perm};
    nodes.push_back(std::move(node));
    nodes.push_back(std::move(after));
  }
  graph.nodes = std::move(nodes);
}

/// A Transpose of a Transpose's output, which nothing else reads, transposes the first's
/// input at once.
void mergeTransposes(ir::Graph &graph) {
  const std::vector<int> producers = graph.producers();
  const auto consumers = graph.consumers();
  std::vector<char> doomed(graph.nodes.size(), 0);
  for (ir::Node &node : graph.nodes) {
    if (node.op != ir::OpKind::Transpose)
      continue;
    const ir::TensorId y = node.inputs[0];
    const int p = producers[static_cast<size_t>(y)];
    if (p < 0 || graph.nodes[static_cast<size_t>(p)].op != ir::OpKind::Transpose ||
        !hasSingleUser(graph, consumers, y))
      continue;
    const ir::Node &first = graph.nodes[static_cast<size_t>(p)];
    const ir::Ints outer = permOf(graph, first), inner = permOf(graph, node);
    if (outer.size() != inner.size())
      continue;
    ir::Ints merged(inner.size());
    for (size_t i = 0; i < inner.size(); ++i)
      merged[i] = outer[static_cast<size_t>(inner[i])];
    node.inputs[0] = first.inputs[0];
    node.attrs = ir::TransposeAttrs{merged};
    doomed[static_cast<size_t>(p)] = 1;
  }
  eraseNodes(graph, doomed);
}

} // namespace

Status softmaxTransposes(ir::Graph &graph) {
  softmaxBeforeTranspose(graph);
  mergeTransposes(graph);
  return Status::ok();
}

} // namespace rnnpoolc::passes
