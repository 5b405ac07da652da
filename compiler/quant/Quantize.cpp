// quantize(): rewrites a float graph into one runtime kernel per node, chooses every
// activation's int8 parameters from the calibrated ranges, and has the per-op builders
// compute the kernels' constants.
#include "compiler/quant/QuantInternal.h"

#include <algorithm>
#include <cmath>

namespace rnnpoolc::quant {

std::string_view name(KernelKind kind) {
  switch (kind) {
  case KernelKind::Alias: return "alias";
  case KernelKind::Conv: return "conv";
  case KernelKind::FullyConnected: return "fully_connected";
  case KernelKind::MaxPool: return "maxpool";
  case KernelKind::AvgPool: return "avgpool";
  case KernelKind::GlobalAvgPool: return "global_avgpool";
  case KernelKind::Add: return "add";
  case KernelKind::Concat: return "concat";
  case KernelKind::Requant: return "requant";
  case KernelKind::Lut: return "lut";
  case KernelKind::Softmax: return "softmax";
  case KernelKind::RNNPool: return "rnnpool";
  case KernelKind::L2Norm: return "l2norm";
  case KernelKind::Mul: return "mul";
  case KernelKind::MulChannel: return "mul_channel";
  case KernelKind::ChannelSlice: return "channel_slice";
  case KernelKind::Pad: return "pad";
  }
  return "?";
}

const void *ConstArray::data() const {
  if (ctype == "int8_t")
    return s8.data();
  if (ctype == "int16_t")
    return s16.data();
  return s32.data();
}

size_t ConstArray::count() const {
  if (ctype == "int8_t")
    return s8.size();
  if (ctype == "int16_t")
    return s16.size();
  return s32.size();
}

namespace {

template <typename T>
std::shared_ptr<ConstArray> makeArray(std::string field, std::string ctype, std::vector<T> v,
                                      std::vector<T> ConstArray::*member) {
  auto array = std::make_shared<ConstArray>();
  array->field = std::move(field);
  array->ctype = std::move(ctype);
  (*array).*member = std::move(v);
  return array;
}

} // namespace

const int8_t *addArray(Layer &layer, std::string field, std::vector<int8_t> values) {
  auto a = makeArray(std::move(field), "int8_t", std::move(values), &ConstArray::s8);
  layer.arrays.push_back(a);
  return a->s8.data();
}
const int16_t *addArray(Layer &layer, std::string field, std::vector<int16_t> values) {
  auto a = makeArray(std::move(field), "int16_t", std::move(values), &ConstArray::s16);
  layer.arrays.push_back(a);
  return a->s16.data();
}
const int32_t *addArray(Layer &layer, std::string field, std::vector<int32_t> values) {
  auto a = makeArray(std::move(field), "int32_t", std::move(values), &ConstArray::s32);
  layer.arrays.push_back(a);
  return a->s32.data();
}
const uint32_t *addArrayU32(Layer &layer, std::string field, std::vector<int32_t> values) {
  auto a = makeArray(std::move(field), "uint32_t", std::move(values), &ConstArray::s32);
  layer.arrays.push_back(a);
  return reinterpret_cast<const uint32_t *>(a->s32.data());
}

int32_t roundClamp(double x, double lo, double hi) {
  if (std::isnan(x))
    return 0;
  return static_cast<int32_t>(std::clamp(std::round(x), lo, hi));
}

int32_t quantizeValue(double x, const AffineParams &p) {
  return roundClamp(x / p.scale + p.zeroPoint, -128, 127);
}

std::pair<int32_t, int32_t> activationRange(const ir::Activation &act, const AffineParams &p) {
  switch (act.kind) {
  case ir::ActKind::Relu: return {std::max(-128, quantizeValue(0, p)), 127};
  case ir::ActKind::Clip: return {quantizeValue(act.alpha, p), quantizeValue(act.beta, p)};
  default: return {-128, 127};
  }
}

Expected<const ir::TensorData *> constantInput(const ir::Graph &graph, const ir::Node &node,
                                               size_t index, const char *what) {
  ir::TensorId id = node.input(index);
  if (id == ir::kNoTensor || !graph.tensor(id).isConstant() ||
      !ir::isFloat(graph.tensor(id).dtype))
    return ir::nodeError(node, "the {} (input {}) must be a float constant for the fixed-point "
                               "backend; fold it into a constant or use --float",
                         what, index);
  return graph.tensor(id).data.get();
}

Status splitActivations(ir::Graph &graph) {
  std::vector<ir::Node> nodes;
  for (ir::Node &node : graph.nodes) {
    ir::Activation *act = node.op == ir::OpKind::Conv   ? &node.attr<ir::ConvAttrs>().act
                          : node.op == ir::OpKind::Gemm ? &node.attr<ir::GemmAttrs>().act
                                                        : nullptr;
    if (!act || act->kind == ir::ActKind::None || act->kind == ir::ActKind::Relu ||
        act->kind == ir::ActKind::Clip) {
      nodes.push_back(std::move(node));
      continue;
    }
    ir::Node split;
    split.name = node.name + "_act";
    switch (act->kind) {
    case ir::ActKind::Sigmoid: split.op = ir::OpKind::Sigmoid; break;
    case ir::ActKind::Tanh: split.op = ir::OpKind::Tanh; break;
    case ir::ActKind::HardSwish: split.op = ir::OpKind::HardSwish; break;
    case ir::ActKind::LeakyRelu: split.op = ir::OpKind::LeakyRelu; break;
    default: split.op = ir::OpKind::HardSigmoid; break;
    }
    split.attrs = ir::defaultAttrs(split.op);
    if (split.op == ir::OpKind::LeakyRelu || split.op == ir::OpKind::HardSigmoid)
      split.attrs = ir::AlphaBetaAttrs{act->alpha, act->beta};
    ir::TensorId out = node.outputs.at(0);
    ir::Tensor pre = graph.tensor(out);
    pre.name = graph.uniqueTensorName(pre.name + "_preact");
    pre.quant.reset();
    ir::TensorId preId = graph.addTensor(std::move(pre));
    node.outputs[0] = preId;
    split.inputs = {preId};
    split.outputs = {out};
    *act = ir::Activation{};
    nodes.push_back(std::move(node));
    nodes.push_back(std::move(split));
  }
  graph.nodes = std::move(nodes);
  return Status::ok();
}

namespace {

/// The kernel that runs a node, if there is one.
std::optional<KernelKind> kernelFor(const ir::Graph &graph, const ir::Node &node) {
  switch (node.op) {
  case ir::OpKind::L2Norm: return KernelKind::L2Norm;
  case ir::OpKind::Mul:
    return graph.tensor(node.inputs.at(1)).isConstant() ? KernelKind::MulChannel
                                                        : KernelKind::Mul;
  case ir::OpKind::Slice: return KernelKind::ChannelSlice;
  case ir::OpKind::Pad: return KernelKind::Pad;
  case ir::OpKind::Conv: return KernelKind::Conv;
  case ir::OpKind::Gemm:
  case ir::OpKind::MatMul: return KernelKind::FullyConnected;
  case ir::OpKind::MaxPool:
  case ir::OpKind::GlobalMaxPool: return KernelKind::MaxPool;
  case ir::OpKind::AveragePool: return KernelKind::AvgPool;
  case ir::OpKind::GlobalAveragePool: return KernelKind::GlobalAvgPool;
  case ir::OpKind::Add: return KernelKind::Add;
  case ir::OpKind::Concat: return KernelKind::Concat;
  case ir::OpKind::Relu:
  case ir::OpKind::Clip:
  case ir::OpKind::LeakyRelu:
  case ir::OpKind::Sigmoid:
  case ir::OpKind::HardSigmoid:
  case ir::OpKind::HardSwish:
  case ir::OpKind::Tanh: return KernelKind::Lut;
  case ir::OpKind::Softmax: return KernelKind::Softmax;
  case ir::OpKind::RNNPool: return KernelKind::RNNPool;
  case ir::OpKind::Reshape:
  case ir::OpKind::Flatten:
  case ir::OpKind::Squeeze:
  case ir::OpKind::Unsqueeze:
  case ir::OpKind::Identity: return KernelKind::Alias;
  default: return std::nullopt;
  }
}

/// A 4-D [1, C, H, W] tensor with H * W > 1 is stored HWC; returns its (C, H, W).
std::optional<std::array<int64_t, 3>> featureMap(const ir::Shape &s) {
  if (s.size() == 4 && s[2] * s[3] > 1)
    return std::array<int64_t, 3>{s[1], s[2], s[3]};
  return std::nullopt;
}

/// Checks that an alias keeps the bytes meaningful and records the HWC order it passes on.
Status checkAlias(Context &ctx, const ir::Node &node) {
  ir::TensorId in = node.inputs.at(0), out = node.outputs.at(0);
  auto from = featureMap(ctx.graph.tensor(in).shape);
  auto to = featureMap(ctx.graph.tensor(out).shape);
  auto &order = ctx.hwcOrder[static_cast<size_t>(out)];
  if (from && to) {
    if (*from != *to)
      return ir::nodeError(node, "reshaping a feature map into another is not supported by the "
                                 "fixed-point backend (its bytes are channels-last)");
    return Status::ok();
  }
  if (from) { // flattening: the bytes stay HWC unless there is one channel
    if ((*from)[0] > 1)
      order = from;
    return Status::ok();
  }
  if (to && to->at(0) > 1)
    return ir::nodeError(node, "reshaping a vector into a feature map is not supported by the "
                               "fixed-point backend");
  order = ctx.hwcOrder[static_cast<size_t>(in)];
  return Status::ok();
}

Expected<Layer> buildLayer(const Context &ctx, const ir::Node &node, KernelKind kind) {
  switch (kind) {
  case KernelKind::Conv: return buildConv(ctx, node);
  case KernelKind::FullyConnected: return buildFullyConnected(ctx, node);
  case KernelKind::MaxPool:
  case KernelKind::AvgPool: return buildPool(ctx, node);
  case KernelKind::GlobalAvgPool: return buildGlobalAvgPool(ctx, node);
  case KernelKind::Add: return buildAdd(ctx, node);
  case KernelKind::Concat: return buildConcat(ctx, node);
  case KernelKind::Lut: return buildLut(ctx, node);
  case KernelKind::Softmax: return buildSoftmax(ctx, node);
  case KernelKind::RNNPool: return buildRNNPool(ctx, node);
  case KernelKind::L2Norm: return buildL2Norm(ctx, node);
  case KernelKind::Mul: return buildMul(ctx, node);
  case KernelKind::MulChannel: return buildMulChannel(ctx, node);
  case KernelKind::ChannelSlice: return buildChannelSlice(ctx, node);
  case KernelKind::Pad: return buildPad(ctx, node);
  default: return Layer{};
  }
}

/// Parameters of a node's output: shared with the input where the kernel needs it.
Expected<AffineParams> outputParams(const Context &ctx, const ir::Node &node, KernelKind kind,
                                    const Ranges &ranges) {
  if (kind == KernelKind::Alias || kind == KernelKind::MaxPool || kind == KernelKind::AvgPool ||
      kind == KernelKind::ChannelSlice || kind == KernelKind::Pad)
    return ctx.of(node.inputs.at(0));
  if (kind == KernelKind::Softmax)
    return AffineParams{1.0f / 256, -128};
  const std::string &name = ctx.graph.tensor(node.outputs.at(0)).name;
  auto it = ranges.find(name);
  if (it == ranges.end())
    return ir::nodeError(node, "no calibration range for its output '{}'; calibrate the graph "
                               "that is being quantised",
                         name);
  return chooseParams(it->second);
}

} // namespace

Expected<QuantizedModel> quantize(const ir::Graph &original, const Ranges &ranges) {
  QuantizedModel model;
  model.graph = original;
  ir::Graph &g = model.graph;
  RNNPOOLC_TRY(splitActivations(g));
  RNNPOOLC_TRY(splitToSlices(g));
  Context ctx{g, std::vector<AffineParams>(g.numTensors()), {}};
  ctx.hwcOrder.resize(g.numTensors());
  for (ir::TensorId id : g.inputs) {
    const ir::Tensor &t = g.tensor(id);
    auto it = ranges.find(t.name);
    if (!ir::isFloat(t.dtype) || it == ranges.end())
      return makeError("graph input '{}' must be float and calibrated", t.name);
    if (t.shape.empty() || t.shape[0] != 1)
      return makeError("graph input '{}' has batch {}; the fixed-point backend runs batch 1",
                       t.name, ir::toString(t.shape));
    ctx.params[static_cast<size_t>(id)] = chooseParams(it->second);
  }
  for (const ir::Node &node : g.nodes) {
    auto kind = kernelFor(g, node);
    if (!kind)
      return ir::nodeError(node, "has no fixed-point kernel; use the float build (--float)");
    for (ir::TensorId in : node.inputs)
      if (in != ir::kNoTensor && !g.tensor(in).isConstant()) {
        if (!ir::isFloat(g.tensor(in).dtype))
          return ir::nodeError(node, "reads the non-float tensor '{}' at run time",
                               g.tensor(in).name);
        bool flat = ctx.hwcOrder[static_cast<size_t>(in)].has_value();
        if (flat && *kind != KernelKind::Alias && *kind != KernelKind::FullyConnected &&
            *kind != KernelKind::Lut)
          return ir::nodeError(node, "reads a flattened feature map; only fully connected "
                                     "layers can in the fixed-point backend");
      }
    auto out = outputParams(ctx, node, *kind, ranges);
    if (!out)
      return out.error();
    ctx.params[static_cast<size_t>(node.outputs.at(0))] = *out;
    if (*kind == KernelKind::Alias)
      RNNPOOLC_TRY(checkAlias(ctx, node));
    if (*kind == KernelKind::Lut)
      ctx.hwcOrder[static_cast<size_t>(node.outputs[0])] =
          ctx.hwcOrder[static_cast<size_t>(node.inputs[0])];
    auto layer = buildLayer(ctx, node, *kind);
    if (!layer)
      return layer.error();
    layer->kind = *kind;
    model.layers.push_back(std::move(*layer));
  }
  for (ir::TensorId out : g.outputs)
    if (ctx.hwcOrder[static_cast<size_t>(out)])
      return makeError("graph output '{}' is a flattened feature map, which the fixed-point "
                       "backend cannot return in logical order",
                       g.tensor(out).name);
  for (size_t id = 0; id < g.numTensors(); ++id) {
    ir::Tensor &t = g.tensor(static_cast<ir::TensorId>(id));
    if (t.isConstant())
      continue;
    t.dtype = ir::DType::Int8;
    t.quant = ir::QuantParams{{ctx.params[id].scale}, {ctx.params[id].zeroPoint}, -1};
  }
  return model;
}

} // namespace rnnpoolc::quant
