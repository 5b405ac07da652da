// model.c's schedule: the lowered model's tables printed as C. The plan's buffers become
// the table of arena offsets and extents, its steps the table that the runtime's walker
// (rp_schedule_run, runtime/rp_schedule.h) goes through, and each layer one static
// function that calls its kernel on the region a step names (a row band, a tile, or the
// whole output), reading and writing the plan's buffers.
#pragma once

#include "targets/Lowered.h"

#include <string>

namespace rnnpoolc::targets::c {

/// The C of model.c from the buffer table to the end of model_run(); layer n's params are
/// named by lowered.layers[n].name and its arrays by arraySymbol("model_" + name, field).
std::string scheduleSource(const LoweredModel &lowered);

/// `static const model_buffer model_buffers[N] = {...};`: the lowered model's buffers, one
/// initialiser a line with its kind, tensor and bytes in a comment (either precision:
/// model_buffer is rp_buffer or rp_buffer_f32).
std::string bufferTable(const LoweredModel &lowered);
/// `#define MODEL_NUM_STEPS N` and `static const model_step model_steps[N] = {...};`.
std::string stepTable(const LoweredModel &lowered);

} // namespace rnnpoolc::targets::c
