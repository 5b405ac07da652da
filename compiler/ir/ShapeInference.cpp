// Static shape inference: the entry point, the checks every op shares, the helpers the
// op-family files use, and the elementwise ops (unary, binary, variadic, Where, Cast).
#include "compiler/ir/ShapeInference.h"

#include <algorithm>
#include <set>

namespace rnnpoolc::ir {
namespace detail {

const Tensor &inputOf(const Graph &graph, const Node &node, size_t i) {
  return graph.tensor(node.input(i));
}

bool isValidDType(DType type) {
  return static_cast<uint8_t>(type) <= static_cast<uint8_t>(DType::Bool);
}

Status setOutput(Graph &graph, const Node &node, size_t k, DType dtype, Shape shape) {
  for (int64_t d : shape) {
    if (d < 0)
      return nodeError(node, "output {} would have a negative dim ({})", k, toString(shape));
    if (d > kMaxElements)
      return nodeError(node,
                       "output {} would have a dim of {} ({}); dims above 2^31 are not "
                       "supported",
                       k, d, toString(shape));
  }
  auto count = checkedNumel(shape);
  if (!count)
    return nodeError(node, "output {} shape {} overflows 64-bit element counts", k,
                     toString(shape));
  if (*count > kMaxElements)
    return nodeError(node,
                     "output {} would have {} elements ({}); more than 2^31 is not "
                     "supported",
                     k, *count, toString(shape));
  Tensor &out = graph.tensor(node.outputs[k]);
  out.dtype = dtype;
  out.shape = std::move(shape);
  out.shapeKnown = true;
  return Status::ok();
}

Status requireIntegerInput(const Graph &graph, const Node &node, size_t i,
                           std::string_view what) {
  DType type = inputOf(graph, node, i).dtype;
  if (type == DType::Float32 || type == DType::Bool)
    return nodeError(node, "{} must be an integer tensor, not {}", what, name(type));
  return Status::ok();
}

Status constantInts(const Graph &graph, const Node &node, size_t i, std::string_view what,
                    Ints &values) {
  const Tensor &t = inputOf(graph, node, i);
  if (!t.isConstant())
    return nodeError(node,
                     "{} {} is not a constant (computed at run time); rnnpoolc needs "
                     "static shapes: export with fixed input sizes",
                     opName(node.op), what);
  RNNPOOLC_TRY(requireIntegerInput(graph, node, i, what));
  if (t.shape.size() > 1)
    return nodeError(node, "{} must be a scalar or 1-D tensor, not {}", what,
                     toString(t.shape));
  if (t.data->dtype != t.dtype || t.data->numel() != numel(t.shape))
    return nodeError(node, "internal: constant '{}' holds {} {} values for {} {}", t.name,
                     t.data->numel(), name(t.data->dtype), name(t.dtype), toString(t.shape));
  values = t.data->toInts();
  return Status::ok();
}

std::string formatInts(const Ints &values) {
  // A hostile operand may hold millions of values; a message shows the first few.
  constexpr size_t kShown = 16;
  std::string s = "[";
  for (size_t k = 0; k < values.size() && k < kShown; ++k)
    s += (k ? ", " : "") + std::to_string(values[k]);
  return s + (values.size() > kShown ? ", ...]" : "]");
}

Status normalizeAxes(const Node &node, Ints &axes, int64_t rank, std::string_view what) {
  std::set<int64_t> seen;
  for (int64_t &axis : axes) {
    auto normal = normalizeAxis(axis, rank);
    if (!normal)
      return nodeError(node, "{} value {} is out of range for rank {}", what, axis, rank);
    if (!seen.insert(*normal).second)
      return nodeError(node, "{} name axis {} twice", what, *normal);
    axis = *normal;
  }
  return Status::ok();
}

Status normalizeAxisAttr(const Node &node, int64_t &axis, int64_t rank) {
  auto normal = normalizeAxis(axis, rank);
  if (!normal)
    return nodeError(node, "axis {} is out of range for an input of rank {}", axis, rank);
  axis = *normal;
  return Status::ok();
}

} // namespace detail

using namespace detail;

namespace {

/// "2", "1 to 3" or "1 or more" (max < 0 means variadic).
std::string countText(int min, int max) {
  if (max < 0)
    return fmt::format("{} or more", min);
  return min == max ? std::to_string(min) : fmt::format("{} to {}", min, max);
}

/// Checks what every op relies on before its own inference: operand counts, the attribute
/// struct, present required inputs with known, sane shapes and valid dtypes.
Status checkOperands(const Graph &graph, const Node &node) {
  constexpr size_t kNumOps = 0
#define OP(Name, Attrs, MinIn, MaxIn, MinOut, MaxOut, ...) +1
#include "compiler/ir/Ops.def"
#undef OP
      ;
  if (static_cast<size_t>(node.op) >= kNumOps)
    return makeError("node '{}': internal: unknown op kind {}", node.name,
                     static_cast<int>(node.op));
  OpArity arity = arityOf(node.op);
  auto numIn = static_cast<int>(node.inputs.size());
  auto numOut = static_cast<int>(node.outputs.size());
  if (numIn < arity.minInputs || (arity.maxInputs >= 0 && numIn > arity.maxInputs))
    return nodeError(node, "has {} inputs; the op takes {}", numIn,
                     countText(arity.minInputs, arity.maxInputs));
  if (numOut < arity.minOutputs || (arity.maxOutputs >= 0 && numOut > arity.maxOutputs))
    return nodeError(node, "has {} outputs; the op produces {}", numOut,
                     countText(arity.minOutputs, arity.maxOutputs));
  if (node.attrs.index() != defaultAttrs(node.op).index())
    return nodeError(node, "internal: attribute struct does not match the op");
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    TensorId id = node.inputs[i];
    if (id == kNoTensor) {
      // Variadic inputs are never optional.
      if (static_cast<int>(i) < arity.minInputs || arity.maxInputs < 0)
        return nodeError(node, "required input {} is missing", i);
      continue;
    }
    if (id < 0 || static_cast<size_t>(id) >= graph.numTensors())
      return nodeError(node, "internal: input {} refers to no tensor (id {})", i, id);
    const Tensor &t = graph.tensor(id);
    if (!t.shapeKnown)
      return nodeError(node, "internal: input '{}' has no inferred shape yet", t.name);
    if (!isValidDType(t.dtype))
      return nodeError(node, "input '{}' has an unknown element type ({})", t.name,
                       static_cast<int>(t.dtype));
    auto count = checkedNumel(t.shape);
    bool dimsOk = std::all_of(t.shape.begin(), t.shape.end(),
                              [](int64_t d) { return d >= 0 && d <= kMaxElements; });
    if (!dimsOk || !count || *count > kMaxElements)
      return nodeError(node,
                       "input '{}' has an unsupported shape {}; dims must be in [0, "
                       "2^31] and hold at most 2^31 elements",
                       t.name, toString(t.shape));
  }
  for (size_t k = 0; k < node.outputs.size(); ++k) {
    TensorId id = node.outputs[k];
    if (id < 0 || static_cast<size_t>(id) >= graph.numTensors())
      return nodeError(node, "internal: output {} refers to no tensor (id {})", k, id);
  }
  return Status::ok();
}

Status requireSameDType(const Graph &graph, const Node &node, size_t a, size_t b) {
  DType ta = inputOf(graph, node, a).dtype, tb = inputOf(graph, node, b).dtype;
  if (ta != tb)
    return nodeError(node,
                     "inputs {} and {} have different element types ({} and {}); "
                     "insert a Cast",
                     a, b, name(ta), name(tb));
  return Status::ok();
}

Status requireBool(const Graph &graph, const Node &node, size_t i) {
  DType type = inputOf(graph, node, i).dtype;
  if (type != DType::Bool)
    return nodeError(node, "input {} must be bool, not {}", i, name(type));
  return Status::ok();
}

/// Broadcasts the shapes of all inputs of `node` numpy-style into `out`.
Status broadcastInputs(const Graph &graph, const Node &node, Shape &out) {
  out = inputOf(graph, node, 0).shape;
  for (size_t i = 1; i < node.inputs.size(); ++i) {
    const Shape &next = inputOf(graph, node, i).shape;
    auto joined = broadcastShapes(out, next);
    if (!joined)
      return nodeError(node,
                       "cannot broadcast shapes {} and {} (input {}); dims must be "
                       "equal or 1",
                       toString(out), toString(next), i);
    out = std::move(*joined);
  }
  return Status::ok();
}

/// Binary and variadic elementwise ops. `sameTypes` requires one dtype for all inputs;
/// `boolInputs` requires bool inputs; `result` is the output dtype (nullopt: input 0's).
Status inferBroadcasting(Graph &graph, const Node &node, bool sameTypes, bool boolInputs,
                         std::optional<DType> result) {
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (sameTypes && i > 0)
      RNNPOOLC_TRY(requireSameDType(graph, node, 0, i));
    if (boolInputs)
      RNNPOOLC_TRY(requireBool(graph, node, i));
  }
  Shape out;
  RNNPOOLC_TRY(broadcastInputs(graph, node, out));
  return setOutput(graph, node, 0, result.value_or(inputOf(graph, node, 0).dtype),
                   std::move(out));
}

Status inferWhere(Graph &graph, const Node &node) {
  RNNPOOLC_TRY(requireBool(graph, node, 0));
  RNNPOOLC_TRY(requireSameDType(graph, node, 1, 2));
  Shape out;
  RNNPOOLC_TRY(broadcastInputs(graph, node, out));
  return setOutput(graph, node, 0, inputOf(graph, node, 1).dtype, std::move(out));
}

Status inferClip(Graph &graph, const Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  for (size_t i = 1; i < 3; ++i) {
    if (!hasInput(node, i))
      continue;
    const Tensor &bound = inputOf(graph, node, i);
    if (numel(bound.shape) != 1)
      return nodeError(node, "{} bound must be a scalar, not {}", i == 1 ? "min" : "max",
                       toString(bound.shape));
    RNNPOOLC_TRY(requireSameDType(graph, node, 0, i));
  }
  return setOutput(graph, node, 0, x.dtype, x.shape);
}

Status inferUnary(Graph &graph, const Node &node, std::optional<DType> result) {
  const Tensor &x = inputOf(graph, node, 0);
  return setOutput(graph, node, 0, result.value_or(x.dtype), x.shape);
}

Status inferCast(Graph &graph, const Node &node) {
  DType to = node.attr<CastAttrs>().to;
  if (!isValidDType(to))
    return nodeError(node, "cast target type {} is unknown", static_cast<int>(to));
  return inferUnary(graph, node, to);
}

Status inferUnaryFamily(Graph &graph, const Node &node) {
  switch (node.op) {
  case OpKind::Not:
    RNNPOOLC_TRY(requireBool(graph, node, 0));
    return inferUnary(graph, node, {});
  case OpKind::Clip:
    return inferClip(graph, node);
  case OpKind::Cast:
    return inferCast(graph, node);
  default: // every other unary op maps each element to one of the same type
    return inferUnary(graph, node, {});
  }
}

} // namespace

Status inferShapes(Graph &graph, Node &node) {
  RNNPOOLC_TRY(checkOperands(graph, node));
  switch (node.op) {
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Max:
  case OpKind::Min:
  case OpKind::Sum:
    return inferBroadcasting(graph, node, /*sameTypes=*/true, /*boolInputs=*/false, {});
  case OpKind::Pow:
    return inferBroadcasting(graph, node, /*sameTypes=*/false, /*boolInputs=*/false, {});
  case OpKind::Equal:
  case OpKind::Less:
  case OpKind::Greater:
    return inferBroadcasting(graph, node, /*sameTypes=*/true, /*boolInputs=*/false,
                             DType::Bool);
  case OpKind::And:
  case OpKind::Or:
    return inferBroadcasting(graph, node, /*sameTypes=*/true, /*boolInputs=*/true, DType::Bool);
  case OpKind::Where:
    return inferWhere(graph, node);

    // The unary family: the output has the input's shape (and dtype, but for Cast).
#define OP(N, A, I0, I1, O0, O1, FAMILY, C, P) RNNPOOLC_UNARY_CASE_##FAMILY(N)
#include "compiler/ir/Ops.def"
#undef OP
    return inferUnaryFamily(graph, node);
  case OpKind::QuantizeLinear:
  case OpKind::DequantizeLinear:
    return inferQuantOp(graph, node);

  case OpKind::Conv:
  case OpKind::Gemm:
  case OpKind::MatMul:
  case OpKind::MaxPool:
  case OpKind::AveragePool:
  case OpKind::GlobalAveragePool:
  case OpKind::GlobalMaxPool:
  case OpKind::BatchNormalization:
  case OpKind::Softmax:
  case OpKind::L2Norm:
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
    return inferComputeOp(graph, node);

  case OpKind::Concat:
  case OpKind::Split:
  case OpKind::Slice:
  case OpKind::Gather:
  case OpKind::ScatterND:
  case OpKind::Reshape:
  case OpKind::Flatten:
  case OpKind::Squeeze:
  case OpKind::Unsqueeze:
  case OpKind::Transpose:
  case OpKind::ChannelShuffle:
    return inferLayoutOp(graph, node);

  case OpKind::Pad:
  case OpKind::Resize:
  case OpKind::Expand:
  case OpKind::Tile:
  case OpKind::Shape:
  case OpKind::Range:
  case OpKind::ConstantOfShape:
    return inferPlumbingOp(graph, node);
  case OpKind::RNNPool:
    return inferRNNPool(graph, node);
  }
  return nodeError(node, "internal: no shape inference for op kind {}",
                   static_cast<int>(node.op));
}

} // namespace rnnpoolc::ir
