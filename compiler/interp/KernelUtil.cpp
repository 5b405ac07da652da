// Helpers shared by the interpreter's kernels: checked allocation, operand checks,
// broadcasting and gather-style copies.
#include "compiler/interp/Kernels.h"

#include <algorithm>

namespace rnnpoolc::interp::detail {

Status checkOutputShape(const ir::Node &node, const ir::Shape &shape) {
  for (int64_t d : shape)
    if (d < 0)
      return ir::nodeError(node, "output shape has a negative dim ({})", d);
  auto n = ir::checkedNumel(shape);
  if (!n)
    return ir::nodeError(node, "output shape {} would produce more than {} elements",
                         ir::toString(shape), std::numeric_limits<int64_t>::max());
  if (*n > kMaxElements)
    return ir::nodeError(node,
                         "output shape {} would produce {} elements, more than the "
                         "interpreter's limit of {}",
                         ir::toString(shape), *n, kMaxElements);
  return Status::ok();
}

Expected<ir::TensorData> allocate(const ir::Node &node, ir::DType dtype,
                                  const ir::Shape &shape) {
  RNNPOOLC_TRY(checkOutputShape(node, shape));
  return ir::TensorData::zeros(dtype, shape);
}

Result single(ir::TensorData value) {
  Values out;
  out.push_back(std::move(value));
  return out;
}

Status requireFloat(const ir::Node &node, const ir::TensorData &t, std::string_view what) {
  if (!ir::isFloat(t.dtype))
    return ir::nodeError(node, "{} must be float32, not {}", what, ir::name(t.dtype));
  return Status::ok();
}

Status requireInteger(const ir::Node &node, const ir::TensorData &t, std::string_view what) {
  if (ir::isFloat(t.dtype))
    return ir::nodeError(node, "{} must be an integer tensor, not {}", what, ir::name(t.dtype));
  return Status::ok();
}

Status requireSameDType(const ir::Node &node, const ir::TensorData &a,
                        const ir::TensorData &b) {
  if (a.dtype != b.dtype)
    return ir::nodeError(node, "operand dtypes {} and {} differ", ir::name(a.dtype),
                         ir::name(b.dtype));
  return Status::ok();
}

Expected<std::vector<int64_t>> readIntList(const ir::Node &node, const ir::TensorData &t,
                                           std::string_view what) {
  RNNPOOLC_TRY(requireInteger(node, t, what));
  if (t.shape.size() > 1)
    return ir::nodeError(node, "{} must be 1-D, not of shape {}", what, ir::toString(t.shape));
  return t.i;
}

Expected<std::vector<int64_t>> normalizeAxes(const ir::Node &node, std::vector<int64_t> axes,
                                             int64_t rank) {
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t &axis : axes) {
    auto normal = ir::normalizeAxis(axis, rank);
    if (!normal)
      return ir::nodeError(node, "axis {} is out of range for rank {}", axis, rank);
    if (seen[static_cast<size_t>(*normal)])
      return ir::nodeError(node, "axis {} is repeated", axis);
    seen[static_cast<size_t>(*normal)] = true;
    axis = *normal;
  }
  return axes;
}

std::vector<int64_t> stridedIndex(const ir::Shape &out, int64_t offset,
                                  const std::vector<int64_t> &strides) {
  size_t rank = out.size();
  int64_t n = ir::numel(out);
  std::vector<int64_t> index(static_cast<size_t>(n));
  std::vector<int64_t> counter(rank, 0);
  for (int64_t k = 0; k < n; ++k) {
    index[static_cast<size_t>(k)] = offset;
    // Advance the odometer over `out`, keeping `offset` in step.
    for (size_t d = rank; d-- > 0;) {
      if (++counter[d] < out[d]) {
        offset += strides[d];
        break;
      }
      offset -= strides[d] * (counter[d] - 1);
      counter[d] = 0;
    }
  }
  return index;
}

std::vector<int64_t> broadcastIndex(const ir::Shape &out, const ir::Shape &in) {
  size_t rank = out.size(), lead = rank - in.size();
  // Strides of `in` aligned to the trailing dims of `out`; zero where `in` broadcasts.
  std::vector<int64_t> inStrides = ir::stridesOf(in), strides(rank, 0);
  for (size_t d = lead; d < rank; ++d)
    strides[d] = in[d - lead] == 1 ? 0 : inStrides[d - lead];
  return stridedIndex(out, 0, strides);
}

std::vector<int64_t> axisMapIndex(const ir::Shape &out, const ir::Shape &in,
                                  const std::vector<std::vector<int64_t>> &maps) {
  size_t rank = out.size();
  std::vector<int64_t> inStrides = ir::stridesOf(in);
  std::vector<int64_t> index(static_cast<size_t>(ir::numel(out)));
  std::vector<size_t> counter(rank, 0);
  for (int64_t &source : index) {
    source = 0;
    for (size_t d = 0; d < rank && source >= 0; ++d) {
      int64_t s = maps[d][counter[d]];
      source = s < 0 ? -1 : source + s * inStrides[d];
    }
    for (size_t d = rank; d-- > 0;) {
      if (static_cast<int64_t>(++counter[d]) < out[d])
        break;
      counter[d] = 0;
    }
  }
  return index;
}

void copyElements(const ir::TensorData &src, int64_t srcOffset, ir::TensorData &dst,
                  int64_t dstOffset, int64_t n) {
  if (ir::isFloat(src.dtype))
    std::copy_n(src.f.begin() + srcOffset, n, dst.f.begin() + dstOffset);
  else
    std::copy_n(src.i.begin() + srcOffset, n, dst.i.begin() + dstOffset);
}

ir::TensorData takeElements(const ir::TensorData &src, ir::Shape shape,
                            const std::vector<int64_t> &index, const ir::TensorData *fill) {
  ir::TensorData out;
  out.dtype = src.dtype;
  out.shape = std::move(shape);
  if (ir::isFloat(src.dtype)) {
    float pad = fill ? static_cast<float>(fill->get(0)) : 0.0f;
    out.f.resize(index.size());
    for (size_t k = 0; k < index.size(); ++k)
      out.f[k] = index[k] < 0 ? pad : src.f[static_cast<size_t>(index[k])];
  } else {
    int64_t pad = 0;
    if (fill)
      pad = ir::wrapToType(ir::isFloat(fill->dtype) ? floatToInt(fill->f[0]) : fill->i[0],
                           src.dtype);
    out.i.resize(index.size());
    for (size_t k = 0; k < index.size(); ++k)
      out.i[k] = index[k] < 0 ? pad : src.i[static_cast<size_t>(index[k])];
  }
  return out;
}

int64_t dimProduct(const ir::Shape &shape, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t d = begin; d < end && d < shape.size(); ++d)
    n *= shape[d];
  return n;
}

} // namespace rnnpoolc::interp::detail
