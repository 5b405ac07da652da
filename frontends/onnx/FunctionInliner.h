// Inlining of model-local ONNX functions (FunctionProto in ModelProto.functions), such as
// the ones `torch.onnx.export(..., export_modules_as_functions=...)` writes. After it, the
// graph holds only standard-domain and rnnpoolc nodes, and the RNNPool recogniser sees a
// function-encoded layer as it sees a flat one.
#pragma once

#include "compiler/support/Error.h"

#include <onnx/onnx_pb.h>

#include <map>
#include <string>

namespace rnnpoolc::onnx_frontend {

/// Replaces every call of a model-local function in the main graph by the function's
/// body, recursively (bounded depth). Inner values and nodes get fresh names
/// "CALL/inner"; attribute references (ref_attr_name) take the call's attribute values.
/// `inlinedFrom` receives, for each inlined node name, the name of the outermost call.
/// Errors name the call node: a function whose default-domain opset differs from the
/// model's, too deep nesting, or a reference to an attribute the call does not set.
Status inlineFunctions(onnx::ModelProto &model, std::map<std::string, std::string> &inlinedFrom);

} // namespace rnnpoolc::onnx_frontend
