// Human-readable listing of a graph, for debugging and golden tests. The format is stable:
//   input %x: float32[1x3x8x8]
//   %w: float32[8x3x3x3] = const
//   %shape: int64[2] = const [1, -1]
//   %y: float32[1x8x8x8] = Conv(%x, %w, _) {kernel=3x3 strides=1x1 ...}  # conv1
//   output %y
#include "compiler/ir/Printer.h"
#include "compiler/ir/Resize.h"
#include "compiler/support/Escape.h"

#include <type_traits>

namespace rnnpoolc::ir {
namespace {

/// Constants with at most this many elements have their values printed.
constexpr int64_t kMaxPrintedValues = 8;

std::string joinInts(const Ints &values, std::string_view sep) {
  std::string s;
  for (size_t k = 0; k < values.size(); ++k)
    s += (k ? std::string(sep) : std::string()) + std::to_string(values[k]);
  return s;
}

std::string_view autoPadName(AutoPad mode) {
  switch (mode) {
  case AutoPad::NotSet:
    return "notset";
  case AutoPad::SameUpper:
    return "same_upper";
  case AutoPad::SameLower:
    return "same_lower";
  case AutoPad::Valid:
    return "valid";
  }
  return "?";
}

std::string activationText(const Activation &act) {
  switch (act.kind) {
  case ActKind::None:
    return "none";
  case ActKind::Relu:
    return "relu";
  case ActKind::Clip:
    return fmt::format("clip({},{})", act.alpha, act.beta);
  case ActKind::LeakyRelu:
    return fmt::format("leakyrelu({})", act.alpha);
  case ActKind::Sigmoid:
    return "sigmoid";
  case ActKind::HardSigmoid:
    return fmt::format("hardsigmoid({},{})", act.alpha, act.beta);
  case ActKind::HardSwish:
    return "hardswish";
  case ActKind::Tanh:
    return "tanh";
  }
  return "?";
}

std::string_view padModeName(PadMode mode) {
  switch (mode) {
  case PadMode::Constant:
    return "constant";
  case PadMode::Edge:
    return "edge";
  case PadMode::Reflect:
    return "reflect";
  }
  return "?";
}

/// Collects "key=value" pairs separated by spaces.
struct AttrText {
  std::string text;
  template <typename T> void add(std::string_view key, const T &value) {
    text += fmt::format("{}{}={}", text.empty() ? "" : " ", key, value);
  }
  void addDims(std::string_view key, const Ints &values) {
    if (!values.empty())
      add(key, joinInts(values, "x"));
  }
  void addList(std::string_view key, const Ints &values) {
    if (!values.empty())
      add(key, joinInts(values, ","));
  }
};

/// One FastGRNN cell of RNNPool: "h16,sigmoid/tanh", plus ",rankW=R,rankU=R" when set.
std::string cellText(const FastGrnnAttrs &cell) {
  std::string s = fmt::format("h{},{}/{}", cell.hidden, name(cell.gate), name(cell.update));
  if (cell.rankW > 0)
    s += fmt::format(",rankW={}", cell.rankW);
  if (cell.rankU > 0)
    s += fmt::format(",rankU={}", cell.rankU);
  return s;
}

/// Kernel, strides, pads and dilations as Conv and pooling share them.
void addWindow(AttrText &out, const Ints &kernel, const Ints &strides, const Ints &pads,
               const Ints &dilations, AutoPad autoPad) {
  out.addDims("kernel", kernel);
  out.addDims("strides", strides);
  out.addList("pads", pads);
  out.addDims("dilations", dilations);
  if (autoPad != AutoPad::NotSet)
    out.add("auto_pad", autoPadName(autoPad));
}

void addAttrs(AttrText &out, OpKind op, const Attrs &attrs) {
  std::visit(
      [&](const auto &a) {
        using A = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<A, ConvAttrs>) {
          addWindow(out, a.kernel, a.strides, a.pads, a.dilations, a.autoPad);
          out.add("group", a.group);
          if (a.act.kind != ActKind::None)
            out.add("act", activationText(a.act));
        } else if constexpr (std::is_same_v<A, GemmAttrs>) {
          out.add("alpha", a.alpha);
          out.add("beta", a.beta);
          out.add("transA", int(a.transA));
          out.add("transB", int(a.transB));
          if (a.act.kind != ActKind::None)
            out.add("act", activationText(a.act));
        } else if constexpr (std::is_same_v<A, PoolAttrs>) {
          addWindow(out, a.kernel, a.strides, a.pads, a.dilations, a.autoPad);
          out.add("ceil_mode", int(a.ceilMode));
          if (op == OpKind::AveragePool)
            out.add("count_include_pad", int(a.countIncludePad));
        } else if constexpr (std::is_same_v<A, AxisAttrs>) {
          out.add("axis", a.axis);
        } else if constexpr (std::is_same_v<A, AlphaBetaAttrs>) {
          out.add("alpha", a.alpha);
          if (op != OpKind::LeakyRelu)
            out.add("beta", a.beta);
        } else if constexpr (std::is_same_v<A, BatchNormAttrs>) {
          out.add("epsilon", a.epsilon);
        } else if constexpr (std::is_same_v<A, L2NormAttrs>) {
          out.add("eps", a.eps);
          out.add("eps_inside_sqrt", int(a.epsInsideSqrt));
          out.add("axis", a.axis);
        } else if constexpr (std::is_same_v<A, SoftmaxAttrs>) {
          out.add("axis", a.axis);
          if (a.coerce2D)
            out.add("coerce2d", 1);
        } else if constexpr (std::is_same_v<A, ReduceAttrs>) {
          out.add("keepdims", int(a.keepDims));
          out.add("noop_with_empty_axes", int(a.noopWithEmptyAxes));
        } else if constexpr (std::is_same_v<A, ReshapeAttrs>) {
          out.add("allowzero", int(a.allowZero));
        } else if constexpr (std::is_same_v<A, TransposeAttrs>) {
          out.add("perm", a.perm.empty() ? std::string("reverse") : joinInts(a.perm, ","));
        } else if constexpr (std::is_same_v<A, ChannelShuffleAttrs>) {
          out.add("groups", a.groups);
        } else if constexpr (std::is_same_v<A, PadAttrs>) {
          out.add("mode", padModeName(a.mode));
        } else if constexpr (std::is_same_v<A, ResizeAttrs>) {
          out.add("mode", name(a.mode));
          out.add("coordinate_transformation_mode", name(a.coord));
          if (a.mode == ResizeMode::Nearest)
            out.add("nearest_mode", name(a.nearest));
        } else if constexpr (std::is_same_v<A, ShapeAttrs>) {
          out.add("start", a.start);
          if (a.end)
            out.add("end", *a.end);
        } else if constexpr (std::is_same_v<A, CastAttrs>) {
          out.add("to", name(a.to));
        } else if constexpr (std::is_same_v<A, ConstantOfShapeAttrs>) {
          out.add("dtype", name(a.dtype));
          out.add("value", a.value);
        } else if constexpr (std::is_same_v<A, RNNPoolAttrs>) {
          out.addDims("patch", a.patch);
          out.addDims("stride", a.stride);
          out.add("rnn1", cellText(a.rnn1));
          out.add("rnn2", cellText(a.rnn2));
          if (!a.encoding.empty())
            out.add("encoding", a.encoding);
          out.add("replaced", a.replacedNodes);
        } else {
          static_assert(std::is_same_v<A, NoAttrs>, "printAttrs misses an attribute struct");
        }
      },
      attrs);
}

/// "float32[1x3x8x8]", "int64[]" for a scalar, "float32[?]" before shape inference.
std::string typeText(const Tensor &t) {
  if (!t.shapeKnown)
    return fmt::format("{}[?]", name(t.dtype));
  return fmt::format("{}[{}]", name(t.dtype), t.shape.empty() ? "" : toString(t.shape));
}

std::string ref(const Graph &graph, TensorId id) {
  if (id == kNoTensor)
    return "_";
  if (id < 0 || static_cast<size_t>(id) >= graph.numTensors())
    return fmt::format("%<bad id {}>", id);
  return "%" + escapeForMessage(graph.tensor(id).name);
}

std::string constantLine(const Tensor &t) {
  std::string line = fmt::format("%{}: {} = const", escapeForMessage(t.name), typeText(t));
  const TensorData &d = *t.data;
  if (d.numel() == 0 || d.numel() > kMaxPrintedValues)
    return line;
  line += " [";
  for (int64_t k = 0; k < d.numel(); ++k)
    line += (k ? ", " : "") + (isFloat(d.dtype) ? fmt::format("{}", d.f[static_cast<size_t>(k)])
                                                : std::to_string(d.i[static_cast<size_t>(k)]));
  return line + "]";
}

std::string nodeLine(const Graph &graph, const Node &node) {
  std::string line;
  for (size_t k = 0; k < node.outputs.size(); ++k) {
    TensorId id = node.outputs[k];
    bool valid = id >= 0 && static_cast<size_t>(id) < graph.numTensors();
    line += (k ? ", " : "") + ref(graph, id) +
            (valid ? ": " + typeText(graph.tensor(id)) : std::string());
  }
  line += fmt::format(" = {}(", opName(node.op));
  for (size_t k = 0; k < node.inputs.size(); ++k)
    line += (k ? ", " : "") + ref(graph, node.inputs[k]);
  line += ")";
  if (std::string attrs = printAttrs(node); !attrs.empty())
    line += " {" + attrs + "}";
  if (!node.name.empty())
    line += "  # " + escapeForMessage(node.name);
  return line;
}

} // namespace

std::string printAttrs(const Node &node) {
  AttrText out;
  addAttrs(out, node.op, node.attrs);
  return out.text;
}

std::string printGraph(const Graph &graph) {
  std::string text;
  for (TensorId id : graph.inputs)
    text += fmt::format("input {}: {}\n", ref(graph, id),
                        id >= 0 && static_cast<size_t>(id) < graph.numTensors()
                            ? typeText(graph.tensor(id))
                            : "?");
  // Constants that nodes or outputs use, in tensor order.
  std::vector<char> used(graph.numTensors(), 0);
  auto mark = [&](TensorId id) {
    if (id >= 0 && static_cast<size_t>(id) < graph.numTensors())
      used[static_cast<size_t>(id)] = 1;
  };
  for (const Node &node : graph.nodes)
    for (TensorId id : node.inputs)
      mark(id);
  for (TensorId id : graph.outputs)
    mark(id);
  for (size_t t = 0; t < graph.numTensors(); ++t)
    if (used[t] && graph.tensor(static_cast<TensorId>(t)).isConstant())
      text += constantLine(graph.tensor(static_cast<TensorId>(t))) + "\n";
  for (const Node &node : graph.nodes)
    text += nodeLine(graph, node) + "\n";
  for (TensorId id : graph.outputs)
    text += fmt::format("output {}\n", ref(graph, id));
  return text;
}

} // namespace rnnpoolc::ir
