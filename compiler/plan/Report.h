// Plan reports: a table in the spirit of STM32Cube.AI's analyze report, the full plan as
// JSON (docs/plan-json.md; code generators consume it), an SVG picture of the arena over
// time with a per-op chart beside it, and one self-contained HTML page with all of these.
// Every "times less" is the layer-by-layer peak over the arena, the bytes the firmware
// allocates; the live peak is printed as a figure of its own.
#pragma once

#include "compiler/plan/Plan.h"

#include <string>

namespace rnnpoolc::plan {

/// One line per step (op, output shape, region, MACs, live bytes, arena offset and size;
/// the peak step marked), then planSummaryText.
std::string planText(const ir::Graph &graph, const Plan &plan);

/// The summary alone: arena, live peak, weights, MACs, regions, the layer-by-layer
/// baseline and the ratio. Its first line starts with "arena".
std::string planSummaryText(const ir::Graph &graph, const Plan &plan);

/// The whole plan as one JSON document with a top-level "summary" object.
std::string planJson(const ir::Graph &graph, const Plan &plan);

/// The picture, for a person: on the left the arena over time (x = step, with op names
/// where they fit; y = address from 0 to the arena, in KiB), one rectangle per buffer
/// coloured by the kind of op that produced it (a legend names them), the input frame,
/// rings and scratch told apart by pattern, the live-peak step marked, hover titles per
/// buffer; on the right the arena, live peak and layer-by-layer peak as three bars, and
/// one row per op: the most bytes live while it runs against layer-by-layer. `title`
/// (e.g. the model file) heads it. The root element carries the figures as data-*
/// attributes for tests.
std::string planSvg(const ir::Graph &graph, const Plan &plan, const std::string &title = "");

/// One HTML page that needs nothing else (no network): the summary, the picture, the
/// per-op table and the step table.
std::string planHtml(const ir::Graph &graph, const Plan &plan, const std::string &title);

} // namespace rnnpoolc::plan
