// The NumPy .npy format (versions 1.0 and 2.0), for tensor files given on the command line.
#pragma once

#include "compiler/ir/TensorData.h"
#include "compiler/support/Error.h"

#include <string>

namespace rnnpoolc::onnx_frontend {

/// Decodes a .npy file's bytes. Accepted dtypes: '<f4', '<f8' (converted to float32),
/// '<i8', '<i4', '<i2', '|i1', '|u1', '|b1'; C order only. The header and the data size
/// are validated; errors say what is wrong without the file name.
Expected<ir::TensorData> parseNpy(const std::string &bytes);

/// Encodes a tensor as a version 1.0 .npy file: float32 as '<f4', integers by dtype, bool
/// as '|b1'.
std::string formatNpy(const ir::TensorData &tensor);

} // namespace rnnpoolc::onnx_frontend
