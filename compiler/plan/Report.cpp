// Plan reports: the text table and the JSON document (the SVG and HTML: ReportSvg.cpp,
// ReportHtml.cpp).
#include "compiler/plan/Report.h"

#include "compiler/plan/Builder.h"
#include "compiler/plan/ReportFigures.h"
#include "compiler/support/Escape.h"

#include "compiler/support/Json.h"

#include <algorithm>

namespace rnnpoolc::plan {
namespace {

using report::grouped;
using report::kib;
using report::regionText;
using report::stepName;
using report::stepOp;

} // namespace

std::string planSummaryText(const ir::Graph &g, const Plan &plan) {
  const Summary &s = plan.summary, &base = plan.baseline;
  std::string out;
  auto bytes = [](int64_t n) { return fmt::format("{} bytes ({})", grouped(n), kib(n)); };
  out += fmt::format("arena         {}, what the firmware allocates\n", bytes(s.arenaBytes));
  std::string where = fmt::format("step {}", s.peakStep);
  if (s.peakStep >= 0 && static_cast<size_t>(s.peakStep) < plan.steps.size())
    where += fmt::format(" ({} '{}')", stepOp(g, plan.steps[s.peakStep]),
                         escapeForMessage(stepName(g, plan.steps[s.peakStep])));
  out += fmt::format("live peak     {} at {}, {}\n", bytes(s.peakBytes), where,
                     plan.streamedInput ? "input streamed" : "input frame resident");
  out += fmt::format("weights       {} in flash\n", bytes(plan.weightsBytes));
  out += fmt::format("activations   {}\n", plan.floatActivations ? "float32" : "int8");
  double overhead = base.macs ? 100.0 * double(s.macs - base.macs) / double(base.macs) : 0;
  out += fmt::format("MACs          {} ({:+.1f}% over layer-by-layer)\n", grouped(s.macs),
                     overhead);
  int64_t rowBands = 0, tiles = 0;
  for (const RegionInfo &r : plan.regions)
    (r.strategy == Strategy::Tiles ? tiles : rowBands) += 1;
  out += fmt::format("regions       {} row-band, {} tiled, in {} steps\n", rowBands, tiles,
                     plan.steps.size());
  out += fmt::format("baseline      {} at the peak of layer-by-layer execution\n",
                     bytes(base.peakBytes));
  out += fmt::format("              {:.2f} times less RAM than layer-by-layer (its peak over "
                     "the arena)\n",
                     report::arenaRatio(plan));
  return out;
}

std::string planText(const ir::Graph &g, const Plan &plan) {
  std::string out;
  auto live = reservedBytes(plan);
  out += fmt::format("{:>5}  {:<28} {:<14} {:<16} {:<16} {:>12} {:>10} {:>9} {:>9}\n", "step",
                     "node", "op", "output", "region", "MACs", "live", "offset", "size");
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const Step &s = plan.steps[i];
    const Buffer &b = plan.buffers[s.outputs[0]];
    const ir::Tensor &t = g.tensor(b.tensor);
    std::string name = escapeForMessage(stepName(g, s));
    if (name.size() > 28) {
      size_t cut = name.size() - 27; // on a character boundary, not inside a UTF-8 sequence
      while (cut < name.size() && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80)
        ++cut;
      name = "…" + name.substr(cut);
    }
    out += fmt::format("{:>5}{} {:<28} {:<14} {:<16} {:<16} {:>12} {:>10} {:>9} {:>9}\n", i,
                       static_cast<int>(i) == plan.summary.peakStep ? "*" : " ", name,
                       stepOp(g, s), ir::toString(t.shape), regionText(s.out, t), s.macs,
                       live[i], b.offset, b.bytes);
  }
  out += "\n" + planSummaryText(g, plan);
  return out;
}

std::string planJson(const ir::Graph &g, const Plan &plan) {
  JsonWriter json;
  json.beginObject();
  json.key("summary").beginObject();
  json.member("peak_ram_bytes", plan.summary.peakBytes);
  json.member("arena_bytes", plan.summary.arenaBytes);
  json.member("peak_step", plan.summary.peakStep);
  json.member("baseline_peak_ram_bytes", plan.baseline.peakBytes);
  json.member("baseline_arena_bytes", plan.baseline.arenaBytes);
  json.member("baseline_over_arena", report::arenaRatio(plan));
  json.member("macs", plan.summary.macs);
  json.member("baseline_macs", plan.baseline.macs);
  json.member("weights_bytes", plan.weightsBytes);
  json.member("activations", plan.floatActivations ? "float32" : "int8");
  json.member("streamed_input", plan.streamedInput);
  json.endObject();
  json.key("regions").beginArray();
  for (const RegionInfo &r : plan.regions) {
    json.beginObject().member("strategy", name(r.strategy));
    json.key("nodes").beginArray();
    for (size_t n : r.nodes)
      json.value(g.nodes[n].name);
    json.endArray();
    json.member("tile_rows", r.tileRows).member("tile_cols", r.tileCols);
    json.member("hand_off", r.handOff).endObject();
  }
  json.endArray();
  json.key("buffers").beginArray();
  for (const Buffer &b : plan.buffers) {
    json.beginObject().member("tensor", g.tensor(b.tensor).name);
    json.member("kind", b.kind == BufferKind::Ring      ? "ring"
                        : b.kind == BufferKind::Scratch ? "scratch"
                                                        : "region");
    json.key("region").value(
        std::vector<int64_t>{b.region.row0, b.region.row1, b.region.col0, b.region.col1});
    json.member("ring_rows", b.ringRows).member("offset", b.offset).member("bytes", b.bytes);
    json.member("first_step", b.firstStep).member("last_step", b.lastStep);
    json.member("alias_of", b.aliasOf);
    if (isOverInputRow(b))
      json.member("alias_offset", b.aliasOffset);
    if (b.within >= 0)
      json.member("within", b.within).member("within_offset", b.withinOffset);
    if (!b.rowFirstStep.empty()) {
      std::vector<int64_t> first(b.rowFirstStep.begin(), b.rowFirstStep.end());
      std::vector<int64_t> last(b.rowLastStep.begin(), b.rowLastStep.end());
      json.key("row_first_step").value(first);
      json.key("row_last_step").value(last);
    }
    if (!b.stepRuns.empty()) {
      std::vector<int64_t> first, last;
      for (auto [a, z] : b.stepRuns)
        first.push_back(a), last.push_back(z);
      json.key("run_first_step").value(first);
      json.key("run_last_step").value(last);
    }
    json.endObject();
  }
  json.endArray();
  json.key("steps").beginArray();
  for (const Step &s : plan.steps) {
    json.beginObject();
    json.member("kind", s.kind == StepKind::Stream ? "stream" : "compute");
    json.member("node", stepName(g, s))
        .member("op", s.kind == StepKind::Stream ? std::string("<input>")
                                                 : std::string(ir::opName(g.nodes[s.node].op)));
    json.key("out").value(std::vector<int64_t>{s.out.row0, s.out.row1, s.out.col0, s.out.col1});
    json.key("inputs").beginArray();
    for (int b : s.inputs)
      json.value(b);
    json.endArray();
    json.key("outputs").beginArray();
    for (int b : s.outputs)
      json.value(b);
    json.endArray();
    json.member("macs", s.macs).member("region", s.region).member("scratch", s.scratch);
    if (s.accumulate && !s.reads.empty()) // the input rows added into the accumulator
      json.key("accumulates")
          .value(std::vector<int64_t>{s.reads[0].row0, s.reads[0].row1, s.reads[0].col0,
                                      s.reads[0].col1});
    if (s.fusedExpansion >= 0) // the expansion it computes too (its input is inputs[0])
      json.member("fuses", g.nodes[static_cast<size_t>(s.fusedExpansion)].name)
          .member("fuse_group", s.fusedGroup)
          .member("fuse_rows", s.fusedRows);
    json.endObject();
  }
  json.endArray();
  json.endObject();
  return json.str() + "\n";
}

} // namespace rnnpoolc::plan
