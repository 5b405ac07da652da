// Pooling and normalisation kernels: MaxPool and AveragePool (1-D to 3-D, pads, strides,
// dilations, ceil_mode, count_include_pad), GlobalAveragePool, GlobalMaxPool,
// BatchNormalization in inference form, and Softmax (opset 13 and legacy coerce-to-2-D).
#include "compiler/interp/Kernels.h"

#include <algorithm>

namespace rnnpoolc::interp::detail {
namespace {

/// MaxPool over one plane; NaN propagates as in numpy. A window that covers only padding
/// gives the lowest value of the type.
template <typename T> void maxPoolPlane(const Window &w, const T *x, T *y) {
  forEachWindow(w, [&](const WindowTaps &taps) {
    T best = std::numeric_limits<T>::lowest();
    if constexpr (std::numeric_limits<T>::has_infinity)
      best = -std::numeric_limits<T>::infinity();
    forEachTap(w, taps, [&](int64_t i, int64_t) {
      if (x[i] > best || x[i] != x[i])
        best = x[i];
    });
    *y++ = best;
  });
}

/// AveragePool over one plane. The divisor counts the window's taps that fall inside the
/// input, or with count_include_pad those inside the explicitly padded input: taps in the
/// extra space that ceil_mode adds past the end padding never count (as in PyTorch).
void averagePoolPlane(const Window &w, bool countIncludePad, const float *x, float *y) {
  forEachWindow(w, [&](const WindowTaps &taps) {
    float sum = 0;
    forEachTap(w, taps, [&](int64_t i, int64_t) { sum += x[i]; });
    int64_t count = countIncludePad ? taps.paddedCount : taps.insideCount();
    *y++ = sum / static_cast<float>(count);
  });
}

} // namespace

Result evalPool(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  const auto &attrs = node.attr<ir::PoolAttrs>();
  bool isMax = node.op == ir::OpKind::MaxPool;
  if (!isMax)
    RNNPOOLC_TRY(requireFloat(node, x, "the input"));
  if (attrs.kernel.empty())
    return ir::nodeError(node, "kernel_shape is missing");
  RNNPOOLC_INTERP_LET(win,
                      slidingWindow(node, x.shape, attrs.kernel, attrs.strides, attrs.dilations,
                                    attrs.pads, attrs.autoPad, attrs.ceilMode));
  int64_t planes = x.shape[0] * x.shape[1];
  RNNPOOLC_INTERP_LET(out, allocate(node, x.dtype, win.outputShape(x.shape, x.shape[1])));
  int64_t inPlane = win.inSize(), outPlane = win.outSize();
  for (int64_t p = 0; p < planes; ++p) {
    if (!isMax)
      averagePoolPlane(win, attrs.countIncludePad, x.f.data() + p * inPlane,
                       out.f.data() + p * outPlane);
    else if (ir::isFloat(x.dtype))
      maxPoolPlane(win, x.f.data() + p * inPlane, out.f.data() + p * outPlane);
    else
      maxPoolPlane(win, x.i.data() + p * inPlane, out.i.data() + p * outPlane);
  }
  return single(std::move(out));
}

Result evalGlobalPool(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  bool isMax = node.op == ir::OpKind::GlobalMaxPool;
  if (!isMax)
    RNNPOOLC_TRY(requireFloat(node, x, "the input"));
  if (x.shape.size() < 3)
    return ir::nodeError(node, "the input must have rank 3 or more, not shape {}",
                         ir::toString(x.shape));
  ir::Shape shape = x.shape;
  std::fill(shape.begin() + 2, shape.end(), 1);
  RNNPOOLC_INTERP_LET(out, allocate(node, x.dtype, shape));
  int64_t planes = x.shape[0] * x.shape[1], size = dimProduct(x.shape, 2, x.shape.size());
  for (int64_t p = 0; p < planes; ++p) {
    auto begin = static_cast<size_t>(p * size), end = static_cast<size_t>((p + 1) * size);
    if (!ir::isFloat(x.dtype)) {
      int64_t best = std::numeric_limits<int64_t>::min();
      for (size_t k = begin; k < end; ++k)
        best = std::max(best, x.i[k]);
      out.i[static_cast<size_t>(p)] = best;
    } else if (isMax) {
      float best = -std::numeric_limits<float>::infinity();
      for (size_t k = begin; k < end; ++k)
        if (x.f[k] > best || x.f[k] != x.f[k])
          best = x.f[k];
      out.f[static_cast<size_t>(p)] = best;
    } else {
      float sum = 0;
      for (size_t k = begin; k < end; ++k)
        sum += x.f[k];
      out.f[static_cast<size_t>(p)] = sum / static_cast<float>(size);
    }
  }
  return single(std::move(out));
}

Result evalBatchNorm(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  RNNPOOLC_TRY(requireFloat(node, x, "the input"));
  if (x.shape.size() < 2)
    return ir::nodeError(node, "the input must have rank 2 or more, not shape {}",
                         ir::toString(x.shape));
  int64_t channels = x.shape[1];
  static constexpr const char *kNames[] = {"", "scale", "bias", "mean", "var"};
  for (size_t k = 1; k < 5; ++k) {
    RNNPOOLC_TRY(requireFloat(node, *in[k], kNames[k]));
    if (in[k]->shape != ir::Shape{channels})
      return ir::nodeError(node, "{} has shape {}, expected {} for the input's channels",
                           kNames[k], ir::toString(in[k]->shape), channels);
  }
  const std::vector<float> &scale = in[1]->f, &bias = in[2]->f, &mean = in[3]->f,
                           &var = in[4]->f;
  float epsilon = node.attr<ir::BatchNormAttrs>().epsilon;
  ir::TensorData out = x;
  int64_t planeSize = dimProduct(x.shape, 2, x.shape.size());
  for (size_t k = 0; k < out.f.size(); ++k) {
    auto c = static_cast<size_t>((static_cast<int64_t>(k) / planeSize) % channels);
    // As the ONNX reference: scale * ((x - mean) / sqrt(var + epsilon)) + bias.
    float normalized = (out.f[k] - mean[c]) / std::sqrt(var[c] + epsilon);
    out.f[k] = scale[c] * normalized + bias[c];
  }
  return single(std::move(out));
}

Result evalSoftmax(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  const auto &attrs = node.attr<ir::SoftmaxAttrs>();
  RNNPOOLC_TRY(requireFloat(node, x, "the input"));
  auto rank = static_cast<int64_t>(x.shape.size());
  auto axis = ir::normalizeAxis(attrs.axis, rank);
  if (!axis)
    return ir::nodeError(node, "axis {} is out of range for input of shape {}", attrs.axis,
                         ir::toString(x.shape));
  auto a = static_cast<size_t>(*axis);
  // Softmax runs over `length` elements `stride` apart, for each of outer x stride starts.
  // The legacy form flattens to 2-D at the axis: one run over the whole trailing block.
  int64_t outer = dimProduct(x.shape, 0, a);
  int64_t length = attrs.coerce2D ? dimProduct(x.shape, a, x.shape.size()) : x.shape[a];
  int64_t stride = attrs.coerce2D ? 1 : dimProduct(x.shape, a + 1, x.shape.size());
  ir::TensorData out = x;
  if (out.numel() == 0)
    return single(std::move(out));
  float *y = out.f.data();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t s = 0; s < stride; ++s) {
      float *run = y + o * length * stride + s;
      float max = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < length; ++j)
        max = std::max(max, run[j * stride]);
      float sum = 0;
      for (int64_t j = 0; j < length; ++j) {
        run[j * stride] = std::exp(run[j * stride] - max);
        sum += run[j * stride];
      }
      for (int64_t j = 0; j < length; ++j)
        run[j * stride] /= sum;
    }
  return single(std::move(out));
}

} // namespace rnnpoolc::interp::detail
