// The IR graph: typed tensors, nodes that read and write them, graph inputs and outputs.
#pragma once

#include "compiler/ir/DType.h"
#include "compiler/ir/Ops.h"
#include "compiler/ir/TensorData.h"
#include "compiler/support/Error.h"

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace rnnpoolc::ir {

using TensorId = int32_t;
/// Marks an omitted optional input of a node.
constexpr TensorId kNoTensor = -1;

/// Per-tensor (axis < 0) or per-channel affine quantisation: real = scale * (q - zeroPoint).
struct QuantParams {
  std::vector<float> scale;
  std::vector<int64_t> zeroPoint;
  int64_t axis = -1;
};

struct Tensor {
  std::string name;
  DType dtype = DType::Float32;
  Shape shape;
  /// False until shape inference has run for the producing node.
  bool shapeKnown = false;
  /// Set for constants (initializers, folded values); shared so copies of a graph are cheap.
  std::shared_ptr<const TensorData> data;
  /// Activations: int8 parameters (set by quantisation, or given by a pre-quantised model's
  /// QuantizeLinear). A float constant that the model gave as integers and a
  /// DequantizeLinear (the weights and biases of a QDQ model) keeps the integers' parameters
  /// here and the integers in `integers`, so that the quantiser can use them as they are.
  std::optional<QuantParams> quant;
  std::shared_ptr<const TensorData> integers;

  bool isConstant() const { return data != nullptr; }
};

struct Node {
  std::string name; ///< The source model's node name, or a generated unique one.
  OpKind op = OpKind::Identity;
  Attrs attrs;
  std::vector<TensorId> inputs; ///< kNoTensor for an omitted optional input.
  std::vector<TensorId> outputs;
  /// The model-local function call this node was inlined from ("" for top-level nodes):
  /// lets the RNNPool recogniser say that a match came from the function encoding.
  std::string inlinedFrom;

  template <typename A> const A &attr() const { return std::get<A>(attrs); }
  template <typename A> A &attr() { return std::get<A>(attrs); }
  /// The i-th input, or kNoTensor when absent or omitted.
  TensorId input(size_t i) const { return i < inputs.size() ? inputs[i] : kNoTensor; }
};

/// Formats a diagnostic about a node: "node 'NAME' (Op): MESSAGE".
template <typename... Args>
Error nodeError(const Node &node, fmt::format_string<Args...> format, Args &&...args) {
  return Error(fmt::format("node '{}' ({}): {}", node.name, opName(node.op),
                           fmt::format(format, std::forward<Args>(args)...)));
}

/// A dataflow graph. Nodes are kept in a topological order (the validator checks it);
/// tensors are addressed by TensorId and have unique names.
/// A subgraph that looked like an RNNPool layer but was not fused, and why: `inspect`
/// reports these so that a user can fix the model (or the matcher).
struct NearMiss {
  std::string name;   ///< The candidate's name (common prefix of its nodes' names).
  std::string reason; ///< One sentence, lower-case, no trailing period.
};

class Graph {
public:
  // Provenance, reported by `inspect` and banners.
  std::string producerName, producerVersion;
  int64_t opsetVersion = 0;

  std::vector<Node> nodes;
  std::vector<TensorId> inputs;
  std::vector<TensorId> outputs;
  /// RNNPool candidates the recogniser declined (compiler/passes/RecogniseRNNPool).
  std::vector<NearMiss> nearMisses;

  TensorId addTensor(Tensor tensor);
  /// Adds a constant tensor whose dtype and shape come from `data`.
  TensorId addConstant(std::string name, TensorData data);
  Tensor &tensor(TensorId id) { return tensors_[static_cast<size_t>(id)]; }
  const Tensor &tensor(TensorId id) const { return tensors_[static_cast<size_t>(id)]; }
  size_t numTensors() const { return tensors_.size(); }
  std::optional<TensorId> findTensor(const std::string &name) const;
  /// `base` if no tensor has that name yet, else `base_2`, `base_3`, ...
  std::string uniqueTensorName(const std::string &base) const;

  /// Node indices in a dependency order (stable: ties keep their current order), or an
  /// error naming a node on a cycle.
  Expected<std::vector<size_t>> topologicalOrder() const;
  /// Reorders `nodes` topologically.
  Status sortTopologically();

  /// For each tensor, the index of the node producing it, or -1 (inputs, constants).
  std::vector<int> producers() const;
  /// For each tensor, the indices of the nodes reading it.
  std::vector<std::vector<size_t>> consumers() const;
  /// Makes every node input and graph output that reads `from` read `to` instead.
  void replaceAllUses(TensorId from, TensorId to);
  /// Drops tensors that no node, graph input or graph output refers to, renumbering ids.
  void compact();

private:
  std::vector<Tensor> tensors_;
  std::unordered_map<std::string, TensorId> byName_;
  /// uniqueTensorName's next suffix per base name.
  mutable std::unordered_map<std::string, int> nextSuffix_;
};

} // namespace rnnpoolc::ir
