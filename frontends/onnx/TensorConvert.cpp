// ONNX element types and TensorProto contents to IR dtypes and TensorData, and back.
// Tensor files come from untrusted sources, so every count is checked before allocating.
#include "frontends/onnx/TensorConvert.h"
#include "compiler/support/Limits.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace rnnpoolc::onnx_frontend {

static_assert(std::endian::native == std::endian::little,
              "raw_data decoding assumes a little-endian host");

using onnx::TensorProto;

std::optional<TypeMapping> mapOnnxType(int32_t onnxType) {
  switch (onnxType) {
  case TensorProto::FLOAT: return TypeMapping{ir::DType::Float32};
  case TensorProto::DOUBLE: return TypeMapping{ir::DType::Float32, "float64 tensors computed in float32"};
  case TensorProto::FLOAT16: return TypeMapping{ir::DType::Float32, "float16 tensors computed in float32"};
  case TensorProto::INT64: return TypeMapping{ir::DType::Int64};
  case TensorProto::INT32: return TypeMapping{ir::DType::Int32};
  case TensorProto::INT16: return TypeMapping{ir::DType::Int16};
  case TensorProto::INT8: return TypeMapping{ir::DType::Int8};
  case TensorProto::UINT8: return TypeMapping{ir::DType::UInt8};
  case TensorProto::BOOL: return TypeMapping{ir::DType::Bool};
  // Every uint16 and uint32 value fits in int64.
  case TensorProto::UINT16: return TypeMapping{ir::DType::Int64};
  case TensorProto::UINT32: return TypeMapping{ir::DType::Int64};
  default: return std::nullopt;
  }
}

std::string onnxTypeName(int32_t onnxType) {
  if (onnx::TensorProto_DataType_IsValid(onnxType))
    return onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(onnxType));
  return fmt::format("type {}", onnxType);
}

onnx::TensorProto_DataType onnxTypeOf(ir::DType dtype) {
  switch (dtype) {
  case ir::DType::Float32: return TensorProto::FLOAT;
  case ir::DType::Int64: return TensorProto::INT64;
  case ir::DType::Int32: return TensorProto::INT32;
  case ir::DType::Int16: return TensorProto::INT16;
  case ir::DType::Int8: return TensorProto::INT8;
  case ir::DType::UInt8: return TensorProto::UINT8;
  case ir::DType::Bool: return TensorProto::BOOL;
  }
  return TensorProto::UNDEFINED;
}

size_t onnxElementSize(int32_t onnxType) {
  switch (onnxType) {
  case TensorProto::DOUBLE:
  case TensorProto::INT64: return 8;
  case TensorProto::FLOAT:
  case TensorProto::INT32:
  case TensorProto::UINT32: return 4;
  case TensorProto::FLOAT16:
  case TensorProto::INT16:
  case TensorProto::UINT16: return 2;
  case TensorProto::INT8:
  case TensorProto::UINT8:
  case TensorProto::BOOL: return 1;
  default: return 0;
  }
}

float halfToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits >> 15) << 31;
  int exponent = (bits >> 10) & 0x1f;
  uint32_t mantissa = bits & 0x3ffu;
  float magnitude;
  if (exponent == 0)
    magnitude = std::ldexp(static_cast<float>(mantissa), -24); // zero or subnormal
  else if (exponent == 31)
    magnitude = mantissa ? std::numeric_limits<float>::quiet_NaN()
                         : std::numeric_limits<float>::infinity();
  else
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400u), exponent - 25);
  return sign ? -magnitude : magnitude;
}

namespace {

template <typename T> T load(const char *p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

} // namespace

ir::TensorData decodeLittleEndian(int32_t onnxType, const ir::Shape &shape, const char *bytes,
                                  size_t count) {
  ir::TensorData t;
  t.dtype = mapOnnxType(onnxType)->dtype;
  t.shape = shape;
  size_t size = onnxElementSize(onnxType);
  if (ir::isFloat(t.dtype)) {
    t.f.resize(count);
    for (size_t k = 0; k < count; ++k) {
      const char *p = bytes + k * size;
      switch (onnxType) {
      case TensorProto::DOUBLE: t.f[k] = static_cast<float>(load<double>(p)); break;
      case TensorProto::FLOAT16: t.f[k] = halfToFloat(load<uint16_t>(p)); break;
      default: t.f[k] = load<float>(p); break;
      }
    }
    return t;
  }
  t.i.resize(count);
  for (size_t k = 0; k < count; ++k) {
    const char *p = bytes + k * size;
    int64_t v = 0;
    switch (onnxType) {
    case TensorProto::INT64: v = load<int64_t>(p); break;
    case TensorProto::INT32: v = load<int32_t>(p); break;
    case TensorProto::UINT32: v = load<uint32_t>(p); break;
    case TensorProto::INT16: v = load<int16_t>(p); break;
    case TensorProto::UINT16: v = load<uint16_t>(p); break;
    case TensorProto::INT8: v = load<int8_t>(p); break;
    default: v = load<uint8_t>(p); break; // UINT8, BOOL
    }
    t.i[k] = ir::wrapToType(v, t.dtype);
  }
  return t;
}

namespace {

/// Number of values the typed field that holds `onnxType` contains.
int64_t typedFieldSize(const TensorProto &p, int32_t onnxType) {
  switch (onnxType) {
  case TensorProto::FLOAT: return p.float_data_size();
  case TensorProto::DOUBLE: return p.double_data_size();
  case TensorProto::INT64: return p.int64_data_size();
  case TensorProto::UINT32: return p.uint64_data_size();
  default: return p.int32_data_size(); // INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16
  }
}

const char *typedFieldName(int32_t onnxType) {
  switch (onnxType) {
  case TensorProto::FLOAT: return "float_data";
  case TensorProto::DOUBLE: return "double_data";
  case TensorProto::INT64: return "int64_data";
  case TensorProto::UINT32: return "uint64_data";
  default: return "int32_data";
  }
}

ir::TensorData decodeTypedField(const TensorProto &p, int32_t onnxType, ir::Shape shape,
                                size_t count) {
  ir::TensorData t;
  t.dtype = mapOnnxType(onnxType)->dtype;
  t.shape = std::move(shape);
  int n = static_cast<int>(count);
  if (ir::isFloat(t.dtype)) {
    t.f.resize(count);
    for (int k = 0; k < n; ++k) {
      if (onnxType == TensorProto::FLOAT)
        t.f[k] = p.float_data(k);
      else if (onnxType == TensorProto::DOUBLE)
        t.f[k] = static_cast<float>(p.double_data(k));
      else // FLOAT16 bits in the low half of int32_data
        t.f[k] = halfToFloat(static_cast<uint16_t>(p.int32_data(k)));
    }
    return t;
  }
  t.i.resize(count);
  for (int k = 0; k < n; ++k) {
    int64_t v;
    if (onnxType == TensorProto::INT64)
      v = p.int64_data(k);
    else if (onnxType == TensorProto::UINT32)
      v = static_cast<int64_t>(p.uint64_data(k) & 0xffffffffu);
    else if (onnxType == TensorProto::UINT16)
      v = p.int32_data(k) & 0xffff;
    else
      v = p.int32_data(k);
    t.i[k] = ir::wrapToType(v, t.dtype);
  }
  return t;
}

} // namespace

Expected<int64_t> checkDims(const TensorProto &proto, const std::string &what) {
  ir::Shape shape(proto.dims().begin(), proto.dims().end());
  for (size_t d = 0; d < shape.size(); ++d)
    if (shape[d] < 0)
      return makeError("{} has negative dim {} at index {}; the file is corrupt", what,
                       shape[d], d);
  auto count = ir::checkedNumel(shape);
  auto elementSize = static_cast<int64_t>(std::max<size_t>(onnxElementSize(proto.data_type()), 1));
  if (!count || *count > std::numeric_limits<int64_t>::max() / elementSize)
    return makeError("{} has dims {} whose element count overflows; the file is corrupt", what,
                     fmt::join(shape, "x"));
  if (*count > limits::kMaxTensorElements)
    return makeError("{} has {} elements ({}); the limit is {} elements per tensor "
                     "(docs/cli.md, Limits)",
                     what, *count, fmt::join(shape, "x"), limits::kMaxTensorElements);
  return *count;
}

Expected<ir::TensorData> tensorFromProto(const TensorProto &proto, const std::string &what,
                                         std::set<std::string> &notes) {
  int32_t type = proto.data_type();
  auto mapped = mapOnnxType(type);
  if (!mapped)
    return makeError("{} has element type {}, which rnnpoolc does not support; use float32 or "
                     "an integer type",
                     what, onnxTypeName(type));
  if (proto.data_location() == TensorProto::EXTERNAL)
    return makeError("{} keeps its data in an external file, which rnnpoolc reads only for "
                     "graph initializers",
                     what);
  if (proto.has_segment())
    return makeError("{} is a segmented tensor, which rnnpoolc does not support", what);

  auto count = checkDims(proto, what);
  if (!count)
    return count.error();
  ir::Shape shape(proto.dims().begin(), proto.dims().end());
  size_t elementSize = onnxElementSize(type);

  ir::TensorData data;
  if (proto.has_raw_data()) {
    const std::string &raw = proto.raw_data();
    auto need = static_cast<uint64_t>(*count) * elementSize;
    if (raw.size() != need)
      return makeError("{} has {} bytes of raw_data, but its shape {} of {} needs {}; the file "
                       "is corrupt or truncated",
                       what, raw.size(), ir::toString(shape), onnxTypeName(type), need);
    data = decodeLittleEndian(type, shape, raw.data(), static_cast<size_t>(*count));
  } else {
    int64_t have = typedFieldSize(proto, type);
    if (have != *count)
      return makeError("{} holds {} values in {}, but its shape {} needs {}; the file is "
                       "corrupt or truncated",
                       what, have, typedFieldName(type), ir::toString(shape), *count);
    data = decodeTypedField(proto, type, shape, static_cast<size_t>(*count));
  }
  if (mapped->note)
    notes.insert(mapped->note);
  return data;
}

void tensorToProto(const ir::TensorData &tensor, const std::string &name, TensorProto &proto) {
  proto.Clear();
  proto.set_name(name);
  for (int64_t d : tensor.shape)
    proto.add_dims(d);
  proto.set_data_type(onnxTypeOf(tensor.dtype));
  std::string raw;
  size_t size = ir::sizeOf(tensor.dtype);
  raw.resize(static_cast<size_t>(tensor.numel()) * size);
  for (int64_t k = 0; k < tensor.numel(); ++k) {
    char *p = raw.data() + static_cast<size_t>(k) * size;
    if (ir::isFloat(tensor.dtype)) {
      std::memcpy(p, &tensor.f[static_cast<size_t>(k)], 4);
      continue;
    }
    int64_t v = tensor.i[static_cast<size_t>(k)];
    switch (tensor.dtype) {
    case ir::DType::Int64: std::memcpy(p, &v, 8); break;
    case ir::DType::Int32: { auto x = static_cast<int32_t>(v); std::memcpy(p, &x, 4); break; }
    case ir::DType::Int16: { auto x = static_cast<int16_t>(v); std::memcpy(p, &x, 2); break; }
    default: *p = static_cast<char>(static_cast<uint8_t>(v)); break;
    }
  }
  proto.set_raw_data(std::move(raw));
}

} // namespace rnnpoolc::onnx_frontend
