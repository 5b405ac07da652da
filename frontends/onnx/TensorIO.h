// Reading and writing tensor files: ONNX TensorProto (.pb) and NumPy (.npy).
#pragma once

#include "compiler/ir/TensorData.h"
#include "compiler/support/Error.h"

#include <string>

namespace rnnpoolc::onnx_frontend {

/// Reads a tensor; the format is chosen by the extension (.pb or .npy). Supports float32,
/// float64 (converted to float32), int64, int32, int16, int8, uint8 and bool, little-endian,
/// C order. Errors name what is wrong without the file name, which the caller prefixes.
Expected<ir::TensorData> readTensorFile(const std::string &path);

/// Writes a tensor in the format its extension (.pb or .npy) names. `name` goes into the
/// TensorProto's name field.
Status writeTensorFile(const std::string &path, const ir::TensorData &tensor,
                       const std::string &name = "");

} // namespace rnnpoolc::onnx_frontend
