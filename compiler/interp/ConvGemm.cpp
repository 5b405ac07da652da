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

/// The output columns ox of a row whose tap at input offset ox * stride + offset lies in
/// [0, in): a half-open range within [0, out).
TapRange columnsInside(int64_t offset, int64_t stride, int64_t in, int64_t out) {
  const int64_t first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  const int64_t last = in - 1 - offset < 0 ? 0 : (in - 1 - offset) / stride + 1;
  return {std::min(first, out), std::max(std::min(first, out), std::min(last, out))};
}

// The accumulation loops: the outputs never overlap the input (restrict lets the compiler
// vectorise without checks).
void madd4(float *__restrict a0, float *__restrict a1, float *__restrict a2,
           float *__restrict a3, const float *__restrict src, int64_t n, const float *k) {
  const float k0 = k[0], k1 = k[1], k2 = k[2], k3 = k[3];
  for (int64_t i = 0; i < n; ++i) {
    const float v = src[i];
    a0[i] += v * k0, a1[i] += v * k1, a2[i] += v * k2, a3[i] += v * k3;
  }
}
void madd(float *__restrict a, const float *__restrict src, int64_t n, float k) {
  for (int64_t i = 0; i < n; ++i)
    a[i] += src[i] * k;
}
void maddStrided(float *__restrict a, const float *__restrict src, int64_t stride, int64_t n,
                 float k) {
  for (int64_t i = 0; i < n; ++i)
    a[i] += src[i * stride] * k;
}

/// acc[f * step + ox] += src[ox * stride] * k[f] for the columns c of `count` filters (four
/// in the common case, each input value loaded once for all of them).
void accumulateTaps(float *acc, int64_t step, int64_t count, const float *src, int64_t stride,
                    TapRange c, const float *k) {
  const int64_t n = c.count();
  acc += c.first, src += c.first * stride;
  if (count == 4 && stride == 1)
    return madd4(acc, acc + step, acc + 2 * step, acc + 3 * step, src, n, k);
  for (int64_t f = 0; f < count; ++f) {
    if (stride == 1)
      madd(acc + f * step, src, n, k[f]);
    else
      maddStrided(acc + f * step, src, stride, n, k[f]);
  }
}

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
  const int64_t inSize = win.inSize(), kernelSize = win.kernelSize(), outSize = win.outSize();
  // For each kernel tap along each axis, the output positions whose tap falls inside the
  // input (taps in the padding would add zeros and are skipped).
  std::array<std::vector<TapRange>, Window::kDims> inside;
  for (size_t e = 0; e < Window::kDims; ++e)
    for (int64_t t = 0; t < win.kernel[e]; ++t)
      inside[e].push_back(columnsInside(t * win.dilation[e] - win.padBegin[e], win.stride[e],
                                        win.in[e], win.out[e]));
  // Up to kBlock filters of a group at a time share each input value they read, over the
  // whole output plane at once. Each output is still a sum in the naive order (bias, then
  // input channels, then kernel taps in row-major order): the loops over taps are outside
  // the loops over outputs, and the innermost loop, over a row's columns, vectorises.
  constexpr int64_t kBlock = 4;
  std::vector<float> acc(static_cast<size_t>(kBlock * outSize));
  const int64_t cols = win.out[2], sx = win.stride[2];
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t m0 = 0, count = 0; m0 < filters; m0 += count) {
      // Filters m0 .. m0 + count - 1, all of one group (its first input channel xg).
      const int64_t group = m0 / groupOut;
      count = std::min(kBlock, (group + 1) * groupOut - m0);
      const float *xg = x.f.data() + (n * channels + group * groupIn) * inSize;
      for (int64_t f = 0; f < count; ++f)
        std::fill_n(acc.begin() + f * outSize, outSize,
                    b ? b->f[static_cast<size_t>(m0 + f)] : 0.0f);
      for (int64_t ci = 0; ci < groupIn; ++ci)
        for (int64_t tz = 0; tz < win.kernel[0]; ++tz)
          for (int64_t ty = 0; ty < win.kernel[1]; ++ty)
            for (int64_t tx = 0; tx < win.kernel[2]; ++tx) {
              const TapRange zs = inside[0][static_cast<size_t>(tz)];
              const TapRange ys = inside[1][static_cast<size_t>(ty)];
              const TapRange xs = inside[2][static_cast<size_t>(tx)];
              const int64_t tap = ((ci * win.kernel[0] + tz) * win.kernel[1] + ty) *
                                      win.kernel[2] + tx;
              float k[kBlock] = {};
              for (int64_t f = 0; f < count; ++f)
                k[f] = w.f[static_cast<size_t>((m0 + f) * groupIn * kernelSize + tap)];
              for (int64_t oz = zs.first; oz < zs.last; ++oz)
                for (int64_t oy = ys.first; oy < ys.last; ++oy) {
                  const int64_t iz = oz * win.stride[0] - win.padBegin[0] + tz * win.dilation[0];
                  const int64_t iy = oy * win.stride[1] - win.padBegin[1] + ty * win.dilation[1];
                  const float *src = xg + ci * inSize + (iz * win.in[1] + iy) * win.in[2] +
                                     tx * win.dilation[2] - win.padBegin[2];
                  accumulateTaps(acc.data() + (oz * win.out[1] + oy) * cols, outSize, count,
                                 src, sx, xs, k);
                }
            }
      float *y = out.f.data() + (n * filters + m0) * outSize;
      for (int64_t i = 0; i < count * outSize; ++i)
        y[i] = ir::applyActivation(attrs.act, acc[static_cast<size_t>(i)]);
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
    for (int64_t i = 0; i < m; ++i) {
      if (isFloat) {
        // A row of outputs at a time, each summed over p in order (out starts at zero).
        float *row = out.f.data() + o;
        for (int64_t p = 0; p < k; ++p)
          madd(row, b.f.data() + bBase + p * n, n, a.f[static_cast<size_t>(aBase + i * k + p)]);
        o += n;
        continue;
      }
      for (int64_t j = 0; j < n; ++j, ++o) {
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
