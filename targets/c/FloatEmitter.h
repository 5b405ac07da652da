// The C backend's float build (rnnpoolc compile --float): a lowered float model and the
// verified memory plan of its float32 activations (compiler/plan, row bands, tiles and
// streamed input included) -> the same file set and model.h API as the int8 build, with the
// plan as tables for the float schedule walker, `const float` weights and the float runtime
// kernels (runtime/rnnpoolc_runtime_f32.h), so that one firmware harness runs either build.
#pragma once

#include "compiler/plan/Plan.h"
#include "targets/c/CEmitter.h"
#include "targets/c/FloatLowering.h"

#include <string>
#include <vector>

namespace rnnpoolc::targets::c {

/// Generates every file of the output directory except the plan reports, following `plan`
/// (made by plan::makePlan of model.graph with float32 activations). Errors name a node the
/// plan runs on part of a tensor whose float kernel needs whole tensors.
Expected<std::vector<GeneratedFile>> generateFloatC(const FloatModel &model,
                                                    const plan::Plan &plan,
                                                    const CodegenOptions &options);

/// Bytes of constant data (weights, biases, FastGRNN matrices) the float build carries.
int64_t floatWeightsBytes(const FloatModel &model);

} // namespace rnnpoolc::targets::c
