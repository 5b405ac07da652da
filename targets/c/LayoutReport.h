// plan.txt and plan.json for an ArenaLayout: the stand-in reports written beside generated
// code until the memory planner's own report functions (compiler/plan) take over.
#pragma once

#include "targets/c/ArenaLayout.h"

#include <string>

namespace rnnpoolc::targets::c {

/// A table: step, node, op, output shape, arena offset and bytes; then the summary.
std::string layoutText(const quant::QuantizedModel &model, const ArenaLayout &layout);
/// The same as JSON, with a top-level "summary" holding peak_ram_bytes and weights_bytes.
std::string layoutJson(const quant::QuantizedModel &model, const ArenaLayout &layout);

} // namespace rnnpoolc::targets::c
