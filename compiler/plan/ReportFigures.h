// Internal to compiler/plan: the figures every plan report shows (text, JSON, SVG, HTML),
// computed once from the plan so that all four print the same numbers, and the small
// formatting helpers they share.
#pragma once

#include "compiler/plan/Plan.h"

#include <string>
#include <string_view>
#include <vector>

namespace rnnpoolc::plan::report {

/// One node of the plan against layer-by-layer execution.
struct OpFigure {
  size_t node = 0;
  std::string kind; ///< opKind(): what the legend and the x axis call it.
  int firstStep = 0, lastStep = 0;
  int64_t planBytes = 0;     ///< The most bytes live at a step that computes this node.
  int64_t baselineBytes = 0; ///< Bytes live at its step of the layer-by-layer plan.
  int64_t macs = 0;          ///< Over all its steps (tile halos included).
};

struct Figures {
  std::vector<int64_t>
      live; ///< Bytes reserved at each step (reservedBytes; the text's "live").
  std::vector<OpFigure> ops; ///< Every computed node, in order of its first step.
  /// Plan::baseline.peakBytes over the arena: how many times less RAM the firmware
  /// allocates than layer-by-layer execution needs at its peak.
  double ratio = 0;
};

/// The live figures, the per-node comparison with the layer-by-layer plan (rebuilt here the
/// way the planner builds its baseline: topological order, no in-place) and the ratio.
Figures computeFigures(const ir::Graph &graph, const Plan &plan);

/// The baseline over the arena (0 for an empty arena).
double arenaRatio(const Plan &plan);

/// What a node is, for people: its op name, "DepthwiseConv" for a Conv with one group per
/// input channel.
std::string opKind(const ir::Graph &graph, const ir::Node &node);
/// The kind of what a buffer holds: "input" for a model input, else its producer's kind.
/// `producers` is graph.producers().
std::string bufferKind(const ir::Graph &graph, const Buffer &buffer,
                       const std::vector<int> &producers);

/// "whole", or "rR0-R1 cC0-C1" (inclusive) for part of the tensor.
std::string regionText(const ir::Region &region, const ir::Tensor &tensor);
/// The op of a step: its node's, "+expand" after a conv that computes its expansion too,
/// "<input>" for a streamed input's rows.
std::string stepOp(const ir::Graph &graph, const Step &step);
std::string stepName(const ir::Graph &graph, const Step &step);

/// 225792 -> "225,792".
std::string grouped(int64_t value);
/// 225792 -> "220.5 KiB".
std::string kib(int64_t bytes);
/// Text made safe for XML and HTML content and attribute values.
std::string escapeXml(std::string_view text);

} // namespace rnnpoolc::plan::report
