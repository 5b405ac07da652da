// Shape plumbing kernels: Shape (with start and end), Range (integer and float) and
// ConstantOfShape. Their results usually become constants during folding.
#include "compiler/interp/Kernels.h"

#include <algorithm>

namespace rnnpoolc::interp::detail {
namespace {

Result intRange(const ir::Node &node, ir::DType dtype, int64_t start, int64_t limit,
                int64_t delta) {
  // Count ceil((limit - start) / delta) in unsigned arithmetic, which is exact for every
  // pair of int64 values that are in the order delta asks for.
  uint64_t count = 0;
  if (delta > 0 && limit > start) {
    uint64_t span = static_cast<uint64_t>(limit) - static_cast<uint64_t>(start);
    uint64_t step = static_cast<uint64_t>(delta);
    count = span / step + (span % step != 0);
  } else if (delta < 0 && limit < start) {
    uint64_t span = static_cast<uint64_t>(start) - static_cast<uint64_t>(limit);
    uint64_t step = uint64_t{0} - static_cast<uint64_t>(delta);
    count = span / step + (span % step != 0);
  }
  if (count > static_cast<uint64_t>(kMaxElements))
    return ir::nodeError(node,
                         "would produce {} elements, more than the interpreter's limit "
                         "of {}",
                         count, kMaxElements);
  auto n = static_cast<int64_t>(count);
  ir::TensorData out = ir::TensorData::zeros(dtype, {n});
  for (int64_t k = 0; k < n; ++k)
    out.i[static_cast<size_t>(k)] = ir::wrapToType(wrapAdd(start, wrapMul(k, delta)), dtype);
  return single(std::move(out));
}

Result floatRange(const ir::Node &node, float start, float limit, float delta) {
  double count = std::ceil((static_cast<double>(limit) - start) / delta);
  if (std::isnan(count))
    return ir::nodeError(node, "the number of elements from {} to {} by {} is undefined", start,
                         limit, delta);
  count = std::max(count, 0.0);
  if (count > static_cast<double>(kMaxElements))
    return ir::nodeError(node,
                         "would produce {} elements, more than the interpreter's limit "
                         "of {}",
                         count, kMaxElements);
  auto n = static_cast<int64_t>(count);
  ir::TensorData out = ir::TensorData::zeros(ir::DType::Float32, {n});
  for (int64_t k = 0; k < n; ++k)
    out.f[static_cast<size_t>(k)] = start + static_cast<float>(k) * delta;
  return single(std::move(out));
}

} // namespace

Result evalShape(const ir::Node &node, Inputs in) {
  const ir::Shape &shape = in[0]->shape;
  const auto &attrs = node.attr<ir::ShapeAttrs>();
  auto rank = static_cast<int64_t>(shape.size());
  // Negative bounds count from the end; both are then clamped to [0, rank].
  auto clampBound = [rank](int64_t v) {
    return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank);
  };
  int64_t start = clampBound(attrs.start), end = clampBound(attrs.end.value_or(rank));
  std::vector<int64_t> dims;
  for (int64_t d = start; d < end; ++d)
    dims.push_back(shape[static_cast<size_t>(d)]);
  auto n = static_cast<int64_t>(dims.size());
  return single(ir::TensorData::fromInts(ir::DType::Int64, {n}, std::move(dims)));
}

Result evalRange(const ir::Node &node, Inputs in) {
  const ir::TensorData &start = *in[0], &limit = *in[1], &delta = *in[2];
  RNNPOOLC_TRY(requireSameDType(node, start, limit));
  RNNPOOLC_TRY(requireSameDType(node, start, delta));
  for (const ir::TensorData *t : {&start, &limit, &delta})
    if (t->numel() != 1)
      return ir::nodeError(node, "start, limit and delta must be scalars, not of shape {}",
                           ir::toString(t->shape));
  if (delta.get(0) == 0)
    return ir::nodeError(node, "delta is zero");
  if (ir::isFloat(start.dtype))
    return floatRange(node, start.f[0], limit.f[0], delta.f[0]);
  return intRange(node, start.dtype, start.i[0], limit.i[0], delta.i[0]);
}

Result evalConstantOfShape(const ir::Node &node, Inputs in) {
  const auto &attrs = node.attr<ir::ConstantOfShapeAttrs>();
  RNNPOOLC_INTERP_LET(shape, readIntList(node, *in[0], "the shape"));
  RNNPOOLC_INTERP_LET(out, allocate(node, attrs.dtype, shape));
  if (ir::isFloat(attrs.dtype))
    std::fill(out.f.begin(), out.f.end(), static_cast<float>(attrs.value));
  else if (attrs.dtype == ir::DType::Bool)
    std::fill(out.i.begin(), out.i.end(), int64_t{attrs.value != 0});
  else
    std::fill(out.i.begin(), out.i.end(), ir::wrapToType(floatToInt(attrs.value), attrs.dtype));
  return single(std::move(out));
}

} // namespace rnnpoolc::interp::detail
