// Conversions between ONNX element types / TensorProtos and IR dtypes / TensorData.
#pragma once

#include "compiler/ir/TensorData.h"
#include "compiler/support/Error.h"

#include <onnx/onnx_pb.h>

#include <optional>
#include <set>
#include <string>

namespace rnnpoolc::onnx_frontend {

/// How an ONNX element type is held in the IR.
struct TypeMapping {
  ir::DType dtype;
  /// A note to give the user when values of this type are converted (float64 and float16
  /// become float32), or nullptr when the mapping is exact.
  const char *note = nullptr;
};

/// The IR dtype for an ONNX TensorProto.DataType value, or nullopt for types rnnpoolc does
/// not support (string, complex, uint64, bfloat16, undefined, ...).
std::optional<TypeMapping> mapOnnxType(int32_t onnxType);

/// The ONNX name of a TensorProto.DataType value ("FLOAT", "STRING", "type 42" if unknown).
std::string onnxTypeName(int32_t onnxType);

/// The ONNX type that holds an IR dtype exactly.
onnx::TensorProto_DataType onnxTypeOf(ir::DType dtype);

/// Converts a TensorProto with inline data (raw_data or the typed repeated fields) into a
/// TensorData, checking that the dims are non-negative, that their product does not
/// overflow, and that the data holds exactly that many elements. Error messages start with
/// `what` (e.g. "initializer 'W'"). Notes about converted types go into `notes`.
Expected<ir::TensorData> tensorFromProto(const onnx::TensorProto &proto, const std::string &what,
                                         std::set<std::string> &notes);

/// Checks that a TensorProto's dims are non-negative and that their element count (and
/// byte size) does not overflow; returns the element count.
Expected<int64_t> checkDims(const onnx::TensorProto &proto, const std::string &what);

/// Fills `proto` (dims, data_type, raw_data little-endian, name) from a tensor.
void tensorToProto(const ir::TensorData &tensor, const std::string &name,
                   onnx::TensorProto &proto);

/// Little-endian element decoding shared with the .npy reader. `bytes` holds exactly
/// `count` elements of the given ONNX type, which mapOnnxType accepts.
ir::TensorData decodeLittleEndian(int32_t onnxType, const ir::Shape &shape, const char *bytes,
                                  size_t count);

/// Bytes one element of a supported ONNX type occupies in raw_data (0 for others).
size_t onnxElementSize(int32_t onnxType);

/// IEEE half-precision bits to float.
float halfToFloat(uint16_t bits);

} // namespace rnnpoolc::onnx_frontend
