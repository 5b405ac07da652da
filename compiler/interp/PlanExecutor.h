// Runs a plan step by step in the float interpreter, with every activation stored in an
// arena exactly where the plan puts it. The oracle that a plan's regions, rings and
// offsets compute the same bytes as whole-tensor execution; `rnnpoolc run --plan` uses it.
#pragma once

#include "compiler/plan/Plan.h"

namespace rnnpoolc::interp {

/// Executes `plan` (made with float activations) on `inputs` (in graph input order) and
/// returns the graph outputs.
Expected<std::vector<ir::TensorData>> executePlan(const ir::Graph &graph, const plan::Plan &plan,
                                                  const std::vector<ir::TensorData> &inputs);

} // namespace rnnpoolc::interp
