// The plan as a picture (planSvg): the arena over time on the left, the RAM figures and a
// per-op chart on the right. Layout constants are in pixels; text widths are estimated
// (0.6 em per character), which is enough to keep labels from overlapping.
#include "compiler/plan/Report.h"

#include "compiler/plan/ReportFigures.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace rnnpoolc::plan {
namespace {

using report::escapeXml;
using report::grouped;
using report::kib;

constexpr double kWidth = 1240, kMargin = 14;
constexpr double kPlotLeft = 74, kPlotRight = 800; // the timeline
constexpr double kMinPlotHeight = 430;
constexpr double kColumnLeft = 846, kColumnRight = kWidth - kMargin; // figures and ops
constexpr double kOpLabelWidth = 104;
constexpr const char *kInputColour = "#c9c9c9";
// Tableau-like colours for op kinds; no red (the live peak is red) and no grey (the input).
constexpr const char *kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#76b7b2", "#edc948",
                                    "#b07aa1", "#ff9da7", "#9c755f", "#8cd17d", "#86bcb6",
                                    "#d37295", "#a0cbe8", "#ffbe7d", "#499894", "#6b8e23"};

double textWidth(std::string_view text, double fontSize) {
  return 0.6 * fontSize * static_cast<double>(text.size());
}

std::string shorten(const std::string &text, size_t chars) {
  return text.size() <= chars ? text : text.substr(0, chars - 1) + "…";
}

/// A round tick spacing (1, 2 or 5 times a power of ten) giving about `count` ticks.
double niceStep(double range, int count) {
  if (range <= 0)
    return 1;
  double raw = range / count, power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (raw <= m * power)
      return m * power;
  return 10 * power;
}

std::string number(double v) {
  return fmt::format("{:g}", std::round(v * 1000) / 1000);
}

/// KiB with one decimal, as the summaries print them.
std::string kibNumber(int64_t bytes) {
  return fmt::format("{:.1f}", double(bytes) / 1024.0);
}

class SvgPicture {
public:
  SvgPicture(const ir::Graph &g, const Plan &plan, const std::string &title)
      : g_(g), plan_(plan), title_(title), figures_(report::computeFigures(g, plan)),
        producers_(g.producers()) {
    steps_ = std::max<double>(1, double(plan.steps.size()));
    arena_ = double(std::max<int64_t>(1, plan.summary.arenaBytes));
    for (const Step &s : plan.steps)
      if (s.kind == StepKind::Compute)
        colourOf(report::opKind(g, g.nodes[s.node]));
  }

  std::string draw() {
    header();
    legend();
    plotTop_ = y_ + 40;
    // The op chart's rows decide the picture's height; the timeline fills it.
    const double ops = std::max<double>(1, double(figures_.ops.size()));
    rowH_ = std::clamp(560.0 / ops, 4.0, 14.0);
    plotHeight_ = std::max(kMinPlotHeight, ops * rowH_ - 26);
    plotBottom_ = plotTop_ + plotHeight_;
    buffers();
    liveLine();
    yAxis();
    xAxis();
    peakMark();
    double bottom = std::max(plotBottom_ + 150, opChart(ramBars(plotTop_ - 22)));
    std::string head = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{:.0f}\" "
        "viewBox=\"0 0 {} {:.0f}\" font-family=\"DejaVu Sans, Arial, sans-serif\" "
        "font-size=\"11\" data-arena-bytes=\"{}\" data-peak-bytes=\"{}\" data-peak-step=\"{}\" "
        "data-baseline-bytes=\"{}\" data-steps=\"{}\" data-ratio=\"{:.2f}\">\n",
        kWidth, bottom, kWidth, bottom, plan_.summary.arenaBytes, plan_.summary.peakBytes,
        plan_.summary.peakStep, plan_.baseline.peakBytes, plan_.steps.size(), figures_.ratio);
    head += patterns();
    head += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    return head + out_ + "</svg>\n";
  }

private:
  double x(double step) const { return kPlotLeft + step / steps_ * (kPlotRight - kPlotLeft); }
  double y(double bytes) const { return plotBottom_ - bytes / arena_ * plotHeight_; }

  const std::string &colourOf(const std::string &kind) {
    auto it = colours_.find(kind);
    if (it != colours_.end())
      return it->second;
    kinds_.push_back(kind);
    size_t n = colours_.size();
    return colours_[kind] = kind == "input" ? kInputColour : kPalette[n % std::size(kPalette)];
  }

  static std::string patterns() {
    return "<defs>\n"
           "<pattern id=\"ring\" width=\"6\" height=\"3\" patternUnits=\"userSpaceOnUse\">"
           "<rect width=\"6\" height=\"1\" fill=\"#000\" fill-opacity=\"0.45\"/></pattern>\n"
           "<pattern id=\"scratch\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\" "
           "patternTransform=\"rotate(45)\"><rect width=\"1.6\" height=\"5\" fill=\"#000\" "
           "fill-opacity=\"0.55\"/></pattern>\n"
           "</defs>\n";
  }

  void header() {
    const Summary &s = plan_.summary;
    std::string name = title_.empty() ? "rnnpoolc memory plan" : title_ + ": memory plan";
    out_ += fmt::format("<text x=\"{}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{}"
                        "</text>\n",
                        kMargin, escapeXml(name));
    out_ += fmt::format(
        "<text x=\"{}\" y=\"44\" font-size=\"12\">arena {} ({} bytes), {:.2f}× less than "
        "layer-by-layer ({}); live peak {} at step {}; {} activations, input {}</text>\n",
        kMargin, kib(s.arenaBytes), grouped(s.arenaBytes), figures_.ratio,
        kib(plan_.baseline.peakBytes), kib(s.peakBytes), s.peakStep,
        plan_.floatActivations ? "float32" : "int8",
        plan_.streamedInput ? "streamed" : "frame resident");
    y_ = 50;
  }

  /// One swatch per op kind, then the patterns and lines; wraps at the picture's width.
  void legend() {
    double lx = kMargin, ly = y_ + 16;
    auto item = [&](const std::string &swatch, const std::string &label) {
      double w = 18 + textWidth(label, 11) + 14;
      if (lx + w > kWidth - kMargin)
        lx = kMargin, ly += 17;
      out_ += fmt::format("<g class=\"legend\" transform=\"translate({:.1f},{:.1f})\">{}"
                          "<text x=\"18\" y=\"10\">{}</text></g>\n",
                          lx, ly - 10, swatch, escapeXml(label));
      lx += w;
    };
    auto box = [](const std::string &fill, double strokeWidth = 0.5) {
      return fmt::format("<rect width=\"13\" height=\"11\" fill=\"{}\" stroke=\"#333\" "
                         "stroke-width=\"{}\"/>",
                         fill, strokeWidth);
    };
    for (const std::string &kind : kinds_)
      if (kind != "input")
        item(box(colours_.at(kind)), kind);
    item(box(kInputColour, 1.6), "input frame");
    item(box("white") + box("url(#ring)"), "ring (row buffer)");
    item(box("white") + box("url(#scratch)"), "kernel scratch");
    item("<rect y=\"4\" width=\"13\" height=\"3\" fill=\"#1f3a93\"/>", "row-band region");
    item("<rect y=\"4\" width=\"13\" height=\"3\" fill=\"#e07b00\"/>", "tiled region");
    item("<path d=\"M0 9 H5 V3 H13\" fill=\"none\" stroke=\"#000\" stroke-width=\"1.2\"/>",
         "bytes live");
    item("<path d=\"M6 0 V11\" stroke=\"#d62728\" stroke-width=\"2\"/>", "live peak");
    y_ = ly;
  }

  void buffer(size_t id, const Buffer &b, const Reservation &r, const std::string &kind) {
    const bool input = kind == "input";
    std::string attrs =
        fmt::format("x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\"", x(r.first),
                    y(double(r.end)), std::max(0.8, x(r.last + 1) - x(r.first)),
                    std::max(0.6, y(double(r.begin)) - y(double(r.end))));
    std::string what = b.kind == BufferKind::Ring ? fmt::format(", ring of {} rows", b.ringRows)
                       : b.kind == BufferKind::Scratch ? ", kernel scratch"
                       : input                         ? ", input frame"
                                                       : "";
    const bool rows = !b.rowFirstStep.empty();
    if (rows) // a run of rows of a buffer whose rows are reserved only while used
      what += fmt::format(", rows of a {}-byte buffer", b.bytes);
    out_ += fmt::format("<g class=\"buffer\" data-buffer=\"{}\"><title>{} ({} bytes, steps "
                        "{}-{}, offset {}){}{}</title><rect {} fill=\"{}\" stroke=\"{}\" "
                        "stroke-width=\"{}\"/>",
                        id, escapeXml(g_.tensor(b.tensor).name), r.end - r.begin, r.first,
                        r.last, r.begin, what, input ? "" : ", made by " + kind, attrs,
                        colours_.at(kind), input ? "#222" : "#333",
                        input  ? 1.4
                        : rows ? 0.15
                               : 0.3);
    if (b.kind == BufferKind::Ring)
      out_ += fmt::format("<rect {} fill=\"url(#ring)\"/>", attrs);
    else if (b.kind == BufferKind::Scratch)
      out_ += fmt::format("<rect {} fill=\"url(#scratch)\"/>", attrs);
    out_ += "</g>\n";
  }

  void buffers() {
    out_ +=
        fmt::format("<rect x=\"{}\" y=\"{:.1f}\" width=\"{}\" height=\"{}\" fill=\"#f7f7f7\" "
                    "stroke=\"#999\"/>\n",
                    kPlotLeft, plotTop_, kPlotRight - kPlotLeft, plotHeight_);
    for (size_t i = 0; i < plan_.buffers.size(); ++i) {
      const Buffer &b = plan_.buffers[i];
      std::string kind = report::bufferKind(g_, b, producers_);
      colourOf(kind);
      for (const Reservation &r : reservations(b, b.offset))
        buffer(i, b, r, kind);
    }
  }

  void liveLine() {
    if (figures_.live.empty())
      return;
    std::string d = fmt::format("M{:.2f} {:.2f}", x(0), y(double(figures_.live[0])));
    for (size_t s = 0; s < figures_.live.size(); ++s) {
      if (s > 0)
        d += fmt::format(" V{:.2f}", y(double(figures_.live[s])));
      d += fmt::format(" H{:.2f}", x(double(s + 1)));
    }
    out_ += fmt::format("<path class=\"live\" d=\"{}\" fill=\"none\" stroke=\"#000\" "
                        "stroke-width=\"1.2\"><title>bytes live per step</title></path>\n",
                        d);
  }

  /// Address axis in KiB from 0 to the arena; the arena itself labelled at the top.
  void yAxis() {
    const double arenaKiB = arena_ / 1024.0, step = niceStep(arenaKiB, 6);
    for (double k = 0; k * 1024.0 <= arena_ + 1e-9; k += step) {
      double py = y(k * 1024.0);
      if (py - plotTop_ < 14) // too close to the arena's label
        break;
      out_ +=
          fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\" "
                      "stroke-width=\"0.6\"/><text class=\"ytick\" x=\"{}\" y=\"{:.1f}\" "
                      "text-anchor=\"end\">{}</text>\n",
                      kPlotLeft - 4, kPlotRight, py, py, kPlotLeft - 7, py + 4, number(k));
    }
    out_ += fmt::format("<text class=\"yarena\" x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" "
                        "font-weight=\"bold\">{}</text>\n",
                        kPlotLeft - 7, plotTop_ + 4, kibNumber(plan_.summary.arenaBytes));
    out_ += fmt::format("<text x=\"{0}\" y=\"{1:.1f}\" text-anchor=\"middle\" "
                        "transform=\"rotate(-90 {0} {1:.1f})\">arena address (KiB); top = "
                        "arena, {2}</text>\n",
                        18, (plotTop_ + plotBottom_) / 2, kib(plan_.summary.arenaBytes));
  }

  void xAxis();
  void regionBars();
  void opLabels();
  void peakMark();
  double ramBars(double top);
  double opChart(double top);

  const ir::Graph &g_;
  const Plan &plan_;
  std::string title_;
  report::Figures figures_;
  std::vector<int> producers_;
  std::map<std::string, std::string> colours_;
  std::vector<std::string> kinds_; ///< In order of first appearance.
  double steps_ = 1, arena_ = 1, y_ = 0, plotTop_ = 0, plotBottom_ = 0, plotHeight_ = 0;
  double rowH_ = 14; ///< Per-op chart row height.
  std::string out_;
};

void SvgPicture::xAxis() {
  const double step = std::max(1.0, niceStep(steps_, 10));
  for (double s = 0; s <= steps_; s += step)
    out_ += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" "
                        "stroke=\"#666\"/><text x=\"{0:.1f}\" y=\"{3:.1f}\" "
                        "text-anchor=\"middle\" font-size=\"10\">{4}</text>\n",
                        x(s), plotBottom_, plotBottom_ + 4, plotBottom_ + 22, number(s));
  regionBars();
  opLabels();
  out_ += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">step (op names "
                      "where they fit; hover for nodes)</text>\n",
                      (kPlotLeft + kPlotRight) / 2, plotBottom_ + 142);
}

/// A thin bar under the axis for every region, coloured by strategy.
void SvgPicture::regionBars() {
  for (size_t s = 0; s < plan_.steps.size();) {
    const int region = plan_.steps[s].region;
    size_t e = s + 1;
    while (e < plan_.steps.size() && plan_.steps[e].region == region)
      ++e;
    if (region >= 0) {
      const RegionInfo &info = plan_.regions[region];
      out_ +=
          fmt::format("<rect class=\"region\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" "
                      "height=\"4\" fill=\"{}\"><title>region {}: {}, {} ops, steps "
                      "{}-{}</title></rect>\n",
                      x(double(s)), plotBottom_ + 6, std::max(1.0, x(double(e)) - x(double(s))),
                      info.strategy == Strategy::Tiles ? "#e07b00" : "#1f3a93", region,
                      name(info.strategy), info.nodes.size(), s, e - 1);
    }
    s = e;
  }
}

/// Op names, rotated, under the axis: a layer step's op at its step; a region's ops spread
/// evenly over its steps in execution order. A label is drawn only where it does not touch
/// the previous one.
void SvgPicture::opLabels() {
  double lastX = -1e9;
  auto label = [&](double at, const std::string &text, const std::string &hover) {
    if (at - lastX < 10)
      return;
    lastX = at;
    const double ly = plotBottom_ + 28;
    out_ += fmt::format("<text class=\"oplabel\" x=\"{0:.1f}\" y=\"{1:.1f}\" font-size=\"9\" "
                        "text-anchor=\"end\" transform=\"rotate(-90 {0:.1f} {1:.1f})\">"
                        "<title>{3}</title>{2}</text>\n",
                        at + 3, ly, escapeXml(shorten(text, 16)), escapeXml(hover));
  };
  for (size_t s = 0; s < plan_.steps.size();) {
    const Step &step = plan_.steps[s];
    size_t e = s + 1;
    while (step.region >= 0 && e < plan_.steps.size() && plan_.steps[e].region == step.region)
      ++e;
    if (step.region < 0) {
      label(x(s + 0.5),
            step.kind == StepKind::Stream ? "input" : report::opKind(g_, g_.nodes[step.node]),
            report::stepName(g_, step));
    } else {
      const RegionInfo &info = plan_.regions[step.region];
      const double span = (x(double(e)) - x(double(s))) / double(info.nodes.size());
      for (size_t i = 0; i < info.nodes.size(); ++i)
        label(x(double(s)) + (double(i) + 0.5) * span,
              report::opKind(g_, g_.nodes[info.nodes[i]]), g_.nodes[info.nodes[i]].name);
    }
    s = e;
  }
}

void SvgPicture::peakMark() {
  const Summary &s = plan_.summary;
  const double px = x(s.peakStep + 0.5);
  std::string where;
  if (s.peakStep >= 0 && static_cast<size_t>(s.peakStep) < plan_.steps.size()) {
    const Step &step = plan_.steps[s.peakStep];
    where = step.kind == StepKind::Stream
                ? " (input rows)"
                : " (" + report::opKind(g_, g_.nodes[step.node]) + ")";
  }
  std::string text =
      fmt::format("live peak {} at step {}{}", kib(s.peakBytes), s.peakStep, where);
  const bool right = px < (kPlotLeft + kPlotRight) / 2;
  out_ += fmt::format("<g class=\"peak\" data-step=\"{}\"><line x1=\"{:.2f}\" x2=\"{:.2f}\" "
                      "y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#d62728\" stroke-width=\"1.5\"/>"
                      "<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"3\" fill=\"#d62728\"/>"
                      "<text x=\"{:.2f}\" y=\"{:.1f}\" fill=\"#d62728\" font-weight=\"bold\" "
                      "text-anchor=\"{}\">{}</text></g>\n",
                      s.peakStep, px, px, plotTop_ - 12, plotBottom_, px,
                      y(double(s.peakBytes)), right ? px + 4 : px - 4, plotTop_ - 8,
                      right ? "start" : "end", escapeXml(text));
}

/// Arena, live peak and layer-by-layer peak as three bars on one scale; returns the bottom.
double SvgPicture::ramBars(double top) {
  const Summary &s = plan_.summary;
  const double full = double(std::max({plan_.baseline.peakBytes, s.arenaBytes, int64_t{1}}));
  const double barLeft = kColumnLeft + kOpLabelWidth, barWidth = kColumnRight - barLeft - 4;
  out_ += fmt::format("<text x=\"{}\" y=\"{:.1f}\" font-weight=\"bold\">RAM for one inference"
                      "</text>\n",
                      kColumnLeft, top);
  struct Bar {
    const char *label, *cls, *fill, *ink; ///< ink: the value's colour inside the bar
    int64_t bytes;
    std::string note;
  };
  const Bar bars[] = {{"layer-by-layer", "baseline", "#bbbbbb", "#000",
                       plan_.baseline.peakBytes, "at its peak"},
                      {"arena", "arena", "#1f77b4", "#fff", s.arenaBytes,
                       fmt::format("{:.2f}× less", figures_.ratio)},
                      {"live peak", "livepeak", "#d62728", "#fff", s.peakBytes,
                       fmt::format("step {}", s.peakStep)}};
  double by = top + 10;
  for (const Bar &bar : bars) {
    const double w = std::max(1.0, double(bar.bytes) / full * barWidth);
    std::string value = kib(bar.bytes) + ", " + bar.note;
    const bool inside = textWidth(value, 10) + 8 < w;
    out_ += fmt::format(
        "<g class=\"rambar {}\" data-bytes=\"{}\"><text x=\"{:.1f}\" y=\"{:.1f}\" "
        "text-anchor=\"end\">{}</text><rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
        "height=\"15\" fill=\"{}\"/><text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"10\" "
        "fill=\"{}\">{}</text></g>\n",
        bar.cls, bar.bytes, barLeft - 6, by + 11, bar.label, barLeft, by, w, bar.fill,
        inside ? barLeft + 4 : barLeft + w + 4, by + 11, inside ? bar.ink : "#000",
        escapeXml(value));
    by += 20;
  }
  return by + 14;
}

/// One row per op: the most bytes live while it runs (op colour) over the bytes live at its
/// step of layer-by-layer execution (grey); returns the bottom of the chart.
double SvgPicture::opChart(double top) {
  const auto &ops = figures_.ops;
  int64_t most = 1;
  for (const report::OpFigure &op : ops)
    most = std::max({most, op.planBytes, op.baselineBytes});
  const double barLeft = kColumnLeft + kOpLabelWidth, barWidth = kColumnRight - barLeft - 4;
  const double rowH = rowH_;
  out_ += fmt::format("<text x=\"{}\" y=\"{:.1f}\" font-weight=\"bold\">Per op: bytes live "
                      "while it runs</text><text x=\"{}\" y=\"{:.1f}\" font-size=\"10\" "
                      "fill=\"#555\">colour: this plan; grey: layer-by-layer</text>\n",
                      kColumnLeft, top, kColumnLeft, top + 13);
  double ry = top + 22, lastLabel = -1e9;
  for (const report::OpFigure &op : ops) {
    const ir::Node &node = g_.nodes[op.node];
    const double wb = double(op.baselineBytes) / double(most) * barWidth;
    const double wp = double(op.planBytes) / double(most) * barWidth;
    out_ += fmt::format(
        "<g class=\"op\" data-node=\"{}\" data-plan-bytes=\"{}\" data-baseline-bytes=\"{}\">"
        "<title>{} ({}): {} live at most over steps {}-{}; layer-by-layer {}</title>"
        "<rect x=\"{:.1f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" fill=\"#d9d9d9\"/>"
        "<rect x=\"{:.1f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" fill=\"{}\"/>",
        escapeXml(node.name), op.planBytes, op.baselineBytes, escapeXml(node.name), op.kind,
        kib(op.planBytes), op.firstStep, op.lastStep, kib(op.baselineBytes), barLeft, ry,
        std::max(0.5, wb), rowH * 0.9, barLeft, ry + rowH * 0.2, std::max(0.5, wp), rowH * 0.5,
        colourOf(op.kind));
    if (ry - lastLabel >= 9) {
      out_ += fmt::format("<text x=\"{:.1f}\" y=\"{:.2f}\" font-size=\"{:.1f}\" "
                          "text-anchor=\"end\">{}</text>",
                          barLeft - 4, ry + std::min(rowH, 9.0) * 0.85,
                          std::min(rowH, 9.0) + 0.5, escapeXml(shorten(op.kind, 18)));
      lastLabel = ry;
    }
    out_ += "</g>\n";
    ry += rowH;
  }
  const double step = niceStep(double(most) / 1024.0, 4);
  for (double k = 0; k * 1024.0 <= double(most); k += step) {
    const double px = barLeft + k * 1024.0 / double(most) * barWidth;
    out_ += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" "
                        "stroke=\"#666\"/><text x=\"{0:.1f}\" y=\"{3:.1f}\" font-size=\"10\" "
                        "text-anchor=\"middle\">{4}</text>\n",
                        px, ry + 1, ry + 5, ry + 16, number(k));
  }
  out_ += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">KiB</text>\n",
                      barLeft + barWidth / 2, ry + 30);
  return ry + 40;
}

} // namespace

std::string planSvg(const ir::Graph &g, const Plan &plan, const std::string &title) {
  return SvgPicture(g, plan, title).draw();
}

} // namespace rnnpoolc::plan
