// Float kernel of L2Norm: L2 normalisation along one axis with an optional scale per
// position along it (or a scalar), the fused form of x / (sqrt(sum x^2) + eps) * scale.
#include "compiler/interp/Kernels.h"

namespace rnnpoolc::interp::detail {

Result evalL2Norm(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  RNNPOOLC_TRY(requireFloat(node, x, "the input"));
  const auto &a = node.attr<ir::L2NormAttrs>();
  const auto rank = static_cast<int64_t>(x.shape.size());
  const int64_t axis = a.axis < 0 ? a.axis + rank : a.axis;
  if (axis < 0 || axis >= rank)
    return ir::nodeError(node, "axis {} is out of range for shape {}", a.axis,
                         ir::toString(x.shape));
  const int64_t outer = dimProduct(x.shape, 0, static_cast<size_t>(axis));
  const int64_t size = x.shape[static_cast<size_t>(axis)];
  const int64_t inner = dimProduct(x.shape, static_cast<size_t>(axis) + 1, x.shape.size());
  const ir::TensorData *scale = in.size() > 1 ? in[1] : nullptr;
  if (scale) {
    RNNPOOLC_TRY(requireFloat(node, *scale, "scale"));
    if (scale->shape.size() != 1 || (scale->numel() != 1 && scale->numel() != size))
      return ir::nodeError(node, "scale has shape {}, expected [1] or [{}]",
                           ir::toString(scale->shape), size);
  }
  ir::TensorData out = x;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t p = 0; p < inner; ++p) {
      auto at = [&](int64_t c) { return static_cast<size_t>((o * size + c) * inner + p); };
      float sum = 0;
      for (int64_t c = 0; c < size; ++c)
        sum += x.f[at(c)] * x.f[at(c)];
      float norm = a.epsInsideSqrt ? std::sqrt(sum + a.eps) : std::sqrt(sum) + a.eps;
      for (int64_t c = 0; c < size; ++c) {
        float s = !scale ? 1.0f : scale->f[scale->numel() == 1 ? 0 : static_cast<size_t>(c)];
        out.f[at(c)] = x.f[at(c)] / norm * s;
      }
    }
  return single(std::move(out));
}

} // namespace rnnpoolc::interp::detail
