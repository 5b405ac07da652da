// Lowering broadcasting binary ops (Add with a constant or a broadcast operand, Sub, Mul,
// Div, Pow) to rp_binary_f32 and channel reductions (ReduceSum, ReduceMean over axis 1) to
// rp_reduce_channels_f32. The broadcasts the kernel supports are those an HWC buffer can
// address with a pixel and a channel stride: whole, per channel, per pixel, scalar.
#include "targets/FloatLowering.h"

#include <fmt/format.h>

#include <algorithm>

namespace rnnpoolc::targets {
namespace {

/// The output seen as [pixels, channels] (rank 4 [1, C, H, W] or rank 2 [1, K]).
struct Plane {
  int64_t channels = 0, h = 1, w = 1;
};

Expected<Plane> planeOf(const ir::Node &node, const ir::Shape &s) {
  if (s.size() == 4 && s[0] == 1)
    return Plane{s[1], s[2], s[3]};
  if (s.size() == 2 && s[0] == 1)
    return Plane{s[1], 1, 1};
  return ir::nodeError(node,
                       "the C backend's elementwise kernels take [1, C, H, W] or [1, K] "
                       "tensors, not [{}]",
                       ir::toString(s));
}

/// How an operand of shape `s` is addressed inside the output plane, or an error.
struct Operand {
  int64_t pixelStride = 0, channelStride = 0;
  bool whole = false; ///< Every pixel and channel (a same-shape operand).
};

Expected<Operand> operandOf(const ir::Node &node, ir::Shape s, const ir::Shape &outShape,
                            const Plane &p) {
  while (s.size() < outShape.size())
    s.insert(s.begin(), 1);
  if (s.size() != outShape.size())
    return ir::nodeError(node, "operand [{}] has a higher rank than the output",
                         ir::toString(s));
  const int64_t c = s[1], h = s.size() == 4 ? s[2] : 1, w = s.size() == 4 ? s[3] : 1;
  const bool chFull = c == p.channels && p.channels > 1;
  const bool pxFull = h == p.h && w == p.w && p.h * p.w > 1;
  if (s[0] != 1 || (c != 1 && c != p.channels) ||
      !((h == p.h && w == p.w) || (h == 1 && w == 1)))
    return ir::nodeError(node,
                         "broadcasting [{}] to [{}] has no kernel in the C backend (an "
                         "operand must be whole, per channel, per pixel or a scalar)",
                         ir::toString(s), ir::toString(outShape));
  Operand o;
  o.channelStride = chFull ? 1 : 0;
  o.pixelStride = pxFull ? (chFull ? p.channels : 1) : 0;
  o.whole = chFull == (p.channels > 1) && pxFull == (p.h * p.w > 1);
  return o;
}

/// A constant operand's values in the order the kernel reads them (HWC when whole).
std::vector<float> constantValues(const ir::Tensor &t, const Operand &o, const Plane &p) {
  const std::vector<float> &v = t.data->f;
  if (!(o.pixelStride > 0 && o.channelStride > 0))
    return v;
  std::vector<float> hwc(v.size());
  const int64_t hw = p.h * p.w;
  for (int64_t ch = 0; ch < p.channels; ++ch)
    for (int64_t px = 0; px < hw; ++px)
      hwc[static_cast<size_t>(px * p.channels + ch)] = v[static_cast<size_t>(ch * hw + px)];
  return hwc;
}

/// The RP_BIN_* of a binary op, or -1 for an op rp_binary_f32 does not compute.
int binaryOp(ir::OpKind op) {
  switch (op) {
  case ir::OpKind::Add: return 0; // RP_BIN_ADD
  case ir::OpKind::Sub: return 1; // RP_BIN_SUB
  case ir::OpKind::Mul: return 2; // RP_BIN_MUL
  case ir::OpKind::Div: return 3; // RP_BIN_DIV
  case ir::OpKind::Pow: return 4; // RP_BIN_POW
  case ir::OpKind::Max: return 5; // RP_BIN_MAX
  case ir::OpKind::Min: return 6; // RP_BIN_MIN
  default: return -1;             // lowerBinary reports it
  }
}

/// True for a constant operand holding the one value `v`.
bool isScalar(const ir::Tensor &t, float v) {
  return t.isConstant() && ir::isFloat(t.dtype) && t.data->f.size() == 1 && t.data->f[0] == v;
}

} // namespace

Expected<FloatStep> lowerBinary(const ir::Graph &g, const ir::Node &node,
                                const std::vector<bool> &flat) {
  const ir::Shape &outShape = g.tensor(node.outputs.at(0)).shape;
  auto plane = planeOf(node, outShape);
  if (!plane)
    return plane.error();
  FloatStep s;
  s.kind = FloatKind::Binary;
  int op = binaryOp(node.op);
  if (op < 0)
    return ir::nodeError(node, "internal: not a binary op of the float build");
  s.operandInput = {0, 1};
  if (node.op == ir::OpKind::Pow && isScalar(g.tensor(node.inputs.at(1)), 2.0f))
    op = binaryOp(ir::OpKind::Mul), s.operandInput = {0, 0}; // x^2 as x * x
  FloatParams params;
  params.add("op", op).add("pixels", plane->h * plane->w).add("channels", plane->channels);
  const char *names[2] = {"a", "b"};
  for (size_t k = 0; k < 2; ++k) {
    const ir::Tensor &t = g.tensor(node.inputs.at(s.operandInput[k]));
    if (!ir::isFloat(t.dtype))
      return ir::nodeError(node, "operand '{}' is not float", t.name);
    auto o = operandOf(node, t.shape, outShape, *plane);
    if (!o)
      return o.error();
    if (flat[s.operandInput[k]] && !o->whole)
      return ir::nodeError(node, "broadcasting a flattened feature map has no kernel in the C "
                                 "backend");
    if (t.isConstant()) {
      if (o->whole && std::find(flat.begin(), flat.end(), true) != flat.end())
        return ir::nodeError(node, "combining a flattened feature map with a whole constant "
                                   "has no kernel in the C backend");
      s.arrays.push_back({names[k], constantValues(t, *o, *plane)});
      s.operandArray.push_back(names[k]);
    } else {
      s.operandArray.push_back("");
    }
    params.nested(names[k], FloatParams()
                                .add("pixel_stride", o->pixelStride)
                                .add("channel_stride", o->channelStride));
  }
  s.params = params.take();
  return s;
}

Expected<FloatStep> lowerReduce(const ir::Graph &g, const ir::Node &node,
                                const std::vector<bool> &flat) {
  const ir::Shape &in = g.tensor(node.inputs.at(0)).shape;
  ir::TensorId axesId = node.input(1);
  const bool channels = axesId != ir::kNoTensor && g.tensor(axesId).isConstant() &&
                        g.tensor(axesId).data->i.size() == 1 &&
                        (g.tensor(axesId).data->i[0] == 1 ||
                         g.tensor(axesId).data->i[0] == 1 - static_cast<int64_t>(in.size()));
  if (!channels || flat[0] || !((in.size() == 4 || in.size() == 2) && in[0] == 1))
    return ir::nodeError(node,
                         "the C backend reduces over the channels (axis 1) of a [1, C, H, "
                         "W] or [1, K] tensor only");
  FloatStep s;
  s.kind = FloatKind::Reduce;
  const int op = node.op == ir::OpKind::ReduceMean  ? 1 // RP_RED_MEAN
                 : node.op == ir::OpKind::ReduceMax ? 2 // RP_RED_MAX
                 : node.op == ir::OpKind::ReduceMin ? 3 // RP_RED_MIN
                                                    : 0; // RP_RED_SUM
  s.params = FloatParams()
                 .add("pixels", in.size() == 4 ? in[2] * in[3] : 1)
                 .add("channels", in[1])
                 .add("op", op)
                 .take();
  return s;
}

Expected<FloatStep> lowerL2Norm(const ir::Graph &g, const ir::Node &node,
                                const std::vector<bool> &flat) {
  const ir::Shape &in = g.tensor(node.inputs.at(0)).shape;
  const auto &a = node.attr<ir::L2NormAttrs>();
  if (a.axis != 1 || flat[0] || !((in.size() == 4 || in.size() == 2) && in[0] == 1))
    return ir::nodeError(node, "the C backend normalises over the channels (axis 1) of a "
                               "[1, C, H, W] or [1, K] tensor only");
  FloatStep s;
  s.kind = FloatKind::L2Norm;
  size_t scaleCount = 0;
  if (node.input(1) != ir::kNoTensor) {
    const ir::Tensor &scale = g.tensor(node.inputs[1]);
    if (!scale.isConstant())
      return ir::nodeError(node, "the C backend needs a constant scale");
    scaleCount = scale.data->f.size();
    s.arrays = {{"scale", scale.data->f}};
  }
  FloatParams params(&s.arrays);
  params.add("pixels", in.size() == 4 ? in[2] * in[3] : 1).add("channels", in[1]);
  params.add("eps_inside", a.epsInsideSqrt ? 1 : 0);
  params.add("scale_count", static_cast<int64_t>(scaleCount)).real("eps", a.eps);
  if (scaleCount > 0)
    params.ptr("scale", "scale");
  s.params = params.take();
  return s;
}

} // namespace rnnpoolc::targets
