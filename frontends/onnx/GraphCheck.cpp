// Structural checks and a stable topological sort of an ONNX graph's nodes.
#include "frontends/onnx/GraphCheck.h"

#include "frontends/onnx/ProtoUtil.h"

#include <queue>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace rnnpoolc::onnx_frontend {

void nameUnnamedNodes(onnx::GraphProto &graph) {
  std::unordered_set<std::string> names;
  for (const onnx::NodeProto &node : graph.node())
    if (!node.name().empty())
      names.insert(node.name());
  for (int k = 0; k < graph.node_size(); ++k) {
    onnx::NodeProto &node = *graph.mutable_node(k);
    if (!node.name().empty())
      continue;
    std::string base = fmt::format("{}_{}", node.op_type(), k);
    std::string name = base;
    for (int suffix = 2; names.count(name); ++suffix)
      name = fmt::format("{}_{}", base, suffix);
    names.insert(name);
    node.set_name(name);
  }
}

namespace {

/// Producer of each tensor name: a node index, or -1 for graph inputs and initializers.
using Producers = std::unordered_map<std::string, int>;

Expected<Producers> findProducers(const onnx::GraphProto &graph) {
  Producers producer;
  for (const onnx::ValueInfoProto &input : graph.input())
    if (!producer.emplace(input.name(), -1).second)
      return makeError("graph input '{}' is declared twice; give every input a unique name",
                       input.name());
  std::unordered_set<std::string> initializers;
  for (const onnx::TensorProto &init : graph.initializer()) {
    // An initializer may share its name with a graph input: it is the input's default.
    if (init.name().empty())
      return makeError("an initializer has no name; every initializer needs one");
    if (!initializers.insert(init.name()).second)
      return makeError("initializer '{}' is defined twice; every tensor needs exactly one "
                       "producer",
                       init.name());
    producer.emplace(init.name(), -1);
  }
  for (int n = 0; n < graph.node_size(); ++n) {
    const onnx::NodeProto &node = graph.node(n);
    for (const std::string &out : node.output()) {
      if (out.empty())
        continue;
      auto [it, inserted] = producer.emplace(out, n);
      if (inserted)
        continue;
      if (it->second < 0)
        return makeError("{}: output '{}' has the name of a graph input or initializer; every "
                         "tensor needs exactly one producer",
                         describeNode(node), out);
      return makeError("{}: output '{}' is also produced by node '{}'; every tensor needs "
                       "exactly one producer",
                       describeNode(node), out, graph.node(it->second).name());
    }
  }
  return producer;
}

/// A node on a cycle, found by walking from a node that never became ready back through
/// producers that never became ready either.
int nodeOnCycle(const onnx::GraphProto &graph, const Producers &producer,
                const std::vector<size_t> &pending) {
  int n = 0;
  while (pending[static_cast<size_t>(n)] == 0)
    ++n;
  std::vector<char> seen(pending.size(), 0);
  while (!seen[static_cast<size_t>(n)]) {
    seen[static_cast<size_t>(n)] = 1;
    for (const std::string &in : graph.node(n).input()) {
      auto it = in.empty() ? producer.end() : producer.find(in);
      if (it != producer.end() && it->second >= 0 && pending[static_cast<size_t>(it->second)]) {
        n = it->second;
        break;
      }
    }
  }
  return n;
}

} // namespace

Status checkAndSortGraph(onnx::GraphProto &graph) {
  auto producer = findProducers(graph);
  if (!producer)
    return producer.error();

  size_t count = static_cast<size_t>(graph.node_size());
  std::vector<size_t> pending(count, 0);
  std::vector<std::vector<size_t>> users(count);
  for (size_t n = 0; n < count; ++n) {
    const onnx::NodeProto &node = graph.node(static_cast<int>(n));
    for (const std::string &in : node.input()) {
      if (in.empty())
        continue;
      auto it = producer->find(in);
      if (it == producer->end())
        return makeError("{}: input '{}' is not produced by any node, initializer or graph "
                         "input",
                         describeNode(node), in);
      if (it->second >= 0) {
        ++pending[n];
        users[static_cast<size_t>(it->second)].push_back(n);
      }
    }
  }
  for (const onnx::ValueInfoProto &out : graph.output())
    if (!producer->count(out.name()))
      return makeError("graph output '{}' is not produced by any node, initializer or graph "
                       "input",
                       out.name());

  // Kahn's algorithm with a min-heap on the file position keeps sorted graphs unchanged.
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  for (size_t n = 0; n < count; ++n)
    if (pending[n] == 0)
      ready.push(n);
  std::vector<size_t> order;
  order.reserve(count);
  while (!ready.empty()) {
    size_t n = ready.top();
    ready.pop();
    order.push_back(n);
    for (size_t user : users[n])
      if (--pending[user] == 0)
        ready.push(user);
  }
  if (order.size() != count) {
    int n = nodeOnCycle(graph, *producer, pending);
    return makeError("{}: the graph has a cycle through this node; a model must be acyclic",
                     describeNode(graph.node(n)));
  }

  bool sorted = true;
  for (size_t k = 0; k < count; ++k)
    sorted = sorted && order[k] == k;
  if (!sorted) {
    google::protobuf::RepeatedPtrField<onnx::NodeProto> reordered;
    for (size_t n : order)
      reordered.Add()->Swap(graph.mutable_node(static_cast<int>(n)));
    graph.mutable_node()->Swap(&reordered);
  }
  return Status::ok();
}

} // namespace rnnpoolc::onnx_frontend
