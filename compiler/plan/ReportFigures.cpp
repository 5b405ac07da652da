// The figures shared by the plan reports, and their formatting helpers.
#include "compiler/plan/ReportFigures.h"

#include "compiler/plan/Builder.h"

#include <fmt/format.h>

#include <algorithm>

namespace rnnpoolc::plan::report {

double arenaRatio(const Plan &plan) {
  return plan.summary.arenaBytes
             ? double(plan.baseline.peakBytes) / double(plan.summary.arenaBytes)
             : 0.0;
}

namespace {

/// Bytes live at each node's step when the graph runs layer by layer in topological order
/// without in-place reuse: the planner's baseline, rebuilt (only its liveness is needed).
std::vector<int64_t> baselineBytesPerNode(const ir::Graph &g, const Plan &plan) {
  std::vector<int64_t> perNode(g.nodes.size(), 0);
  Schedule topo;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    topo.order.push_back(i);
  BuildOptions options;
  options.floatActivations = plan.floatActivations;
  options.streamInput = false;
  options.inPlace = false;
  auto baseline = buildPlan(g, topo, options);
  if (!baseline)
    return perNode; // the planner built the same plan before; zeros say it did not here
  std::vector<int64_t> live = reservedBytes(*baseline);
  for (size_t s = 0; s < baseline->steps.size(); ++s)
    if (baseline->steps[s].kind == StepKind::Compute)
      perNode[baseline->steps[s].node] = std::max(perNode[baseline->steps[s].node], live[s]);
  return perNode;
}

} // namespace

Figures computeFigures(const ir::Graph &g, const Plan &plan) {
  Figures f;
  f.live = reservedBytes(plan);
  f.ratio = arenaRatio(plan);
  std::vector<int64_t> baseline = baselineBytesPerNode(g, plan);
  std::vector<int> row(g.nodes.size(), -1);
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const Step &step = plan.steps[s];
    if (step.kind != StepKind::Compute)
      continue;
    if (row[step.node] < 0) {
      row[step.node] = static_cast<int>(f.ops.size());
      OpFigure op;
      op.node = step.node;
      op.kind = opKind(g, g.nodes[step.node]);
      op.firstStep = static_cast<int>(s);
      op.baselineBytes = baseline[step.node];
      f.ops.push_back(op);
    }
    OpFigure &op = f.ops[row[step.node]];
    op.lastStep = static_cast<int>(s);
    op.planBytes = std::max(op.planBytes, f.live[s]);
    op.macs += step.macs;
  }
  return f;
}

std::string opKind(const ir::Graph &g, const ir::Node &node) {
  if (node.op == ir::OpKind::Conv) {
    const auto &a = node.attr<ir::ConvAttrs>();
    const ir::Tensor &x = g.tensor(node.inputs[0]);
    if (a.group > 1 && x.shape.size() >= 2 && a.group == x.shape[1])
      return "DepthwiseConv";
  }
  return std::string(ir::opName(node.op));
}

std::string bufferKind(const ir::Graph &g, const Buffer &b, const std::vector<int> &producers) {
  if (b.tensor >= 0 && static_cast<size_t>(b.tensor) < producers.size() &&
      producers[b.tensor] >= 0)
    return opKind(g, g.nodes[producers[b.tensor]]);
  return "input";
}

std::string regionText(const ir::Region &r, const ir::Tensor &t) {
  if (r == wholeRegion(t))
    return "whole";
  return fmt::format("r{}-{} c{}-{}", r.row0, r.row1 - 1, r.col0, r.col1 - 1);
}

std::string stepOp(const ir::Graph &g, const Step &s) {
  if (s.kind == StepKind::Stream)
    return "<input>";
  // (A depthwise conv that computes its 1x1 expansion too: Step::fusedExpansion.)
  return std::string(ir::opName(g.nodes[s.node].op)) + (s.fusedExpansion >= 0 ? "+expand" : "");
}

std::string stepName(const ir::Graph &g, const Step &s) {
  return s.kind == StepKind::Stream ? g.tensor(s.streamed).name : g.nodes[s.node].name;
}

std::string grouped(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string kib(int64_t bytes) {
  return fmt::format("{:.1f} KiB", double(bytes) / 1024.0);
}

std::string escapeXml(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

} // namespace rnnpoolc::plan::report
