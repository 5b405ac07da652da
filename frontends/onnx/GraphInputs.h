// Graph inputs: declared shapes, symbolic dims and --input-shape overrides.
#pragma once

#include "frontends/onnx/Importer.h"
#include "frontends/onnx/ModelLoader.h"
#include "frontends/onnx/NodeContext.h"

namespace rnnpoolc::onnx_frontend {

/// Adds a tensor with a fully known shape for every graph input that is not also an
/// initializer (an input with an initializer is a constant with a default value), in the
/// model's order. A symbolic or unknown batch dim (index 0 of rank >= 2) becomes 1 with a
/// note; any other symbolic dim needs an override in `options`. Overrides must name a
/// runtime input and match its rank. Float inputs need positive dims; integer and bool
/// inputs (axes, indices) may have zero dims.
Status importGraphInputs(ImportState &state, const LoadedModel &model,
                         const ImportOptions &options);

} // namespace rnnpoolc::onnx_frontend
