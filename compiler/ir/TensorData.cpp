// Dense host-side tensor values.
#include "compiler/ir/TensorData.h"

#include <cassert>

namespace rnnpoolc::ir {

TensorData TensorData::zeros(DType dtype, Shape shape) {
  TensorData t;
  t.dtype = dtype;
  size_t n = static_cast<size_t>(ir::numel(shape));
  t.shape = std::move(shape);
  if (isFloat(dtype))
    t.f.assign(n, 0.0f);
  else
    t.i.assign(n, 0);
  return t;
}

TensorData TensorData::fromFloats(Shape shape, std::vector<float> values) {
  assert(static_cast<int64_t>(values.size()) == ir::numel(shape));
  TensorData t;
  t.dtype = DType::Float32;
  t.shape = std::move(shape);
  t.f = std::move(values);
  return t;
}

TensorData TensorData::fromInts(DType dtype, Shape shape, std::vector<int64_t> values) {
  assert(!isFloat(dtype));
  assert(static_cast<int64_t>(values.size()) == ir::numel(shape));
  TensorData t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.i = std::move(values);
  return t;
}

TensorData TensorData::scalarInt(int64_t value, DType dtype) {
  return fromInts(dtype, {}, {value});
}

std::vector<int64_t> TensorData::toInts() const {
  if (!isFloat(dtype))
    return i;
  std::vector<int64_t> out(f.size());
  for (size_t k = 0; k < f.size(); ++k)
    out[k] = static_cast<int64_t>(f[k]);
  return out;
}

std::vector<int64_t> stridesOf(const Shape &shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;)
    strides[d - 1] = strides[d] * shape[d];
  return strides;
}

int64_t wrapToType(int64_t value, DType dtype) {
  switch (dtype) {
  case DType::Int32: return static_cast<int32_t>(value);
  case DType::Int16: return static_cast<int16_t>(value);
  case DType::Int8: return static_cast<int8_t>(value);
  case DType::UInt8: return static_cast<uint8_t>(value);
  case DType::Bool: return value != 0;
  case DType::Int64:
  case DType::Float32: return value;
  }
  return value;
}

} // namespace rnnpoolc::ir
