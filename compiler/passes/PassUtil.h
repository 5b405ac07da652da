// Small helpers shared by the rewriting passes.
#pragma once

#include "compiler/ir/Graph.h"

#include <algorithm>

namespace rnnpoolc::passes {

/// Whether `id` is one of the graph's outputs.
inline bool isGraphOutput(const ir::Graph &graph, ir::TensorId id) {
  return std::find(graph.outputs.begin(), graph.outputs.end(), id) != graph.outputs.end();
}

/// Whether `id` is read by exactly one node (once or more) and is not a graph output:
/// the condition for fusing its producer with that node.
inline bool hasSingleUser(const ir::Graph &graph,
                          const std::vector<std::vector<size_t>> &consumers, ir::TensorId id) {
  return consumers[static_cast<size_t>(id)].size() == 1 && !isGraphOutput(graph, id);
}

/// The producers and readers of a graph's tensors, for passes that match a chain of nodes
/// backwards from its last one (each matcher derives from it).
class ChainMatcher {
public:
  explicit ChainMatcher(const ir::Graph &graph)
      : g_(graph), producer_(graph.producers()), consumers_(graph.consumers()) {}

protected:
  /// The node producing `t` (its index in `index`) if `t` is read by one node alone and is
  /// not a graph output, so that the chain may be rewritten as a whole.
  const ir::Node *soleProducer(ir::TensorId t, size_t &index) const {
    const int p = producer_[static_cast<size_t>(t)];
    if (p < 0 || !hasSingleUser(g_, consumers_, t))
      return nullptr;
    index = static_cast<size_t>(p);
    return &g_.nodes[index];
  }

  const ir::Graph &g_;
  std::vector<int> producer_;
  std::vector<std::vector<size_t>> consumers_;
};

/// Removes the nodes whose flag is set, keeping the order of the rest.
inline void eraseNodes(ir::Graph &graph, const std::vector<char> &doomed) {
  std::vector<ir::Node> kept;
  kept.reserve(graph.nodes.size());
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    if (!doomed[n])
      kept.push_back(std::move(graph.nodes[n]));
  graph.nodes = std::move(kept);
}

} // namespace rnnpoolc::passes
