// Layer builders for L2 normalisation, multiplies, channel slices and constant padding
// (runtime/rp_norm.c), and the rewrite that turns Split into one channel Slice per output.
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

/// A requantisation multiplier for a real factor of either sign (rp_requantize rounds half
/// away from zero, so a negated multiplier gives the negated result).
Multiplier signedMultiplier(double real) {
  Multiplier m = quantizeMultiplier(std::fabs(real));
  if (real < 0)
    m.mult = -m.mult;
  return m;
}

/// Values of a constant that varies along axis 1 of a tensor of shape `x` only (or is a
/// scalar), one per channel; empty when it does not.
std::vector<float> perChannel(const ir::TensorData &k, const ir::Shape &x) {
  int64_t channels = x.size() >= 2 ? x[1] : 1;
  if (k.numel() == 1)
    return std::vector<float>(static_cast<size_t>(channels), k.f[0]);
  const ir::Shape &s = k.shape;
  if (s.size() > x.size() || x.size() < 2)
    return {};
  size_t offset = x.size() - s.size();
  for (size_t d = 0; d < s.size(); ++d)
    if (d + offset == 1 ? s[d] != channels : s[d] != 1)
      return {};
  return k.f;
}

/// Elements per channel position: the pixels of an HWC map (or 1 for a vector).
int64_t channelsOf(const ir::Shape &s) {
  return s.size() >= 2 ? s[1] : 1;
}

} // namespace

Status splitToSlices(ir::Graph &graph) {
  std::vector<ir::Node> nodes;
  for (ir::Node &node : graph.nodes) {
    if (node.op == ir::OpKind::Mul && node.inputs.size() == 2 &&
        (graph.tensor(node.inputs[0]).isConstant() ||
         (!graph.tensor(node.inputs[1]).isConstant() &&
          graph.tensor(node.inputs[0]).shape != graph.tensor(node.outputs[0]).shape)))
      std::swap(node.inputs[0], node.inputs[1]); // the run-time operand, then the whole one
    if (node.op != ir::OpKind::Split) {
      nodes.push_back(std::move(node));
      continue;
    }
    int64_t axis = node.attr<ir::AxisAttrs>().axis;
    int64_t offset = 0;
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      // Copies, not references: addConstant below may move the graph's tensors.
      const std::string outName = graph.tensor(node.outputs[k]).name;
      const int64_t size = graph.tensor(node.outputs[k]).shape.at(static_cast<size_t>(axis));
      auto ints = [&](const char *what, int64_t v) {
        std::string name = graph.uniqueTensorName(fmt::format("{}_{}", outName, what));
        return graph.addConstant(name, ir::TensorData::fromInts(ir::DType::Int64, {1}, {v}));
      };
      ir::Node slice;
      slice.name = node.outputs.size() == 1 ? node.name : fmt::format("{}_{}", node.name, k);
      slice.op = ir::OpKind::Slice;
      slice.attrs = ir::defaultAttrs(ir::OpKind::Slice);
      slice.inputs = {node.inputs[0], ints("start", offset), ints("end", offset + size),
                      ints("axis", axis)};
      slice.outputs = {node.outputs[k]};
      nodes.push_back(std::move(slice));
      offset += size;
    }
  }
  graph.nodes = std::move(nodes);
  return Status::ok();
}

Expected<Layer> buildL2Norm(const Context &ctx, const ir::Node &node) {
  const ir::Tensor &x = tensorOf(ctx, node.inputs[0]);
  const auto &a = node.attr<ir::L2NormAttrs>();
  if (a.axis != 1 || (x.shape.size() != 2 && x.shape.size() != 4))
    return ir::nodeError(node,
                         "the fixed-point L2 normalisation works along the channels of "
                         "a 2-D or 4-D tensor only (axis 1, not {})",
                         a.axis);
  const int64_t channels = channelsOf(x.shape);
  if (channels > 33025) // channels * 255^2 must stay below 2^31
    return ir::nodeError(node,
                         "normalises {} channels; the fixed-point kernel handles at most "
                         "33025",
                         channels);
  std::vector<float> scale(static_cast<size_t>(channels), 1.0f);
  if (node.input(1) != ir::kNoTensor) {
    auto s = constantInput(ctx.graph, node, 1, "scale");
    if (!s)
      return s.error();
    const std::vector<float> &v = (*s)->f; // [1] or [C] (shape inference checked it)
    for (size_t c = 0; c < scale.size(); ++c)
      scale[c] = v[v.size() == 1 ? 0 : c];
  }
  const AffineParams &px = ctx.of(node.inputs[0]), &py = ctx.of(node.outputs[0]);
  rp_l2norm_params p{};
  p.channels = i32(channels);
  p.in_zp = px.zeroPoint, p.out_zp = py.zeroPoint;
  p.eps_inside = a.epsInsideSqrt ? 1 : 0;
  // eps in units of the input's integer steps (squared inside the square root).
  double eps =
      a.epsInsideSqrt ? a.eps / (double(px.scale) * px.scale) : a.eps / double(px.scale);
  if (eps > 0) {
    int e = 0;
    double f = std::frexp(eps, &e); // eps = f * 2^e, f in [0.5, 1)
    p.eps_mant = static_cast<int32_t>(std::llround(f * double(1 << 30)));
    p.eps_exp = 30 - e;
  }
  std::vector<int32_t> mult, shift;
  for (float s : scale) {
    Multiplier m = signedMultiplier(double(s) / (double(py.scale) * double(1 << 30)));
    mult.push_back(m.mult);
    shift.push_back(m.shift);
  }
  Layer layer;
  p.mult = addArray(layer, "mult", std::move(mult));
  p.shift = addArray(layer, "shift", std::move(shift));
  layer.params = p;
  return layer;
}

Expected<Layer> buildMul(const Context &ctx, const ir::Node &node) {
  const AffineParams &p1 = ctx.of(node.inputs[0]), &p2 = ctx.of(node.inputs[1]);
  const AffineParams &py = ctx.of(node.outputs[0]);
  rp_mul_params p{};
  p.in1_zp = p1.zeroPoint, p.in2_zp = p2.zeroPoint, p.out_zp = py.zeroPoint;
  Multiplier m = quantizeMultiplier(double(p1.scale) * p2.scale / py.scale);
  p.mult = m.mult, p.shift = m.shift;
  p.act_min = -128, p.act_max = 127;
  Layer layer;
  layer.params = p;
  return layer;
}

Expected<Layer> buildMulGate(const Context &ctx, const ir::Node &node) {
  const ir::Tensor &x = tensorOf(ctx, node.inputs[0]), &g = tensorOf(ctx, node.inputs[1]);
  const ir::Shape &xs = x.shape, &gs = g.shape;
  const bool map = xs.size() == 4 && gs.size() == 4 && xs[0] == 1 && gs[0] == 1 &&
                   tensorOf(ctx, node.outputs[0]).shape == xs;
  const bool perChannel = map && gs[1] == xs[1] && gs[2] == 1 && gs[3] == 1;
  const bool perPixel = map && gs[1] == 1 && gs[2] == xs[2] && gs[3] == xs[3];
  if (!perChannel && !perPixel)
    return ir::nodeError(node,
                         "multiplies {} by a run-time tensor of shape {}; the fixed-point "
                         "backend broadcasts a gate of shape 1xCx1x1 or 1x1xHxW over a "
                         "map, or multiplies tensors of equal shapes",
                         ir::toString(xs), ir::toString(gs));
  const AffineParams &px = ctx.of(node.inputs[0]), &pg = ctx.of(node.inputs[1]);
  const AffineParams &py = ctx.of(node.outputs[0]);
  rp_mul_gate_params p{};
  p.channels = i32(xs[1]);
  p.per_pixel = perChannel ? 0 : 1;
  p.in_zp = px.zeroPoint, p.gate_zp = pg.zeroPoint, p.out_zp = py.zeroPoint;
  Multiplier m = quantizeMultiplier(double(px.scale) * pg.scale / py.scale);
  p.mult = m.mult, p.shift = m.shift;
  p.act_min = -128, p.act_max = 127;
  Layer layer;
  layer.params = p;
  return layer;
}

Expected<Layer> buildMulChannel(const Context &ctx, const ir::Node &node) {
  const ir::Tensor &x = tensorOf(ctx, node.inputs[0]);
  auto k = constantInput(ctx.graph, node, 1, "constant factor");
  if (!k)
    return k.error();
  bool scalar = (*k)->numel() == 1;
  std::vector<float> factors = scalar ? (*k)->f : perChannel(**k, x.shape);
  if (factors.empty() || tensorOf(ctx, node.outputs[0]).shape != x.shape ||
      (!scalar && x.shape.size() != 2 && x.shape.size() != 4))
    return ir::nodeError(node,
                         "multiplying by a constant of shape {} has no fixed-point "
                         "kernel; it must be a scalar or vary along channels only",
                         ir::toString((*k)->shape));
  const AffineParams &px = ctx.of(node.inputs[0]), &py = ctx.of(node.outputs[0]);
  rp_mul_channel_params p{};
  p.channels = i32(static_cast<int64_t>(factors.size()));
  p.in_zp = px.zeroPoint, p.out_zp = py.zeroPoint;
  p.act_min = -128, p.act_max = 127;
  std::vector<int32_t> mult, shift;
  for (float f : factors) {
    Multiplier m = signedMultiplier(double(px.scale) * f / py.scale);
    mult.push_back(m.mult);
    shift.push_back(m.shift);
  }
  Layer layer;
  p.mult = addArray(layer, "mult", std::move(mult));
  p.shift = addArray(layer, "shift", std::move(shift));
  layer.params = p;
  return layer;
}

Expected<Layer> buildChannelSlice(const Context &ctx, const ir::Node &node) {
  const ir::Tensor &x = tensorOf(ctx, node.inputs[0]), &y = tensorOf(ctx, node.outputs[0]);
  std::vector<int64_t> values[4];
  for (size_t i = 1; i < 5; ++i) {
    ir::TensorId id = node.input(i);
    if (id == ir::kNoTensor)
      continue;
    if (!tensorOf(ctx, id).isConstant())
      return ir::nodeError(node, "slice parameters must be constants for the fixed-point "
                                 "backend");
    values[i - 1] = tensorOf(ctx, id).data->toInts();
  }
  const auto rank = static_cast<int64_t>(x.shape.size());
  bool channelAxis = values[2].size() == 1 && (values[2][0] == 1 || values[2][0] == 1 - rank);
  bool unitStep = values[3].empty() || (values[3].size() == 1 && values[3][0] == 1);
  if ((rank != 2 && rank != 4) || !channelAxis || !unitStep || values[0].size() != 1)
    return ir::nodeError(node, "the fixed-point backend slices 2-D and 4-D tensors along "
                               "channels only, with step 1");
  int64_t first = values[0][0] < 0 ? values[0][0] + x.shape[1] : values[0][0];
  first = std::clamp<int64_t>(first, 0, x.shape[1]);
  rp_channel_slice_params p{};
  p.in_channels = i32(x.shape[1]), p.first = i32(first), p.channels = i32(y.shape[1]);
  Layer layer;
  layer.params = p;
  return layer;
}

Expected<Layer> buildPad(const Context &ctx, const ir::Node &node) {
  const ir::Tensor &x = tensorOf(ctx, node.inputs[0]), &y = tensorOf(ctx, node.outputs[0]);
  if (node.attr<ir::PadAttrs>().mode != ir::PadMode::Constant || x.shape.size() != 4)
    return ir::nodeError(node, "the fixed-point backend pads 2-D maps with a constant only");
  if (!tensorOf(ctx, node.inputs[1]).isConstant())
    return ir::nodeError(node, "pads must be a constant for the fixed-point backend");
  std::vector<int64_t> pads = tensorOf(ctx, node.inputs[1]).data->toInts();
  if (pads.size() != 8 || pads[0] || pads[1] || pads[4] || pads[5] || pads[2] < 0 ||
      pads[3] < 0 || pads[6] < 0 || pads[7] < 0)
    return ir::nodeError(node, "the fixed-point backend pads rows and columns only, by "
                               "non-negative amounts");
  const AffineParams &px = ctx.of(node.inputs[0]);
  double value = 0;
  if (node.input(2) != ir::kNoTensor) {
    auto v = constantInput(ctx.graph, node, 2, "padding value");
    if (!v)
      return v.error();
    value = (*v)->f.at(0);
  }
  double steps = value / px.scale + px.zeroPoint;
  if (steps < -128.5 || steps > 127.5)
    return ir::nodeError(node,
                         "the padding value {} lies outside the input's int8 range; "
                         "calibrate with data that covers it",
                         value);
  rp_pad_params p{};
  p.in_h = i32(x.shape[2]), p.in_w = i32(x.shape[3]), p.channels = i32(x.shape[1]);
  p.out_h = i32(y.shape[2]), p.out_w = i32(y.shape[3]);
  p.pad_top = i32(pads[2]), p.pad_left = i32(pads[3]);
  p.value = quantizeValue(value, px);
  Layer layer;
  layer.params = p;
  return layer;
}

} // namespace rnnpoolc::quant
