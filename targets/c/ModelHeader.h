// What every file the C backend prints shares, int8 or float32 build alike: the banner
// comment at its top, and model.h, the API that every backend's output has (the LLVM
// backend writes it beside model.o).
#pragma once

#include "targets/Lowered.h"
#include "targets/Target.h"

#include <string>

namespace rnnpoolc::targets::c {

/// The comment that opens a generated file: `what` the file is, then the tool, the
/// command, the model and the plan's arena.
std::string banner(const LoweredModel &lowered, const CodegenOptions &options,
                   const std::string &what);

/// model.h of a lowered model: arena and weight sizes, each input's and output's
/// elements and quantisation (scale 1 and zero point 0 in a float build), the input's
/// rows as the arena holds them, and the functions of the API.
std::string modelHeader(const LoweredModel &lowered, const CodegenOptions &options);

/// model.c's model_input() (unless the input is streamed), model_output(),
/// model_input_elems() and model_output_bytes(): switches over the indices.
std::string accessorFunctions(const LoweredModel &lowered);

} // namespace rnnpoolc::targets::c
