// Unary elementwise kernels: activations, math functions, Not, Clip and Cast.
// Activations on floats go through ir::applyActivation so that a fused activation (in Conv
// or Gemm) and the standalone op give the same bits.
#include "compiler/interp/Kernels.h"

#include <algorithm>

namespace rnnpoolc::interp::detail {
namespace {

/// Applies `fn` to every element of a float tensor.
template <typename Fn> Result mapFloat(const ir::Node &node, const ir::TensorData &x, Fn fn) {
  RNNPOOLC_TRY(requireFloat(node, x, "the input"));
  ir::TensorData out = x;
  for (float &v : out.f)
    v = fn(v);
  return single(std::move(out));
}

/// Applies `fn` to every element of an integer tensor, wrapping to `dtype`.
template <typename Fn> Result mapInt(const ir::TensorData &x, ir::DType dtype, Fn fn) {
  ir::TensorData out = x;
  out.dtype = dtype;
  for (int64_t &v : out.i)
    v = ir::wrapToType(fn(v), dtype);
  return single(std::move(out));
}

Result activation(const ir::Node &node, const ir::TensorData &x, ir::Activation act) {
  return mapFloat(node, x, [&](float v) { return ir::applyActivation(act, v); });
}

/// Reads Clip's optional bound: a one-element tensor of the input's dtype.
Status readBound(const ir::Node &node, const ir::TensorData *bound, const ir::TensorData &x,
                 std::string_view what) {
  if (!bound)
    return Status::ok();
  RNNPOOLC_TRY(requireSameDType(node, x, *bound));
  if (bound->numel() != 1)
    return ir::nodeError(node, "{} must be a scalar, not of shape {}", what,
                         ir::toString(bound->shape));
  return Status::ok();
}

} // namespace

Result evalUnary(const ir::Node &node, Inputs in) {
  using ir::ActKind;
  using ir::OpKind;
  const ir::TensorData &x = *in[0];
  bool isInt = !ir::isFloat(x.dtype);
  switch (node.op) {
  case OpKind::Identity:
    return single(x);
  case OpKind::Not:
    if (x.dtype != ir::DType::Bool)
      return ir::nodeError(node, "the input must be bool, not {}", ir::name(x.dtype));
    return mapInt(x, ir::DType::Bool, [](int64_t v) { return int64_t{v == 0}; });
  case OpKind::Relu:
    if (isInt)
      return mapInt(x, x.dtype, [](int64_t v) { return std::max<int64_t>(v, 0); });
    return activation(node, x, {ActKind::Relu, 0, 0});
  case OpKind::LeakyRelu:
    return activation(node, x, {ActKind::LeakyRelu, node.attr<ir::AlphaBetaAttrs>().alpha, 0});
  case OpKind::HardSigmoid: {
    const auto &a = node.attr<ir::AlphaBetaAttrs>();
    return activation(node, x, {ActKind::HardSigmoid, a.alpha, a.beta});
  }
  case OpKind::Sigmoid:
    return activation(node, x, {ActKind::Sigmoid, 0, 0});
  case OpKind::HardSwish:
    return activation(node, x, {ActKind::HardSwish, 0, 0});
  case OpKind::Tanh:
    return activation(node, x, {ActKind::Tanh, 0, 0});
  case OpKind::Neg:
    if (isInt)
      return mapInt(x, x.dtype, wrapNeg);
    break;
  case OpKind::Abs:
    if (isInt)
      return mapInt(x, x.dtype, [](int64_t v) { return v < 0 ? wrapNeg(v) : v; });
    break;
  case OpKind::Clip:
    return evalClip(node, in);
  case OpKind::Cast:
    return evalCast(node, in);
  default:
    break;
  }
  // The math ops: their one float definition (ir::unaryMathOf).
  if (ir::UnaryMathFn fn = ir::unaryMathOf(node.op))
    return mapFloat(node, x, fn);
  return ir::nodeError(node, "internal: {} has no interpreter kernel", ir::opName(node.op));
}

Result evalClip(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  const ir::TensorData *lo = in.size() > 1 ? in[1] : nullptr;
  const ir::TensorData *hi = in.size() > 2 ? in[2] : nullptr;
  RNNPOOLC_TRY(readBound(node, lo, x, "min"));
  RNNPOOLC_TRY(readBound(node, hi, x, "max"));
  if (ir::isFloat(x.dtype)) {
    constexpr float kInf = std::numeric_limits<float>::infinity();
    ir::Activation act{ir::ActKind::Clip, lo ? lo->f[0] : -kInf, hi ? hi->f[0] : kInf};
    return activation(node, x, act);
  }
  int64_t low = lo ? lo->i[0] : std::numeric_limits<int64_t>::min();
  int64_t high = hi ? hi->i[0] : std::numeric_limits<int64_t>::max();
  // As in ONNX, min > max sets everything to max.
  return mapInt(x, x.dtype, [&](int64_t v) { return std::min(std::max(v, low), high); });
}

Result evalCast(const ir::Node &node, Inputs in) {
  const ir::TensorData &x = *in[0];
  ir::DType to = node.attr<ir::CastAttrs>().to;
  ir::TensorData out = ir::TensorData::zeros(to, x.shape);
  int64_t n = x.numel();
  if (ir::isFloat(to) && ir::isFloat(x.dtype)) {
    out.f = x.f;
  } else if (ir::isFloat(to)) {
    for (int64_t k = 0; k < n; ++k)
      out.f[static_cast<size_t>(k)] = static_cast<float>(x.i[static_cast<size_t>(k)]);
  } else if (ir::isFloat(x.dtype)) {
    // Truncation toward zero (saturating at the int64 range), then a C-style wrap; a float
    // becomes a bool by comparison with zero, so NaN is true.
    for (int64_t k = 0; k < n; ++k) {
      float v = x.f[static_cast<size_t>(k)];
      out.i[static_cast<size_t>(k)] =
          to == ir::DType::Bool ? int64_t{v != 0} : ir::wrapToType(floatToInt(v), to);
    }
  } else {
    for (int64_t k = 0; k < n; ++k)
      out.i[static_cast<size_t>(k)] = ir::wrapToType(x.i[static_cast<size_t>(k)], to);
  }
  return single(std::move(out));
}

} // namespace rnnpoolc::interp::detail
