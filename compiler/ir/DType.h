// Element types of IR tensors, and logical shapes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rnnpoolc::ir {

/// Element type. Floating point is float32 only: the targets have no double.
/// Integer and bool values are held as int64 by the float interpreter (TensorData) and
/// take their real width in the arena and in generated code.
enum class DType : uint8_t { Float32, Int64, Int32, Int16, Int8, UInt8, Bool };

std::string_view name(DType type);
/// Bytes one element occupies in target memory.
size_t sizeOf(DType type);
inline bool isFloat(DType type) { return type == DType::Float32; }

/// A logical shape (NCHW for images). Every dimension is >= 0 once inferred.
using Shape = std::vector<int64_t>;

/// Number of elements, or nullopt when a dimension is negative or the product overflows.
std::optional<int64_t> checkedNumel(const Shape &shape);
/// Number of elements of a shape already validated by checkedNumel.
int64_t numel(const Shape &shape);
/// "1x3x224x224"; "scalar" for rank 0.
std::string toString(const Shape &shape);

} // namespace rnnpoolc::ir
