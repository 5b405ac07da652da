// Compute kernels: Conv (1-D to 3-D, grouped and depthwise, any pads, strides and
// dilations), Gemm, and MatMul with numpy batch broadcasting. Each output element is a
// float32 sum in naive loop-nest order, then the node's fused activation.
#include "compiler/interp/Kernels.h"

namespace rnnpoolc::interp::detail {
namespace {

/// Checks Conv's weights and bias against the input; returns the kernel taken from the
/// weights (attrs.kernel must agree with it when set).
Expected<ir::Ints> checkConvOperands(const ir::Node &node, const ir::TensorData &x,
                                     const ir::TensorData &w, const ir::TensorData *b) {
  const auto &attrs = node.attr<ir::ConvAttrs>();
  RNNPOOLC_TRY(requireFloat(node, x, "the input"));
  RNNPOOLC_TRY(requireFloat(node, w, "the weights"));
  if (x.shape.size() < 3)
    return ir::nodeError(node, "the input must have rank 3 to 5, not shape {}",
                         ir::toString(x.shape));
  if (w.shape.size() != x.shape.size())
    return ir::nodeError(node, "weights of shape {} do not match the rank of input {}",
                         ir::toString(w.shape), ir::toString(x.shape));
  int64_t channels = x.shape[1], filters = w.shape[0], group = attrs.group;
  if (group < 1 || channels % group != 0 || filters % group != 0)
    return ir::nodeError(node, "group {} must divide both {} input channels and {} filters",
                         group, channels, filters);
  if (w.shape[1] * group != channels)
    return ir::nodeError(node,
                         "weights of shape {} expect {} input channels, the input {} "
                         "has {}",
                         ir::toString(w.shape), w.shape[1] * group, ir::toString(x.shape),
                         channels);
  ir::Ints kernel(w.shape.begin() + 2, w.shape.end());
  if (!attrs.kernel.empty() && attrs.kernel != kernel)
    return ir::nodeError(node, "kernel_shape {} disagrees with weights of shape {}",
                         ir::toString(attrs.kernel), ir::toString(w.shape));
  if (b) {
    RNNPOOLC_TRY(requireFloat(node, *b, "the bias"));
    if (b->shape != ir::Shape{filters})
      return ir::nodeError(node, "the bias has shape {}, expected {}", ir::toString(b->shape),
                           filters);
  }
  return kernel;
}

} // namespace

Result evalConv(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0], &w = *in[1];
  const ir::TensorData *b = in.size() > 2 ? in[2] : nullptr;
  const auto &attrs = node.attr<ir::ConvAttrs>();
  RNNPOOLC_INTERP_LET(kernel, checkConvOperands(node, x, w, b));
  RNNPOOLC_INTERP_LET(win, slidingWindow(node, x.shape, kernel, attrs.strides, attrs.dilations,
                                         attrs.pads, attrs.autoPad, /*ceilMode=*/false));
  int64_t batch = x.shape[0], channels = x.shape[1], filters = w.shape[0];
  int64_t groupIn = channels / attrs.group, groupOut = filters / attrs.group;
  RNNPOOLC_INTERP_LET(out,
                      allocate(node, ir::DType::Float32, win.outputShape(x.shape, filters)));
  if (out.numel() == 0)
    return single(std::move(out));
  int64_t inSize = win.inSize(), kernelSize = win.kernelSize();
  float *y = out.f.data();
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t m = 0; m < filters; ++m) {
      // The group's first input channel, and the filter's weights for it.
      const float *xg = x.f.data() + (n * channels + (m / groupOut) * groupIn) * inSize;
      const float *wm = w.f.data() + m * groupIn * kernelSize;
      float bias = b ? b->f[static_cast<size_t>(m)] : 0.0f;
      forEachWindow(win, [&](const WindowTaps &taps) {
        // Bias first, then input channels, then kernel taps in row-major order; taps in
        // the padding would add zeros and are skipped.
        float acc = bias;
        for (int64_t ci = 0; ci < groupIn; ++ci) {
          const float *plane = xg + ci * inSize, *filter = wm + ci * kernelSize;
          forEachTap(win, taps, [&](int64_t i, int64_t k) { acc += plane[i] * filter[k]; });
        }
        *y++ = ir::applyActivation(attrs.act, acc);
      });
    }
  return single(std::move(out));
}

Result evalGemm(const ir::Node &node, Inputs in) {
  const ir::TensorData &a = *in[0], &b = *in[1];
  const ir::TensorData *c = in.size() > 2 ? in[2] : nullptr;
  const auto &attrs = node.attr<ir::GemmAttrs>();
  RNNPOOLC_TRY(requireFloat(node, a, "A"));
  RNNPOOLC_TRY(requireFloat(node, b, "B"));
  if (a.shape.size() != 2 || b.shape.size() != 2)
    return ir::nodeError(node, "A and B must be matrices, not of shapes {} and {}",
                         ir::toString(a.shape), ir::toString(b.shape));
  int64_t m = attrs.transA ? a.shape[1] : a.shape[0],
          k = attrs.transA ? a.shape[0] : a.shape[1];
  int64_t kb = attrs.transB ? b.shape[1] : b.shape[0],
          n = attrs.transB ? b.shape[0] : b.shape[1];
  if (k != kb)
    return ir::nodeError(node, "inner dims differ: A (op) is {}x{}, B (op) is {}x{}", m, k, kb,
                         n);
  std::vector<int64_t> cIndex;
  if (c) {
    RNNPOOLC_TRY(requireFloat(node, *c, "C"));
    auto shape = ir::broadcastShapes(c->shape, {m, n});
    if (c->shape.size() > 2 || !shape || *shape != ir::Shape{m, n})
      return ir::nodeError(node, "C of shape {} does not broadcast to {}x{}",
                           ir::toString(c->shape), m, n);
    cIndex = broadcastIndex({m, n}, c->shape);
  }
  RNNPOOLC_INTERP_LET(out, allocate(node, ir::DType::Float32, {m, n}));
  if (out.numel() == 0)
    return single(std::move(out));
  // Element (r, col) of op(A) and op(B) in row-major storage.
  auto aAt = [&](int64_t r, int64_t col) {
    return a.f[static_cast<size_t>(attrs.transA ? col * m + r : r * k + col)];
  };
  auto bAt = [&](int64_t r, int64_t col) {
    return b.f[static_cast<size_t>(attrs.transB ? col * k + r : r * n + col)];
  };
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0;
      for (int64_t p = 0; p < k; ++p)
        acc += aAt(i, p) * bAt(p, j);
      float y = attrs.alpha * acc;
      if (c)
        y += attrs.beta * c->f[static_cast<size_t>(cIndex[static_cast<size_t>(i * n + j)])];
      out.f[static_cast<size_t>(i * n + j)] = ir::applyActivation(attrs.act, y);
    }
  return single(std::move(out));
}

Result evalMatMul(const ir::Node &node, Inputs in) {
  const ir::TensorData &a = *in[0], &b = *in[1];
  RNNPOOLC_TRY(requireSameDType(node, a, b));
  if (a.shape.empty() || b.shape.empty())
    return ir::nodeError(node, "operands must have rank 1 or more, not shapes {} and {}",
                         ir::toString(a.shape), ir::toString(b.shape));
  // A 1-D operand is a row (A) or a column (B) vector whose extra dim is dropped at the end.
  ir::Shape as = a.shape, bs = b.shape;
  if (as.size() == 1)
    as.insert(as.begin(), 1);
  if (bs.size() == 1)
    bs.push_back(1);
  int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  if (bs[bs.size() - 2] != k)
    return ir::nodeError(node, "inner dims differ: shapes {} and {}", ir::toString(a.shape),
                         ir::toString(b.shape));
  ir::Shape aBatch(as.begin(), as.end() - 2), bBatch(bs.begin(), bs.end() - 2);
  auto batch = ir::broadcastShapes(aBatch, bBatch);
  if (!batch)
    return ir::nodeError(node, "batch dims of shapes {} and {} do not broadcast",
                         ir::toString(a.shape), ir::toString(b.shape));
  ir::Shape outShape = *batch;
  if (a.shape.size() > 1)
    outShape.push_back(m);
  if (b.shape.size() > 1)
    outShape.push_back(n);
  RNNPOOLC_INTERP_LET(out, allocate(node, a.dtype, outShape));
  if (out.numel() == 0)
    return single(std::move(out));
  std::vector<int64_t> aIndex = broadcastIndex(*batch, aBatch);
  std::vector<int64_t> bIndex = broadcastIndex(*batch, bBatch);
  bool isFloat = ir::isFloat(a.dtype);
  int64_t o = 0;
  for (size_t q = 0; q < aIndex.size(); ++q) {
    int64_t aBase = aIndex[q] * m * k, bBase = bIndex[q] * k * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j, ++o) {
        if (isFloat) {
          float acc = 0;
          for (int64_t p = 0; p < k; ++p)
            acc += a.f[static_cast<size_t>(aBase + i * k + p)] *
                   b.f[static_cast<size_t>(bBase + p * n + j)];
          out.f[static_cast<size_t>(o)] = acc;
        } else {
          int64_t acc = 0;
          for (int64_t p = 0; p < k; ++p)
            acc = wrapAdd(acc, wrapMul(a.i[static_cast<size_t>(aBase + i * k + p)],
                                       b.i[static_cast<size_t>(bBase + p * n + j)]));
          out.i[static_cast<size_t>(o)] = ir::wrapToType(acc, a.dtype);
        }
      }
  }
  return single(std::move(out));
}

} // namespace rnnpoolc::interp::detail
