// Loading an ONNX model: read, parse, opset check, external data, structural checks and
// the ONNX checker. What comes out is a model the importer can translate without
// re-checking its structure.
#pragma once

#include "compiler/support/Error.h"

#include <onnx/onnx_pb.h>

#include <memory>
#include <set>
#include <string>

namespace rnnpoolc::onnx_frontend {

struct LoadedModel {
  onnx::ModelProto model;
  /// The version of the default ("" / "ai.onnx") domain opset.
  int64_t opset = 0;
  /// Graph inputs that declared no shape (the checker needs one, so it gets an empty one).
  std::set<std::string> shapelessInputs;
};

/// The whole file as bytes, or "cannot read file: <reason>".
Expected<std::string> readFileBytes(const std::string &path);

/// Parses and checks a serialized model. `baseDir` is where external data may be read
/// from ("" forbids external data).
Expected<std::unique_ptr<LoadedModel>> loadModel(const std::string &bytes,
                                                 const std::string &baseDir);

} // namespace rnnpoolc::onnx_frontend
