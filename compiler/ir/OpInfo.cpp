// Op cost (multiply-accumulates) and receptive fields, for the planner and reports.
#include "compiler/ir/OpInfo.h"

#include "runtime/rp_scratch.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace rnnpoolc::ir {
namespace {

/// a * b, saturating at the largest int64 (costs of hostile graphs must not wrap).
int64_t mulSat(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r))
    return std::numeric_limits<int64_t>::max();
  return r;
}

int64_t addSat(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    return std::numeric_limits<int64_t>::max();
  return r;
}

int64_t product(const Ints &values) {
  int64_t p = 1;
  for (int64_t v : values)
    p = mulSat(p, v);
  return p;
}

const Shape &shapeOf(const Graph &graph, TensorId id) {
  return graph.tensor(id).shape;
}

int64_t convMacs(const Graph &graph, const Node &node) {
  const auto &a = node.attr<ConvAttrs>();
  const Shape &w = shapeOf(graph, node.inputs[1]);
  const Shape &out = shapeOf(graph, node.outputs[0]);
  // Output elements (N*Cout*spatial) times one filter: Cin/group (= W's dim 1) x kernel.
  Ints kernel = a.kernel.empty() ? Ints(w.begin() + 2, w.end()) : a.kernel;
  return mulSat(mulSat(product(out), w.size() > 1 ? w[1] : 1), product(kernel));
}

int64_t matMulMacs(const Graph &graph, const Node &node) {
  const Shape &a = shapeOf(graph, node.inputs[0]);
  const Shape &out = shapeOf(graph, node.outputs[0]);
  int64_t k = 1;
  if (node.op == OpKind::Gemm)
    k = node.attr<GemmAttrs>().transA ? a[0] : a[1];
  else if (!a.empty())
    k = a.back();
  return mulSat(product(out), k);
}

/// MACs of one FastGRNN step with input size `in`: x.W and h.U (at full rank in*h and h*h,
/// at low rank in*rW + rW*h and h*rU + rU*h) plus 4*h for h' = z*h + (zeta'(1-z) + nu')*c.
int64_t fastGrnnStepMacs(const FastGrnnAttrs &cell, int64_t in) {
  int64_t h = cell.hidden;
  int64_t w = cell.rankW > 0 ? mulSat(in, cell.rankW) + mulSat(cell.rankW, h) : mulSat(in, h);
  int64_t u = cell.rankU > 0 ? mulSat(h, cell.rankU) + mulSat(cell.rankU, h) : mulSat(h, h);
  return w + u + mulSat(4, h);
}

/// The RNN1 and RNN2 steps the RNNPool kernel (runtime/rp_rnnpool.c, summaries reused
/// within a call) runs for output region `out` of one image; see rnnPoolRegionMacs.
struct RNNPoolSteps {
  int64_t rnn1 = 0, rnn2 = 0;
};
RNNPoolSteps rnnPoolSteps(const RNNPoolAttrs &a, const Region &out, bool continues) {
  const int64_t ph = a.patch[0], pw = a.patch[1];
  const int64_t sh = std::min(a.stride[0], ph), sw = std::min(a.stride[1], pw);
  const int64_t n = std::max<int64_t>(0, out.rows()), m = std::max<int64_t>(0, out.cols());
  if (n == 0 || m == 0)
    return {};
  // Row segments (pw pixels, one per patch column) of every input row the patch rows
  // cover, once: a patch row adds the sh rows below the one above (the first one all ph,
  // unless it continues from the call above, which left them cached).
  const int64_t rows = continues ? mulSat(n, sh) : ph + mulSat(n - 1, sh);
  // Column segments (ph pixels) of every input column a patch row covers, once per patch
  // row: a patch adds the sw columns right of its left neighbour's.
  const int64_t cols = pw + mulSat(m - 1, sw);
  RNNPoolSteps s;
  s.rnn1 = mulSat(mulSat(rows, m), pw) + mulSat(mulSat(n, cols), ph);
  // RNN2 sweeps each patch's ph row and pw column summaries forward and backward.
  s.rnn2 = mulSat(mulSat(n, m), 2 * (ph + pw));
  return s;
}

int64_t rnnPoolMacs(const Graph &graph, const Node &node) {
  const Shape &out = shapeOf(graph, node.outputs[0]);
  if (out.size() != 4)
    return 0;
  return mulSat(out[0], rnnPoolRegionMacs(graph, node, {0, out[2], 0, out[3]}, false));
}

} // namespace

int64_t rnnPoolRegionMacs(const Graph &graph, const Node &node, const Region &out,
                          bool continues) {
  const auto &a = node.attr<RNNPoolAttrs>();
  const Shape &x = shapeOf(graph, node.inputs[0]);
  if (x.size() != 4 || a.patch.size() != 2 || a.stride.size() != 2)
    return 0;
  const RNNPoolSteps s = rnnPoolSteps(a, out, continues);
  return addSat(mulSat(s.rnn1, fastGrnnStepMacs(a.rnn1, x[1])),
                mulSat(s.rnn2, fastGrnnStepMacs(a.rnn2, a.rnn1.hidden)));
}

int64_t macs(const Graph &graph, const Node &node) {
  auto outElems = [&] { return product(shapeOf(graph, node.outputs[0])); };
  switch (propertiesOf(node.op).cost) {
  case CostClass::Zero:
    return 0;
  case CostClass::PerOutput:
    return outElems();
  case CostClass::PerOutputPerExtraInput:
    return mulSat(outElems(),
                  std::max<int64_t>(1, static_cast<int64_t>(node.inputs.size()) - 1));
  case CostClass::TwicePerOutput:
    return mulSat(2, outElems());
  case CostClass::PerInput:
    return product(shapeOf(graph, node.inputs[0]));
  case CostClass::Window:
    return mulSat(outElems(), product(node.attr<PoolAttrs>().kernel));
  case CostClass::Conv:
    return convMacs(graph, node);
  case CostClass::MatMul:
    return matMulMacs(graph, node);
  case CostClass::RNNPool:
    return rnnPoolMacs(graph, node);
  }
  return 0;
}

bool isSpatial(const Node &node) { return propertiesOf(node.op).spatial; }

namespace {

/// Whether `t` is a [1, C, H, W] map computed at run time (not a constant).
bool isRuntimeMap(const Graph &graph, TensorId t) {
  if (t == kNoTensor || graph.tensor(t).isConstant())
    return false;
  const Shape &shape = graph.tensor(t).shape;
  return shape.size() == 4 && shape[0] == 1;
}

} // namespace

Status checkConstantWeights(const Graph &graph) {
  for (const Node &node : graph.nodes) {
    const bool weighted = node.op == OpKind::Conv || node.op == OpKind::Gemm ||
                          node.op == OpKind::BatchNormalization;
    for (size_t k = 1; weighted && k < node.inputs.size(); ++k) {
      const TensorId t = node.inputs[k];
      if (t != kNoTensor &&
          std::find(graph.inputs.begin(), graph.inputs.end(), t) != graph.inputs.end())
        return nodeError(node,
                         "its weights '{}' are a graph input; rnnpoolc compiles weights "
                         "as constants, so export them inside the model as initializers "
                         "(torch.onnx.export with export_params=True)",
                         graph.tensor(t).name);
    }
  }
  return Status::ok();
}

bool isChannelSlice(const Graph &graph, const Node &node) {
  if (node.op != OpKind::Slice || node.outputs.size() != 1 || node.inputs.size() < 4)
    return false;
  if (!isRuntimeMap(graph, node.inputs[0]) || !isRuntimeMap(graph, node.outputs[0]))
    return false;
  for (size_t k = 1; k < node.inputs.size(); ++k)
    if (node.inputs[k] != kNoTensor && !graph.tensor(node.inputs[k]).isConstant())
      return false;
  const TensorId axes = node.inputs[3];
  if (axes == kNoTensor)
    return false;
  const std::vector<int64_t> a = graph.tensor(axes).data->toInts();
  return a.size() == 1 && (a[0] == 1 || a[0] == -3);
}

bool isChannelConcat(const Graph &graph, const Node &node) {
  if (node.op != OpKind::Concat || node.outputs.size() != 1 || node.inputs.empty())
    return false;
  const int64_t axis = node.attr<AxisAttrs>().axis;
  return (axis == 1 || axis == -3) && isRuntimeMap(graph, node.outputs[0]) &&
         std::all_of(node.inputs.begin(), node.inputs.end(),
                     [&](TensorId t) { return isRuntimeMap(graph, t); });
}

namespace {

/// A half-open range of one dim.
struct Span {
  int64_t begin, end;
};

Span clip(Span s, int64_t size) {
  int64_t begin = std::clamp<int64_t>(s.begin, 0, size);
  return {begin, std::clamp<int64_t>(s.end, begin, size)};
}

/// The whole extent of the last two dims of `shape` (a missing dim counts as size 1).
Region wholeRegion(const Shape &shape) {
  size_t r = shape.size();
  return {0, r >= 2 ? shape[r - 2] : 1, 0, r >= 1 ? shape[r - 1] : 1};
}

/// Assembles a Region from the spans of the second-last (rows) and last (cols) dims.
Region fromSpans(Span rows, Span cols) {
  return {rows.begin, rows.end, cols.begin, cols.end};
}
Span rowSpan(const Region &r) {
  return {r.row0, r.row1};
}
Span colSpan(const Region &r) {
  return {r.col0, r.col1};
}

/// Input span a sliding window reads for output span `out` along one spatial dim.
Span windowSpan(Span out, int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                int64_t padBegin) {
  if (out.end <= out.begin)
    return clip({out.begin * stride - padBegin, out.begin * stride - padBegin}, in);
  return clip({out.begin * stride - padBegin,
               (out.end - 1) * stride - padBegin + dilation * (kernel - 1) + 1},
              in);
}

/// values[d], or `fallback` when the attribute was never completed by shape inference.
int64_t entry(const Ints &values, size_t d, int64_t fallback) {
  return d < values.size() ? values[d] : fallback;
}

/// The region of input 0 that Conv or pooling reads. Of the last two dims, a spatial dim
/// goes through the window; the channel dim (1-D windows only) is read whole by Conv and
/// one to one by pooling.
Region windowRegion(const Graph &graph, const Node &node, const Region &out) {
  const Shape &x = shapeOf(graph, node.inputs[0]);
  bool conv = node.op == OpKind::Conv;
  const Ints &kernel = conv ? node.attr<ConvAttrs>().kernel : node.attr<PoolAttrs>().kernel;
  const Ints &strides = conv ? node.attr<ConvAttrs>().strides : node.attr<PoolAttrs>().strides;
  const Ints &dilations =
      conv ? node.attr<ConvAttrs>().dilations : node.attr<PoolAttrs>().dilations;
  const Ints &pads = conv ? node.attr<ConvAttrs>().pads : node.attr<PoolAttrs>().pads;
  const Shape &w = conv ? shapeOf(graph, node.inputs[1]) : x;
  size_t rank = x.size();
  Span spans[2] = {rowSpan(out), colSpan(out)};
  for (size_t k = 0; k < 2; ++k) {
    size_t dim = rank - 2 + k;
    if (dim < 2) { // The channel dim of a 1-D window.
      spans[k] = conv ? Span{0, x[dim]} : clip(spans[k], x[dim]);
      continue;
    }
    size_t d = dim - 2;
    int64_t kernelSize = entry(kernel, d, conv && dim < w.size() ? w[dim] : 1);
    spans[k] = windowSpan(spans[k], x[dim], kernelSize, entry(strides, d, 1),
                          entry(dilations, d, 1), entry(pads, d, 0));
  }
  return fromSpans(spans[0], spans[1]);
}

/// The region of X that RNNPool reads: output rows [r0, r1) need input rows
/// [r0*sh, (r1-1)*sh + r), and likewise columns.
Region rnnPoolRegion(const Graph &graph, const Node &node, const Region &out) {
  const auto &a = node.attr<RNNPoolAttrs>();
  const Shape &x = shapeOf(graph, node.inputs[0]);
  Span rows = windowSpan(rowSpan(out), x[2], a.patch[0], a.stride[0], 1, 0);
  Span cols = windowSpan(colSpan(out), x[3], a.patch[1], a.stride[1], 1, 0);
  return fromSpans(rows, cols);
}

/// Input span Pad reads for output span `out` of one dim of size `in`.
Span padSpan(Span out, int64_t in, int64_t padBegin, PadMode mode) {
  int64_t a = out.begin - padBegin, b = out.end - 1 - padBegin; // Inclusive, in input space.
  if (out.end <= out.begin || in == 0)
    return clip({a, a}, in);
  if (mode == PadMode::Constant)
    return clip({a, b + 1}, in);
  if (mode == PadMode::Edge)
    return {std::clamp<int64_t>(a, 0, in - 1), std::clamp<int64_t>(b, 0, in - 1) + 1};
  // Reflect: rows before the input mirror at 0, rows after it mirror at in - 1.
  int64_t lo = in, hi = -1;
  auto cover = [&](int64_t p, int64_t q) {
    if (p <= q)
      lo = std::min(lo, p), hi = std::max(hi, q);
  };
  if (a < 0)
    cover(-std::min<int64_t>(b, -1), -a);
  cover(std::max<int64_t>(a, 0), std::min(b, in - 1));
  if (b >= in)
    cover(2 * (in - 1) - b, 2 * (in - 1) - std::max(a, in));
  return clip({lo, hi + 1}, in);
}

Region padRegion(const Graph &graph, const Node &node, const Region &out) {
  const Shape &x = shapeOf(graph, node.inputs[0]);
  const Tensor &padsTensor = graph.tensor(node.inputs[1]);
  Ints pads = padsTensor.isConstant() ? padsTensor.data->toInts() : Ints(2 * x.size(), 0);
  PadMode mode = node.attr<PadAttrs>().mode;
  size_t rank = x.size();
  Region whole = wholeRegion(x);
  Span spans[2] = {rowSpan(out), colSpan(out)};
  Span wholeSpans[2] = {rowSpan(whole), colSpan(whole)};
  for (size_t k = 0; k < 2; ++k) {
    if (rank + k < 2) { // Below a rank-1 input: a dim of size 1 that Pad never touches.
      spans[k] = wholeSpans[k];
      continue;
    }
    size_t dim = rank + k - 2;
    spans[k] = padSpan(spans[k], x[dim], pads.size() == 2 * rank ? pads[dim] : 0, mode);
  }
  return fromSpans(spans[0], spans[1]);
}

/// The region of an elementwise input: the same region, except a broadcast dim (size 1
/// or missing) maps to [0, 1).
Region broadcastRegion(const Shape &in, const Shape &outShape, const Region &out) {
  Span spans[2] = {rowSpan(out), colSpan(out)};
  for (size_t k = 0; k < 2; ++k) {
    size_t fromEnd = 2 - k; // 2: rows, 1: cols.
    bool present = in.size() >= fromEnd;
    int64_t inDim = present ? in[in.size() - fromEnd] : 1;
    int64_t outDim = outShape.size() >= fromEnd ? outShape[outShape.size() - fromEnd] : 1;
    if (inDim == 1 && outDim != 1)
      spans[k] = {0, 1};
    else
      spans[k] = clip(spans[k], inDim);
  }
  return fromSpans(spans[0], spans[1]);
}

} // namespace

Region inputRegion(const Graph &graph, const Node &node, size_t inputIndex, const Region &out) {
  TensorId id = node.input(inputIndex);
  if (id == kNoTensor)
    return {};
  const Shape &in = shapeOf(graph, id);
  if (isChannelConcat(graph, node) || (isChannelSlice(graph, node) && inputIndex == 0))
    return broadcastRegion(in, shapeOf(graph, node.outputs[0]), out);
  if (!isSpatial(node))
    return wholeRegion(in);
  switch (node.op) {
  case OpKind::Conv:
  case OpKind::MaxPool:
  case OpKind::AveragePool:
    return inputIndex == 0 ? windowRegion(graph, node, out) : wholeRegion(in);
  case OpKind::BatchNormalization:
  case OpKind::L2Norm:
  case OpKind::ChannelShuffle: // an output pixel reads the input pixel at its own place
    return inputIndex == 0 ? broadcastRegion(in, shapeOf(graph, node.outputs[0]), out)
                           : wholeRegion(in);
  case OpKind::Pad:
    return inputIndex == 0 ? padRegion(graph, node, out) : wholeRegion(in);
  case OpKind::RNNPool:
    return inputIndex == 0 ? rnnPoolRegion(graph, node, out) : wholeRegion(in);
  case OpKind::Clip:
    return inputIndex == 0 ? broadcastRegion(in, shapeOf(graph, node.outputs[0]), out)
                           : wholeRegion(in);
  default:
    // Every other spatial op is elementwise (Ops.def; tests/unit/ir/OpTableTest checks it):
    // an output element reads the input elements at its own broadcast index.
    assert(propertiesOf(node.op).elementwise);
    return broadcastRegion(in, shapeOf(graph, node.outputs[0]), out);
  }
}

int64_t scratchBytes(const Graph &, const Node &node, const Region &out, bool floatState) {
  if (node.op != OpKind::RNNPool)
    return 0;
  // The kernel's scratch (int16 or float states, summaries reused across the region's
  // columns).
  const auto &a = node.attr<RNNPoolAttrs>();
  return static_cast<int64_t>(rp_rnnpool_scratch_size(
      static_cast<int32_t>(a.patch[0]), static_cast<int32_t>(a.stride[0]),
      static_cast<int32_t>(a.patch[1]), static_cast<int32_t>(a.rnn1.hidden),
      static_cast<int32_t>(a.rnn2.hidden), static_cast<int32_t>(out.cols()),
      floatState ? sizeof(float) : sizeof(int16_t)));
}

namespace {

/// A scalar float bound of Clip; an omitted bound is `fallback`.
std::optional<float> clipBound(const Graph &graph, TensorId id, float fallback) {
  if (id == kNoTensor)
    return fallback;
  const Tensor &t = graph.tensor(id);
  if (!t.isConstant() || !isFloat(t.dtype) || t.data->numel() != 1)
    return std::nullopt;
  return t.data->f[0];
}

} // namespace

std::optional<Activation> activationOf(const Graph &graph, const Node &node) {
  Activation act;
  switch (node.op) {
  case OpKind::Relu: act.kind = ActKind::Relu; break;
  case OpKind::Sigmoid: act.kind = ActKind::Sigmoid; break;
  case OpKind::Tanh: act.kind = ActKind::Tanh; break;
  case OpKind::HardSwish: act.kind = ActKind::HardSwish; break;
  case OpKind::LeakyRelu:
    act.kind = ActKind::LeakyRelu;
    act.alpha = node.attr<AlphaBetaAttrs>().alpha;
    break;
  case OpKind::HardSigmoid:
    act.kind = ActKind::HardSigmoid;
    act.alpha = node.attr<AlphaBetaAttrs>().alpha;
    act.beta = node.attr<AlphaBetaAttrs>().beta;
    break;
  case OpKind::Clip: {
    auto lo = clipBound(graph, node.input(1), -std::numeric_limits<float>::infinity());
    auto hi = clipBound(graph, node.input(2), std::numeric_limits<float>::infinity());
    if (!lo || !hi)
      return std::nullopt;
    act.kind = ActKind::Clip;
    act.alpha = *lo;
    act.beta = *hi;
    break;
  }
  default: return std::nullopt;
  }
  return act;
}

} // namespace rnnpoolc::ir
