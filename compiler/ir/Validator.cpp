// Structural invariants of a graph, checked between passes. A violation is a compiler bug,
// so every message starts with "internal:" and names the node or tensor at fault.
#include "compiler/ir/Validator.h"

#include <unordered_set>

namespace rnnpoolc::ir {
namespace {

constexpr size_t kNumOps = 0
#define OP(Name, Attrs, MinIn, MaxIn, MinOut, MaxOut, ...) +1
#include "compiler/ir/Ops.def"
#undef OP
    ;

/// Where a tensor gets its value, as the validator walks the nodes in order.
enum class Origin : uint8_t { None, GraphInput, Constant, Node };

class Validator {
public:
  explicit Validator(const Graph &graph) : graph_(graph) {}

  Status run() {
    RNNPOOLC_TRY(checkTensors());
    RNNPOOLC_TRY(checkGraphInputs());
    // A first sweep finds every produced tensor, so that a use before its producer can be
    // told apart from a use of a tensor nobody produces.
    std::vector<int> producer(graph_.numTensors(), -1);
    for (size_t n = 0; n < graph_.nodes.size(); ++n)
      for (TensorId id : graph_.nodes[n].outputs)
        if (inRange(id) && producer[static_cast<size_t>(id)] < 0)
          producer[static_cast<size_t>(id)] = static_cast<int>(n);
    for (size_t n = 0; n < graph_.nodes.size(); ++n)
      RNNPOOLC_TRY(checkNode(graph_.nodes[n], n, producer));
    for (TensorId id : graph_.outputs) {
      if (!inRange(id))
        return makeError("internal: graph output id {} refers to no tensor", id);
      if (origin_[static_cast<size_t>(id)] == Origin::None)
        return makeError("internal: graph output '{}' is never defined",
                         graph_.tensor(id).name);
      RNNPOOLC_TRY(checkShape(id));
    }
    return Status::ok();
  }

private:
  const Graph &graph_;
  std::vector<Origin> origin_;

  bool inRange(TensorId id) const {
    return id >= 0 && static_cast<size_t>(id) < graph_.numTensors();
  }

  Status checkTensors() {
    std::unordered_set<std::string> names;
    origin_.assign(graph_.numTensors(), Origin::None);
    for (size_t t = 0; t < graph_.numTensors(); ++t) {
      const Tensor &tensor = graph_.tensor(static_cast<TensorId>(t));
      if (!names.insert(tensor.name).second)
        return makeError("internal: tensor name '{}' is used twice", tensor.name);
      if (!tensor.isConstant())
        continue;
      origin_[t] = Origin::Constant;
      const TensorData &d = *tensor.data;
      auto count = checkedNumel(tensor.shape);
      if (d.dtype != tensor.dtype || d.shape != tensor.shape || !count || d.numel() != *count ||
          (isFloat(d.dtype) ? !d.i.empty() : !d.f.empty()))
        return makeError(
            "internal: constant '{}' of type {}[{}] holds {} values of type {}[{}]",
            tensor.name, name(tensor.dtype), toString(tensor.shape), d.numel(), name(d.dtype),
            toString(d.shape));
    }
    return Status::ok();
  }

  Status checkGraphInputs() {
    for (TensorId id : graph_.inputs) {
      if (!inRange(id))
        return makeError("internal: graph input id {} refers to no tensor", id);
      auto &origin = origin_[static_cast<size_t>(id)];
      if (origin == Origin::GraphInput)
        return makeError("internal: graph input '{}' is listed twice", graph_.tensor(id).name);
      if (origin == Origin::None)
        origin = Origin::GraphInput;
      RNNPOOLC_TRY(checkShape(id));
    }
    return Status::ok();
  }

  Status checkShape(TensorId id) const {
    const Tensor &t = graph_.tensor(id);
    if (!t.shapeKnown)
      return makeError("internal: tensor '{}' has no known shape", t.name);
    if (!checkedNumel(t.shape))
      return makeError("internal: tensor '{}' has an invalid shape {}", t.name,
                       toString(t.shape));
    return Status::ok();
  }

  Status checkArity(const Node &node) const {
    OpArity arity = arityOf(node.op);
    auto numIn = static_cast<int>(node.inputs.size());
    auto numOut = static_cast<int>(node.outputs.size());
    if (numIn < arity.minInputs || (arity.maxInputs >= 0 && numIn > arity.maxInputs))
      return nodeError(node, "internal: {} inputs, expected {} to {}", numIn, arity.minInputs,
                       arity.maxInputs);
    if (numOut < arity.minOutputs || (arity.maxOutputs >= 0 && numOut > arity.maxOutputs))
      return nodeError(node, "internal: {} outputs, expected {} to {}", numOut,
                       arity.minOutputs, arity.maxOutputs);
    if (node.attrs.index() != defaultAttrs(node.op).index())
      return nodeError(node,
                       "internal: attribute struct (variant index {}) does not match "
                       "the op (index {})",
                       node.attrs.index(), defaultAttrs(node.op).index());
    return Status::ok();
  }

  Status checkInputs(const Node &node, size_t index, const std::vector<int> &producer) const {
    OpArity arity = arityOf(node.op);
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      TensorId id = node.inputs[i];
      if (id == kNoTensor) {
        if (static_cast<int>(i) < arity.minInputs || arity.maxInputs < 0)
          return nodeError(node, "internal: required input {} is omitted", i);
        continue;
      }
      if (!inRange(id))
        return nodeError(node, "internal: input {} id {} refers to no tensor", i, id);
      if (origin_[static_cast<size_t>(id)] == Origin::None) {
        int p = producer[static_cast<size_t>(id)];
        if (p >= static_cast<int>(index))
          return nodeError(node,
                           "internal: input '{}' is produced later, by node '{}'; nodes "
                           "are out of topological order",
                           graph_.tensor(id).name, graph_.nodes[static_cast<size_t>(p)].name);
        return nodeError(node, "internal: input '{}' is never defined", graph_.tensor(id).name);
      }
      RNNPOOLC_TRY(checkShape(id));
    }
    return Status::ok();
  }

  Status checkOutputs(const Node &node) {
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      TensorId id = node.outputs[k];
      if (!inRange(id))
        return nodeError(node, "internal: output {} id {} refers to no tensor", k, id);
      Origin &origin = origin_[static_cast<size_t>(id)];
      const std::string &tname = graph_.tensor(id).name;
      switch (origin) {
      case Origin::None:
        break;
      case Origin::Node:
        return nodeError(node, "internal: output '{}' is produced twice", tname);
      case Origin::Constant:
        return nodeError(node, "internal: output '{}' is a constant", tname);
      case Origin::GraphInput:
        return nodeError(node, "internal: output '{}' is a graph input", tname);
      }
      origin = Origin::Node;
      RNNPOOLC_TRY(checkShape(id));
    }
    return Status::ok();
  }

  Status checkNode(const Node &node, size_t index, const std::vector<int> &producer) {
    if (static_cast<size_t>(node.op) >= kNumOps)
      return makeError("node '{}': internal: unknown op kind {}", node.name,
                       static_cast<int>(node.op));
    RNNPOOLC_TRY(checkArity(node));
    RNNPOOLC_TRY(checkInputs(node, index, producer));
    return checkOutputs(node);
  }
};

} // namespace

Status validate(const Graph &graph) {
  return Validator(graph).run();
}

} // namespace rnnpoolc::ir
