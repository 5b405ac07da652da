// The C backend's float build (rnnpoolc compile --float): a lowered float model and its
// arena layout -> the same file set and model.h API as the int8 build (generateC), with
// float32 activations in the arena, `const float` weights and the float runtime kernels
// (runtime/rnnpoolc_runtime_f32.h), so that one firmware harness runs either build.
#pragma once

#include "targets/c/ArenaLayout.h"
#include "targets/c/CEmitter.h"
#include "targets/c/FloatLowering.h"

#include <string>
#include <vector>

namespace rnnpoolc::targets::c {

/// Layer-by-layer placement of the float model's whole tensors (4 bytes an element).
ArenaLayout floatLayout(const FloatModel &model);

/// Generates every file of the output directory except the plan reports.
Expected<std::vector<GeneratedFile>> generateFloatC(const FloatModel &model,
                                                    const ArenaLayout &layout,
                                                    const CodegenOptions &options);

/// Bytes of constant data (weights, biases, FastGRNN matrices) the float build carries.
int64_t floatWeightsBytes(const FloatModel &model);

} // namespace rnnpoolc::targets::c
