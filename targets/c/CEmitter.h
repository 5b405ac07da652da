// The C backend: a lowered model (a model, int8 or float, and its verified memory plan) -> model.h (API, sizes as
// #defines), model.c (the plan's buffers and steps, one function per layer with the ONNX
// node name above it), model_weights.c (const data, placed in flash), the runtime sources, a Make and a
// CMake fragment. The generated code has no malloc and no state besides the caller's arena.
#pragma once

#include "targets/Target.h"
#include "targets/c/ModelHeader.h" // modelHeader(), which the LLVM backend writes too

#include <string>
#include <vector>

namespace rnnpoolc::targets::c {

using targets::CodegenOptions;
using targets::GeneratedFile;

/// The C backend as a Target: prints a lowered model as the files above.
class CTarget : public Target {
public:
  std::string_view name() const override { return "c"; }
  /// The int8 global average pool has a rows form (rp_global_avgpool_rows_s8); the float
  /// kernels pool whole maps.
  bool accumulatesReductions(Precision precision) const override {
    return precision == Precision::Int8;
  }
  Expected<std::vector<GeneratedFile>> emit(const LoweredModel &lowered,
                                            const CodegenOptions &options) const override;
};

/// Generates every file of the output directory except the plan reports (lowers `model`
/// following `plan`, then CTarget::emit).
Expected<std::vector<GeneratedFile>> generateC(const quant::QuantizedModel &model,
                                               const plan::Plan &plan,
                                               const CodegenOptions &options);

/// Bytes of constant data (weights, tables) the generated code carries.
int64_t weightsBytes(const quant::QuantizedModel &model);

} // namespace rnnpoolc::targets::c
