// Resize's float kernel: nearest and linear, any rank, one axis at a time in double
// precision (ONNX's reference interpolates axis by axis too), with the taps of
// compiler/ir/Resize.h.
#include "compiler/interp/Kernels.h"
#include "compiler/ir/Resize.h"

namespace rnnpoolc::interp::detail {

Result evalResize(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  if (!ir::isFloat(x.dtype))
    return ir::nodeError(node, "Resize takes a float input, not {}", ir::name(x.dtype));
  const ir::TensorData *scales = in.size() > 2 ? in[2] : nullptr;
  const ir::TensorData *sizes = in.size() > 3 ? in[3] : nullptr;
  RNNPOOLC_INTERP_LET(given, ir::resizeGiven(node, x.shape, scales, sizes));
  RNNPOOLC_TRY(checkOutputShape(node, given.out));
  const auto &attrs = node.attr<ir::ResizeAttrs>();
  ir::Shape shape = x.shape;
  std::vector<double> cur(x.f.begin(), x.f.end());
  for (size_t d = 0; d < shape.size(); ++d) {
    const int64_t inSize = shape[d], outSize = given.out[d];
    if (inSize == outSize && given.scales[d] == 1)
      continue; // every coordinate mode maps index i to i
    const std::vector<ir::ResizeTap> taps = ir::resizeTaps(attrs, inSize, outSize,
                                                           given.scales[d]);
    int64_t outer = 1, inner = 1;
    for (size_t k = 0; k < d; ++k)
      outer *= shape[k];
    for (size_t k = d + 1; k < shape.size(); ++k)
      inner *= shape[k];
    std::vector<double> next(static_cast<size_t>(outer * outSize * inner));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < outSize; ++i) {
        const ir::ResizeTap &t = taps[static_cast<size_t>(i)];
        const double *a = &cur[static_cast<size_t>((o * inSize + t.i0) * inner)];
        const double *b = &cur[static_cast<size_t>((o * inSize + t.i1) * inner)];
        double *y = &next[static_cast<size_t>((o * outSize + i) * inner)];
        for (int64_t k = 0; k < inner; ++k)
          y[k] = t.frac == 0 ? a[k] : (1 - t.frac) * a[k] + t.frac * b[k];
      }
    cur = std::move(next);
    shape[d] = outSize;
  }
  ir::TensorData out = ir::TensorData::zeros(x.dtype, shape);
  for (size_t k = 0; k < cur.size(); ++k)
    out.f[k] = static_cast<float>(cur[k]);
  return single(std::move(out));
}

} // namespace rnnpoolc::interp::detail
