// Element types and shape helpers.
#include "compiler/ir/DType.h"

#include <cassert>
#include <limits>

namespace rnnpoolc::ir {

std::string_view name(DType type) {
  switch (type) {
  case DType::Float32: return "float32";
  case DType::Int64: return "int64";
  case DType::Int32: return "int32";
  case DType::Int16: return "int16";
  case DType::Int8: return "int8";
  case DType::UInt8: return "uint8";
  case DType::Bool: return "bool";
  }
  return "?";
}

size_t sizeOf(DType type) {
  switch (type) {
  case DType::Float32: return 4;
  case DType::Int64: return 8;
  case DType::Int32: return 4;
  case DType::Int16: return 2;
  case DType::Int8:
  case DType::UInt8:
  case DType::Bool: return 1;
  }
  return 0;
}

std::optional<int64_t> checkedNumel(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      return std::nullopt;
    n *= d;
  }
  return n;
}

int64_t numel(const Shape &shape) {
  auto n = checkedNumel(shape);
  assert(n && "numel of an unvalidated shape");
  return n ? *n : 0;
}

std::string toString(const Shape &shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += 'x';
    s += std::to_string(shape[i]);
  }
  return s;
}

} // namespace rnnpoolc::ir
