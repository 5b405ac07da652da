// The float reference interpreter: operand checks and dispatch for one node, and the walk
// over a whole graph. The kernels live in one file per op family (see Kernels.h).
#include "compiler/interp/Interpreter.h"

#include "compiler/interp/Kernels.h"

#include <memory>

namespace rnnpoolc::interp {
namespace {

using namespace detail;

/// Checks what every kernel relies on: operand counts, the attribute struct, and that each
/// input holds as many values as its shape says.
Status checkOperands(const ir::Node &node, Inputs in) {
  ir::OpArity arity = ir::arityOf(node.op);
  auto count = static_cast<int>(in.size());
  if (count < arity.minInputs || (arity.maxInputs >= 0 && count > arity.maxInputs))
    return ir::nodeError(node, "got {} inputs, expected {} to {}", count, arity.minInputs,
                         arity.maxInputs < 0 ? std::string("any number")
                                             : std::to_string(arity.maxInputs));
  auto outputs = static_cast<int>(node.outputs.size());
  if (outputs < arity.minOutputs || (arity.maxOutputs >= 0 && outputs > arity.maxOutputs))
    return ir::nodeError(node, "has {} outputs, expected {} to {}", outputs, arity.minOutputs,
                         arity.maxOutputs < 0 ? std::string("any number")
                                              : std::to_string(arity.maxOutputs));
  for (int k = 0; k < count; ++k)
    if (!in[static_cast<size_t>(k)] && (k < arity.minInputs || arity.maxInputs < 0))
      return ir::nodeError(node, "input {} is missing", k);
  if (node.attrs.index() != ir::defaultAttrs(node.op).index())
    return ir::nodeError(node, "internal: the node carries the attributes of another op");
  for (int k = 0; k < count; ++k) {
    const ir::TensorData *t = in[static_cast<size_t>(k)];
    // Shape reads only its input's shape; constant folding passes it a value-less stand-in.
    if (!t || node.op == ir::OpKind::Shape)
      continue;
    auto n = ir::checkedNumel(t->shape);
    if (!n || *n != t->numel())
      return ir::nodeError(node, "input {} holds {} values, which does not fit its shape {}", k,
                           t->numel(), ir::toString(t->shape));
  }
  return Status::ok();
}

Result dispatch(const ir::Node &node, Inputs in) {
  using ir::OpKind;
  // No default: -Wswitch (an error here) flags an op of Ops.def without a kernel.
  switch (node.op) {
  case OpKind::Conv:
    return evalConv(node, in);
  case OpKind::Gemm:
    return evalGemm(node, in);
  case OpKind::MatMul:
    return evalMatMul(node, in);
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Pow:
  case OpKind::Equal:
  case OpKind::Less:
  case OpKind::Greater:
  case OpKind::And:
  case OpKind::Or:
    return evalBinary(node, in);
  case OpKind::Max:
  case OpKind::Min:
  case OpKind::Sum:
    return evalVariadic(node, in);
  case OpKind::Where:
    return evalWhere(node, in);
    // The unary family, Clip and Cast included: evalUnary tells them apart.
#define OP(N, A, I0, I1, O0, O1, FAMILY, C, P) RNNPOOLC_UNARY_CASE_##FAMILY(N)
#include "compiler/ir/Ops.def"
#undef OP
    return evalUnary(node, in);
  case OpKind::QuantizeLinear:
    return evalQuantizeLinear(node, in);
  case OpKind::DequantizeLinear:
    return evalDequantizeLinear(node, in);
  case OpKind::MaxPool:
  case OpKind::AveragePool:
    return evalPool(node, in);
  case OpKind::GlobalAveragePool:
  case OpKind::GlobalMaxPool:
    return evalGlobalPool(node, in);
  case OpKind::BatchNormalization:
    return evalBatchNorm(node, in);
  case OpKind::Softmax:
    return evalSoftmax(node, in);
  case OpKind::L2Norm:
    return evalL2Norm(node, in);
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
    return evalReduce(node, in);
  case OpKind::Concat:
    return evalConcat(node, in);
  case OpKind::Split:
    return evalSplit(node, in);
  case OpKind::Slice:
    return evalSlice(node, in);
  case OpKind::Gather:
    return evalGather(node, in);
  case OpKind::ScatterND:
    return evalScatterND(node, in);
  case OpKind::Reshape:
    return evalReshape(node, in);
  case OpKind::Flatten:
    return evalFlatten(node, in);
  case OpKind::Squeeze:
    return evalSqueeze(node, in);
  case OpKind::Unsqueeze:
    return evalUnsqueeze(node, in);
  case OpKind::Transpose:
    return evalTranspose(node, in);
  case OpKind::ChannelShuffle:
    return evalChannelShuffle(node, in);
  case OpKind::Pad:
    return evalPad(node, in);
  case OpKind::Resize:
    return evalResize(node, in);
  case OpKind::Expand:
    return evalExpand(node, in);
  case OpKind::Tile:
    return evalTile(node, in);
  case OpKind::Shape:
    return evalShape(node, in);
  case OpKind::Range:
    return evalRange(node, in);
  case OpKind::ConstantOfShape:
    return evalConstantOfShape(node, in);
  case OpKind::RNNPool:
    return evalRNNPool(node, in);
  }
  return ir::nodeError(node, "internal: unknown op kind {}", static_cast<int>(node.op));
}

/// Checks a runtime input value against the graph input it binds.
Status checkGraphInput(const ir::Tensor &t, const ir::TensorData &value) {
  if (value.dtype != t.dtype)
    return makeError("input '{}' must be {}, not {}", t.name, ir::name(t.dtype),
                     ir::name(value.dtype));
  if (t.shapeKnown && value.shape != t.shape)
    return makeError("input '{}' must have shape {}, not {}", t.name, ir::toString(t.shape),
                     ir::toString(value.shape));
  auto n = ir::checkedNumel(value.shape);
  if (!n || *n != value.numel())
    return makeError("input '{}' holds {} values, which does not fit its shape {}", t.name,
                     value.numel(), ir::toString(value.shape));
  return Status::ok();
}

bool validId(const ir::Graph &graph, ir::TensorId id) {
  return id >= 0 && static_cast<size_t>(id) < graph.numTensors();
}

/// The values of one run of a graph, by TensorId, and when each may be dropped.
class ValueTable {
public:
  using Value = std::shared_ptr<const ir::TensorData>;

  explicit ValueTable(const ir::Graph &graph)
      : graph_(graph), values_(graph.numTensors()), isOutput_(graph.numTensors(), false),
        lastUse_(graph.numTensors(), 0) {}

  /// Takes the constants, borrows the input values, and works out each value's last use.
  Status init(const std::vector<ir::TensorData> &inputs) {
    if (inputs.size() != graph_.inputs.size())
      return makeError("the graph has {} inputs, but {} values were given",
                       graph_.inputs.size(), inputs.size());
    for (size_t id = 0; id < values_.size(); ++id)
      values_[id] = graph_.tensor(static_cast<ir::TensorId>(id)).data;
    for (size_t k = 0; k < inputs.size(); ++k) {
      ir::TensorId id = graph_.inputs[k];
      if (!validId(graph_, id))
        return makeError("graph input {} refers to no tensor", k);
      RNNPOOLC_TRY(checkGraphInput(graph_.tensor(id), inputs[k]));
      // An aliasing pointer that owns nothing: the caller keeps the value alive.
      values_[static_cast<size_t>(id)] = Value(Value(), &inputs[k]);
    }
    for (ir::TensorId id : graph_.outputs) {
      if (!validId(graph_, id))
        return makeError("a graph output refers to no tensor");
      isOutput_[static_cast<size_t>(id)] = true;
    }
    for (size_t k = 0; k < graph_.nodes.size(); ++k)
      for (ir::TensorId id : graph_.nodes[k].inputs)
        if (validId(graph_, id))
          lastUse_[static_cast<size_t>(id)] = k;
    return Status::ok();
  }

  /// The input values of a node (nullptr for an omitted optional input).
  Status gatherInputs(const ir::Node &node, std::vector<const ir::TensorData *> &args) const {
    args.clear();
    for (ir::TensorId id : node.inputs) {
      if (id == ir::kNoTensor) {
        args.push_back(nullptr);
        continue;
      }
      if (!validId(graph_, id))
        return ir::nodeError(node, "an input refers to no tensor");
      if (!values_[static_cast<size_t>(id)])
        return ir::nodeError(node,
                             "input '{}' has no value: it is neither a graph input, a "
                             "constant nor computed by an earlier node",
                             graph_.tensor(id).name);
      args.push_back(values_[static_cast<size_t>(id)].get());
    }
    return Status::ok();
  }

  /// Checks a node's computed outputs against their tensors' inferred types, if any.
  Status checkOutputs(const ir::Node &node, const std::vector<ir::TensorData> &outs) const {
    for (size_t j = 0; j < node.outputs.size(); ++j) {
      if (!validId(graph_, node.outputs[j]))
        return ir::nodeError(node, "an output refers to no tensor");
      const ir::Tensor &t = graph_.tensor(node.outputs[j]);
      const ir::TensorData &v = outs[j];
      if (t.shapeKnown && (v.shape != t.shape || v.dtype != t.dtype))
        return ir::nodeError(node,
                             "internal: computed {} {} for '{}', but its inferred type "
                             "is {} {}",
                             ir::name(v.dtype), ir::toString(v.shape), t.name,
                             ir::name(t.dtype), ir::toString(t.shape));
    }
    return Status::ok();
  }

  /// Stores the outputs of node `k` that anything reads later, and drops the inputs that
  /// it was the last to read.
  void commit(size_t k, std::vector<ir::TensorData> &outs) {
    const ir::Node &node = graph_.nodes[k];
    for (size_t j = 0; j < node.outputs.size(); ++j) {
      auto id = static_cast<size_t>(node.outputs[j]);
      bool used = isOutput_[id] || lastUse_[id] > k;
      values_[id] = used ? std::make_shared<const ir::TensorData>(std::move(outs[j])) : nullptr;
    }
    for (ir::TensorId id : node.inputs)
      if (validId(graph_, id) && lastUse_[static_cast<size_t>(id)] == k &&
          !isOutput_[static_cast<size_t>(id)])
        values_[static_cast<size_t>(id)].reset();
  }

  /// Copies of the graph outputs' values.
  Expected<std::vector<ir::TensorData>> results() const {
    std::vector<ir::TensorData> out;
    for (ir::TensorId id : graph_.outputs) {
      if (!values_[static_cast<size_t>(id)])
        return makeError("graph output '{}' was never computed", graph_.tensor(id).name);
      out.push_back(*values_[static_cast<size_t>(id)]);
    }
    return out;
  }

private:
  const ir::Graph &graph_;
  std::vector<Value> values_;
  std::vector<bool> isOutput_;
  /// Index of the last node reading each tensor (0 when none does).
  std::vector<size_t> lastUse_;
};

} // namespace

Expected<std::vector<ir::TensorData>> evaluate(const ir::Node &node,
                                               std::span<const ir::TensorData *const> inputs) {
  RNNPOOLC_TRY(checkOperands(node, inputs));
  auto values = dispatch(node, inputs);
  if (values && values->size() != node.outputs.size())
    return ir::nodeError(node, "internal: computed {} outputs for {}", values->size(),
                         node.outputs.size());
  return values;
}

Expected<std::vector<ir::TensorData>> run(const ir::Graph &graph,
                                          const std::vector<ir::TensorData> &inputs,
                                          const Observer &observer) {
  ValueTable values(graph);
  RNNPOOLC_TRY(values.init(inputs));
  std::vector<const ir::TensorData *> args;
  for (size_t k = 0; k < graph.nodes.size(); ++k) {
    const ir::Node &node = graph.nodes[k];
    RNNPOOLC_TRY(values.gatherInputs(node, args));
    auto outs = evaluate(node, args);
    if (!outs)
      return outs.error();
    RNNPOOLC_TRY(values.checkOutputs(node, *outs));
    if (observer)
      observer(node, *outs);
    values.commit(k, *outs);
  }
  return values.results();
}

} // namespace rnnpoolc::interp
