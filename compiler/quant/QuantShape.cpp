// Layer builders for the kernels of runtime/rp_shape.c and rp_reduce.c: edge and reflect
// padding, channel slices with a step, channel shuffles, transposes (a relabelling of the
// bytes, or a permuted copy), reductions over channels, elementwise max / min, and
// concatenation of row-major tensors (detection heads flattened to [1, anchors, k]).
#include "compiler/ir/MemoryOrder.h"
#include "compiler/quant/QuantInternal.h"

#include <algorithm>
#include <cmath>

namespace rnnpoolc::quant {
namespace {

int32_t i32(int64_t v) {
  return static_cast<int32_t>(v);
}

const ir::Tensor &tensorOf(const Context &ctx, ir::TensorId id) {
  return ctx.graph.tensor(id);
}

/// An axis in [0, rank), or -1 when out of range.
int64_t normalAxis(int64_t axis, size_t rank) {
  const auto r = static_cast<int64_t>(rank);
  axis = axis < 0 ? axis + r : axis;
  return axis >= 0 && axis < r ? axis : -1;
}

/// The values of the constant input `index`, or nullopt when it is absent.
Expected<std::optional<std::vector<int64_t>>>
constInts(const Context &ctx, const ir::Node &node, size_t index, const char *what) {
  ir::TensorId id = node.input(index);
  if (id == ir::kNoTensor)
    return std::optional<std::vector<int64_t>>{};
  if (!tensorOf(ctx, id).isConstant())
    return ir::nodeError(node, "{} must be a constant for the fixed-point backend", what);
  return std::optional<std::vector<int64_t>>{tensorOf(ctx, id).data->toInts()};
}

/// The requantisation table of rp_minmax_s8 from parameters `in` to `out`.
std::vector<int8_t> requantTable(const AffineParams &in, const AffineParams &out) {
  Multiplier m = quantizeMultiplier(static_cast<double>(in.scale) / out.scale);
  std::vector<int8_t> table(256);
  for (int q = -128; q < 128; ++q)
    table[static_cast<size_t>(q + 128)] = static_cast<int8_t>(std::clamp(
        out.zeroPoint + rp_requantize(q - in.zeroPoint, m.mult, m.shift), -128, 127));
  return table;
}

} // namespace

Expected<Layer> buildPadMode(const Context &ctx, const ir::Node &node) {
  const ir::Tensor &x = tensorOf(ctx, node.inputs[0]), &y = tensorOf(ctx, node.outputs[0]);
  if (x.shape.size() != 4)
    return ir::nodeError(node, "the fixed-point backend pads 2-D maps [1, C, H, W] only");
  auto pads = constInts(ctx, node, 1, "pads");
  if (!pads)
    return pads.error();
  const std::vector<int64_t> &v = pads->value();
  if (v.size() != 8 || v[0] || v[1] || v[4] || v[5] ||
      std::any_of(v.begin(), v.end(), [](int64_t p) { return p < 0; }))
    return ir::nodeError(node, "the fixed-point backend pads rows and columns only, by "
                               "non-negative amounts");
  rp_pad_mode_params p{};
  p.in_h = i32(x.shape[2]), p.in_w = i32(x.shape[3]), p.channels = i32(x.shape[1]);
  p.out_h = i32(y.shape[2]), p.out_w = i32(y.shape[3]);
  p.pad_top = i32(v[2]), p.pad_left = i32(v[3]);
  p.mode = node.attr<ir::PadAttrs>().mode == ir::PadMode::Edge ? RP_PAD_EDGE : RP_PAD_REFLECT;
  Layer layer;
  layer.params = p;
  return layer;
}

bool hasSliceStep(const ir::Graph &graph, const ir::Node &node) {
  ir::TensorId steps = node.input(4);
  const size_t rank = graph.tensor(node.inputs.at(0)).shape.size();
  if (rank != 2 && rank != 4)
    return true; // rp_channel_slice_s8 takes 2-D and 4-D tensors only
  if (steps == ir::kNoTensor || !graph.tensor(steps).isConstant())
    return false;
  for (int64_t s : graph.tensor(steps).data->toInts())
    if (s != 1)
      return true;
  return false;
}

Expected<Layer> buildChannelStep(const Context &ctx, const ir::Node &node) {
  const ir::Tensor &x = tensorOf(ctx, node.inputs[0]), &y = tensorOf(ctx, node.outputs[0]);
  std::optional<std::vector<int64_t>> v[4];
  const char *what[4] = {"slice starts", "slice ends", "slice axes", "slice steps"};
  for (size_t i = 0; i < 4; ++i) {
    auto values = constInts(ctx, node, i + 1, what[i]);
    if (!values)
      return values.error();
    v[i] = std::move(*values);
  }
  const int64_t axis = v[2] && v[2]->size() == 1 ? normalAxis((*v[2])[0], x.shape.size()) : -1;
  const int64_t step = v[3] && v[3]->size() == 1 ? (*v[3])[0] : 1;
  const bool flat = ctx.hwcOrder[static_cast<size_t>(node.inputs[0])].has_value();
  if (axis < 0 || v[0]->size() != 1 || step == 0 || flat ||
      !ir::isInnermost(x.shape, ctx.rowMajor.count(node.inputs[0]) > 0, axis))
    return ir::nodeError(node, "the fixed-point backend slices one axis whose values are "
                               "contiguous in memory (the channels of a map, the last axis "
                               "of other tensors)");
  const int64_t dim = x.shape[static_cast<size_t>(axis)];
  int64_t first = (*v[0])[0] < 0 ? (*v[0])[0] + dim : (*v[0])[0];
  first =
      step > 0 ? std::clamp<int64_t>(first, 0, dim) : std::clamp<int64_t>(first, 0, dim - 1);
  rp_channel_step_params p{};
  p.in_channels = i32(dim), p.first = i32(first), p.step = i32(step);
  p.channels = i32(y.shape[static_cast<size_t>(axis)]);
  Layer layer;
  layer.params = p;
  return layer;
}

Expected<Layer> buildChannelShuffle(const Context &ctx, const ir::Node &node) {
  const ir::TensorId in = node.inputs.at(0);
  const ir::Tensor &x = tensorOf(ctx, in);
  if (x.shape.size() != 4 || ctx.hwcOrder[static_cast<size_t>(in)] || ctx.rowMajor.count(in))
    return ir::nodeError(node, "the fixed-point backend shuffles the channels of a feature "
                               "map [1, C, H, W] in its own (channels-last) order only");
  rp_channel_shuffle_params p{};
  p.channels = i32(x.shape[1]);
  p.groups = i32(node.attr<ir::ChannelShuffleAttrs>().groups);
  Layer layer;
  layer.params = p;
  return layer;
}

Status lowerTransposeNode(Context &ctx, ir::Graph &graph, ir::Node &node, KernelKind &kind) {
  const ir::TensorId in = node.inputs.at(0), out = node.outputs.at(0);
  if (ctx.hwcOrder[static_cast<size_t>(in)])
    return ir::nodeError(node, "transposing a flattened feature map has no fixed-point "
                               "kernel; transpose the map before flattening it");
  const bool isOutput =
      std::find(graph.outputs.begin(), graph.outputs.end(), out) != graph.outputs.end();
  auto l = ir::lowerTranspose(graph.tensor(in).shape, ctx.rowMajor.count(in) > 0,
                              node.attr<ir::TransposeAttrs>().perm, graph.tensor(out).shape,
                              isOutput);
  if (!l)
    return ir::nodeError(node, "the fixed-point transpose moves at most four dims of size "
                               "above 1");
  if (!l->relabel) {
    kind = KernelKind::Permute;
    return Status::ok();
  }
  // The bytes stay: a Reshape to the output shape, which the planner may run in place.
  const ir::Shape &shape = graph.tensor(out).shape;
  ir::TensorId target = graph.addConstant(
      graph.uniqueTensorName(graph.tensor(out).name + "_shape"),
      ir::TensorData::fromInts(ir::DType::Int64, {static_cast<int64_t>(shape.size())}, shape));
  ctx.params.emplace_back();
  ctx.hwcOrder.emplace_back();
  node.op = ir::OpKind::Reshape;
  node.attrs = ir::ReshapeAttrs{};
  node.inputs = {in, target};
  if (l->outRowMajor)
    ctx.rowMajor.insert(out);
  ctx.relabelled.insert(out);
  kind = KernelKind::Alias;
  return Status::ok();
}

Expected<bool> checkRowMajorAlias(Context &ctx, const ir::Node &node) {
  const ir::TensorId in = node.inputs.at(0), out = node.outputs.at(0);
  if (ctx.relabelled.count(out))
    return true; // a relabelled Transpose (lowerTransposeNode)
  if (!ctx.rowMajor.count(in))
    return false;
  // The bytes are in logical order: any reshape keeps them so.
  if (ir::isHwcMap(ctx.graph.tensor(out).shape))
    ctx.rowMajor.insert(out);
  return true;
}

Expected<Layer> buildPermute(const Context &ctx, const ir::Node &node) {
  const ir::TensorId in = node.inputs[0], out = node.outputs[0];
  const bool isOutput = std::find(ctx.graph.outputs.begin(), ctx.graph.outputs.end(), out) !=
                        ctx.graph.outputs.end();
  auto l = ir::lowerTranspose(tensorOf(ctx, in).shape, ctx.rowMajor.count(in) > 0,
                              node.attr<ir::TransposeAttrs>().perm, tensorOf(ctx, out).shape,
                              isOutput);
  rp_permute_params p{};
  for (size_t k = 0; k < 4; ++k)
    p.dims[k] = l->dims[k], p.in_stride[k] = l->inStride[k];
  Layer layer;
  layer.params = p;
  return layer;
}

Expected<Layer> buildReduceChannels(const Context &ctx, const ir::Node &node) {
  const ir::TensorId in = node.inputs[0];
  const ir::Tensor &x = tensorOf(ctx, in);
  auto axes = constInts(ctx, node, 1, "the reduction axes");
  if (!axes)
    return axes.error();
  const int64_t axis =
      *axes && (*axes)->size() == 1 ? normalAxis((**axes)[0], x.shape.size()) : -1;
  if (axis < 0 || ctx.hwcOrder[static_cast<size_t>(in)] ||
      !ir::isInnermost(x.shape, ctx.rowMajor.count(in) > 0, axis))
    return ir::nodeError(node, "the fixed-point backend reduces over one axis whose values "
                               "are contiguous in memory (the channels of a map, the last "
                               "axis of other tensors)");
  const AffineParams &px = ctx.of(in), &py = ctx.of(node.outputs[0]);
  rp_reduce_channels_params p{};
  p.channels = i32(x.shape[static_cast<size_t>(axis)]);
  p.op = node.op == ir::OpKind::ReduceMax   ? RP_REDUCE_MAX
         : node.op == ir::OpKind::ReduceMin ? RP_REDUCE_MIN
                                            : RP_REDUCE_MEAN;
  p.in_zp = px.zeroPoint, p.out_zp = py.zeroPoint;
  if (p.op == RP_REDUCE_MEAN) {
    if (p.channels >= (1 << 23))
      return ir::nodeError(node,
                           "averages {} values; the fixed-point kernel takes fewer "
                           "than 2^23",
                           p.channels);
    Multiplier m = quantizeMultiplier(static_cast<double>(px.scale) / (py.scale * p.channels));
    p.mult = m.mult, p.shift = m.shift;
  }
  Layer layer;
  layer.params = p;
  return layer;
}

Expected<Layer> buildMinMax(const Context &ctx, const ir::Node &node) {
  if (node.inputs.size() != 2)
    return ir::nodeError(node,
                         "the fixed-point {} takes two inputs, not {}; chain two-input "
                         "nodes",
                         ir::opName(node.op), node.inputs.size());
  const ir::Tensor &a = tensorOf(ctx, node.inputs[0]), &b = tensorOf(ctx, node.inputs[1]);
  if (a.isConstant() || b.isConstant() || a.shape != b.shape)
    return ir::nodeError(node,
                         "the fixed-point {} takes two run-time tensors of equal shape "
                         "(no constants, no broadcasting)",
                         ir::opName(node.op));
  const AffineParams &py = ctx.of(node.outputs[0]);
  rp_minmax_params p{};
  p.is_min = node.op == ir::OpKind::Min ? 1 : 0;
  Layer layer;
  p.table1 = addArray(layer, "table1", requantTable(ctx.of(node.inputs[0]), py));
  p.table2 = addArray(layer, "table2", requantTable(ctx.of(node.inputs[1]), py));
  layer.params = p;
  return layer;
}

Expected<Layer> buildRowMajorConcat(const Context &ctx, const ir::Node &node) {
  const ir::Tensor &y = tensorOf(ctx, node.outputs[0]);
  const int64_t axis = normalAxis(node.attr<ir::AxisAttrs>().axis, y.shape.size());
  const AffineParams &py = ctx.of(node.outputs[0]);
  auto inputs = std::make_shared<std::vector<rp_concat_input>>();
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= y.shape[static_cast<size_t>(d)];
  for (ir::TensorId id : node.inputs) {
    const ir::Tensor &x = tensorOf(ctx, id);
    if (x.isConstant())
      return ir::nodeError(node, "concatenating a constant has no fixed-point kernel");
    const AffineParams &px = ctx.of(id);
    rp_concat_input ci{i32(ir::numel(x.shape) / outer), px.zeroPoint, 0, 0};
    if (px.scale != py.scale || px.zeroPoint != py.zeroPoint) {
      Multiplier m = quantizeMultiplier(px.scale / py.scale);
      ci.mult = m.mult, ci.shift = m.shift;
      if (ci.mult == 0)
        ci.mult = 1, ci.shift = -31; // a vanishing factor, not the copy marker
    }
    inputs->push_back(ci);
  }
  // Row-major tensors: each of the `outer` positions before the axis holds the inputs'
  // blocks one after the other, as the channels of one pixel in an HWC map.
  rp_concat_params p{};
  p.pixels = i32(outer);
  p.out_channels = i32(ir::numel(y.shape) / outer);
  p.out_zp = py.zeroPoint;
  p.num_inputs = i32(static_cast<int64_t>(inputs->size()));
  p.inputs = inputs->data();
  Layer layer;
  layer.params = p;
  layer.concatInputs = inputs;
  return layer;
}

} // namespace rnnpoolc::quant
