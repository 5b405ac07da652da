// Kernels of QuantizeLinear and DequantizeLinear as ONNX specifies them: float32 division by
// the scale, rounding half to even, adding the zero point and saturating to the integer
// type; dequantisation as (x - zero point) * scale in float32.
#include "compiler/interp/Kernels.h"

namespace rnnpoolc::interp::detail {
namespace {

/// Where element k of the input finds its scale and zero point: index (k / inner) % count
/// for per-axis parameters, 0 for per-tensor ones.
struct ParamIndex {
  int64_t inner = 1, count = 1;
  int64_t operator()(int64_t k) const { return count == 1 ? 0 : (k / inner) % count; }
};

/// Checks scale and zero point against the input x and returns how elements index them.
Expected<ParamIndex> paramIndex(const ir::Node &node, const ir::TensorData &x,
                                const ir::TensorData &scale, const ir::TensorData *zp) {
  RNNPOOLC_TRY(requireFloat(node, scale, "scale"));
  if (scale.shape.size() > 1)
    return ir::nodeError(node, "scale must be a scalar or 1-D, not {}",
                         ir::toString(scale.shape));
  if (zp && (zp->numel() != scale.numel() || ir::isFloat(zp->dtype)))
    return ir::nodeError(node, "zero point must be an integer tensor of the scale's shape {}",
                         ir::toString(scale.shape));
  ParamIndex index;
  index.count = scale.numel();
  if (index.count == 0)
    return ir::nodeError(node, "scale is empty");
  if (index.count == 1)
    return index;
  auto rank = static_cast<int64_t>(x.shape.size());
  auto axis = ir::normalizeAxis(node.attr<ir::AxisAttrs>().axis, rank);
  if (!axis || x.shape[static_cast<size_t>(*axis)] != index.count)
    return ir::nodeError(node, "{} scales do not match axis {} of an input of shape {}",
                         index.count, node.attr<ir::AxisAttrs>().axis, ir::toString(x.shape));
  index.inner = dimProduct(x.shape, static_cast<size_t>(*axis) + 1, x.shape.size());
  return index;
}

/// x rounded to the nearest integer, ties to even, without depending on the FPU mode.
double roundHalfEven(double x) {
  double r = std::round(x); // ties away from zero
  if (std::fabs(x - std::trunc(x)) == 0.5)
    r = 2.0 * std::round(x / 2.0);
  return r;
}

/// The range of values of a quantised type.
std::pair<double, double> typeRange(ir::DType type) {
  switch (type) {
  case ir::DType::Int8:
    return {-128, 127};
  case ir::DType::UInt8:
    return {0, 255};
  default:
    return {-2147483648.0, 2147483647.0};
  }
}

} // namespace

Result evalQuantizeLinear(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  const ir::TensorData *zp = in.size() > 2 ? in[2] : nullptr;
  RNNPOOLC_INTERP_LET(index, paramIndex(node, x, *in[1], zp));
  const ir::DType type = zp ? zp->dtype : ir::DType::UInt8;
  if (type != ir::DType::Int8 && type != ir::DType::UInt8)
    return ir::nodeError(node, "quantises to {}; the zero point must be int8 or uint8",
                         ir::name(type));
  if (x.dtype != ir::DType::Float32 && x.dtype != ir::DType::Int32)
    return ir::nodeError(node, "input must be float32 or int32, not {}", ir::name(x.dtype));
  RNNPOOLC_INTERP_LET(out, allocate(node, type, x.shape));
  auto [lo, hi] = typeRange(type);
  const std::vector<float> &scale = in[1]->f;
  for (int64_t k = 0; k < x.numel(); ++k) {
    int64_t c = index(k);
    // float32 division for float inputs, as ONNX's reference and onnxruntime compute it.
    double q =
        x.dtype == ir::DType::Float32
            ? static_cast<double>(x.f[static_cast<size_t>(k)] / scale[static_cast<size_t>(c)])
            : static_cast<double>(x.i[static_cast<size_t>(k)]) / scale[static_cast<size_t>(c)];
    q = std::isnan(q) ? 0.0 : roundHalfEven(q);
    q += zp ? static_cast<double>(zp->i[static_cast<size_t>(c)]) : 0.0;
    out.i[static_cast<size_t>(k)] = static_cast<int64_t>(std::clamp(q, lo, hi));
  }
  return single(std::move(out));
}

Result evalDequantizeLinear(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  const ir::TensorData *zp = in.size() > 2 ? in[2] : nullptr;
  RNNPOOLC_INTERP_LET(index, paramIndex(node, x, *in[1], zp));
  if (x.dtype != ir::DType::Int8 && x.dtype != ir::DType::UInt8 && x.dtype != ir::DType::Int32)
    return ir::nodeError(node, "input must be int8, uint8 or int32, not {}", ir::name(x.dtype));
  if (zp && zp->dtype != x.dtype)
    return ir::nodeError(node, "zero point has type {} but the input {}", ir::name(zp->dtype),
                         ir::name(x.dtype));
  RNNPOOLC_INTERP_LET(out, allocate(node, ir::DType::Float32, x.shape));
  const std::vector<float> &scale = in[1]->f;
  for (int64_t k = 0; k < x.numel(); ++k) {
    int64_t c = index(k);
    float v = static_cast<float>(x.i[static_cast<size_t>(k)]);
    float z = zp ? static_cast<float>(zp->i[static_cast<size_t>(c)]) : 0.0f;
    out.f[static_cast<size_t>(k)] = (v - z) * scale[static_cast<size_t>(c)];
  }
  return single(std::move(out));
}

} // namespace rnnpoolc::interp::detail
