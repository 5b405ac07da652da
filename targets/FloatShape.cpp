// Lowering the float build's data movement: Pad in its three modes (rp_pad_f32, views and
// regions), Slice along a contiguous axis with any step (rp_channel_step_f32), Transpose
// (a relabelling of the bytes, or rp_permute_f32), ChannelShuffle (rp_channel_shuffle_f32)
// and Concat of row-major tensors such as detection heads flattened to [1, anchors, k]
// (rp_concat_f32 with one block per position).
#include "compiler/ir/MemoryOrder.h"
#include "targets/FloatLowering.h"

#include <fmt/format.h>

#include <algorithm>

namespace rnnpoolc::targets {
namespace {

int64_t normalAxis(int64_t axis, size_t rank) {
  const auto r = static_cast<int64_t>(rank);
  axis = axis < 0 ? axis + r : axis;
  return axis >= 0 && axis < r ? axis : -1;
}

/// The values of constant input `i`, or an empty optional when the input is absent.
Expected<std::optional<std::vector<int64_t>>> ints(const ir::Graph &g, const ir::Node &node,
                                                   size_t i) {
  ir::TensorId id = node.input(i);
  if (id == ir::kNoTensor)
    return std::optional<std::vector<int64_t>>{};
  if (!g.tensor(id).isConstant())
    return ir::nodeError(node, "input {} must be a constant for the C backend", i);
  return std::optional<std::vector<int64_t>>{g.tensor(id).data->toInts()};
}

} // namespace

Expected<FloatStep> lowerPadF32(const ir::Graph &g, const ir::Node &node) {
  const ir::Shape &x = g.tensor(node.inputs.at(0)).shape, &y = g.tensor(node.outputs[0]).shape;
  auto pads = ints(g, node, 1);
  if (!pads)
    return pads.error();
  const std::vector<int64_t> &v = pads->value();
  if (x.size() != 4 || x[0] != 1 || v.size() != 8 || v[0] || v[1] || v[4] || v[5] ||
      std::any_of(v.begin(), v.end(), [](int64_t p) { return p < 0; }))
    return ir::nodeError(node, "the C backend pads the rows and columns of [1, C, H, W] maps "
                               "only, by non-negative amounts");
  float value = 0;
  if (node.input(2) != ir::kNoTensor) {
    const ir::Tensor &t = g.tensor(node.inputs[2]);
    if (!t.isConstant() || !ir::isFloat(t.dtype) || t.data->f.empty())
      return ir::nodeError(node, "the padding value must be a float constant for the C "
                                 "backend");
    value = t.data->f[0];
  }
  const ir::PadMode mode = node.attr<ir::PadAttrs>().mode;
  FloatStep s;
  s.kind = FloatKind::Pad;
  s.params = FloatParams()
                 .add("in_h", x[2])
                 .add("in_w", x[3])
                 .add("channels", x[1])
                 .add("out_h", y[2])
                 .add("out_w", y[3])
                 .add("pad_top", v[2])
                 .add("pad_left", v[3])
                 .add("mode", mode == ir::PadMode::Constant ? 0
                              : mode == ir::PadMode::Edge   ? 1
                                                            : 2)
                 .real("value", value)
                 .take();
  return s;
}

Expected<FloatStep> lowerSliceF32(const ir::Graph &g, const ir::Node &node, bool flat,
                                  bool rowMajor) {
  const ir::Shape &x = g.tensor(node.inputs.at(0)).shape, &y = g.tensor(node.outputs[0]).shape;
  std::optional<std::vector<int64_t>> v[4];
  for (size_t i = 0; i < 4; ++i) {
    auto values = ints(g, node, i + 1);
    if (!values)
      return values.error();
    v[i] = std::move(*values);
  }
  const int64_t axis = v[2] && v[2]->size() == 1 ? normalAxis((*v[2])[0], x.size()) : -1;
  const int64_t step = v[3] && v[3]->size() == 1 ? (*v[3])[0] : 1;
  bool contiguous = axis >= 0;
  if (contiguous) {
    const ir::Ints order = ir::memoryOrder(x, rowMajor);
    for (auto it = std::find(order.begin(), order.end(), axis) + 1; it != order.end(); ++it)
      contiguous = contiguous && x[static_cast<size_t>(*it)] == 1;
  }
  if (!contiguous || flat || v[0]->size() != 1 || step == 0)
    return ir::nodeError(node, "the C backend slices one axis whose values are contiguous in "
                               "memory (the channels of a map, the last axis of other "
                               "tensors)");
  const int64_t dim = x[static_cast<size_t>(axis)];
  int64_t first = (*v[0])[0] < 0 ? (*v[0])[0] + dim : (*v[0])[0];
  first =
      step > 0 ? std::clamp<int64_t>(first, 0, dim) : std::clamp<int64_t>(first, 0, dim - 1);
  const int64_t count = y[static_cast<size_t>(axis)];
  FloatStep s;
  s.kind = FloatKind::ChannelStep;
  s.params = FloatParams()
                 .add("in_channels", dim)
                 .add("first", first)
                 .add("step", step)
                 .add("channels", count)
                 .take();
  s.pixels = count > 0 ? ir::numel(y) / count : 0;
  return s;
}

Expected<FloatStep> lowerTransposeF32(const ir::Graph &g, const ir::Node &node, bool flat,
                                      bool inRowMajor, bool &outRowMajor) {
  const ir::TensorId out = node.outputs.at(0);
  const bool isOutput = std::find(g.outputs.begin(), g.outputs.end(), out) != g.outputs.end();
  auto l = flat ? std::nullopt
                : ir::lowerTranspose(g.tensor(node.inputs.at(0)).shape, inRowMajor,
                                     node.attr<ir::TransposeAttrs>().perm, g.tensor(out).shape,
                                     isOutput);
  if (!l)
    return ir::nodeError(node, "the C backend transposes tensors (not flattened feature "
                               "maps) that move at most four dims of size above 1");
  FloatStep s;
  outRowMajor = l->relabel && l->outRowMajor;
  if (l->relabel)
    return s; // Alias: the bytes stay
  s.kind = FloatKind::Permute;
  s.params = FloatParams()
                 .list("dims", {l->dims[0], l->dims[1], l->dims[2], l->dims[3]})
                 .list("in_stride", {l->inStride[0], l->inStride[1], l->inStride[2],
                                     l->inStride[3]})
                 .take();
  return s;
}

Expected<FloatStep> lowerChannelShuffleF32(const ir::Graph &g, const ir::Node &node,
                                           bool flat) {
  const ir::Shape &x = g.tensor(node.inputs.at(0)).shape;
  if (flat || x.size() != 4 || x[0] != 1)
    return ir::nodeError(node, "the C backend shuffles the channels of a [1, C, H, W] "
                               "feature map only (not a flattened one)");
  FloatStep s;
  s.kind = FloatKind::ChannelShuffle;
  s.params = FloatParams()
                 .add("pixels", x[2] * x[3])
                 .add("channels", x[1])
                 .add("groups", node.attr<ir::ChannelShuffleAttrs>().groups)
                 .take();
  return s;
}

Expected<FloatStep> lowerRowMajorConcatF32(const ir::Graph &g, const ir::Node &node) {
  const ir::Shape &y = g.tensor(node.outputs.at(0)).shape;
  const int64_t axis = normalAxis(node.attr<ir::AxisAttrs>().axis, y.size());
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= y[static_cast<size_t>(d)];
  FloatStep s;
  s.kind = FloatKind::Concat;
  for (ir::TensorId in : node.inputs) {
    if (g.tensor(in).isConstant())
      return ir::nodeError(node, "concatenating a constant has no kernel in the C backend");
    s.concatChannels.push_back(static_cast<int32_t>(ir::numel(g.tensor(in).shape) / outer));
  }
  s.params = FloatParams()
                 .add("pixels", outer)
                 .add("out_channels", ir::numel(y) / outer)
                 .add("num_inputs", static_cast<int64_t>(node.inputs.size()))
                 .take();
  return s; // .channels is added by the emitter
}

} // namespace rnnpoolc::targets
