// Layer builders for the int8 kernels: convolution, fully connected, pooling, add, concat,
// table-driven activations and softmax. Each turns one node and the parameters of its
// tensors into a runtime params struct and its constant arrays.
#include "compiler/ir/MemoryOrder.h"
#include "compiler/ir/OpInfo.h"
#include "compiler/quant/QuantInternal.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace rnnpoolc::quant {
namespace {

/// A channel's weight scale may be coarsened (doubled) this many times, to 4-bit weights,
/// to keep its accumulator within int32; beyond that the bound check reports the channel.
constexpr int kMaxCoarsening = 4;

const ir::Tensor &inputOf(const Context &ctx, const ir::Node &node, size_t i = 0) {
  return ctx.graph.tensor(node.inputs.at(i));
}
const ir::Tensor &outputOf(const Context &ctx, const ir::Node &node) {
  return ctx.graph.tensor(node.outputs.at(0));
}

/// Per-output-channel int8 weights (rows of `cols` values), int32 biases at
/// in_scale * w_scale[o], and the requantisation multipliers to the output scale.
struct ChannelQuant {
  std::vector<int8_t> weights;
  std::vector<int32_t> bias, mult, shift;
};

/// Where each weight of the kernel's [rows][cols] matrix comes from: src[i] is the flat
/// index in the weight constant, and rowAxis the constant's axis that the rows run along.
struct WeightLayout {
  std::vector<int64_t> src;
  int64_t rows = 0, cols = 0;
  int64_t rowAxis = 0;
};

/// Row o of the weights from floats at scale ws (saturated to [-127, 127]).
void quantizeRow(const std::vector<float> &w, const WeightLayout &l, float factor, int64_t o,
                 double ws, std::vector<int8_t> &out) {
  for (int64_t k = 0; k < l.cols; ++k) {
    auto i = static_cast<size_t>(o * l.cols + k);
    out[i] = static_cast<int8_t>(
        roundClamp(factor * w[static_cast<size_t>(l.src[i])] / ws, -127, 127));
  }
}

/// Symmetric weights from floats: one scale max|w| / 127 per row.
std::vector<double> quantizeRows(const std::vector<float> &w, const WeightLayout &l,
                                 float factor, std::vector<int8_t> &out) {
  std::vector<double> scales;
  out.resize(l.src.size());
  for (int64_t o = 0; o < l.rows; ++o) {
    float maxAbs = 0;
    for (int64_t k = 0; k < l.cols; ++k)
      maxAbs =
          std::max(maxAbs, std::fabs(factor * w[static_cast<size_t>(l.src[o * l.cols + k])]));
    double ws = maxAbs > 0 ? maxAbs / 127.0 : 1.0;
    quantizeRow(w, l, factor, o, ws, out);
    scales.push_back(ws);
  }
  return scales;
}

/// The model's own int8 weights and per-row scales (a pre-quantised model's weights, see
/// passes::foldDequantizedConstants), or nullopt when the constant has none that the
/// kernels can use as they are: scales per tensor or along rowAxis, and q - zp in int8.
std::optional<std::vector<double>> givenRows(const ir::Tensor &w, const WeightLayout &l,
                                             std::vector<int8_t> &out) {
  if (!w.integers || !w.quant)
    return std::nullopt;
  const ir::QuantParams &p = *w.quant;
  bool perTensor = p.scale.size() == 1;
  if (!perTensor && (p.axis != l.rowAxis || static_cast<int64_t>(p.scale.size()) != l.rows))
    return std::nullopt;
  int64_t inner = 1;
  for (size_t d = static_cast<size_t>(std::max<int64_t>(p.axis, 0)) + 1; d < w.shape.size();
       ++d)
    inner *= w.shape[d];
  auto channel = [&](int64_t src) {
    return perTensor ? 0 : static_cast<size_t>((src / inner) % l.rows);
  };
  out.resize(l.src.size());
  for (size_t i = 0; i < l.src.size(); ++i) {
    int64_t v = w.integers->i[static_cast<size_t>(l.src[i])] - p.zeroPoint[channel(l.src[i])];
    if (v < -128 || v > 127)
      return std::nullopt;
    out[i] = static_cast<int8_t>(v);
  }
  std::vector<double> scales;
  for (int64_t o = 0; o < l.rows; ++o)
    scales.push_back(p.scale[perTensor ? 0 : static_cast<size_t>(o)]);
  return scales;
}

/// The bias of a conv or fully connected layer: absent, floats, or the model's int32 values.
struct BiasSource {
  const ir::Tensor *tensor = nullptr;
  float factor = 1;
  std::vector<float> values; ///< factor * bias, broadcast to one per row
};

/// Bias o in units of `scale`, not yet rounded: the model's integer as it is when the model
/// gives it at that scale (within float rounding), else the real value divided by the scale.
/// NaN counts as 0.
double biasAt(const BiasSource &b, int64_t o, double scale) {
  if (b.values.empty())
    return 0;
  const ir::Tensor *t = b.tensor;
  double v = b.values[static_cast<size_t>(o)] / scale;
  if (t && t->integers && t->quant && b.factor == 1 &&
      t->integers->numel() == static_cast<int64_t>(b.values.size())) {
    const ir::QuantParams &p = *t->quant;
    size_t c = p.scale.size() == 1 ? 0 : static_cast<size_t>(o);
    double q = static_cast<double>(t->integers->i[static_cast<size_t>(o)] - p.zeroPoint[c]);
    double given = p.scale[c];
    v = std::fabs(given - scale) <= 1e-6 * scale ? q : q * given / scale;
  }
  return std::isnan(v) ? 0.0 : std::round(v);
}

/// |bias| + xMax * sum |w| of row o: the largest |accumulator| of the channel over every
/// int8 input (and a bound on each partial sum), as a double (exact below 2^53).
double rowBound(const std::vector<int8_t> &w, const WeightLayout &l, int64_t o, double bias,
                int64_t xMax) {
  int64_t sum = 0;
  for (int64_t k = 0; k < l.cols; ++k)
    sum += std::abs(int32_t{w[static_cast<size_t>(o * l.cols + k)]});
  return std::fabs(bias) + double(xMax) * double(sum);
}

/// Whether the weights of row o change the channel's output by less than half an output
/// step for any input: then they may round to zero when their scale is coarsened.
bool negligibleRow(const std::vector<float> &w, const WeightLayout &l, float factor, int64_t o,
                   int64_t xMax, float inScale, float outScale) {
  double sum = 0;
  for (int64_t k = 0; k < l.cols; ++k)
    sum += std::fabs(double(factor) * w[static_cast<size_t>(l.src[o * l.cols + k])]);
  return sum * double(xMax) * inScale < 0.5 * outScale;
}

/// Weights (the model's own where usable, else quantised from `w`), biases and multipliers.
/// Safe form: where |bias| + xMax * sum |w| would not fit in the int32 accumulator, the
/// channel's weight scale is doubled (weights requantised from the floats, the bias at the
/// new scale) up to kMaxCoarsening times, or as often as needed when the weights are
/// negligible; checkBounds reports a channel that still does not fit.
ChannelQuant quantizeChannels(const ir::Tensor &w, const WeightLayout &l, float factor,
                              const BiasSource &bias, float inScale, float outScale,
                              int64_t xMax) {
  ChannelQuant q;
  std::optional<std::vector<double>> scales;
  if (factor == 1)
    scales = givenRows(w, l, q.weights);
  if (!scales)
    scales = quantizeRows(w.data->f, l, factor, q.weights);
  for (int64_t o = 0; o < l.rows; ++o) {
    double ws = (*scales)[static_cast<size_t>(o)], b = biasAt(bias, o, inScale * ws);
    for (int step = 1; rowBound(q.weights, l, o, b, xMax) > double(INT32_MAX) && step < 64;
         ++step) {
      if (step > kMaxCoarsening &&
          !negligibleRow(w.data->f, l, factor, o, xMax, inScale, outScale))
        break;
      ws *= 2;
      quantizeRow(w.data->f, l, factor, o, ws, q.weights);
      b = biasAt(bias, o, inScale * ws);
    }
    q.bias.push_back(roundClamp(b, -double(INT32_MAX), double(INT32_MAX)));
    Multiplier m = quantizeMultiplier(inScale * ws / outScale);
    q.mult.push_back(m.mult);
    q.shift.push_back(m.shift);
  }
  return q;
}

/// The optional bias input as floats (empty when absent).
Expected<std::vector<float>> optionalBias(const Context &ctx, const ir::Node &node, size_t i,
                                          int64_t count, float factor = 1.0f) {
  if (node.input(i) == ir::kNoTensor)
    return std::vector<float>{};
  auto b = constantInput(ctx.graph, node, i, "bias");
  if (!b)
    return b.error();
  const auto &v = (*b)->f;
  if (v.size() != 1 && static_cast<int64_t>(v.size()) != count)
    return ir::nodeError(node, "bias of {} values does not broadcast to {} outputs in the "
                               "fixed-point backend",
                         v.size(), count);
  std::vector<float> out(static_cast<size_t>(count));
  for (int64_t o = 0; o < count; ++o)
    out[static_cast<size_t>(o)] = factor * v[v.size() == 1 ? 0 : static_cast<size_t>(o)];
  return out;
}

/// Fills the pointer fields shared by conv and fully connected params.
template <typename P> void attachChannels(Layer &layer, P &p, ChannelQuant q) {
  p.weights = addArray(layer, "weights", std::move(q.weights));
  p.bias = addArray(layer, "bias", std::move(q.bias));
  p.mult = addArray(layer, "mult", std::move(q.mult));
  p.shift = addArray(layer, "shift", std::move(q.shift));
}

int32_t i32(int64_t v) { return static_cast<int32_t>(v); }

} // namespace

Expected<Layer> buildConv(const Context &ctx, const ir::Node &node) {
  const auto &a = node.attr<ir::ConvAttrs>();
  const ir::Tensor &x = inputOf(ctx, node), &y = outputOf(ctx, node);
  if (x.shape.size() != 4 || x.shape[0] != 1)
    return ir::nodeError(node, "the fixed-point backend runs 2-D convolutions of batch 1");
  auto w = constantInput(ctx.graph, node, 1, "weights");
  if (!w)
    return w.error();
  const ir::Shape &ws = (*w)->shape;
  const int64_t outC = ws[0], inPerGroup = ws[1], kh = ws[2], kw = ws[3];
  auto bias = optionalBias(ctx, node, 2, outC);
  if (!bias)
    return bias.error();
  // OIHW -> OHWI, then per-channel quantisation of rows of kh * kw * I values.
  WeightLayout layout{std::vector<int64_t>((*w)->f.size()), outC, kh * kw * inPerGroup, 0};
  for (int64_t o = 0; o < outC; ++o)
    for (int64_t i = 0; i < inPerGroup; ++i)
      for (int64_t r = 0; r < kh * kw; ++r)
        layout.src[static_cast<size_t>((o * kh * kw + r) * inPerGroup + i)] =
            (o * inPerGroup + i) * kh * kw + r;
  const AffineParams &px = ctx.of(node.inputs[0]), &py = ctx.of(node.outputs[0]);
  Layer layer;
  rp_conv_params p{};
  p.in_h = i32(x.shape[2]), p.in_w = i32(x.shape[3]), p.in_c = i32(x.shape[1]);
  p.out_h = i32(y.shape[2]), p.out_w = i32(y.shape[3]), p.out_c = i32(outC);
  p.k_h = i32(kh), p.k_w = i32(kw);
  p.stride_h = i32(a.strides[0]), p.stride_w = i32(a.strides[1]);
  p.dil_h = i32(a.dilations[0]), p.dil_w = i32(a.dilations[1]);
  p.pad_top = i32(a.pads[0]), p.pad_left = i32(a.pads[1]);
  p.groups = i32(a.group);
  p.in_zp = px.zeroPoint, p.out_zp = py.zeroPoint;
  std::tie(p.act_min, p.act_max) = activationRange(a.act, py);
  BiasSource b{node.input(2) == ir::kNoTensor ? nullptr : &ctx.graph.tensor(node.inputs[2]), 1,
               std::move(*bias)};
  ChannelQuant q = quantizeChannels(ctx.graph.tensor(node.inputs[1]), layout, 1, b, px.scale,
                                    py.scale, inputMagnitude(px.zeroPoint));
  if (p.groups > 1 && p.groups == p.in_c && p.groups == p.out_c) { // depthwise: [kh][kw][c]
    std::vector<int8_t> hwc(q.weights.size());
    for (int64_t c = 0; c < outC; ++c)
      for (int64_t t = 0; t < kh * kw; ++t)
        hwc[static_cast<size_t>(t * outC + c)] = q.weights[static_cast<size_t>(c * kh * kw + t)];
    q.weights = std::move(hwc);
  }
  attachChannels(layer, p, std::move(q));
  layer.params = p;
  return layer;
}

Expected<Layer> buildFullyConnected(const Context &ctx, const ir::Node &node) {
  const ir::Tensor &x = inputOf(ctx, node), &y = outputOf(ctx, node);
  bool gemm = node.op == ir::OpKind::Gemm;
  ir::GemmAttrs a = gemm ? node.attr<ir::GemmAttrs>() : ir::GemmAttrs{};
  if (x.shape.size() != 2 || a.transA)
    return ir::nodeError(node, "the fixed-point backend needs a 2-D, untransposed activation "
                               "input");
  auto b = constantInput(ctx.graph, node, 1, "weight matrix");
  if (!b)
    return b.error();
  const int64_t rows = x.shape[0], k = x.shape[1], n = y.shape[1];
  auto bias = gemm ? optionalBias(ctx, node, 2, n, a.beta) : std::vector<float>{};
  if (!bias)
    return bias.error();
  // W[o][m], with m the position of a feature in memory (HWC when the input was flattened).
  const auto &order = ctx.hwcOrder[static_cast<size_t>(node.inputs[0])];
  WeightLayout layout{std::vector<int64_t>(static_cast<size_t>(n * k)), n, k, a.transB ? 0 : 1};
  for (int64_t m = 0; m < k; ++m) {
    int64_t logical = m;
    if (order) {
      auto [c, h, wd] = *order;
      int64_t pixel = m / c, ch = m % c;
      logical = ch * h * wd + pixel;
    }
    for (int64_t o = 0; o < n; ++o)
      layout.src[static_cast<size_t>(o * k + m)] = a.transB ? o * k + logical : logical * n + o;
  }
  const AffineParams &px = ctx.of(node.inputs[0]), &py = ctx.of(node.outputs[0]);
  Layer layer;
  rp_fc_params p{};
  p.rows = i32(rows), p.in_features = i32(k), p.out_features = i32(n);
  p.in_zp = px.zeroPoint, p.out_zp = py.zeroPoint;
  std::tie(p.act_min, p.act_max) = activationRange(a.act, py);
  BiasSource bs{gemm && node.input(2) != ir::kNoTensor ? &ctx.graph.tensor(node.inputs[2])
                                                       : nullptr,
                a.beta, std::move(*bias)};
  attachChannels(layer, p,
                 quantizeChannels(ctx.graph.tensor(node.inputs[1]), layout, a.alpha, bs,
                                  px.scale, py.scale, inputMagnitude(px.zeroPoint)));
  layer.params = p;
  return layer;
}

Expected<Layer> buildPool(const Context &ctx, const ir::Node &node) {
  const ir::Tensor &x = inputOf(ctx, node), &y = outputOf(ctx, node);
  if (x.shape.size() != 4)
    return ir::nodeError(node, "the fixed-point backend pools 2-D feature maps only");
  rp_pool_params p{};
  p.in_h = i32(x.shape[2]), p.in_w = i32(x.shape[3]), p.channels = i32(x.shape[1]);
  p.out_h = i32(y.shape[2]), p.out_w = i32(y.shape[3]);
  p.zp = ctx.of(node.inputs[0]).zeroPoint;
  if (node.op == ir::OpKind::GlobalMaxPool) {
    p.k_h = p.in_h, p.k_w = p.in_w, p.stride_h = 1, p.stride_w = 1;
  } else {
    const auto &a = node.attr<ir::PoolAttrs>();
    for (int64_t d : a.dilations)
      if (d != 1)
        return ir::nodeError(node, "dilated pooling has no fixed-point kernel");
    p.k_h = i32(a.kernel[0]), p.k_w = i32(a.kernel[1]);
    p.stride_h = i32(a.strides[0]), p.stride_w = i32(a.strides[1]);
    p.pad_top = i32(a.pads[0]), p.pad_left = i32(a.pads[1]);
    p.pad_bottom = i32(a.pads[2]), p.pad_right = i32(a.pads[3]);
    p.count_include_pad = a.countIncludePad ? 1 : 0;
  }
  Layer layer;
  layer.params = p;
  return layer;
}

Expected<Layer> buildGlobalAvgPool(const Context &ctx, const ir::Node &node) {
  const ir::Tensor &x = inputOf(ctx, node);
  if (x.shape.size() != 4)
    return ir::nodeError(node, "the fixed-point backend pools 2-D feature maps only");
  const AffineParams &px = ctx.of(node.inputs[0]), &py = ctx.of(node.outputs[0]);
  rp_global_avgpool_params p{};
  p.in_h = i32(x.shape[2]), p.in_w = i32(x.shape[3]), p.channels = i32(x.shape[1]);
  p.in_zp = px.zeroPoint, p.out_zp = py.zeroPoint;
  Multiplier m = quantizeMultiplier(px.scale / (py.scale * static_cast<double>(p.in_h * p.in_w)));
  p.mult = m.mult, p.shift = m.shift;
  Layer layer;
  layer.params = p;
  return layer;
}

Expected<Layer> buildAdd(const Context &ctx, const ir::Node &node) {
  for (size_t i = 0; i < 2; ++i)
    if (inputOf(ctx, node, i).isConstant())
      return ir::nodeError(node, "adding a constant has no fixed-point kernel yet");
  if (inputOf(ctx, node, 0).shape != inputOf(ctx, node, 1).shape)
    return ir::nodeError(node, "broadcasting add has no fixed-point kernel; inputs must have "
                               "equal shapes");
  const AffineParams &p1 = ctx.of(node.inputs[0]), &p2 = ctx.of(node.inputs[1]);
  const AffineParams &py = ctx.of(node.outputs[0]);
  rp_add_params p{};
  p.in1_zp = p1.zeroPoint, p.in2_zp = p2.zeroPoint, p.out_zp = py.zeroPoint;
  p.left_shift = 20;
  double twiceMax = 2.0 * std::max(p1.scale, p2.scale);
  Multiplier m1 = quantizeMultiplier(p1.scale / twiceMax);
  Multiplier m2 = quantizeMultiplier(p2.scale / twiceMax);
  Multiplier mo = quantizeMultiplier(twiceMax / (double(1 << p.left_shift) * py.scale));
  p.in1_mult = m1.mult, p.in1_shift = m1.shift, p.in2_mult = m2.mult, p.in2_shift = m2.shift;
  p.out_mult = mo.mult, p.out_shift = mo.shift;
  p.act_min = -128, p.act_max = 127;
  Layer layer;
  layer.params = p;
  return layer;
}

Expected<Layer> buildConcat(const Context &ctx, const ir::Node &node) {
  const ir::Tensor &y = outputOf(ctx, node);
  int64_t axis = node.attr<ir::AxisAttrs>().axis;
  if (axis < 0)
    axis += static_cast<int64_t>(y.shape.size());
  if (axis != 1 || (y.shape.size() != 2 && y.shape.size() != 4))
    return ir::nodeError(node, "the fixed-point backend concatenates along channels only");
  const AffineParams &py = ctx.of(node.outputs[0]);
  auto inputs = std::make_shared<std::vector<rp_concat_input>>();
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const ir::Tensor &x = inputOf(ctx, node, i);
    if (x.isConstant())
      return ir::nodeError(node, "concatenating a constant has no fixed-point kernel");
    const AffineParams &px = ctx.of(node.inputs[i]);
    rp_concat_input ci{i32(x.shape[1]), px.zeroPoint, 0, 0};
    if (px.scale != py.scale || px.zeroPoint != py.zeroPoint) {
      Multiplier m = quantizeMultiplier(px.scale / py.scale);
      ci.mult = m.mult, ci.shift = m.shift;
      if (ci.mult == 0)
        ci.mult = 1, ci.shift = -31; // a vanishing factor, not the copy marker
    }
    inputs->push_back(ci);
  }
  rp_concat_params p{};
  p.pixels = y.shape.size() == 4 ? i32(y.shape[2] * y.shape[3]) : 1;
  p.out_channels = i32(y.shape[1]);
  p.out_zp = py.zeroPoint;
  p.num_inputs = i32(static_cast<int64_t>(inputs->size()));
  p.inputs = inputs->data();
  Layer layer;
  layer.params = p;
  layer.concatInputs = inputs;
  return layer;
}

/// A table of the op's float function at every int8 input: an activation's, or a math op's
/// (ir::unaryMathOf), the same definition the float interpreter runs.
Expected<Layer> buildLut(const Context &ctx, const ir::Node &node) {
  std::function<float(float)> fn = ir::unaryMathOf(node.op);
  if (!fn) {
    auto computed = ir::activationOf(ctx.graph, node);
    if (!computed)
      return ir::nodeError(node, "clip bounds must be constant scalars");
    fn = [act = *computed](float v) { return ir::applyActivation(act, v); };
  }
  const AffineParams &px = ctx.of(node.inputs[0]), &py = ctx.of(node.outputs[0]);
  std::vector<int8_t> table(256);
  for (int q = -128; q < 128; ++q) {
    float real = px.scale * static_cast<float>(q - px.zeroPoint);
    float value = fn(real);
    if (std::isnan(value))
      return ir::nodeError(node, "its int8 input reaches {}, outside the op's domain (the float "
                           "model computes NaN there); keep the input in range or use --float",
                           real);
    table[static_cast<size_t>(q + 128)] = static_cast<int8_t>(quantizeValue(value, py));
  }
  Layer layer;
  addArray(layer, "table", std::move(table));
  return layer;
}

Expected<Layer> buildSoftmax(const Context &ctx, const ir::Node &node) {
  const ir::Tensor &x = inputOf(ctx, node);
  const auto &a = node.attr<ir::SoftmaxAttrs>();
  auto rank = static_cast<int64_t>(x.shape.size());
  int64_t axis = a.axis < 0 ? a.axis + rank : a.axis;
  // The kernel runs along rows of n contiguous values: the axis must be innermost in memory
  // (a map's channels are; its last axis, the columns, is not).
  const ir::TensorId in = node.inputs[0];
  const auto runs =
      ctx.hwcOrder[static_cast<size_t>(in)]
          ? std::nullopt
          : ir::softmaxRuns(x.shape, ctx.rowMajor.count(in) > 0, axis, a.coerce2D);
  if (!runs)
    return ir::nodeError(node, "the fixed-point softmax works along an axis whose values are "
                               "contiguous in memory: the channels of a [1, C, H, W] map "
                               "(axis 1) or the last axis of other tensors, not the rows "
                               "or columns of a map");
  const int64_t n = runs->n;
  if (n >= 65536)
    return ir::nodeError(node, "the fixed-point softmax handles fewer than 65536 classes");
  const AffineParams &px = ctx.of(node.inputs[0]);
  std::vector<int32_t> table(256);
  for (int d = 0; d < 256; ++d)
    table[static_cast<size_t>(d)] =
        static_cast<int32_t>(std::llround(65536.0 * std::exp(-double(px.scale) * d)));
  Layer layer;
  rp_softmax_params p{};
  p.rows = i32(runs->rows), p.n = i32(n);
  p.exp_table = addArrayU32(layer, "exp_table", std::move(table));
  layer.params = p;
  return layer;
}

Expected<Layer> buildRequant(const Context &ctx, const ir::Node &node) {
  const AffineParams &px = ctx.of(node.inputs.at(0)), &py = ctx.of(node.outputs.at(0));
  rp_requant_params p{};
  p.in_zp = px.zeroPoint, p.out_zp = py.zeroPoint;
  Multiplier m = quantizeMultiplier(static_cast<double>(px.scale) / py.scale);
  p.mult = m.mult, p.shift = m.shift;
  Layer layer;
  layer.params = p;
  return layer;
}

} // namespace rnnpoolc::quant
