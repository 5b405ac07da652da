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
  case OpKind::Conv: return evalConv(node, in);
  case OpKind::Gemm: return evalGemm(node, in);
  case OpKind::MatMul: return evalMatMul(node, in);
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Pow:
  case OpKind::Equal:
  case OpKind::Less:
  case OpKind::Greater:
  case OpKind::And:
  case OpKind::Or: return evalBinary(node, in);
  case OpKind::Max:
  case OpKind::Min:
  case OpKind::Sum: return evalVariadic(node, in);
  case OpKind::Where: return evalWhere(node, in);
  case OpKind::Identity:
  case OpKind::Relu:
  case OpKind::LeakyRelu:
  case OpKind::Sigmoid:
  case OpKind::HardSigmoid:
  case OpKind::HardSwish:
  case OpKind::Tanh:
  case OpKind::Sqrt:
  case OpKind::Neg:
  case OpKind::Abs:
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Reciprocal:
  case OpKind::Floor:
  case OpKind::Ceil:
  case OpKind::Not: return evalUnary(node, in);
  case OpKind::Clip: return evalClip(node, in);
  case OpKind::Cast: return evalCast(node, in);
  case OpKind::MaxPool:
  case OpKind::AveragePool: return evalPool(node, in);
  case OpKind::GlobalAveragePool:
  case OpKind::GlobalMaxPool: return evalGlobalPool(node, in);
  case OpKind::BatchNormalization: return evalBatchNorm(node, in);
  case OpKind::Softmax: return evalSoftmax(node, in);
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin: return evalReduce(node, in);
  case OpKind::Concat: return evalConcat(node, in);
  case OpKind::Split: return evalSplit(node, in);
  case OpKind::Slice: return evalSlice(node, in);
  case OpKind::Gather: return evalGather(node, in);
  case OpKind::ScatterND: return evalScatterND(node, in);
  case OpKind::Reshape: return evalReshape(node, in);
  case OpKind::Flatten: return evalFlatten(node, in);
  case OpKind::Squeeze: return evalSqueeze(node, in);
  case OpKind::Unsqueeze: return evalUnsqueeze(node, in);
  case OpKind::Transpose: return evalTranspose(node, in);
  case OpKind::Pad: return evalPad(node, in);
  case OpKind::Expand: return evalExpand(node, in);
  case OpKind::Tile: return evalTile(node, in);
  case OpKind::Shape: return evalShape(node, in);
  case OpKind::Range: return evalRange(node, in);
  case OpKind::ConstantOfShape: return evalConstantOfShape(node, in);
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
  if (inputs.size() != graph.inputs.size())
    return makeError("the graph has {} inputs, but {} values were given", graph.inputs.size(),
                     inputs.size());
  using Value = std::shared_ptr<const ir::TensorData>;
  size_t numTensors = graph.numTensors();
  std::vector<Value> values(numTensors);
  for (size_t id = 0; id < numTensors; ++id)
    values[id] = graph.tensor(static_cast<ir::TensorId>(id)).data;
  for (size_t k = 0; k < inputs.size(); ++k) {
    ir::TensorId id = graph.inputs[k];
    if (!validId(graph, id))
      return makeError("graph input {} refers to no tensor", k);
    RNNPOOLC_TRY(checkGraphInput(graph.tensor(id), inputs[k]));
    // Borrow the caller's value: an aliasing pointer that owns nothing.
    values[static_cast<size_t>(id)] = Value(Value(), &inputs[k]);
  }

  // A value is dropped after the last node that reads it, unless the graph returns it.
  std::vector<bool> isOutput(numTensors, false);
  for (ir::TensorId id : graph.outputs) {
    if (!validId(graph, id))
      return makeError("a graph output refers to no tensor");
    isOutput[static_cast<size_t>(id)] = true;
  }
  std::vector<size_t> lastUse(numTensors, 0);
  for (size_t k = 0; k < graph.nodes.size(); ++k)
    for (ir::TensorId id : graph.nodes[k].inputs)
      if (validId(graph, id))
        lastUse[static_cast<size_t>(id)] = k;

  std::vector<const ir::TensorData *> args;
  for (size_t k = 0; k < graph.nodes.size(); ++k) {
    const ir::Node &node = graph.nodes[k];
    args.clear();
    for (ir::TensorId id : node.inputs) {
      if (id == ir::kNoTensor) {
        args.push_back(nullptr);
        continue;
      }
      if (!validId(graph, id))
        return ir::nodeError(node, "an input refers to no tensor");
      if (!values[static_cast<size_t>(id)])
        return ir::nodeError(node, "input '{}' has no value: it is neither a graph input, a "
                                   "constant nor computed by an earlier node",
                             graph.tensor(id).name);
      args.push_back(values[static_cast<size_t>(id)].get());
    }
    auto outs = evaluate(node, args);
    if (!outs)
      return outs.error();
    for (size_t j = 0; j < node.outputs.size(); ++j) {
      ir::TensorId id = node.outputs[j];
      if (!validId(graph, id))
        return ir::nodeError(node, "an output refers to no tensor");
      const ir::Tensor &t = graph.tensor(id);
      const ir::TensorData &v = (*outs)[j];
      if (t.shapeKnown && (v.shape != t.shape || v.dtype != t.dtype))
        return ir::nodeError(node, "internal: computed {} {} for '{}', but its inferred type "
                                   "is {} {}",
                             ir::name(v.dtype), ir::toString(v.shape), t.name,
                             ir::name(t.dtype), ir::toString(t.shape));
    }
    if (observer)
      observer(node, *outs);
    for (size_t j = 0; j < node.outputs.size(); ++j) {
      auto id = static_cast<size_t>(node.outputs[j]);
      bool used = isOutput[id] || lastUse[id] > k;
      values[id] = used ? std::make_shared<const ir::TensorData>(std::move((*outs)[j])) : nullptr;
    }
    for (ir::TensorId id : node.inputs)
      if (validId(graph, id) && lastUse[static_cast<size_t>(id)] == k &&
          !isOutput[static_cast<size_t>(id)])
        values[static_cast<size_t>(id)].reset();
  }

  std::vector<ir::TensorData> results;
  for (ir::TensorId id : graph.outputs) {
    if (!values[static_cast<size_t>(id)])
      return makeError("graph output '{}' was never computed", graph.tensor(id).name);
    results.push_back(*values[static_cast<size_t>(id)]);
  }
  return results;
}

} // namespace rnnpoolc::interp
