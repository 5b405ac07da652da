// Dense host-side tensor values: constants in the IR and values in the float interpreter.
#pragma once

#include "compiler/ir/DType.h"

#include <span>
#include <vector>

namespace rnnpoolc::ir {

/// A dense, row-major tensor value. Float32 elements live in `f`; every integer and bool
/// type lives in `i` as int64 (bool as 0/1; narrower types hold in-range values). Exactly
/// one of the two vectors is used, chosen by isFloat(dtype), and its size is numel(shape).
struct TensorData {
  DType dtype = DType::Float32;
  Shape shape;
  std::vector<float> f;
  std::vector<int64_t> i;

  static TensorData zeros(DType dtype, Shape shape);
  static TensorData fromFloats(Shape shape, std::vector<float> values);
  static TensorData fromInts(DType dtype, Shape shape, std::vector<int64_t> values);
  static TensorData scalarInt(int64_t value, DType dtype = DType::Int64);

  int64_t numel() const { return static_cast<int64_t>(isFloat(dtype) ? f.size() : i.size()); }
  /// Element k converted to double, whatever the storage.
  double get(int64_t k) const { return isFloat(dtype) ? f[k] : static_cast<double>(i[k]); }
  /// Element k converted to int64 (floats truncate toward zero).
  int64_t getInt(int64_t k) const { return isFloat(dtype) ? static_cast<int64_t>(f[k]) : i[k]; }
  /// All elements as int64: the usual form of shape, axis and index operands.
  std::vector<int64_t> toInts() const;
  /// Bytes this value occupies in target memory.
  size_t bytes() const { return static_cast<size_t>(numel()) * sizeOf(dtype); }
};

/// Row-major strides of a shape, in elements.
std::vector<int64_t> stridesOf(const Shape &shape);

/// Wraps an int64 into the range of an integer dtype, as a C cast does.
int64_t wrapToType(int64_t value, DType dtype);

} // namespace rnnpoolc::ir
