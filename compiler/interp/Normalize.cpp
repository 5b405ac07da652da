// Float kernel of L2Norm: L2 normalisation over the channel axis with an optional
// per-channel (or scalar) scale, as the fused form of x / (sqrt(sum x^2) + eps) * scale.
#include "compiler/interp/Kernels.h"

namespace rnnpoolc::interp::detail {

Result evalL2Norm(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  RNNPOOLC_TRY(requireFloat(node, x, "the input"));
  if (x.shape.size() < 2)
    return ir::nodeError(node, "the input must have rank 2 or more, not shape {}",
                         ir::toString(x.shape));
  const int64_t batch = x.shape[0], channels = x.shape[1];
  const int64_t plane = dimProduct(x.shape, 2, x.shape.size());
  const ir::TensorData *scale = in.size() > 1 ? in[1] : nullptr;
  if (scale) {
    RNNPOOLC_TRY(requireFloat(node, *scale, "scale"));
    if (scale->shape.size() != 1 || (scale->numel() != 1 && scale->numel() != channels))
      return ir::nodeError(node, "scale has shape {}, expected [1] or [{}]",
                           ir::toString(scale->shape), channels);
  }
  const auto &a = node.attr<ir::L2NormAttrs>();
  ir::TensorData out = x;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t p = 0; p < plane; ++p) {
      auto at = [&](int64_t c) { return static_cast<size_t>((n * channels + c) * plane + p); };
      float sum = 0;
      for (int64_t c = 0; c < channels; ++c)
        sum += x.f[at(c)] * x.f[at(c)];
      float norm = a.epsInsideSqrt ? std::sqrt(sum + a.eps) : std::sqrt(sum) + a.eps;
      for (int64_t c = 0; c < channels; ++c) {
        float s = !scale ? 1.0f : scale->f[scale->numel() == 1 ? 0 : static_cast<size_t>(c)];
        out.f[at(c)] = x.f[at(c)] / norm * s;
      }
    }
  return single(std::move(out));
}

} // namespace rnnpoolc::interp::detail
