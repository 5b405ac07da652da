// The IR graph: storage, topological ordering and use-def helpers.
#include "compiler/ir/Graph.h"

#include <algorithm>
#include <cassert>
#include <queue>

namespace rnnpoolc::ir {

TensorId Graph::addTensor(Tensor tensor) {
  assert(!byName_.count(tensor.name) && "tensor names must be unique");
  auto id = static_cast<TensorId>(tensors_.size());
  byName_.emplace(tensor.name, id);
  tensors_.push_back(std::move(tensor));
  return id;
}

TensorId Graph::addConstant(std::string name, TensorData data) {
  Tensor t;
  t.name = std::move(name);
  t.dtype = data.dtype;
  t.shape = data.shape;
  t.shapeKnown = true;
  t.data = std::make_shared<const TensorData>(std::move(data));
  return addTensor(std::move(t));
}

std::optional<TensorId> Graph::findTensor(const std::string &name) const {
  auto it = byName_.find(name);
  if (it == byName_.end())
    return std::nullopt;
  return it->second;
}

std::string Graph::uniqueTensorName(const std::string &base) const {
  if (!byName_.count(base))
    return base;
  // Resume where the last search for this base stopped: names taken below it stay taken
  // until compact(), and a name it skips is still unique. Many names from one base
  // (a split into many outputs, many nodes of one name) stay linear.
  int &k = nextSuffix_[base];
  for (k = std::max(k, 2);; ++k) {
    std::string candidate = fmt::format("{}_{}", base, k);
    if (!byName_.count(candidate))
      return candidate;
  }
}

std::vector<int> Graph::producers() const {
  std::vector<int> producer(tensors_.size(), -1);
  for (size_t n = 0; n < nodes.size(); ++n)
    for (TensorId out : nodes[n].outputs)
      producer[static_cast<size_t>(out)] = static_cast<int>(n);
  return producer;
}

std::vector<std::vector<size_t>> Graph::consumers() const {
  std::vector<std::vector<size_t>> users(tensors_.size());
  for (size_t n = 0; n < nodes.size(); ++n)
    for (TensorId in : nodes[n].inputs)
      if (in != kNoTensor && (users[static_cast<size_t>(in)].empty() ||
                              users[static_cast<size_t>(in)].back() != n))
        users[static_cast<size_t>(in)].push_back(n);
  return users;
}

Expected<std::vector<size_t>> Graph::topologicalOrder() const {
  // Kahn's algorithm with a min-heap on the current index, so that an already sorted
  // graph keeps its order exactly.
  std::vector<int> producer = producers();
  std::vector<std::vector<size_t>> users = consumers();
  std::vector<size_t> pending(nodes.size(), 0);
  for (size_t n = 0; n < nodes.size(); ++n)
    for (TensorId in : nodes[n].inputs)
      if (in != kNoTensor && producer[static_cast<size_t>(in)] >= 0)
        ++pending[n];

  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  for (size_t n = 0; n < nodes.size(); ++n)
    if (pending[n] == 0)
      ready.push(n);

  std::vector<size_t> order;
  order.reserve(nodes.size());
  while (!ready.empty()) {
    size_t n = ready.top();
    ready.pop();
    order.push_back(n);
    for (TensorId out : nodes[n].outputs)
      for (size_t user : users[static_cast<size_t>(out)])
        for (TensorId in : nodes[user].inputs)
          if (in == out && --pending[user] == 0)
            ready.push(user);
  }
  if (order.size() != nodes.size()) {
    for (size_t n = 0; n < nodes.size(); ++n)
      if (pending[n] != 0)
        return nodeError(nodes[n], "the graph has a cycle through this node; a model must "
                                   "be acyclic");
  }
  return order;
}

Status Graph::sortTopologically() {
  auto order = topologicalOrder();
  if (!order)
    return order.error();
  std::vector<Node> sorted;
  sorted.reserve(nodes.size());
  for (size_t n : *order)
    sorted.push_back(std::move(nodes[n]));
  nodes = std::move(sorted);
  return Status::ok();
}

void Graph::replaceAllUses(TensorId from, TensorId to) {
  for (Node &node : nodes)
    for (TensorId &in : node.inputs)
      if (in == from)
        in = to;
  for (TensorId &out : outputs)
    if (out == from)
      out = to;
}

void Graph::compact() {
  std::vector<char> used(tensors_.size(), 0);
  auto mark = [&](TensorId id) {
    if (id != kNoTensor)
      used[static_cast<size_t>(id)] = 1;
  };
  for (const Node &node : nodes) {
    for (TensorId id : node.inputs)
      mark(id);
    for (TensorId id : node.outputs)
      mark(id);
  }
  for (TensorId id : inputs)
    mark(id);
  for (TensorId id : outputs)
    mark(id);

  std::vector<TensorId> remap(tensors_.size(), kNoTensor);
  std::vector<Tensor> kept;
  byName_.clear();
  for (size_t t = 0; t < tensors_.size(); ++t) {
    if (!used[t])
      continue;
    remap[t] = static_cast<TensorId>(kept.size());
    byName_.emplace(tensors_[t].name, remap[t]);
    kept.push_back(std::move(tensors_[t]));
  }
  tensors_ = std::move(kept);
  auto apply = [&](TensorId &id) {
    if (id != kNoTensor)
      id = remap[static_cast<size_t>(id)];
  };
  for (Node &node : nodes) {
    for (TensorId &id : node.inputs)
      apply(id);
    for (TensorId &id : node.outputs)
      apply(id);
  }
  for (TensorId &id : inputs)
    apply(id);
  for (TensorId &id : outputs)
    apply(id);
}

} // namespace rnnpoolc::ir
