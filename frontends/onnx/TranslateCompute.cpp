// Translators for convolution, Gemm, pooling, normalisation, activations, Clip, Cast and
// QuantizeLinear / DequantizeLinear.
#include "frontends/onnx/TensorConvert.h"
#include "frontends/onnx/TranslateUtil.h"
#include "frontends/onnx/Translators.h"

#include <limits>

namespace rnnpoolc::onnx_frontend::translate {
namespace {

ir::AutoPad autoPad(NodeContext &ctx) {
  std::string text = ctx.getString("auto_pad", "NOTSET");
  if (text == "NOTSET")
    return ir::AutoPad::NotSet;
  if (text == "SAME_UPPER")
    return ir::AutoPad::SameUpper;
  if (text == "SAME_LOWER")
    return ir::AutoPad::SameLower;
  if (text == "VALID")
    return ir::AutoPad::Valid;
  ctx.fail(ctx.error("auto_pad '{}' is not valid; use NOTSET, SAME_UPPER, SAME_LOWER or VALID",
                     text));
  return ir::AutoPad::NotSet;
}

/// The sliding-window attributes Conv and the pools share, checked for values and for
/// agreeing on the number of spatial dims. Missing vectors stay empty (defaults).
struct Window {
  ir::Ints kernel, strides, dilations, pads;
  ir::AutoPad autoPad = ir::AutoPad::NotSet;
};

Window readWindow(NodeContext &ctx, bool withDilations) {
  Window w;
  w.kernel = ctx.getInts("kernel_shape");
  w.strides = ctx.getInts("strides");
  w.dilations = withDilations ? ctx.getInts("dilations") : ir::Ints{};
  w.pads = ctx.getInts("pads");
  w.autoPad = autoPad(ctx);
  requireAtLeast(ctx, "kernel_shape", w.kernel, 1);
  requireAtLeast(ctx, "strides", w.strides, 1);
  requireAtLeast(ctx, "dilations", w.dilations, 1);
  requireAtLeast(ctx, "pads", w.pads, 0);
  if (w.pads.size() % 2 != 0)
    ctx.fail(ctx.error("attribute 'pads' has {} values, but needs a begin and an end value "
                       "per spatial dim",
                       w.pads.size()));
  size_t spatial = w.kernel.size();
  auto agree = [&](std::string_view name, size_t n) {
    if (n == 0)
      return;
    if (spatial == 0)
      spatial = n;
    else if (n != spatial)
      ctx.fail(ctx.error("attribute '{}' is for {} spatial dims, but other attributes are for "
                         "{}; fix the model",
                         name, n, spatial));
  };
  agree("strides", w.strides.size());
  agree("dilations", w.dilations.size());
  agree("pads", w.pads.size() / 2);
  bool anyPad = false;
  for (int64_t p : w.pads)
    anyPad = anyPad || p != 0;
  if (w.autoPad != ir::AutoPad::NotSet && anyPad)
    ctx.fail(ctx.error("auto_pad and non-zero explicit pads cannot be combined; keep one"));
  return w;
}

} // namespace

Status conv(NodeContext &ctx) {
  ir::ConvAttrs a;
  Window w = readWindow(ctx, /*withDilations=*/true);
  a.kernel = w.kernel;
  a.strides = w.strides;
  a.dilations = w.dilations;
  a.pads = w.pads;
  a.autoPad = w.autoPad;
  a.group = ctx.getInt("group", 1);
  if (a.group < 1)
    ctx.fail(ctx.error("attribute 'group' is {}, but must be at least 1", a.group));
  ctx.node.attrs = a;
  return ctx.status();
}

Status gemm(NodeContext &ctx) {
  ir::GemmAttrs a;
  a.alpha = ctx.getFloat("alpha", 1.0f);
  a.beta = ctx.getFloat("beta", 1.0f);
  a.transA = ctx.getBool("transA", false);
  a.transB = ctx.getBool("transB", false);
  ctx.node.attrs = a;
  return ctx.status();
}

namespace {

ir::PoolAttrs poolAttrs(NodeContext &ctx, bool withDilations) {
  ir::PoolAttrs a;
  Window w = readWindow(ctx, withDilations);
  if (w.kernel.empty())
    ctx.fail(ctx.error("attribute 'kernel_shape' is required"));
  a.kernel = w.kernel;
  a.strides = w.strides;
  a.dilations = w.dilations;
  a.pads = w.pads;
  a.autoPad = w.autoPad;
  a.ceilMode = ctx.getBool("ceil_mode", false);
  return a;
}

} // namespace

Status maxPool(NodeContext &ctx) {
  ir::PoolAttrs a = poolAttrs(ctx, /*withDilations=*/true);
  if (int64_t order = ctx.getInt("storage_order", 0); order != 0)
    ctx.fail(ctx.error("storage_order {} (column-major Indices) is not supported; remove the "
                       "attribute",
                       order));
  ctx.node.attrs = a;
  RNNPOOLC_TRY(ctx.status());
  return ctx.dropExtraOutputs(1, "the Indices output");
}

Status averagePool(NodeContext &ctx) {
  ir::PoolAttrs a = poolAttrs(ctx, /*withDilations=*/true);
  a.countIncludePad = ctx.getBool("count_include_pad", false);
  ctx.node.attrs = a;
  return ctx.status();
}

Status batchNorm(NodeContext &ctx) {
  ir::BatchNormAttrs a;
  a.epsilon = ctx.getFloat("epsilon", 1e-5f);
  if (!(a.epsilon >= 0))
    ctx.fail(ctx.error("attribute 'epsilon' is {}, but must be non-negative", a.epsilon));
  if (ctx.getBool("training_mode", false))
    ctx.fail(ctx.error("training_mode=1 is not supported; export the model in eval mode "
                       "(model.eval())"));
  if (ctx.opset < 9 && !ctx.getBool("spatial", true))
    ctx.fail(ctx.error("spatial=0 (per-activation statistics) is not supported"));
  ctx.node.attrs = a;
  RNNPOOLC_TRY(ctx.status());
  return ctx.dropExtraOutputs(1, "a training-mode output");
}

Status softmax(NodeContext &ctx) {
  ir::SoftmaxAttrs a;
  // Before opset 13, Softmax flattened its input to 2-D at `axis` (default 1).
  a.coerce2D = ctx.opset < 13;
  a.axis = ctx.getInt("axis", a.coerce2D ? 1 : -1);
  ctx.node.attrs = a;
  return ctx.status();
}

Status lpNormalization(NodeContext &ctx) {
  // x / ||x||_2 along `axis` (default -1): an L2Norm without eps or scale.
  if (int64_t p = ctx.getInt("p", 2); p != 2)
    ctx.fail(ctx.error("p = {} is not supported; only the L2 norm (p = 2) is", p));
  ctx.node.op = ir::OpKind::L2Norm;
  ctx.node.attrs = ir::L2NormAttrs{0.0f, false, ctx.getInt("axis", -1)};
  return ctx.status();
}

Status leakyRelu(NodeContext &ctx) {
  ir::AlphaBetaAttrs a;
  a.alpha = ctx.getFloat("alpha", 0.01f);
  ctx.node.attrs = a;
  return ctx.status();
}

Status prelu(NodeContext &ctx) {
  // where(x < 0, x * slope, x), exactly; the prelu pass (compiler/passes/PRelu.cpp) makes it
  // a LeakyRelu or a Mul and a Max or Min once the slope is a folded constant (PyTorch's
  // exports without constant folding unsqueeze it at run time). The Less and the Mul go in
  // before this node, which becomes the Where.
  const ir::TensorId x = ctx.node.inputs.at(0), slope = ctx.node.inputs.at(1);
  ir::Graph &g = ctx.state.graph;
  const std::string base = ctx.proto.output(0);
  const ir::TensorId zero = g.addConstant(ctx.state.freshName(base + "_zero"),
                                          ir::TensorData::fromFloats({}, {0.0f}));
  auto emit = [&](ir::OpKind op, std::string suffix, std::vector<ir::TensorId> inputs) {
    ir::Tensor t;
    t.name = ctx.state.freshName(base + "_" + suffix);
    ir::Node n;
    n.name = ctx.proto.name() + "_" + suffix;
    n.op = op;
    n.attrs = ir::NoAttrs{};
    n.inputs = std::move(inputs);
    n.outputs = {g.addTensor(std::move(t))};
    const ir::TensorId out = n.outputs[0];
    g.nodes.push_back(std::move(n));
    return out;
  };
  const ir::TensorId negative = emit(ir::OpKind::Less, "negative", {x, zero});
  const ir::TensorId sloped = emit(ir::OpKind::Mul, "sloped", {x, slope});
  ctx.node.op = ir::OpKind::Where;
  ctx.node.attrs = ir::NoAttrs{};
  ctx.node.inputs = {negative, sloped, x};
  return ctx.status();
}

Status hardSigmoid(NodeContext &ctx) {
  ir::AlphaBetaAttrs a;
  a.alpha = ctx.getFloat("alpha", 0.2f);
  a.beta = ctx.getFloat("beta", 0.5f);
  ctx.node.attrs = a;
  return ctx.status();
}

Status clip(NodeContext &ctx) {
  if (ctx.opset >= 11)
    return ctx.status();
  // Opsets 6-10 give min and max as attributes; absent means unbounded.
  ctx.resizeInputs(1);
  if (ctx.has("min"))
    ctx.setConstantInput(1, "min", floatScalar(ctx.getFloat("min", 0)));
  if (ctx.has("max"))
    ctx.setConstantInput(2, "max", floatScalar(ctx.getFloat("max", 0)));
  return ctx.status();
}

Status cast(NodeContext &ctx) {
  if (!ctx.has("to"))
    return ctx.error("attribute 'to' is required");
  int64_t to = ctx.getInt("to", 0);
  RNNPOOLC_TRY(ctx.status());
  auto mapped = to >= std::numeric_limits<int32_t>::min() && to <= std::numeric_limits<int32_t>::max()
                    ? mapOnnxType(static_cast<int32_t>(to))
                    : std::nullopt;
  // float16 storage is widened on import, but a cast to float16 exists to round: computing
  // it in float32 would silently change the results.
  if (!mapped || to == onnx::TensorProto::FLOAT16)
    return ctx.error("cast to {} is not supported; rnnpoolc computes in float32 and integer "
                     "types",
                     onnxTypeName(static_cast<int32_t>(to)));
  if (mapped->note)
    ctx.state.notes.insert(mapped->note);
  ctx.node.attrs = ir::CastAttrs{mapped->dtype};
  return ctx.status();
}

Status quantizeLinear(NodeContext &ctx) {
  // Opset 10 has per-tensor parameters only; opset 13 adds `axis` (default 1). Opset 21's
  // blocked quantisation and output_dtype have no IR form.
  ir::AxisAttrs a;
  a.axis = ctx.opset >= 13 ? ctx.getInt("axis", 1) : 1;
  if (ctx.getInt("block_size", 0) != 0)
    ctx.fail(ctx.error("blocked quantisation (block_size) is not supported; use per-tensor or "
                       "per-axis parameters"));
  if (ctx.getInt("output_dtype", 0) != 0)
    ctx.fail(ctx.error("attribute 'output_dtype' is not supported; give the type by the zero "
                       "point"));
  ctx.node.attrs = a;
  return ctx.status();
}

} // namespace rnnpoolc::onnx_frontend::translate
