// Plan reports: a table in the spirit of STM32Cube.AI's analyze report, the full plan as
// JSON (docs/plan-json.md; code generators consume it), and an SVG memory timeline.
#pragma once

#include "compiler/plan/Plan.h"

#include <string>

namespace rnnpoolc::plan {

/// One line per step (op, output shape, region, MACs, live bytes, arena offset and size;
/// the peak step marked), then the summary with the baseline and the ratio.
std::string planText(const ir::Graph &graph, const Plan &plan);

/// The whole plan as one JSON document with a top-level "summary" object.
std::string planJson(const ir::Graph &graph, const Plan &plan);

/// The memory timeline: x = step, y = arena address, one rectangle per buffer, the peak
/// step marked and the baseline peak drawn as a line.
std::string planSvg(const ir::Graph &graph, const Plan &plan);

} // namespace rnnpoolc::plan
