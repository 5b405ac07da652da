// Shape inference of the compute ops: Conv, Gemm, MatMul, pooling, BatchNormalization,
// Softmax and the reductions. Conv and pooling also get their window attributes completed
// (default strides, dilations and pads; auto_pad turned into explicit pads).
#include "compiler/ir/ShapeInference.h"

#include <algorithm>

namespace rnnpoolc::ir::detail {
namespace {

/// Checks one window attribute: `expected` entries, each in [minValue, kMaxElements].
/// An empty vector becomes `expected` copies of `fill`.
Status completeInts(const Node &node, Ints &values, size_t expected, int64_t fill,
                    int64_t minValue, std::string_view what) {
  if (values.empty())
    values.assign(expected, fill);
  if (values.size() != expected)
    return nodeError(node, "{} has {} entries; expected {} for a {}-D window", what,
                     values.size(), expected, what == "pads" ? expected / 2 : expected);
  for (int64_t v : values) {
    if (v < minValue)
      return nodeError(node, "{} value {} must be {}", what, v,
                       minValue > 0 ? "positive" : "non-negative");
    if (v > kMaxElements)
      return nodeError(node, "{} value {} is too large", what, v);
  }
  return Status::ok();
}

/// The parts of a sliding window (Conv or pooling) that shape inference completes.
struct WindowRefs {
  Ints &kernel, &strides, &dilations, &pads;
  AutoPad &autoPad;
  bool ceilMode;
};

/// Completes and checks the window attributes against the input `x` and computes the
/// spatial output dims, appended to `out`.
Status inferWindow(const Node &node, const Shape &x, WindowRefs w, Shape &out) {
  size_t n = x.size() - 2;
  Shape spatial(x.begin() + 2, x.end());
  RNNPOOLC_TRY(completeInts(node, w.kernel, n, 1, 1, "kernel_shape"));
  RNNPOOLC_TRY(completeInts(node, w.strides, n, 1, 1, "strides"));
  RNNPOOLC_TRY(completeInts(node, w.dilations, n, 1, 1, "dilations"));
  RNNPOOLC_TRY(completeInts(node, w.pads, 2 * n, 0, 0, "pads"));
  if (static_cast<uint8_t>(w.autoPad) > static_cast<uint8_t>(AutoPad::Valid))
    return nodeError(node, "auto_pad value {} is unknown", static_cast<int>(w.autoPad));
  if (w.autoPad != AutoPad::NotSet) {
    w.pads = resolveAutoPad(w.autoPad, w.pads, spatial, w.kernel, w.strides, w.dilations);
    w.autoPad = AutoPad::NotSet;
  }
  for (size_t d = 0; d < n; ++d) {
    int64_t size = slidingOutputSize(spatial[d], w.kernel[d], w.strides[d], w.dilations[d],
                                     w.pads[d], w.pads[d + n], w.ceilMode);
    if (size <= 0)
      return nodeError(node,
                       "the window (kernel {}, dilation {}) does not fit spatial dim {} "
                       "of size {} with pads {},{}; the output would be empty",
                       w.kernel[d], w.dilations[d], d, spatial[d], w.pads[d], w.pads[d + n]);
    out.push_back(size);
  }
  return Status::ok();
}

Status requireSpatialRank(const Node &node, const Shape &x) {
  if (x.size() < 3 || x.size() > 5)
    return nodeError(node,
                     "input must have rank 3 to 5 (N x C x 1 to 3 spatial dims), not {} "
                     "({})",
                     x.size(), toString(x));
  return Status::ok();
}

Status inferConv(Graph &graph, Node &node) {
  const Tensor &x = inputOf(graph, node, 0), &w = inputOf(graph, node, 1);
  RNNPOOLC_TRY(requireSpatialRank(node, x.shape));
  if (w.shape.size() != x.shape.size())
    return nodeError(node, "weights of shape {} must have the input's rank {}",
                     toString(w.shape), x.shape.size());
  auto &a = node.attr<ConvAttrs>();
  Ints weightKernel(w.shape.begin() + 2, w.shape.end());
  if (a.kernel.empty())
    a.kernel = weightKernel;
  else if (a.kernel != weightKernel)
    return nodeError(node, "kernel_shape {} does not match the weights' spatial dims {}",
                     toString(a.kernel), toString(weightKernel));
  if (a.group <= 0)
    return nodeError(node, "group {} must be positive", a.group);
  int64_t cin = x.shape[1], cw = w.shape[1], cout = w.shape[0];
  if (cw > kMaxElements / a.group || cin != cw * a.group)
    return nodeError(node, "input channels {} do not match weight channels {} x group {}", cin,
                     cw, a.group);
  if (cout % a.group != 0)
    return nodeError(node, "group {} does not divide the {} output channels", a.group, cout);
  if (hasInput(node, 2)) {
    const Tensor &b = inputOf(graph, node, 2);
    if (b.shape != Shape{cout})
      return nodeError(node, "bias of shape {} must be 1-D with the {} output channels",
                       toString(b.shape), cout);
  }
  Shape out = {x.shape[0], cout};
  RNNPOOLC_TRY(inferWindow(node, x.shape,
                           {a.kernel, a.strides, a.dilations, a.pads, a.autoPad, false}, out));
  return setOutput(graph, node, 0, x.dtype, std::move(out));
}

Status inferPool(Graph &graph, Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  RNNPOOLC_TRY(requireSpatialRank(node, x.shape));
  auto &a = node.attr<PoolAttrs>();
  if (a.kernel.empty())
    return nodeError(node, "kernel_shape is missing; pooling needs one");
  Shape out = {x.shape[0], x.shape[1]};
  RNNPOOLC_TRY(inferWindow(
      node, x.shape, {a.kernel, a.strides, a.dilations, a.pads, a.autoPad, a.ceilMode}, out));
  // A pooling window wholly in the padding has no value to pool (onnxruntime refuses such
  // pads too); a convolution's is defined (its bias), so only pooling checks this.
  const size_t n = a.kernel.size();
  for (size_t d = 0; d < n; ++d) {
    const int64_t extent = (a.kernel[d] - 1) * a.dilations[d] + 1;
    if (a.pads[d] >= extent || a.pads[d + n] >= extent)
      return nodeError(node,
                       "pads {},{} on spatial dim {} must be smaller than the window ({}): "
                       "a window wholly in the padding has nothing to pool",
                       a.pads[d], a.pads[d + n], d, extent);
  }
  return setOutput(graph, node, 0, x.dtype, std::move(out));
}

Status inferGlobalPool(Graph &graph, const Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  if (x.shape.size() < 3)
    return nodeError(node, "input must have rank 3 or more (N x C x spatial dims), not {} ({})",
                     x.shape.size(), toString(x.shape));
  Shape out(x.shape.size(), 1);
  out[0] = x.shape[0];
  out[1] = x.shape[1];
  return setOutput(graph, node, 0, x.dtype, std::move(out));
}

Status inferBatchNorm(Graph &graph, const Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  if (x.shape.size() < 2)
    return nodeError(node, "input must have rank 2 or more (N x C x ...), not {} ({})",
                     x.shape.size(), toString(x.shape));
  static constexpr std::string_view kParams[] = {"scale", "bias", "mean", "var"};
  for (size_t i = 1; i < 5; ++i) {
    const Shape &p = inputOf(graph, node, i).shape;
    if (p != Shape{x.shape[1]})
      return nodeError(node, "{} has shape {}; expected a vector of the {} channels",
                       kParams[i - 1], toString(p), x.shape[1]);
  }
  return setOutput(graph, node, 0, x.dtype, x.shape);
}

Status inferGemm(Graph &graph, const Node &node) {
  const Tensor &a = inputOf(graph, node, 0), &b = inputOf(graph, node, 1);
  const auto &attrs = node.attr<GemmAttrs>();
  if (a.shape.size() != 2 || b.shape.size() != 2)
    return nodeError(node, "A and B must be matrices; got shapes {} and {}", toString(a.shape),
                     toString(b.shape));
  int64_t m = attrs.transA ? a.shape[1] : a.shape[0];
  int64_t k = attrs.transA ? a.shape[0] : a.shape[1];
  int64_t kb = attrs.transB ? b.shape[1] : b.shape[0];
  int64_t n = attrs.transB ? b.shape[0] : b.shape[1];
  if (k != kb)
    return nodeError(node,
                     "inner dims differ: A {} (transA={}) gives K={}, B {} (transB={}) "
                     "gives K={}",
                     toString(a.shape), int(attrs.transA), k, toString(b.shape),
                     int(attrs.transB), kb);
  Shape out = {m, n};
  if (hasInput(node, 2)) {
    const Shape &c = inputOf(graph, node, 2).shape;
    auto joined = broadcastShapes(c, out);
    if (c.size() > 2 || !joined || *joined != out)
      return nodeError(node, "C of shape {} does not broadcast to the {} output", toString(c),
                       toString(out));
  }
  return setOutput(graph, node, 0, a.dtype, std::move(out));
}

Status inferMatMul(Graph &graph, const Node &node) {
  Shape a = inputOf(graph, node, 0).shape, b = inputOf(graph, node, 1).shape;
  if (a.empty() || b.empty())
    return nodeError(node, "operands must have rank 1 or more; got shapes {} and {}",
                     toString(a), toString(b));
  bool vecA = a.size() == 1, vecB = b.size() == 1;
  if (vecA)
    a.insert(a.begin(), 1);
  if (vecB)
    b.push_back(1);
  if (a.back() != b[b.size() - 2])
    return nodeError(node, "inner dims differ: {} x {} ({} vs {})",
                     toString(inputOf(graph, node, 0).shape),
                     toString(inputOf(graph, node, 1).shape), a.back(), b[b.size() - 2]);
  auto batch = broadcastShapes(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2));
  if (!batch)
    return nodeError(node, "batch dims of {} and {} do not broadcast",
                     toString(inputOf(graph, node, 0).shape),
                     toString(inputOf(graph, node, 1).shape));
  Shape out = *batch;
  if (!vecA)
    out.push_back(a[a.size() - 2]);
  if (!vecB)
    out.push_back(b.back());
  return setOutput(graph, node, 0, inputOf(graph, node, 0).dtype, std::move(out));
}

Status inferSoftmax(Graph &graph, Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  RNNPOOLC_TRY(normalizeAxisAttr(node, node.attr<SoftmaxAttrs>().axis,
                                 static_cast<int64_t>(x.shape.size())));
  return setOutput(graph, node, 0, x.dtype, x.shape);
}

/// X of rank >= 1, float; the axis normalised; the optional scale a vector of 1 value or
/// one per position along the axis.
Status inferL2Norm(Graph &graph, Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  if (x.shape.empty())
    return nodeError(node, "input must have rank 1 or more, not a scalar");
  if (!isFloat(x.dtype))
    return nodeError(node, "input must be float, not {}", name(x.dtype));
  int64_t &axis = node.attr<L2NormAttrs>().axis;
  RNNPOOLC_TRY(normalizeAxisAttr(node, axis, static_cast<int64_t>(x.shape.size())));
  const int64_t size = x.shape[static_cast<size_t>(axis)];
  if (hasInput(node, 1)) {
    const Tensor &s = inputOf(graph, node, 1);
    if (s.shape.size() != 1 || (s.shape[0] != 1 && s.shape[0] != size) || s.dtype != x.dtype)
      return nodeError(node, "scale has shape {}; expected a float vector of 1 or {} values",
                       toString(s.shape), size);
  }
  if (!(node.attr<L2NormAttrs>().eps >= 0))
    return nodeError(node, "eps must be non-negative, not {}", node.attr<L2NormAttrs>().eps);
  return setOutput(graph, node, 0, x.dtype, x.shape);
}

Status inferReduce(Graph &graph, const Node &node) {
  const Tensor &x = inputOf(graph, node, 0);
  const auto &attrs = node.attr<ReduceAttrs>();
  auto rank = static_cast<int64_t>(x.shape.size());
  Ints axes;
  if (hasInput(node, 1)) {
    RNNPOOLC_TRY(constantInts(graph, node, 1, "axes", axes));
    RNNPOOLC_TRY(normalizeAxes(node, axes, rank, "axes"));
  }
  if (axes.empty() && attrs.noopWithEmptyAxes)
    return setOutput(graph, node, 0, x.dtype, x.shape);
  std::vector<bool> reduced(x.shape.size(), axes.empty());
  for (int64_t axis : axes)
    reduced[static_cast<size_t>(axis)] = true;
  Shape out;
  for (size_t d = 0; d < x.shape.size(); ++d) {
    if (!reduced[d])
      out.push_back(x.shape[d]);
    else if (attrs.keepDims)
      out.push_back(1);
  }
  return setOutput(graph, node, 0, x.dtype, std::move(out));
}

} // namespace

Status inferComputeOp(Graph &graph, Node &node) {
  switch (node.op) {
  case OpKind::Conv:
    return inferConv(graph, node);
  case OpKind::Gemm:
    return inferGemm(graph, node);
  case OpKind::MatMul:
    return inferMatMul(graph, node);
  case OpKind::MaxPool:
  case OpKind::AveragePool:
    return inferPool(graph, node);
  case OpKind::GlobalAveragePool:
  case OpKind::GlobalMaxPool:
    return inferGlobalPool(graph, node);
  case OpKind::BatchNormalization:
    return inferBatchNorm(graph, node);
  case OpKind::Softmax:
    return inferSoftmax(graph, node);
  case OpKind::L2Norm:
    return inferL2Norm(graph, node);
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
    return inferReduce(graph, node);
  default:
    return nodeError(node, "internal: not a compute op");
  }
}

} // namespace rnnpoolc::ir::detail
