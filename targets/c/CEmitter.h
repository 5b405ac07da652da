// The C backend: a quantised model and its verified memory plan -> model.h (API, sizes as
// #defines), model.c (the plan's buffers and steps, one function per layer with the ONNX
// node name above it), model_weights.c (const data, placed in flash), the runtime sources, a Make and a
// CMake fragment. The generated code has no malloc and no state besides the caller's arena.
#pragma once

#include "compiler/quant/Quantize.h"
#include "compiler/plan/Plan.h"

#include <string>
#include <vector>

namespace rnnpoolc::targets::c {

struct CodegenOptions {
  std::string target = "cortex-m4"; ///< "cortex-m4" or "host" (recorded in the banner)
  std::string command;              ///< The rnnpoolc command line, for the banner.
  std::string modelPath;
  std::string modelHash;            ///< Hex digest of the model file.
};

struct GeneratedFile {
  std::string name; ///< Relative to the output directory.
  std::string text;
};

/// Generates every file of the output directory except the plan reports.
Expected<std::vector<GeneratedFile>> generateC(const quant::QuantizedModel &model,
                                               const plan::Plan &plan,
                                               const CodegenOptions &options);

/// Bytes of constant data (weights, tables) the generated code carries.
int64_t weightsBytes(const quant::QuantizedModel &model);

} // namespace rnnpoolc::targets::c
