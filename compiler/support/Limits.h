// What rnnpoolc accepts, in one place (docs/cli.md, "Limits"). Each limit is checked
// before the work it bounds and reported in one line that names it, so that every
// command finishes in seconds on any input, or says why it will not.
#pragma once

#include <cstdint>

namespace rnnpoolc::limits {

/// Elements of any one tensor: a graph input, a constant or a value computed inside the
/// graph (2^24: 64 MiB as float32; a microcontroller model is far smaller).
constexpr int64_t kMaxTensorElements = int64_t{1} << 24;

/// Bytes of all the model's constants together, as the compiler holds them (float32 for
/// float weights, 8 bytes per integer), counting those made by constant folding.
constexpr int64_t kMaxConstantBytes = int64_t{1} << 28; // 256 MiB

/// Nodes of the imported graph, after model-local functions are inlined.
constexpr int64_t kMaxNodes = 100000;

/// Bytes of one name (of a node, tensor, graph input or output, function or its values):
/// exporters write tens; names are copied into every derived name, message and report, so
/// megabyte names cost gigabytes. Names that inlining composes ("call/inner") are shortened
/// to this length, keeping their end.
constexpr int64_t kMaxNameBytes = 1024;

/// Nodes of one RNNPool layer written out as standard ops (the flat and function
/// encodings) that the recogniser traces element by element; a larger candidate is left
/// as it is and reported as a near miss.
constexpr int64_t kMaxRNNPoolNodes = 20000;

/// Nodes the memory planner plans (the canonical graph, after fusions and identity
/// removal): `plan`, `compile`, `run --plan` and `run --board`.
constexpr int64_t kMaxPlannedNodes = 5000;

/// The memory planner's search effort: candidate plans evaluated times the square of the
/// graph's nodes (what placing one candidate's buffers costs), a few seconds. When it is
/// spent the search stops and keeps the best verified plan found so far: the result stays
/// deterministic, and small graphs never reach it.
constexpr int64_t kMaxPlanWork = 50000000;

} // namespace rnnpoolc::limits
