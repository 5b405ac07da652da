// Translators for reductions, layout ops and shape plumbing. Parameters that older opsets
// give as attributes (axes, split, starts/ends, pads) become constant operands here.
#include "frontends/onnx/TranslateUtil.h"
#include "frontends/onnx/Translators.h"

#include <algorithm>

namespace rnnpoolc::onnx_frontend::translate {

Status reduce(NodeContext &ctx) {
  ir::ReduceAttrs a;
  a.keepDims = ctx.getBool("keepdims", true);
  // ReduceSum takes axes as an input from opset 13, the other reductions from opset 18.
  int64_t axesInputSince = ctx.proto.op_type() == "ReduceSum" ? 13 : 18;
  if (ctx.opset >= axesInputSince) {
    a.noopWithEmptyAxes = ctx.getBool("noop_with_empty_axes", false);
  } else {
    ctx.resizeInputs(1);
    intsAttrToInput(ctx, "axes", 1);
  }
  ctx.node.attrs = a;
  return ctx.status();
}

namespace {

Status axisAttr(NodeContext &ctx, int64_t fallback) {
  ctx.node.attrs = ir::AxisAttrs{ctx.getInt("axis", fallback)};
  return ctx.status();
}

} // namespace

Status concat(NodeContext &ctx) {
  if (!ctx.has("axis"))
    return ctx.error("attribute 'axis' is required");
  return axisAttr(ctx, 0);
}

Status gather(NodeContext &ctx) { return axisAttr(ctx, 0); }

Status flatten(NodeContext &ctx) { return axisAttr(ctx, 1); }

Status split(NodeContext &ctx) {
  if (ctx.opset < 13) {
    ctx.resizeInputs(1);
    requireAtLeast(ctx, "split", ctx.getInts("split"), 0);
    intsAttrToInput(ctx, "split", 1);
  }
  return axisAttr(ctx, 0);
}

Status slice(NodeContext &ctx) {
  if (ctx.opset >= 10)
    return ctx.status();
  // Opsets 1-9: starts, ends (required) and axes are attributes; there are no steps.
  if (!ctx.has("starts") || !ctx.has("ends"))
    return ctx.error("attributes 'starts' and 'ends' are required");
  ctx.resizeInputs(1);
  intsAttrToInput(ctx, "starts", 1);
  intsAttrToInput(ctx, "ends", 2);
  intsAttrToInput(ctx, "axes", 3);
  return ctx.status();
}

Status pad(NodeContext &ctx) {
  ir::PadAttrs a;
  std::string mode = ctx.getString("mode", "constant");
  if (mode == "constant")
    a.mode = ir::PadMode::Constant;
  else if (mode == "edge")
    a.mode = ir::PadMode::Edge;
  else if (mode == "reflect")
    a.mode = ir::PadMode::Reflect;
  else
    return ctx.error("mode '{}' is not supported; use constant, edge or reflect", mode);
  ctx.node.attrs = a;
  if (ctx.opset >= 11)
    return ctx.status();
  // Opsets 2-10: pads (required) and value are attributes.
  if (!ctx.has("pads"))
    return ctx.error("attribute 'pads' is required");
  ir::Ints pads = ctx.getInts("pads");
  if (pads.size() % 2 != 0)
    return ctx.error("attribute 'pads' has {} values, but needs a begin and an end value per "
                     "dim",
                     pads.size());
  ctx.resizeInputs(1);
  ctx.setConstantInput(1, "pads", int64Vector(pads));
  if (ctx.has("value"))
    ctx.setConstantInput(2, "value", floatScalar(ctx.getFloat("value", 0)));
  return ctx.status();
}

Status squeeze(NodeContext &ctx) {
  if (ctx.opset < 13) {
    ctx.resizeInputs(1);
    intsAttrToInput(ctx, "axes", 1);
  }
  return ctx.status();
}

Status unsqueeze(NodeContext &ctx) {
  if (ctx.opset < 13) {
    if (!ctx.has("axes"))
      return ctx.error("attribute 'axes' is required");
    ctx.resizeInputs(1);
    intsAttrToInput(ctx, "axes", 1);
  }
  return ctx.status();
}

Status reshape(NodeContext &ctx) {
  ctx.node.attrs = ir::ReshapeAttrs{ctx.getBool("allowzero", false)};
  return ctx.status();
}

Status transpose(NodeContext &ctx) {
  ir::TransposeAttrs a;
  a.perm = ctx.getInts("perm");
  ir::Ints sorted = a.perm;
  std::sort(sorted.begin(), sorted.end());
  for (size_t k = 0; k < sorted.size(); ++k)
    if (sorted[k] != static_cast<int64_t>(k))
      return ctx.error("attribute 'perm' [{}] is not a permutation of 0..{}",
                       fmt::join(a.perm, ", "), a.perm.size() - 1);
  ctx.node.attrs = a;
  return ctx.status();
}

namespace {

/// Resize's mode attribute, shared with Upsample.
void resizeMode(NodeContext &ctx, ir::ResizeAttrs &a) {
  const std::string mode = ctx.getString("mode", "nearest");
  if (mode == "nearest")
    a.mode = ir::ResizeMode::Nearest;
  else if (mode == "linear" || mode == "bilinear")
    a.mode = ir::ResizeMode::Linear;
  else if (mode == "cubic")
    ctx.fail(ctx.error("mode 'cubic' is not supported; use nearest or linear (bilinear)"));
  else
    ctx.fail(ctx.error("mode '{}' is unknown; use nearest or linear", mode));
}

} // namespace

Status resize(NodeContext &ctx) {
  ir::ResizeAttrs a;
  resizeMode(ctx, a);
  if (ctx.opset < 11) {
    // Opset 10: Resize(X, scales), coordinates as Upsample's (x_out / scale, floored).
    a.coord = ir::ResizeCoord::Asymmetric, a.nearest = ir::ResizeNearest::Floor;
    ir::TensorId scales = ctx.node.input(1);
    ctx.resizeInputs(3);
    ctx.node.inputs[1] = ir::kNoTensor, ctx.node.inputs[2] = scales;
    ctx.node.attrs = a;
    return ctx.status();
  }
  const std::string coord = ctx.getString("coordinate_transformation_mode", "half_pixel");
  if (coord == "half_pixel")
    a.coord = ir::ResizeCoord::HalfPixel;
  else if (coord == "pytorch_half_pixel")
    a.coord = ir::ResizeCoord::PytorchHalfPixel;
  else if (coord == "align_corners")
    a.coord = ir::ResizeCoord::AlignCorners;
  else if (coord == "asymmetric")
    a.coord = ir::ResizeCoord::Asymmetric;
  else
    return ctx.error("coordinate_transformation_mode '{}' is not supported; use half_pixel, "
                     "pytorch_half_pixel, align_corners or asymmetric",
                     coord);
  const std::string nearest = ctx.getString("nearest_mode", "round_prefer_floor");
  if (nearest == "round_prefer_floor")
    a.nearest = ir::ResizeNearest::RoundPreferFloor;
  else if (nearest == "round_prefer_ceil")
    a.nearest = ir::ResizeNearest::RoundPreferCeil;
  else if (nearest == "floor")
    a.nearest = ir::ResizeNearest::Floor;
  else if (nearest == "ceil")
    a.nearest = ir::ResizeNearest::Ceil;
  else
    return ctx.error("nearest_mode '{}' is unknown", nearest);
  // exclude_outside changes nothing for linear and nearest (two taps, edge values), and
  // extrapolation_value applies to tf_crop_and_resize only.
  ctx.getBool("exclude_outside", false);
  ctx.getFloat("extrapolation_value", 0);
  if (ctx.getBool("antialias", false))
    return ctx.error("antialias=1 is not supported; export without antialiasing");
  if (ctx.has("axes")) {
    // Every axis in order (shape inference checks the count against the rank).
    const ir::Ints axes = ctx.getInts("axes");
    for (size_t k = 0; k < axes.size(); ++k)
      if (axes[k] != static_cast<int64_t>(k))
        return ctx.error("attribute 'axes' is supported only when it lists every axis in "
                         "order; give scales or sizes for all axes");
  }
  const std::string policy = ctx.getString("keep_aspect_ratio_policy", "stretch");
  if (policy != "stretch" && ctx.node.input(3) != ir::kNoTensor)
    return ctx.error("keep_aspect_ratio_policy '{}' is not supported; give the output sizes "
                     "(stretch)",
                     policy);
  ctx.node.attrs = a;
  return ctx.status();
}

Status upsample(NodeContext &ctx) {
  // Upsample (opsets 7-9): Resize with asymmetric coordinates, nearest flooring.
  ir::ResizeAttrs a;
  resizeMode(ctx, a);
  a.coord = ir::ResizeCoord::Asymmetric, a.nearest = ir::ResizeNearest::Floor;
  ctx.node.op = ir::OpKind::Resize;
  ctx.node.attrs = a;
  if (ctx.opset < 9) {
    if (!ctx.has("scales"))
      return ctx.error("attribute 'scales' is required");
    const std::vector<float> scales = ctx.getFloats("scales");
    ctx.resizeInputs(1);
    ctx.setConstantInput(
        2, "scales",
        ir::TensorData::fromFloats({static_cast<int64_t>(scales.size())}, scales));
    return ctx.status();
  }
  ir::TensorId scales = ctx.node.input(1);
  ctx.resizeInputs(3);
  ctx.node.inputs[1] = ir::kNoTensor, ctx.node.inputs[2] = scales;
  return ctx.status();
}

Status shape(NodeContext &ctx) {
  ir::ShapeAttrs a;
  a.start = ctx.getInt("start", 0);
  if (ctx.has("end"))
    a.end = ctx.getInt("end", 0);
  ctx.node.attrs = a;
  return ctx.status();
}

Status scatterND(NodeContext &ctx) {
  std::string reduction = ctx.getString("reduction", "none");
  if (reduction != "none")
    return ctx.error("reduction '{}' is not supported; only 'none' is", reduction);
  return ctx.status();
}

} // namespace rnnpoolc::onnx_frontend::translate
