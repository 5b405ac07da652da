// The plan as one self-contained HTML page (planHtml), in the spirit of X-CUBE-AI's
// analyze report: headline figures first, then the summary table, the picture (planSvg,
// inline), the per-op table and the step table. No scripts, fonts or images are fetched.
#include "compiler/plan/Report.h"

#include "compiler/plan/ReportFigures.h"

#include <fmt/format.h>

namespace rnnpoolc::plan {
namespace {

using report::escapeXml;
using report::grouped;
using report::kib;

constexpr const char *kStyle = R"(
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 18px auto; max-width: 1260px;
       color: #222; padding: 0 10px; }
h1 { font-size: 22px; margin: 0 0 4px 0; }
h1 span { font-weight: normal; color: #666; font-size: 15px; }
h2 { font-size: 17px; margin: 26px 0 8px 0; border-bottom: 1px solid #ddd; }
p.lead { font-size: 15px; margin: 4px 0 14px 0; }
.cards { display: flex; gap: 8px; }
.card { border: 1px solid #ccc; border-radius: 6px; padding: 8px 10px; flex: 1 1 0; }
.card .k { color: #555; font-size: 12px; }
.card .v { font-size: 22px; font-weight: bold; }
.card .s { color: #555; font-size: 12px; }
.card.main { border-color: #1f77b4; background: #eef5fb; }
table { border-collapse: collapse; font-size: 12px; }
th, td { padding: 2px 8px; border-bottom: 1px solid #eee; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.peak td { background: #fde8e8; font-weight: bold; }
figure { margin: 0; overflow-x: auto; }
summary { cursor: pointer; color: #1f4e8c; }
footer { color: #777; font-size: 11px; margin-top: 24px; }
)";

std::string card(const char *cls, const std::string &key, const std::string &value,
                 const std::string &sub, const std::string &id) {
  return fmt::format("<div class=\"card{}\" id=\"{}\"><div class=\"k\">{}</div>"
                     "<div class=\"v\">{}</div><div class=\"s\">{}</div></div>\n",
                     cls, id, escapeXml(key), escapeXml(value), escapeXml(sub));
}

std::string bytesText(int64_t n) {
  return fmt::format("{} bytes ({})", grouped(n), kib(n));
}

/// "step 17, Conv 'name'"; without the node's name when `named` is false.
std::string peakWhere(const ir::Graph &g, const Plan &plan, bool named = true) {
  const int s = plan.summary.peakStep;
  if (s < 0 || static_cast<size_t>(s) >= plan.steps.size())
    return fmt::format("step {}", s);
  const Step &step = plan.steps[s];
  std::string where = fmt::format(
      "step {}, {}", s,
      step.kind == StepKind::Stream ? "input rows" : report::opKind(g, g.nodes[step.node]));
  return named ? where + " '" + report::stepName(g, step) + "'" : where;
}

std::string headline(const ir::Graph &g, const Plan &plan, const report::Figures &f) {
  const Summary &s = plan.summary, &base = plan.baseline;
  std::string out = fmt::format(
      "<p class=\"lead\">The firmware allocates a <b>{}</b> arena for one inference: "
      "<b>{:.2f}× less</b> RAM than layer-by-layer execution needs at its peak ({}).</p>\n",
      kib(s.arenaBytes), f.ratio, kib(base.peakBytes));
  const double overhead =
      base.macs ? 100.0 * double(s.macs - base.macs) / double(base.macs) : 0.0;
  out += "<div class=\"cards\">\n";
  out += card(" main", "arena", kib(s.arenaBytes),
              grouped(s.arenaBytes) + " bytes, what the firmware allocates", "card-arena");
  out += card("", "vs layer-by-layer", fmt::format("{:.2f}× less", f.ratio),
              "its peak over the arena", "card-ratio");
  out += card("", "live peak", kib(s.peakBytes),
              grouped(s.peakBytes) + " bytes at " + peakWhere(g, plan, /*named=*/false),
              "card-peak");
  out += card("", "layer-by-layer peak", kib(base.peakBytes),
              grouped(base.peakBytes) + " bytes", "card-baseline");
  out += card("", "weights (flash)", kib(plan.weightsBytes),
              grouped(plan.weightsBytes) + " bytes", "card-weights");
  out += card("", "MACs", fmt::format("{:.1f} M", double(s.macs) / 1e6),
              fmt::format("{:+.1f}% over layer-by-layer", overhead), "card-macs");
  return out + "</div>\n";
}

std::string summaryTable(const ir::Graph &g, const Plan &plan, const std::string &title) {
  const Summary &s = plan.summary, &base = plan.baseline;
  int64_t rowBands = 0, tiles = 0;
  for (const RegionInfo &r : plan.regions)
    (r.strategy == Strategy::Tiles ? tiles : rowBands) += 1;
  std::vector<std::pair<std::string, std::string>> rows = {
      {"model", title},
      {"activations", plan.floatActivations ? "float32" : "int8"},
      {"input", plan.streamedInput ? "streamed row by row" : "frame resident in the arena"},
      {"arena", bytesText(s.arenaBytes)},
      {"live peak", bytesText(s.peakBytes) + " at " + peakWhere(g, plan)},
      {"layer-by-layer peak", bytesText(base.peakBytes)},
      {"layer-by-layer arena", bytesText(base.arenaBytes) + " (greedy by size)"},
      {"ratio", fmt::format("{:.2f} times less RAM than layer-by-layer (its peak over the "
                            "arena)",
                            report::arenaRatio(plan))},
      {"weights", bytesText(plan.weightsBytes) + " in flash"},
      {"MACs", fmt::format("{} (layer-by-layer {})", grouped(s.macs), grouped(base.macs))},
      {"schedule", fmt::format("{} steps, {} row-band regions, {} tiled", plan.steps.size(),
                               rowBands, tiles)}};
  std::string out = "<table class=\"kv\" id=\"summary\">\n";
  for (const auto &[k, v] : rows)
    out += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", escapeXml(k), escapeXml(v));
  return out + "</table>\n";
}

std::string opTable(const ir::Graph &g, const report::Figures &f) {
  std::string out = "<table id=\"ops\"><tr><th class=\"n\">#</th><th>node</th><th>op</th>"
                    "<th class=\"n\">steps</th><th class=\"n\">MACs</th><th class=\"n\">most "
                    "bytes live (this plan)</th><th class=\"n\">bytes live "
                    "(layer-by-layer)</th></tr>\n";
  for (size_t i = 0; i < f.ops.size(); ++i) {
    const report::OpFigure &op = f.ops[i];
    out += fmt::format("<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}-{}"
                       "</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}"
                       "</td></tr>\n",
                       i, escapeXml(g.nodes[op.node].name), escapeXml(op.kind), op.firstStep,
                       op.lastStep, grouped(op.macs), grouped(op.planBytes),
                       grouped(op.baselineBytes));
  }
  return out + "</table>\n";
}

std::string stepTable(const ir::Graph &g, const Plan &plan, const report::Figures &f) {
  std::string out = fmt::format(
      "<details{}><summary>{} steps (the live peak's row is marked)</summary>\n"
      "<table id=\"steps\"><tr><th class=\"n\">step</th><th>node</th><th>op</th><th>output</th>"
      "<th>region</th><th class=\"n\">MACs</th><th class=\"n\">bytes live</th>"
      "<th class=\"n\">offset (bytes)</th><th class=\"n\">size (bytes)</th></tr>\n",
      plan.steps.size() <= 300 ? " open" : "", plan.steps.size());
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const Step &s = plan.steps[i];
    const Buffer &b = plan.buffers[s.outputs[0]];
    const ir::Tensor &t = g.tensor(b.tensor);
    out += fmt::format("<tr{}><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}"
                       "</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}"
                       "</td><td class=\"n\">{}</td></tr>\n",
                       static_cast<int>(i) == plan.summary.peakStep ? " class=\"peak\"" : "", i,
                       escapeXml(report::stepName(g, s)), escapeXml(report::stepOp(g, s)),
                       ir::toString(t.shape), report::regionText(s.out, t), grouped(s.macs),
                       grouped(f.live[i]), grouped(b.offset), grouped(b.bytes));
  }
  return out + "</table></details>\n";
}

} // namespace

std::string planHtml(const ir::Graph &g, const Plan &plan, const std::string &title) {
  const report::Figures f = report::computeFigures(g, plan);
  std::string out =
      fmt::format("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<title>{} memory plan (rnnpoolc)</title>\n<style>{}</style>"
                  "</head>\n<body>\n",
                  escapeXml(title), kStyle);
  out += fmt::format("<h1>{} <span>memory plan by rnnpoolc</span></h1>\n", escapeXml(title));
  out += headline(g, plan, f);
  out += "<h2>Memory over time, and per op</h2>\n<figure>\n";
  out += planSvg(g, plan, title);
  out += "</figure>\n<h2>Summary</h2>\n" + summaryTable(g, plan, title);
  out += "<h2>Per op</h2>\n" + opTable(g, f);
  out += "<h2>Steps</h2>\n" + stepTable(g, plan, f);
  out +=
      "<footer>Written by rnnpoolc plan --html; the plan was checked by the independent "
      "verifier. Bytes are of the arena the generated code uses (docs/plan-json.md).</footer>\n"
      "</body></html>\n";
  return out;
}

} // namespace rnnpoolc::plan
