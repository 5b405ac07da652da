// Building the model's llvm::Module from the lowered model: constant globals for the
// arrays, params, buffers and steps, one function per layer, and the model.h API.
#pragma once

#include "targets/Lowered.h"

#include <llvm/IR/Module.h>

#include <memory>
#include <string>
#include <vector>

namespace rnnpoolc::targets::llvmgen {

/// The names of the model.h API functions a lowered model exports.
std::vector<std::string> apiFunctions(const LoweredModel &lowered);

/// The model's module, in `runtime`'s context and with its triple and data layout. Types
/// (params structs, rp_buffer, rp_step, ...) and the signatures of the kernels and helpers
/// it calls are taken from `runtime`, the runtime bitcode; a kernel or type missing there
/// is an error naming it.
Expected<std::unique_ptr<llvm::Module>> buildModelModule(const LoweredModel &lowered,
                                                         const llvm::Module &runtime);

} // namespace rnnpoolc::targets::llvmgen
