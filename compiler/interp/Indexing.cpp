// Indexed access kernels: Gather along any axis and ScatterND (reduction none). Negative
// indices count from the end of their axis; an index out of range is an error.
#include "compiler/interp/Kernels.h"

namespace rnnpoolc::interp::detail {
namespace {

/// An index made non-negative against an axis of size `dim`, or an error.
Expected<int64_t> checkIndex(const ir::Node &node, int64_t index, int64_t dim, size_t axis) {
  if (index < -dim || index >= dim)
    return ir::nodeError(node, "index {} is out of range for axis {} of size {}", index, axis,
                         dim);
  return index < 0 ? index + dim : index;
}

} // namespace

Result evalGather(const ir::Node &node, Inputs in) {
  const ir::TensorData &data = *in[0], &indices = *in[1];
  RNNPOOLC_TRY(requireInteger(node, indices, "indices"));
  int64_t attrAxis = node.attr<ir::AxisAttrs>().axis;
  auto normal = ir::normalizeAxis(attrAxis, static_cast<int64_t>(data.shape.size()));
  if (!normal)
    return ir::nodeError(node, "axis {} is out of range for data of shape {}", attrAxis,
                         ir::toString(data.shape));
  auto axis = static_cast<size_t>(*normal);
  ir::Shape shape(data.shape.begin(), data.shape.begin() + *normal);
  shape.insert(shape.end(), indices.shape.begin(), indices.shape.end());
  shape.insert(shape.end(), data.shape.begin() + *normal + 1, data.shape.end());
  RNNPOOLC_INTERP_LET(out, allocate(node, data.dtype, shape));
  if (out.numel() == 0)
    return single(std::move(out));
  int64_t dim = data.shape[axis], count = indices.numel();
  int64_t outer = dimProduct(data.shape, 0, axis);
  int64_t inner = dimProduct(data.shape, axis + 1, data.shape.size());
  std::vector<int64_t> rows;
  for (int64_t j = 0; j < count; ++j) {
    RNNPOOLC_INTERP_LET(row, checkIndex(node, indices.i[static_cast<size_t>(j)], dim, axis));
    rows.push_back(row);
  }
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < count; ++j)
      copyElements(data, (o * dim + rows[static_cast<size_t>(j)]) * inner, out,
                   (o * count + j) * inner, inner);
  return single(std::move(out));
}

Result evalScatterND(const ir::Node &node, Inputs in) {
  const ir::TensorData &data = *in[0], &indices = *in[1], &updates = *in[2];
  RNNPOOLC_TRY(requireInteger(node, indices, "indices"));
  RNNPOOLC_TRY(requireSameDType(node, data, updates));
  if (indices.shape.empty() || indices.shape.back() > static_cast<int64_t>(data.shape.size()))
    return ir::nodeError(node, "indices of shape {} do not index data of shape {}",
                         ir::toString(indices.shape), ir::toString(data.shape));
  // updates: indices.shape[:-1] + data.shape[k:], for tuples of k indices.
  auto k = static_cast<size_t>(indices.shape.back());
  ir::Shape expected(indices.shape.begin(), indices.shape.end() - 1);
  expected.insert(expected.end(), data.shape.begin() + static_cast<int64_t>(k),
                  data.shape.end());
  if (updates.shape != expected)
    return ir::nodeError(node, "updates have shape {}, expected {}",
                         ir::toString(updates.shape), ir::toString(expected));
  ir::TensorData out = data;
  if (updates.numel() == 0)
    return single(std::move(out));
  int64_t slice = dimProduct(data.shape, k, data.shape.size());
  int64_t count = updates.numel() / slice;
  std::vector<int64_t> strides = ir::stridesOf(data.shape);
  for (int64_t u = 0; u < count; ++u) {
    int64_t offset = 0;
    for (size_t j = 0; j < k; ++j) {
      int64_t raw = indices.i[static_cast<size_t>(u) * k + j];
      RNNPOOLC_INTERP_LET(index, checkIndex(node, raw, data.shape[j], j));
      offset += index * strides[j];
    }
    copyElements(updates, u * slice, out, offset, slice);
  }
  return single(std::move(out));
}

} // namespace rnnpoolc::interp::detail
