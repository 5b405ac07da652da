// Plan reports: text table, JSON, SVG.
#include "compiler/plan/Report.h"

#include "compiler/support/Json.h"

#include <algorithm>

namespace rnnpoolc::plan {
namespace {

std::string kib(int64_t bytes) { return fmt::format("{:.1f} KiB", double(bytes) / 1024.0); }

std::string regionText(const ir::Region &r, const ir::Tensor &t) {
  if (r == wholeRegion(t))
    return "whole";
  return fmt::format("r{}-{} c{}-{}", r.row0, r.row1 - 1, r.col0, r.col1 - 1);
}

std::string stepOp(const ir::Graph &g, const Step &s) {
  return s.kind == StepKind::Stream ? "<input>" : std::string(ir::opName(g.nodes[s.node].op));
}

std::string stepName(const ir::Graph &g, const Step &s) {
  return s.kind == StepKind::Stream ? g.tensor(s.streamed).name : g.nodes[s.node].name;
}

/// Bytes reserved at each step: alias families once, rows with their own lifetimes.
std::vector<int64_t> liveBytes(const Plan &plan) {
  std::vector<int64_t> live(plan.steps.size() + 1, 0);
  std::vector<int64_t> familyBytes(plan.buffers.size(), 0);
  std::vector<int> first(plan.buffers.size(), 1 << 30), last(plan.buffers.size(), -1);
  for (size_t i = 0; i < plan.buffers.size(); ++i) {
    const Buffer &b = plan.buffers[i];
    int r = static_cast<int>(i);
    while (plan.buffers[r].aliasOf >= 0)
      r = plan.buffers[r].aliasOf;
    if (r == static_cast<int>(i) && !b.rowFirstStep.empty()) {
      for (const Reservation &p : reservations(b, 0))
        for (int s = std::max(0, p.first); s <= p.last && s < int(plan.steps.size()); ++s)
          live[s] += p.end - p.begin;
      continue;
    }
    familyBytes[r] = std::max(familyBytes[r], b.bytes);
    first[r] = std::min(first[r], b.firstStep);
    last[r] = std::max(last[r], b.lastStep);
  }
  for (size_t r = 0; r < plan.buffers.size(); ++r)
    for (int s = std::max(0, first[r]); s <= last[r] && s < int(plan.steps.size()); ++s)
      live[s] += familyBytes[r];
  return live;
}

} // namespace

std::string planText(const ir::Graph &g, const Plan &plan) {
  std::string out;
  auto live = liveBytes(plan);
  out += fmt::format("{:>5}  {:<28} {:<14} {:<16} {:<16} {:>12} {:>10} {:>9} {:>9}\n", "step",
                     "node", "op", "output", "region", "MACs", "live", "offset", "size");
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const Step &s = plan.steps[i];
    const Buffer &b = plan.buffers[s.outputs[0]];
    const ir::Tensor &t = g.tensor(b.tensor);
    std::string name = stepName(g, s);
    if (name.size() > 28)
      name = "…" + name.substr(name.size() - 27);
    out += fmt::format("{:>5}{} {:<28} {:<14} {:<16} {:<16} {:>12} {:>10} {:>9} {:>9}\n", i,
                       static_cast<int>(i) == plan.summary.peakStep ? "*" : " ", name,
                       stepOp(g, s), ir::toString(t.shape), regionText(s.out, t), s.macs, live[i],
                       b.offset, b.bytes);
  }
  const Summary &s = plan.summary, &base = plan.baseline;
  out += "\n";
  out += fmt::format("peak RAM      {} bytes ({}) at step {}{}\n", s.peakBytes, kib(s.peakBytes),
                     s.peakStep, plan.streamedInput ? ", input streamed" : ", input frame resident");
  out += fmt::format("arena         {} bytes ({})\n", s.arenaBytes, kib(s.arenaBytes));
  out += fmt::format("weights       {} bytes ({}) in flash\n", plan.weightsBytes,
                     kib(plan.weightsBytes));
  out += fmt::format("activations   {}\n", plan.floatActivations ? "float32" : "int8");
  double overhead = base.macs ? 100.0 * double(s.macs - base.macs) / double(base.macs) : 0;
  out += fmt::format("MACs          {} ({:+.1f}% over layer-by-layer)\n", s.macs, overhead);
  int64_t rowBands = 0, tiles = 0;
  for (const RegionInfo &r : plan.regions)
    (r.strategy == Strategy::Tiles ? tiles : rowBands) += 1;
  out += fmt::format("regions       {} row-band, {} tiled\n", rowBands, tiles);
  out += fmt::format("baseline      {} bytes ({}), layer-by-layer\n", base.peakBytes,
                     kib(base.peakBytes));
  out += fmt::format("              {:.2f} times less than layer-by-layer\n",
                     s.peakBytes ? double(base.peakBytes) / double(s.peakBytes) : 0.0);
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
    json.member("tile_rows", r.tileRows).member("tile_cols", r.tileCols).endObject();
  }
  json.endArray();
  json.key("buffers").beginArray();
  for (const Buffer &b : plan.buffers) {
    json.beginObject().member("tensor", g.tensor(b.tensor).name);
    json.member("kind", b.kind == BufferKind::Ring      ? "ring"
                        : b.kind == BufferKind::Scratch ? "scratch"
                                                        : "region");
    json.key("region").value(std::vector<int64_t>{b.region.row0, b.region.row1, b.region.col0,
                                                  b.region.col1});
    json.member("ring_rows", b.ringRows).member("offset", b.offset).member("bytes", b.bytes);
    json.member("first_step", b.firstStep).member("last_step", b.lastStep);
    json.member("alias_of", b.aliasOf);
    if (!b.rowFirstStep.empty()) {
      std::vector<int64_t> first(b.rowFirstStep.begin(), b.rowFirstStep.end());
      std::vector<int64_t> last(b.rowLastStep.begin(), b.rowLastStep.end());
      json.key("row_first_step").value(first);
      json.key("row_last_step").value(last);
    }
    json.endObject();
  }
  json.endArray();
  json.key("steps").beginArray();
  for (const Step &s : plan.steps) {
    json.beginObject();
    json.member("kind", s.kind == StepKind::Stream ? "stream" : "compute");
    json.member("node", stepName(g, s)).member("op", stepOp(g, s));
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
    json.endObject();
  }
  json.endArray();
  json.endObject();
  return json.str() + "\n";
}

std::string planSvg(const ir::Graph &g, const Plan &plan) {
  const double width = 1000, height = 500, left = 70, bottom = 40, top = 30;
  const double steps = std::max<double>(1, double(plan.steps.size()));
  const double bytes = double(std::max<int64_t>(
      {plan.summary.arenaBytes, plan.baseline.peakBytes, int64_t{1}}));
  auto x = [&](double s) { return left + s / steps * (width - left - 10); };
  auto y = [&](double b) { return height - bottom - b / bytes * (height - bottom - top); };
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"18\">rnnpoolc memory plan: peak {} bytes, layer-by-layer {} bytes"
      "</text>\n",
      width, height, left, plan.summary.peakBytes, plan.baseline.peakBytes);
  for (size_t i = 0; i < plan.buffers.size(); ++i) {
    const Buffer &b = plan.buffers[i];
    unsigned hue = static_cast<unsigned>(b.tensor) * 47u % 360u;
    svg += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
                       "fill=\"hsl({},60%,70%)\" stroke=\"#333\" stroke-width=\"0.3\">"
                       "<title>{} ({} bytes, steps {}-{}, offset {})</title></rect>\n",
                       x(b.firstStep), y(double(b.offset + b.bytes)),
                       std::max(1.0, x(b.lastStep + 1) - x(b.firstStep)),
                       std::max(0.5, y(double(b.offset)) - y(double(b.offset + b.bytes))), hue,
                       g.tensor(b.tensor).name, b.bytes, b.firstStep, b.lastStep, b.offset);
  }
  svg += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"red\"/>"
                     "<text x=\"{0:.1f}\" y=\"{1}\" fill=\"red\">peak</text>\n",
                     x(plan.summary.peakStep + 0.5), top, height - bottom);
  svg += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"blue\" "
                     "stroke-dasharray=\"6,4\"/><text x=\"{0}\" y=\"{3:.1f}\" fill=\"blue\">"
                     "layer-by-layer peak</text>\n",
                     left, width - 10, y(double(plan.baseline.peakBytes)),
                     y(double(plan.baseline.peakBytes)) - 3);
  svg += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" stroke=\"black\"/>"
                     "<text x=\"{0}\" y=\"{3}\">step 0</text><text x=\"{1}\" y=\"{3}\" "
                     "text-anchor=\"end\">step {4}</text>\n",
                     left, width - 10, height - bottom, height - bottom + 15,
                     plan.steps.size());
  svg += fmt::format("<text x=\"5\" y=\"{}\">0</text><text x=\"5\" y=\"{}\">{} B</text>\n",
                     height - bottom, top + 10, int64_t(bytes));
  svg += "</svg>\n";
  return svg;
}

} // namespace rnnpoolc::plan
