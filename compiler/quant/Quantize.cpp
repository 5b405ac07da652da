// quantize(): rewrites a float graph into one runtime kernel per node, chooses every
// activation's int8 parameters from the calibrated ranges, and has the per-op builders
// compute the kernels' constants.
#include "compiler/ir/OpInfo.h"
#include "compiler/quant/QuantInternal.h"

#include <algorithm>
#include <cmath>

namespace rnnpoolc::quant {

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

size_t ConstArray::bytes() const {
  return count() * (ctype == "int8_t" ? 1 : ctype == "int16_t" ? 2 : 4);
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
    // No "use --float" here: the float C backend compiles weights into flash too.
    return ir::nodeError(node, "the {} (input {}) must be a float constant for the fixed-point "
                               "backend; make it an initializer of the model",
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

Status prepareGraph(ir::Graph &graph) {
  RNNPOOLC_TRY(foldQuantDequant(graph));
  RNNPOOLC_TRY(splitActivations(graph));
  return splitToSlices(graph);
}

namespace {

/// The kernel that runs a node, if there is one.
std::optional<KernelKind> kernelFor(const ir::Graph &graph, const ir::Node &node) {
  switch (node.op) {
  case ir::OpKind::L2Norm: return KernelKind::L2Norm;
  case ir::OpKind::Mul:
    if (graph.tensor(node.inputs.at(1)).isConstant())
      return KernelKind::MulChannel;
    return graph.tensor(node.inputs.at(0)).shape == graph.tensor(node.inputs.at(1)).shape
               ? KernelKind::Mul
               : KernelKind::MulGate;
  case ir::OpKind::Slice:
    return hasSliceStep(graph, node) ? KernelKind::ChannelStep : KernelKind::ChannelSlice;
  case ir::OpKind::Pad:
    return node.attr<ir::PadAttrs>().mode == ir::PadMode::Constant ? KernelKind::Pad
                                                                   : KernelKind::PadMode;
  case ir::OpKind::Transpose: return KernelKind::Permute;
  case ir::OpKind::ChannelShuffle: return KernelKind::ChannelShuffle;
  case ir::OpKind::Resize: return KernelKind::Resize;
  case ir::OpKind::ReduceMax:
  case ir::OpKind::ReduceMin: return KernelKind::ReduceExtreme;
  case ir::OpKind::ReduceMean: return KernelKind::ReduceMean;
  case ir::OpKind::Max:
  case ir::OpKind::Min: return KernelKind::MinMax;
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
  default:
    // A math op is a lookup table of its float function (ir::unaryMathOf). Any other op has
    // no int8 kernel: the callers turn this into the one-line "has no fixed-point kernel
    // yet" error (Split is rewritten into Slices first). Not a list of every op, so that a
    // new op does not touch this file.
    if (ir::unaryMathOf(node.op))
      return KernelKind::Lut;
    return std::nullopt;
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
  auto rowMajor = checkRowMajorAlias(ctx, node);
  if (!rowMajor)
    return rowMajor.error();
  if (*rowMajor)
    return Status::ok();
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
  case KernelKind::Concat:
    return ctx.graph.tensor(node.outputs.at(0)).shape.size() == 4
               ? buildConcat(ctx, node)
               : buildRowMajorConcat(ctx, node);
  case KernelKind::Lut: return buildLut(ctx, node);
  case KernelKind::Softmax: return buildSoftmax(ctx, node);
  case KernelKind::RNNPool: return buildRNNPool(ctx, node);
  case KernelKind::L2Norm: return buildL2Norm(ctx, node);
  case KernelKind::Mul: return buildMul(ctx, node);
  case KernelKind::MulGate: return buildMulGate(ctx, node);
  case KernelKind::MulChannel: return buildMulChannel(ctx, node);
  case KernelKind::ChannelSlice: return buildChannelSlice(ctx, node);
  case KernelKind::Pad: return buildPad(ctx, node);
  case KernelKind::PadMode: return buildPadMode(ctx, node);
  case KernelKind::ChannelStep: return buildChannelStep(ctx, node);
  case KernelKind::Permute: return buildPermute(ctx, node);
  case KernelKind::ChannelShuffle: return buildChannelShuffle(ctx, node);
  case KernelKind::ReduceExtreme:
  case KernelKind::ReduceMean: return buildReduceChannels(ctx, node);
  case KernelKind::MinMax: return buildMinMax(ctx, node);
  case KernelKind::Resize: return buildResize(ctx, node);
  default: return Layer{};
  }
}

/// Whether a kernel's output parameters follow from its input's (or are fixed).
bool fixesOutputParams(KernelKind kind) {
  return kind == KernelKind::Alias || kind == KernelKind::MaxPool ||
         kind == KernelKind::AvgPool || kind == KernelKind::Softmax ||
         kind == KernelKind::ChannelSlice || kind == KernelKind::Pad ||
         kind == KernelKind::PadMode || kind == KernelKind::ChannelStep ||
         kind == KernelKind::Permute || kind == KernelKind::ChannelShuffle ||
         kind == KernelKind::ReduceExtreme || kind == KernelKind::Resize;
}

/// The int8 parameters a pre-quantised model gives an activation (foldQuantDequant).
std::optional<AffineParams> givenParams(const ir::Tensor &t) {
  if (t.isConstant() || !t.quant || t.quant->scale.empty())
    return std::nullopt;
  return AffineParams{t.quant->scale[0], static_cast<int32_t>(t.quant->zeroPoint.at(0))};
}

bool sameParams(const AffineParams &a, const AffineParams &b) {
  return a.scale == b.scale && a.zeroPoint == b.zeroPoint;
}

/// Parameters of a node's output: shared with the input where the kernel needs it, else
/// the model's own, else from the calibrated range.
Expected<AffineParams> outputParams(const Context &ctx, const ir::Node &node, KernelKind kind,
                                    const Ranges &ranges) {
  if (kind == KernelKind::Softmax)
    return AffineParams{1.0f / 256, -128};
  if (fixesOutputParams(kind))
    return ctx.of(node.inputs.at(0));
  if (auto given = givenParams(ctx.graph.tensor(node.outputs.at(0))))
    return *given;
  const std::string &name = ctx.graph.tensor(node.outputs.at(0)).name;
  auto it = ranges.find(name);
  if (it == ranges.end())
    return ir::nodeError(node, "no calibration range for its output '{}'; calibrate the graph "
                               "that is being quantised",
                         name);
  return chooseParams(it->second);
}

} // namespace

namespace {

/// Checks that a node's run-time inputs are int8-able activations in a layout its kernel
/// can read.
Status checkInputs(const Context &ctx, const ir::Node &node, KernelKind kind) {
  for (ir::TensorId in : node.inputs) {
    if (in == ir::kNoTensor || ctx.graph.tensor(in).isConstant())
      continue;
    if (!ir::isFloat(ctx.graph.tensor(in).dtype))
      return ir::nodeError(node, "reads the non-float tensor '{}' at run time",
                           ctx.graph.tensor(in).name);
    bool flat = ctx.hwcOrder[static_cast<size_t>(in)].has_value();
    if (flat && kind != KernelKind::Alias && kind != KernelKind::FullyConnected &&
        kind != KernelKind::Lut && kind != KernelKind::Requant)
      return ir::nodeError(node, "reads a flattened feature map; only fully connected "
                                 "layers can in the fixed-point backend; to concatenate a "
                                 "head's maps, permute(0, 2, 3, 1) each and reshape it to "
                                 "[1, N, k] instead of flattening it");
    if (ctx.rowMajor.count(in) && kind != KernelKind::Alias && kind != KernelKind::Permute &&
        kind != KernelKind::Lut && kind != KernelKind::Requant)
      return ir::nodeError(node, "reads a transposed feature map (its bytes are in NHWC "
                                 "order); only reshapes, transposes and activations can in "
                                 "the fixed-point backend, so reshape it to a vector or a "
                                 "[1, N, k] tensor first");
  }
  return Status::ok();
}

/// Builds the layer of one node whose output parameters are known.
Expected<Layer> layerFor(Context &ctx, const ir::Node &node, KernelKind kind) {
  if (kind == KernelKind::Alias)
    RNNPOOLC_TRY(checkAlias(ctx, node));
  if (kind == KernelKind::Lut || kind == KernelKind::Requant) {
    ctx.hwcOrder[static_cast<size_t>(node.outputs[0])] =
        ctx.hwcOrder[static_cast<size_t>(node.inputs[0])];
    if (ctx.rowMajor.count(node.inputs[0]))
      ctx.rowMajor.insert(node.outputs[0]);
  }
  auto layer =
      kind == KernelKind::Requant ? buildRequant(ctx, node) : buildLayer(ctx, node, kind);
  if (!layer)
    return layer.error();
  layer->kind = kind;
  RNNPOOLC_TRY(checkBounds(node, *layer));
  return layer;
}

/// Quantises one node into model (graph node and layer). When the model gives the output
/// parameters other than the kernel produces (pooling, reshapes, softmax), a requantising
/// Identity follows: the node writes "<output>_requant" and the Identity the output.
Status quantizeNode(Context &ctx, QuantizedModel &model, ir::Node node, const Ranges &ranges) {
  ir::Graph &g = model.graph;
  auto kind = kernelFor(g, node);
  if (!kind)
    return ir::nodeError(node, "has no fixed-point kernel yet");
  RNNPOOLC_TRY(checkInputs(ctx, node, *kind));
  auto out = outputParams(ctx, node, *kind, ranges);
  if (!out)
    return out.error();
  const ir::TensorId y = node.outputs.at(0);
  auto given = givenParams(g.tensor(y));
  std::optional<ir::Node> requant;
  if (given && !sameParams(*given, *out)) {
    if (node.op == ir::OpKind::Identity) {
      *kind = KernelKind::Requant, *out = *given;
    } else {
      ir::Tensor pre = g.tensor(y);
      pre.name = g.uniqueTensorName(pre.name + "_requant");
      pre.quant.reset();
      node.outputs[0] = g.addTensor(std::move(pre));
      ctx.params.emplace_back();
      ctx.hwcOrder.emplace_back();
      requant = ir::Node{
          node.name + "_requant", ir::OpKind::Identity, ir::NoAttrs{}, {node.outputs[0]}, {y},
          node.inlinedFrom};
    }
  }
  ctx.params[static_cast<size_t>(node.outputs[0])] = *out;
  if (*kind == KernelKind::Permute) // a relabelling of the bytes becomes a Reshape
    RNNPOOLC_TRY(lowerTransposeNode(ctx, g, node, *kind));
  auto layer = layerFor(ctx, node, *kind);
  if (!layer)
    return layer.error();
  g.nodes.push_back(std::move(node));
  model.layers.push_back(std::move(*layer));
  if (!requant)
    return Status::ok();
  ctx.params[static_cast<size_t>(y)] = *given;
  auto extra = layerFor(ctx, *requant, KernelKind::Requant);
  if (!extra)
    return extra.error();
  g.nodes.push_back(std::move(*requant));
  model.layers.push_back(std::move(*extra));
  return Status::ok();
}

} // namespace

Expected<QuantizedModel> quantize(const ir::Graph &original, const Ranges &ranges) {
  QuantizedModel model;
  model.graph = original;
  ir::Graph &g = model.graph;
  RNNPOOLC_TRY(prepareGraph(g));
  Context ctx{g, std::vector<AffineParams>(g.numTensors()), {}, {}, {}};
  ctx.hwcOrder.resize(g.numTensors());
  RNNPOOLC_TRY(ir::checkConstantWeights(g));
  for (ir::TensorId id : g.inputs) {
    const ir::Tensor &t = g.tensor(id);
    auto it = ranges.find(t.name);
    auto given = givenParams(t);
    if (!ir::isFloat(t.dtype) || (!given && it == ranges.end()))
      return makeError("graph input '{}' must be float and calibrated", t.name);
    if (t.shape.empty() || t.shape[0] != 1)
      return makeError("graph input '{}' has batch {}; the fixed-point backend runs batch 1",
                       t.name, ir::toString(t.shape));
    ctx.params[static_cast<size_t>(id)] = given ? *given : chooseParams(it->second);
  }
  std::vector<ir::Node> nodes = std::move(g.nodes);
  g.nodes.clear();
  for (ir::Node &node : nodes)
    RNNPOOLC_TRY(quantizeNode(ctx, model, std::move(node), ranges));
  for (ir::TensorId out : g.outputs)
    if (ctx.rowMajor.count(out))
      return makeError("graph output '{}' is a map in NHWC order (a transpose of a feature "
                       "map reshaped back to a map), which the fixed-point backend cannot "
                       "return in logical order",
                       g.tensor(out).name);
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

Expected<bool> needsCalibration(const ir::Graph &original) {
  ir::Graph g = original;
  RNNPOOLC_TRY(prepareGraph(g));
  for (ir::TensorId id : g.inputs)
    if (!givenParams(g.tensor(id)))
      return true;
  for (const ir::Node &node : g.nodes) {
    auto kind = kernelFor(g, node);
    if (!kind || fixesOutputParams(*kind))
      continue;
    if (!givenParams(g.tensor(node.outputs.at(0))))
      return true;
  }
  return false;
}

} // namespace rnnpoolc::quant
