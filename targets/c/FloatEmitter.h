// The C backend's float build (rnnpoolc compile --float): a lowered float model and the
// verified memory plan of its float32 activations (compiler/plan, row bands, tiles and
// streamed input included) -> the same file set and model.h API as the int8 build, with the
// plan as tables for the float schedule walker, `const float` weights and the float runtime
// kernels (runtime/rnnpoolc_runtime_f32.h), so that one firmware harness runs either build.
#pragma once

#include "compiler/plan/Plan.h"
#include "targets/c/CEmitter.h"
#include "targets/FloatLowering.h"

#include <string>
#include <vector>

namespace rnnpoolc::targets::c {

/// Every file of the output directory except the plan reports, printed from the lowered
/// float build (targets::lower of a FloatModel; CTarget::emit calls it for float models).
Expected<std::vector<GeneratedFile>> floatFiles(const LoweredModel &lowered,
                                                const CodegenOptions &options);

/// Lowers `model` following `plan` (made by plan::makePlan of model.graph with float32
/// activations), then floatFiles. Errors name a node the plan runs on part of a tensor
/// whose float kernel needs whole tensors.
Expected<std::vector<GeneratedFile>> generateFloatC(const FloatModel &model,
                                                    const plan::Plan &plan,
                                                    const CodegenOptions &options);

} // namespace rnnpoolc::targets::c
