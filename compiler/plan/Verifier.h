// The plan verifier: an independent check, sharing nothing with the planner but the plan
// data structure and the IR's receptive fields, that replays a plan and proves it safe.
#pragma once

#include "compiler/plan/Plan.h"

namespace rnnpoolc::plan {

/// Replays `plan` on `graph` and checks that
///   - every buffer has the size its tensor, region or ring implies, and lies in the arena;
///   - no two buffers live at the same time share a byte (except an in-place handoff,
///     where a buffer takes over one that dies at the step that writes it);
///   - every element a step reads (the region ir::inputRegion says it needs) was written
///     earlier in the inference and not overwritten since (rings checked slot by slot);
///   - every element of every model output is produced;
///   - the arena size and the peak are the true maxima, and every step's MACs and the
///     total are what the plan claims.
/// The error names the first violation found.
Status verifyPlan(const ir::Graph &graph, const Plan &plan);

} // namespace rnnpoolc::plan
