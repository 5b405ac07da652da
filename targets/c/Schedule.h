// model.c's schedule: a verified memory plan (compiler/plan) turned into C. The plan's
// buffers become a table of arena offsets and extents, its steps a table that model_run()
// walks, and each layer one static function that runs its kernel on the region a step names
// (a row band, a tile, or the whole output), reading and writing the plan's buffers.
#pragma once

#include "compiler/plan/Plan.h"
#include "compiler/quant/Quantize.h"

#include <string>
#include <vector>

namespace rnnpoolc::targets::c {

/// Where the caller finds the model's inputs and outputs in the arena.
struct ModelBuffers {
  std::vector<int64_t> inputOffset;  ///< Per graph input; -1 when streamed.
  std::vector<int64_t> outputOffset; ///< Per graph output.
};

/// The arena offsets of the inputs (written before model_run unless streamed) and outputs
/// (complete after the last step) of `plan`, or an error if the plan does not hold one
/// whole.
Expected<ModelBuffers> modelBuffers(const quant::QuantizedModel &model, const plan::Plan &plan);

/// The C of model.c from the buffer table to the end of model_run(). `layerNames[n]` is
/// the C name of node n's params ("s3_conv2_Conv"). Errors name the node a kernel cannot
/// run as the plan asks (e.g. a whole-tensor kernel given a partial region).
Expected<std::string> scheduleSource(const quant::QuantizedModel &model, const plan::Plan &plan,
                                     const std::vector<std::string> &layerNames);

} // namespace rnnpoolc::targets::c
