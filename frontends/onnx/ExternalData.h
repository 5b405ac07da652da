// Reading initializer data that a model keeps in files beside it (data_location EXTERNAL).
#pragma once

#include "compiler/support/Error.h"

#include <onnx/onnx_pb.h>

#include <string>

namespace rnnpoolc::onnx_frontend {

/// Replaces the external data of every graph initializer with inline raw_data read from
/// `baseDir`, honouring the offset and length keys. A location that is absolute, contains
/// a '..' component, or resolves (through symlinks) outside `baseDir` is refused, as is an
/// offset or length beyond the end of the file. An empty `baseDir` forbids external data.
Status loadExternalData(onnx::GraphProto &graph, const std::string &baseDir);

} // namespace rnnpoolc::onnx_frontend
