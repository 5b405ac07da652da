// Lowering a float graph to the float runtime kernels (see FloatLowering.h).
#include "targets/FloatLowering.h"

#include "compiler/ir/MemoryOrder.h"
#include "compiler/ir/OpInfo.h"

#include <fmt/format.h>

#include <array>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <set>

namespace rnnpoolc::targets {

namespace {

/// A column's identifier as text; `none` is the empty string.
constexpr std::string_view column(std::string_view text) {
  return text == "none" ? std::string_view() : text;
}

constexpr FloatKernelInfo kFloatTable[] = {
#define RNNPOOLC_FLOAT_KERNEL(Kind, Name, Shape, Function, Params, Scratch)                    \
  {FloatKind::Kind, Name, quant::CallShape::Shape, column(#Function), column(#Params),         \
   column(#Scratch)},
#include "targets/FloatKernels.def"
};

} // namespace

std::span<const FloatKernelInfo> floatKernelTable() { return kFloatTable; }

const FloatKernelInfo &floatKernelInfo(FloatKind kind) {
  const auto index = static_cast<size_t>(kind);
  assert(index < std::size(kFloatTable) && kFloatTable[index].kind == kind);
  return kFloatTable[index];
}

std::string_view name(FloatKind kind) { return floatKernelInfo(kind).name; }

bool callsParamsInOut(FloatKind kind) {
  return kind == FloatKind::Permute || kind == FloatKind::FullyConnected ||
         kind == FloatKind::GlobalAvgPool || kind == FloatKind::Reduce ||
         kind == FloatKind::L2Norm || kind == FloatKind::Softmax ||
         kind == FloatKind::ChannelShuffle || kind == FloatKind::Resize;
}

int64_t floatWeightsBytes(const FloatModel &model) {
  // Each distinct array once, as emitted (shareIdenticalArrays; compared bit for bit).
  std::set<std::vector<uint32_t>> seen;
  std::set<std::vector<int64_t>> channels;
  int64_t bytes = 0;
  for (const FloatStep &s : model.steps) {
    for (const FloatArray &a : s.arrays) {
      std::vector<uint32_t> bits(a.values.size());
      std::memcpy(bits.data(), a.values.data(), 4 * bits.size());
      if (seen.insert(std::move(bits)).second)
        bytes += 4 * static_cast<int64_t>(a.values.size());
    }
    if (!s.concatChannels.empty() &&
        channels.emplace(s.concatChannels.begin(), s.concatChannels.end()).second)
      bytes += 4 * static_cast<int64_t>(s.concatChannels.size());
  }
  return bytes;
}

FloatParams &FloatParams::add(const char *field, int64_t value) {
  ParamValue v;
  v.field = field, v.value = value;
  values_.push_back(std::move(v));
  return *this;
}

FloatParams &FloatParams::real(const char *field, float value) {
  ParamValue v;
  v.kind = ParamValue::Kind::Float, v.field = field, v.real = value;
  values_.push_back(std::move(v));
  return *this;
}

FloatParams &FloatParams::ptr(const char *field, const std::string &array) {
  ParamValue v;
  v.kind = ParamValue::Kind::Array, v.field = field;
  for (size_t k = 0; arrays_ && k < arrays_->size(); ++k)
    if ((*arrays_)[k].field == array)
      v.array = static_cast<int>(k);
  assert(v.array >= 0 && "the lowering adds a params array before pointing to it");
  values_.push_back(std::move(v));
  return *this;
}

FloatParams &FloatParams::list(const char *field, std::vector<int64_t> values) {
  ParamValue v;
  v.kind = ParamValue::Kind::List, v.field = field, v.list = std::move(values);
  values_.push_back(std::move(v));
  return *this;
}

FloatParams &FloatParams::nested(const char *field, FloatParams inner) {
  ParamValue v;
  v.kind = ParamValue::Kind::Struct, v.field = field, v.fields = inner.take();
  values_.push_back(std::move(v));
  return *this;
}

// FloatShape.cpp: Concat of row-major tensors along any axis.
Expected<FloatStep> lowerRowMajorConcatF32(const ir::Graph &g, const ir::Node &node);

namespace {

using Order = std::optional<std::array<int64_t, 3>>;

/// What the lowering knows while it walks the graph.
struct Lowering {
  const ir::Graph &graph;
  /// Per tensor: set when a 2-D tensor holds the bytes of a [1, C, H, W] feature map
  /// (C > 1, H * W > 1), so its memory order is HWC rather than its logical order.
  std::vector<Order> hwcOrder;
  /// Maps whose values are in their logical order (NHWC after a Transpose that relabels an
  /// HWC map), as compiler/quant's Context::rowMajor.
  std::set<ir::TensorId> rowMajor;

  const ir::Tensor &in(const ir::Node &n, size_t i = 0) const {
    return graph.tensor(n.inputs.at(i));
  }
  const ir::Tensor &out(const ir::Node &n) const { return graph.tensor(n.outputs.at(0)); }
};

/// A 4-D [1, C, H, W] tensor with H * W > 1 is stored HWC; returns its (C, H, W).
Order featureMap(const ir::Shape &s) {
  if (s.size() == 4 && s[2] * s[3] > 1)
    return std::array<int64_t, 3>{s[1], s[2], s[3]};
  return std::nullopt;
}


Expected<const std::vector<float> *> constant(const ir::Graph &g, const ir::Node &node,
                                              size_t i, const char *what) {
  ir::TensorId id = node.input(i);
  if (id == ir::kNoTensor || !g.tensor(id).isConstant() || !ir::isFloat(g.tensor(id).dtype))
    return ir::nodeError(node,
                         "the {} (input {}) must be a float constant for the C "
                         "backend; fold it into a constant",
                         what, i);
  return &g.tensor(id).data->f;
}

/// The optional bias as `count` floats (zeros when absent), times `factor`.
Expected<std::vector<float>> bias(const ir::Graph &g, const ir::Node &node, size_t i,
                                  int64_t count, float factor = 1.0f) {
  std::vector<float> out(static_cast<size_t>(count), 0.0f);
  if (node.input(i) == ir::kNoTensor)
    return out;
  auto b = constant(g, node, i, "bias");
  if (!b)
    return b.error();
  if ((*b)->size() != 1 && static_cast<int64_t>((*b)->size()) != count)
    return ir::nodeError(node,
                         "bias of {} values does not broadcast to {} outputs in the C "
                         "backend",
                         (*b)->size(), count);
  for (size_t o = 0; o < out.size(); ++o)
    out[o] = factor * (**b)[(*b)->size() == 1 ? 0 : o];
  return out;
}

/// An rp_act_f32 as params fields.
FloatParams activation(const ir::Activation &act) {
  int kind = 0;
  switch (act.kind) {
  case ir::ActKind::None:
    kind = 0;
    break;
  case ir::ActKind::Relu:
    kind = 1;
    break;
  case ir::ActKind::Clip:
    kind = 2;
    break;
  case ir::ActKind::LeakyRelu:
    kind = 3;
    break;
  case ir::ActKind::Sigmoid:
    kind = 4;
    break;
  case ir::ActKind::HardSigmoid:
    kind = 5;
    break;
  case ir::ActKind::HardSwish:
    kind = 6;
    break;
  case ir::ActKind::Tanh:
    kind = 7;
    break;
  }
  FloatParams p;
  p.add("kind", kind).real("alpha", act.alpha).real("beta", act.beta);
  return p;
}

Expected<FloatStep> lowerConv(const Lowering &l, const ir::Node &node) {
  const auto &a = node.attr<ir::ConvAttrs>();
  const ir::Tensor &x = l.in(node), &y = l.out(node);
  if (x.shape.size() != 4 || x.shape[0] != 1)
    return ir::nodeError(node, "the C backend runs 2-D convolutions of batch 1");
  auto w = constant(l.graph, node, 1, "weights");
  if (!w)
    return w.error();
  const ir::Shape &ws = l.in(node, 1).shape;
  const int64_t outC = ws[0], inG = ws[1], kh = ws[2], kw = ws[3], taps = kh * kw;
  auto b = bias(l.graph, node, 2, outC);
  if (!b)
    return b.error();
  const bool depthwise = a.group > 1 && a.group == x.shape[1] && a.group == outC;
  std::vector<float> packed((*w)->size());
  for (int64_t o = 0; o < outC; ++o)
    for (int64_t i = 0; i < inG; ++i)
      for (int64_t t = 0; t < taps; ++t) {
        float v = (**w)[static_cast<size_t>((o * inG + i) * taps + t)];
        // OIHW -> OHWI, or for depthwise (inG == 1) -> [kh][kw][c].
        size_t at = depthwise ? static_cast<size_t>(t * outC + o)
                              : static_cast<size_t>((o * taps + t) * inG + i);
        packed[at] = v;
      }
  FloatStep s;
  s.kind = FloatKind::Conv;
  s.arrays = {{"weights", std::move(packed)}, {"bias", std::move(*b)}};
  FloatParams p(&s.arrays);
  p.add("in_h", x.shape[2]), p.add("in_w", x.shape[3]), p.add("in_c", x.shape[1]);
  p.add("out_h", y.shape[2]), p.add("out_w", y.shape[3]), p.add("out_c", outC);
  p.add("k_h", kh), p.add("k_w", kw);
  p.add("stride_h", a.strides[0]), p.add("stride_w", a.strides[1]);
  p.add("dil_h", a.dilations[0]), p.add("dil_w", a.dilations[1]);
  p.add("pad_top", a.pads[0]), p.add("pad_left", a.pads[1]), p.add("groups", a.group);
  p.nested("act", activation(a.act));
  p.ptr("weights", "weights"), p.ptr("bias", "bias");
  s.params = p.take();
  return s;
}

Expected<FloatStep> lowerFullyConnected(const Lowering &l, const ir::Node &node) {
  const ir::Tensor &x = l.in(node), &y = l.out(node);
  const bool gemm = node.op == ir::OpKind::Gemm;
  ir::GemmAttrs a = gemm ? node.attr<ir::GemmAttrs>() : ir::GemmAttrs{};
  if (x.shape.size() != 2 || a.transA)
    return ir::nodeError(node, "the C backend needs a 2-D, untransposed activation input");
  auto bm = constant(l.graph, node, 1, "weight matrix");
  if (!bm)
    return bm.error();
  const int64_t rows = x.shape[0], k = x.shape[1], n = y.shape[1];
  auto b = gemm ? bias(l.graph, node, 2, n, a.beta)
                : Expected<std::vector<float>>(std::vector<float>(static_cast<size_t>(n)));
  if (!b)
    return b.error();
  const Order &order = l.hwcOrder[static_cast<size_t>(node.inputs[0])];
  std::vector<float> w(static_cast<size_t>(n * k));
  for (int64_t m = 0; m < k; ++m) {
    int64_t logical = m;
    if (order) { // feature m in memory is pixel m / C, channel m % C
      auto [c, h, wd] = *order;
      logical = (m % c) * h * wd + m / c;
    }
    for (int64_t o = 0; o < n; ++o)
      w[static_cast<size_t>(o * k + m)] =
          a.alpha * (**bm)[static_cast<size_t>(a.transB ? o * k + logical : logical * n + o)];
  }
  FloatStep s;
  s.kind = FloatKind::FullyConnected;
  s.arrays = {{"weights", std::move(w)}, {"bias", std::move(*b)}};
  FloatParams p(&s.arrays);
  p.add("rows", rows), p.add("in_features", k), p.add("out_features", n);
  p.nested("act", activation(a.act));
  p.ptr("weights", "weights"), p.ptr("bias", "bias");
  s.params = p.take();
  return s;
}

Expected<FloatStep> lowerPool(const Lowering &l, const ir::Node &node) {
  const ir::Tensor &x = l.in(node), &y = l.out(node);
  if (x.shape.size() != 4 || x.shape[0] != 1)
    return ir::nodeError(node, "the C backend pools 2-D feature maps of batch 1 only");
  FloatStep s;
  s.kind = node.op == ir::OpKind::AveragePool ? FloatKind::AvgPool : FloatKind::MaxPool;
  FloatParams p;
  p.add("in_h", x.shape[2]), p.add("in_w", x.shape[3]), p.add("channels", x.shape[1]);
  p.add("out_h", y.shape[2]), p.add("out_w", y.shape[3]);
  if (node.op == ir::OpKind::GlobalMaxPool) {
    p.add("k_h", x.shape[2]), p.add("k_w", x.shape[3]), p.add("stride_h", 1);
    p.add("stride_w", 1);
  } else {
    const auto &a = node.attr<ir::PoolAttrs>();
    for (int64_t d : a.dilations)
      if (d != 1)
        return ir::nodeError(node, "dilated pooling has no kernel in the C backend");
    p.add("k_h", a.kernel[0]), p.add("k_w", a.kernel[1]);
    p.add("stride_h", a.strides[0]), p.add("stride_w", a.strides[1]);
    p.add("pad_top", a.pads[0]), p.add("pad_left", a.pads[1]);
    p.add("pad_bottom", a.pads[2]), p.add("pad_right", a.pads[3]);
    p.add("count_include_pad", a.countIncludePad ? 1 : 0);
  }
  s.params = p.take();
  return s;
}

Expected<FloatStep> lowerUnary(const Lowering &l, const ir::Node &node) {
  FloatStep s;
  s.kind = FloatKind::Unary;
  // The plain functions, RP_ACT_SQRT.. in rnnpoolc_runtime_f32.h.
  const std::pair<ir::OpKind, int> plain[] = {{ir::OpKind::Sqrt, 8},
                                              {ir::OpKind::Exp, 9},
                                              {ir::OpKind::Neg, 10},
                                              {ir::OpKind::Abs, 11},
                                              {ir::OpKind::Reciprocal, 12},
                                              {ir::OpKind::Softplus, 13},
                                              {ir::OpKind::Log, 14},
                                              {ir::OpKind::Floor, 15},
                                              {ir::OpKind::Ceil, 16},
                                              {ir::OpKind::Erf, 17}};
  for (auto [op, kind] : plain)
    if (node.op == op) {
      s.params = FloatParams().add("kind", kind).real("alpha", 0).real("beta", 0).take();
      return s;
    }
  auto computed = ir::activationOf(l.graph, node);
  if (!computed)
    return ir::nodeError(node, "clip bounds must be constant scalars");
  s.params = activation(*computed).take(); // rp_act_f32 is the activation itself
  return s;
}

Expected<FloatStep> lowerSoftmax(const Lowering &l, const ir::Node &node) {
  const ir::Tensor &x = l.in(node);
  const auto &a = node.attr<ir::SoftmaxAttrs>();
  auto rank = static_cast<int64_t>(x.shape.size());
  int64_t axis = a.axis < 0 ? a.axis + rank : a.axis;
  // Along rows of n contiguous values, as the int8 kernel: the axis must be innermost in
  // memory (a map's channels are; its last axis, the columns, is not).
  const ir::TensorId in = node.inputs[0];
  const auto runs = l.hwcOrder[static_cast<size_t>(in)]
                        ? std::nullopt
                        : ir::softmaxRuns(x.shape, l.rowMajor.count(in) > 0, axis, a.coerce2D);
  if (!runs)
    return ir::nodeError(node, "the C backend's softmax works along an axis whose values are "
                               "contiguous in memory: the channels of a [1, C, H, W] map "
                               "(axis 1) or the last axis of other tensors, not the rows or "
                               "columns of a map");
  FloatStep s;
  s.kind = FloatKind::Softmax;
  FloatParams p;
  p.add("rows", runs->rows), p.add("n", runs->n);
  s.params = p.take();
  return s;
}

Expected<FloatStep> lowerConcat(const Lowering &l, const ir::Node &node) {
  const ir::Tensor &y = l.out(node);
  if (y.shape.size() != 4) { // row-major tensors: any axis
    for (ir::TensorId in : node.inputs)
      if (l.hwcOrder[static_cast<size_t>(in)])
        return ir::nodeError(node, "concatenating a flattened feature map has no kernel in "
                                   "the C backend; permute(0, 2, 3, 1) each map and reshape "
                                   "it to [1, N, k] instead of flattening it");
    return lowerRowMajorConcatF32(l.graph, node);
  }
  int64_t axis = node.attr<ir::AxisAttrs>().axis;
  if (axis < 0)
    axis += static_cast<int64_t>(y.shape.size());
  if (axis != 1 || (y.shape.size() != 2 && y.shape.size() != 4))
    return ir::nodeError(node, "the C backend concatenates along channels only");
  FloatStep s;
  s.kind = FloatKind::Concat;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (l.in(node, i).isConstant() || l.hwcOrder[static_cast<size_t>(node.inputs[i])])
      return ir::nodeError(node, "concatenating a constant or a flattened feature map has no "
                                 "kernel in the C backend");
    s.concatChannels.push_back(static_cast<int32_t>(l.in(node, i).shape[1]));
  }
  FloatParams p;
  p.add("pixels", y.shape.size() == 4 ? y.shape[2] * y.shape[3] : 1);
  p.add("out_channels", y.shape[1]);
  p.add("num_inputs", static_cast<int64_t>(node.inputs.size()));
  s.params = p.take(); // .channels is added by the emitter
  return s;
}

Expected<FloatStep> lowerSplit(const Lowering &l, const ir::Node &node) {
  const ir::Tensor &x = l.in(node);
  int64_t axis = node.attr<ir::AxisAttrs>().axis;
  if (axis < 0)
    axis += static_cast<int64_t>(x.shape.size());
  if (axis != 1 || (x.shape.size() != 2 && x.shape.size() != 4) ||
      l.hwcOrder[static_cast<size_t>(node.inputs[0])])
    return ir::nodeError(node, "the C backend splits along channels only");
  FloatStep s;
  s.kind = FloatKind::Split;
  for (ir::TensorId out : node.outputs)
    s.concatChannels.push_back(static_cast<int32_t>(l.graph.tensor(out).shape[1]));
  s.params = FloatParams()
                 .add("pixels", x.shape.size() == 4 ? x.shape[2] * x.shape[3] : 1)
                 .add("in_channels", x.shape[1])
                 .add("num_outputs", static_cast<int64_t>(node.outputs.size()))
                 .take();
  return s; // .channels is added by the emitter
}

} // namespace

// FloatRNNPool.cpp and FloatElementwise.cpp.
Expected<FloatStep> lowerRNNPool(const ir::Graph &g, const ir::Node &node);
Expected<FloatStep> lowerBinary(const ir::Graph &g, const ir::Node &node,
                                const std::vector<bool> &flat);
Expected<FloatStep> lowerReduce(const ir::Graph &g, const ir::Node &node,
                                const std::vector<bool> &flat);
Expected<FloatStep> lowerL2Norm(const ir::Graph &g, const ir::Node &node,
                                const std::vector<bool> &flat);
// FloatShape.cpp.
Expected<FloatStep> lowerPadF32(const ir::Graph &g, const ir::Node &node);
Expected<FloatStep> lowerResizeF32(const ir::Graph &g, const ir::Node &node); // FloatResize.cpp
Expected<FloatStep> lowerSliceF32(const ir::Graph &g, const ir::Node &node, bool flat,
                                  bool rowMajor);
Expected<FloatStep> lowerTransposeF32(const ir::Graph &g, const ir::Node &node, bool flat,
                                      bool inRowMajor, bool &outRowMajor);
Expected<FloatStep> lowerChannelShuffleF32(const ir::Graph &g, const ir::Node &node, bool flat);

namespace {

/// Per input: does it hold a flattened feature map's HWC bytes?
std::vector<bool> flatInputs(const Lowering &l, const ir::Node &node) {
  std::vector<bool> flat;
  for (ir::TensorId t : node.inputs)
    flat.push_back(t != ir::kNoTensor && l.hwcOrder[static_cast<size_t>(t)].has_value());
  return flat;
}

/// Checks that an alias keeps the bytes meaningful and records the HWC order it passes on.
Status alias(Lowering &l, const ir::Node &node) {
  ir::TensorId in = node.inputs.at(0), out = node.outputs.at(0);
  if (l.rowMajor.count(in)) { // values in logical order: any reshape keeps them so
    if (ir::isHwcMap(l.graph.tensor(out).shape))
      l.rowMajor.insert(out);
    return Status::ok();
  }
  Order from = featureMap(l.graph.tensor(in).shape), to = featureMap(l.graph.tensor(out).shape);
  Order &order = l.hwcOrder[static_cast<size_t>(out)];
  if (from && to) {
    if (*from != *to)
      return ir::nodeError(node, "reshaping a feature map into another is not supported by the "
                                 "C backend (its values are channels-last)");
    return Status::ok();
  }
  if (from) {
    if ((*from)[0] > 1)
      order = from;
    return Status::ok();
  }
  if (to && (*to)[0] > 1)
    return ir::nodeError(node, "reshaping a vector into a feature map is not supported by the "
                               "C backend");
  order = l.hwcOrder[static_cast<size_t>(in)];
  return Status::ok();
}

Expected<FloatStep> lowerNode(Lowering &l, const ir::Node &node) {
  switch (node.op) {
  case ir::OpKind::Conv:
    return lowerConv(l, node);
  case ir::OpKind::Gemm:
  case ir::OpKind::MatMul:
    return lowerFullyConnected(l, node);
  case ir::OpKind::MaxPool:
  case ir::OpKind::GlobalMaxPool:
  case ir::OpKind::AveragePool:
    return lowerPool(l, node);
  case ir::OpKind::GlobalAveragePool: {
    const ir::Tensor &x = l.in(node);
    if (x.shape.size() != 4)
      return ir::nodeError(node, "the C backend pools 2-D feature maps only");
    FloatStep s;
    s.kind = FloatKind::GlobalAvgPool;
    s.params = FloatParams()
                   .add("in_h", x.shape[2])
                   .add("in_w", x.shape[3])
                   .add("channels", x.shape[1])
                   .take();
    return s;
  }
  case ir::OpKind::Add: {
    const bool plain = !l.in(node, 0).isConstant() && !l.in(node, 1).isConstant() &&
                       l.in(node, 0).shape == l.in(node, 1).shape &&
                       l.hwcOrder[static_cast<size_t>(node.inputs[0])] ==
                           l.hwcOrder[static_cast<size_t>(node.inputs[1])];
    if (!plain)
      return lowerBinary(l.graph, node, flatInputs(l, node));
    FloatStep s;
    s.kind = FloatKind::Add;
    return s;
  }
  case ir::OpKind::Concat:
    return lowerConcat(l, node);
  case ir::OpKind::Split:
    return lowerSplit(l, node);
  case ir::OpKind::Relu:
  case ir::OpKind::Clip:
  case ir::OpKind::LeakyRelu:
  case ir::OpKind::Sigmoid:
  case ir::OpKind::HardSigmoid:
  case ir::OpKind::HardSwish:
  case ir::OpKind::Tanh:
  case ir::OpKind::Sqrt:
  case ir::OpKind::Exp:
  case ir::OpKind::Neg:
  case ir::OpKind::Abs:
  case ir::OpKind::Reciprocal:
  case ir::OpKind::Softplus:
  case ir::OpKind::Log:
  case ir::OpKind::Floor:
  case ir::OpKind::Ceil:
  case ir::OpKind::Erf:
    return lowerUnary(l, node);
  case ir::OpKind::Sub:
  case ir::OpKind::Mul:
  case ir::OpKind::Div:
  case ir::OpKind::Pow:
    return lowerBinary(l.graph, node, flatInputs(l, node));
  case ir::OpKind::Max:
  case ir::OpKind::Min:
    if (node.inputs.size() != 2)
      return ir::nodeError(node, "the C backend's {} takes two inputs, not {}",
                           ir::opName(node.op), node.inputs.size());
    return lowerBinary(l.graph, node, flatInputs(l, node));
  case ir::OpKind::ReduceSum:
  case ir::OpKind::ReduceMean:
  case ir::OpKind::ReduceMax:
  case ir::OpKind::ReduceMin:
    return lowerReduce(l.graph, node, flatInputs(l, node));
  case ir::OpKind::Pad:
    return lowerPadF32(l.graph, node);
  case ir::OpKind::Resize:
    return lowerResizeF32(l.graph, node);
  case ir::OpKind::Slice:
    return lowerSliceF32(l.graph, node, flatInputs(l, node)[0],
                         l.rowMajor.count(node.inputs[0]) > 0);
  case ir::OpKind::Transpose: {
    bool outRowMajor = false;
    auto step = lowerTransposeF32(l.graph, node, flatInputs(l, node)[0],
                                  l.rowMajor.count(node.inputs[0]) > 0, outRowMajor);
    if (step && outRowMajor)
      l.rowMajor.insert(node.outputs[0]);
    return step;
  }
  case ir::OpKind::L2Norm:
    return lowerL2Norm(l.graph, node, flatInputs(l, node));
  case ir::OpKind::ChannelShuffle:
    return lowerChannelShuffleF32(l.graph, node, flatInputs(l, node)[0]);
  case ir::OpKind::Softmax:
    return lowerSoftmax(l, node);
  case ir::OpKind::RNNPool:
    return lowerRNNPool(l.graph, node);
  case ir::OpKind::Reshape:
  case ir::OpKind::Flatten:
  case ir::OpKind::Squeeze:
  case ir::OpKind::Unsqueeze:
  case ir::OpKind::Identity: {
    RNNPOOLC_TRY(alias(l, node));
    return FloatStep{};
  }
  // No float kernel (most are folded or rewritten before lowering when they can be).
  case ir::OpKind::Sum:
  case ir::OpKind::Equal:
  case ir::OpKind::Less:
  case ir::OpKind::Greater:
  case ir::OpKind::And:
  case ir::OpKind::Or:
  case ir::OpKind::Where:
  case ir::OpKind::Not:
  case ir::OpKind::Cast:
  case ir::OpKind::QuantizeLinear:
  case ir::OpKind::DequantizeLinear:
  case ir::OpKind::BatchNormalization:
  case ir::OpKind::Gather:
  case ir::OpKind::ScatterND:
  case ir::OpKind::Expand:
  case ir::OpKind::Tile:
  case ir::OpKind::Shape:
  case ir::OpKind::Range:
  case ir::OpKind::ConstantOfShape:
    break;
  }
  if (node.op == ir::OpKind::QuantizeLinear || node.op == ir::OpKind::DequantizeLinear)
    return ir::nodeError(node, "has no float kernel in the C backend: a pre-quantised (QDQ) "
                               "model compiles in the int8 build, which takes its scales; "
                               "drop --float");
  return ir::nodeError(node, "has no float kernel in the C backend");
}

} // namespace

Expected<FloatModel> lowerFloat(const ir::Graph &graph) {
  FloatModel model{graph, {}};
  Lowering l{model.graph, std::vector<Order>(graph.numTensors()), {}};
  RNNPOOLC_TRY(ir::checkConstantWeights(graph));
  for (ir::TensorId id : graph.inputs) {
    const ir::Tensor &t = graph.tensor(id);
    if (!ir::isFloat(t.dtype) || t.shape.empty() || t.shape[0] != 1)
      return makeError("graph input '{}' must be float with batch 1 for the C backend, not "
                       "{}[{}]",
                       t.name, ir::name(t.dtype), ir::toString(t.shape));
  }
  for (const ir::Node &node : model.graph.nodes) {
    for (ir::TensorId in : node.inputs)
      if (in != ir::kNoTensor && !graph.tensor(in).isConstant() &&
          !ir::isFloat(graph.tensor(in).dtype))
        return ir::nodeError(node, "reads the non-float tensor '{}' at run time",
                             graph.tensor(in).name);
    auto step = lowerNode(l, node);
    if (!step)
      return step.error();
    for (ir::TensorId in : node.inputs)
      if (l.rowMajor.count(in) && step->kind != FloatKind::Alias &&
          step->kind != FloatKind::Permute && step->kind != FloatKind::Unary &&
          node.op != ir::OpKind::Transpose)
        return ir::nodeError(node, "reads a transposed feature map (its values are in NHWC "
                                   "order); only reshapes, transposes and activations can in "
                                   "the C backend, so reshape it to a vector or a [1, N, k] "
                                   "tensor first");
    if (step->kind == FloatKind::Unary && l.rowMajor.count(node.inputs.at(0)))
      l.rowMajor.insert(node.outputs[0]);
    bool flat = l.hwcOrder[static_cast<size_t>(node.inputs.at(0))].has_value();
    if (flat && step->kind != FloatKind::Alias && step->kind != FloatKind::FullyConnected &&
        step->kind != FloatKind::Unary && step->kind != FloatKind::Add &&
        step->kind != FloatKind::Binary)
      return ir::nodeError(node, "reads a flattened feature map; only fully connected layers "
                                 "and elementwise ops can in the C backend; to concatenate a "
                                 "head's maps, permute(0, 2, 3, 1) each and reshape it to "
                                 "[1, N, k] instead of flattening it");
    if (step->kind == FloatKind::Unary || step->kind == FloatKind::Add ||
        step->kind == FloatKind::Binary) // elementwise: the bytes keep an operand's order
      for (ir::TensorId in : node.inputs)
        if (in != ir::kNoTensor && l.hwcOrder[static_cast<size_t>(in)])
          l.hwcOrder[static_cast<size_t>(node.outputs[0])] =
              l.hwcOrder[static_cast<size_t>(in)];
    model.steps.push_back(std::move(*step));
  }
  for (ir::TensorId out : graph.outputs)
    if (l.rowMajor.count(out))
      return makeError("graph output '{}' is a map in NHWC order (a transpose of a feature "
                       "map reshaped back to a map), which the C backend cannot return in "
                       "logical order",
                       graph.tensor(out).name);
  for (ir::TensorId out : graph.outputs)
    if (l.hwcOrder[static_cast<size_t>(out)])
      return makeError("graph output '{}' is a flattened feature map, which the C backend "
                       "cannot return in logical order",
                       graph.tensor(out).name);
  return model;
}

} // namespace rnnpoolc::targets
