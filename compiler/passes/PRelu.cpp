// Simplifies where(x < 0, x * a, x), a constant: how the importer writes ONNX PRelu, and how
// one may write a leaky ReLU by hand. One slope (every a equal) is a LeakyRelu, which
// fuse-activations then folds into the conv before it; slopes all at most 1 are
// max(x, x * a), all at least 1 min(x, x * a): the Mul by a per-channel constant and the
// Max or Min of two maps have kernels in both builds, and run in row bands. Slopes on both
// sides of 1 stay a Where, which the backends refuse by name.
#include "compiler/passes/PassUtil.h"
#include "compiler/passes/Passes.h"

namespace rnnpoolc::passes {
namespace {

bool allZero(const ir::Graph &graph, ir::TensorId t) {
  const ir::Tensor &z = graph.tensor(t);
  return z.isConstant() && z.data && ir::isFloat(z.dtype) && !z.data->f.empty() &&
         std::all_of(z.data->f.begin(), z.data->f.end(), [](float v) { return v == 0.0f; });
}

} // namespace

Status simplifyPRelu(ir::Graph &graph) {
  const std::vector<int> producers = graph.producers();
  const auto consumers = graph.consumers();
  std::vector<char> doomed(graph.nodes.size(), 0);
  for (ir::Node &node : graph.nodes) {
    if (node.op != ir::OpKind::Where || node.inputs.size() != 3)
      continue;
    const ir::TensorId cond = node.inputs[0], sloped = node.inputs[1], x = node.inputs[2];
    const int less = producers[static_cast<size_t>(cond)],
              mul = producers[static_cast<size_t>(sloped)];
    if (less < 0 || mul < 0 || !hasSingleUser(graph, consumers, cond))
      continue;
    const ir::Node &l = graph.nodes[static_cast<size_t>(less)];
    const ir::Node &m = graph.nodes[static_cast<size_t>(mul)];
    if (l.op != ir::OpKind::Less || l.inputs[0] != x || !allZero(graph, l.inputs[1]) ||
        m.op != ir::OpKind::Mul || (m.inputs[0] != x && m.inputs[1] != x))
      continue;
    const ir::Tensor &a = graph.tensor(m.inputs[0] == x ? m.inputs[1] : m.inputs[0]);
    if (!a.isConstant() || !a.data || !ir::isFloat(a.dtype) || a.data->f.empty() ||
        graph.tensor(sloped).shape != graph.tensor(x).shape)
      continue;
    const auto [low, high] = std::minmax_element(a.data->f.begin(), a.data->f.end());
    if (*low < 1.0f && *high > 1.0f)
      continue;
    doomed[static_cast<size_t>(less)] = 1;
    if (*low == *high && hasSingleUser(graph, consumers, sloped)) {
      node.op = ir::OpKind::LeakyRelu;
      node.attrs = ir::AlphaBetaAttrs{*low, 0.0f};
      node.inputs = {x};
      doomed[static_cast<size_t>(mul)] = 1;
      continue;
    }
    node.op = *high <= 1.0f ? ir::OpKind::Max : ir::OpKind::Min;
    node.attrs = ir::NoAttrs{};
    node.inputs = {x, sloped};
  }
  eraseNodes(graph, doomed);
  return Status::ok();
}

} // namespace rnnpoolc::passes
