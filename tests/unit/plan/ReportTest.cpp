// Plan report tests: the figures every report prints agree with the plan's own summary
// (live bytes per step peak where the planner says, the rebuilt layer-by-layer figures peak
// at the baseline), and the text, SVG and HTML print the ratio of the baseline to the arena.
#include "compiler/plan/Report.h"
#include "compiler/passes/Passes.h"
#include "compiler/plan/Planner.h"
#include "compiler/plan/ReportFigures.h"
#include "tests/unit/passes/Builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <regex>

using namespace rnnpoolc;
using ir::OpKind;
using testing::Builder;

namespace {

/// conv 3x3 + relu, depthwise 3x3 stride 2, pointwise conv, max pool, residual add: a
/// MobileNet-like chain over a 3 x size x size input.
ir::Graph smallNet(int64_t size) {
  Builder b;
  ir::TensorId x = b.input("image", {1, 3, size, size});
  ir::TensorId y =
      b.node(OpKind::Conv, "stem", {x, b.constant("w0", {8, 3, 3, 3})}, testing::conv3x3());
  y = b.node(OpKind::Relu, "stem_relu", {y});
  ir::ConvAttrs dw = testing::conv3x3(1, 8);
  dw.strides = {2, 2};
  y = b.node(OpKind::Conv, "dw", {y, b.constant("w1", {8, 1, 3, 3})}, dw);
  ir::ConvAttrs pw = testing::conv3x3(0);
  pw.kernel = {1, 1};
  ir::TensorId z = b.node(OpKind::Conv, "pw", {y, b.constant("w2", {8, 8, 1, 1})}, pw);
  y = b.node(OpKind::Add, "residual", {y, z});
  ir::PoolAttrs pool;
  pool.kernel = pool.strides = {2, 2};
  pool.dilations = {1, 1};
  pool.pads = {0, 0, 0, 0};
  b.g.outputs = {b.node(OpKind::MaxPool, "pool", {y}, pool)};
  REQUIRE(passes::canonicalize(b.g));
  return std::move(b.g);
}

plan::Plan planOf(const ir::Graph &g, bool stream) {
  plan::PlanOptions options;
  options.streamInput = stream;
  auto p = plan::makePlan(g, options);
  REQUIRE(p);
  return std::move(*p);
}

/// The value of attribute `name` of the SVG's root element.
std::string rootAttr(const std::string &svg, const std::string &name) {
  std::smatch m;
  std::string head = svg.substr(0, svg.find('>'));
  REQUIRE(std::regex_search(head, m, std::regex(" " + name + "=\"([^\"]*)\"")));
  return m[1];
}

size_t count(const std::string &text, const std::string &what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

} // namespace

TEST_CASE("report figures peak where the plan and its baseline say") {
  for (int64_t size : {16, 32, 40}) {
    ir::Graph g = smallNet(size);
    for (bool stream : {false, true}) {
      CAPTURE(size, stream);
      plan::Plan p = planOf(g, stream);
      plan::report::Figures f = plan::report::computeFigures(g, p);
      REQUIRE(f.live.size() == p.steps.size());
      auto peak = std::max_element(f.live.begin(), f.live.end());
      CHECK(*peak == p.summary.peakBytes);
      CHECK(peak - f.live.begin() == p.summary.peakStep);
      CHECK(f.ops.size() == g.nodes.size());
      int64_t baseline = 0, most = 0;
      for (const auto &op : f.ops) {
        baseline = std::max(baseline, op.baselineBytes);
        most = std::max(most, op.planBytes);
        CHECK(op.firstStep <= op.lastStep);
      }
      CHECK(baseline == p.baseline.peakBytes);
      CHECK(most <= p.summary.peakBytes);
      CHECK(f.ratio == Approx(double(p.baseline.peakBytes) / double(p.summary.arenaBytes)));
    }
  }
}

TEST_CASE("the summary text prints the arena, the live peak and the ratio to the arena") {
  ir::Graph g = smallNet(32);
  plan::Plan p = planOf(g, false);
  std::string text = plan::planSummaryText(g, p);
  CHECK_THAT(text, Catch::StartsWith("arena "));
  CHECK_THAT(text, Catch::Contains(plan::report::grouped(p.summary.arenaBytes) + " bytes"));
  CHECK_THAT(text, Catch::Contains(fmt::format("live peak     {} bytes",
                                               plan::report::grouped(p.summary.peakBytes))));
  CHECK_THAT(text, Catch::Contains(fmt::format("{:.2f} times less RAM than layer-by-layer",
                                               double(p.baseline.peakBytes) /
                                                   double(p.summary.arenaBytes))));
  CHECK_THAT(plan::planText(g, p), Catch::EndsWith(text));
  CHECK(plan::report::grouped(1505280) == "1,505,280");
  CHECK(plan::report::grouped(999) == "999");
  CHECK(plan::report::escapeXml("a<b & \"c\"") == "a&lt;b &amp; &quot;c&quot;");
}

TEST_CASE("the SVG carries the plan's figures, a legend and one hover title per buffer") {
  ir::Graph g = smallNet(32);
  for (bool stream : {false, true}) {
    CAPTURE(stream);
    plan::Plan p = planOf(g, stream);
    std::string svg = plan::planSvg(g, p, "net<1>.onnx");
    CHECK(rootAttr(svg, "data-arena-bytes") == std::to_string(p.summary.arenaBytes));
    CHECK(rootAttr(svg, "data-peak-step") == std::to_string(p.summary.peakStep));
    CHECK(rootAttr(svg, "data-baseline-bytes") == std::to_string(p.baseline.peakBytes));
    CHECK(rootAttr(svg, "data-ratio") ==
          fmt::format("{:.2f}", double(p.baseline.peakBytes) / double(p.summary.arenaBytes)));
    CHECK_THAT(svg, Catch::Contains("net&lt;1&gt;.onnx: memory plan"));
    for (size_t i = 0; i < p.buffers.size(); ++i)
      CHECK_THAT(svg, Catch::Contains(fmt::format("data-buffer=\"{}\"", i)));
    CHECK(count(svg, "<g class=\"op\"") == g.nodes.size());
    for (const char *kind : {"DepthwiseConv", "Conv", "MaxPool", "input frame", "live peak"})
      CHECK_THAT(svg, Catch::Contains(fmt::format("<text x=\"18\" y=\"10\">{}</text>", kind)));
    // The address axis ends at the arena, in KiB.
    CHECK_THAT(svg, Catch::Contains(fmt::format("font-weight=\"bold\">{:.1f}</text>",
                                                double(p.summary.arenaBytes) / 1024.0)));
    CHECK(count(svg, "<g class=\"peak\" data-step=\"" + std::to_string(p.summary.peakStep)) ==
          1);
  }
}

TEST_CASE("the HTML page is self-contained and lists every step and op") {
  ir::Graph g = smallNet(32);
  plan::Plan p = planOf(g, false);
  std::string html = plan::planHtml(g, p, "small.onnx");
  CHECK_THAT(html, Catch::StartsWith("<!DOCTYPE html>"));
  CHECK_THAT(html, Catch::EndsWith("</html>\n"));
  // The only URL is the SVG namespace, which names and fetches nothing.
  CHECK(count(html, "http") == count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK(count(html, "src=") == 0);
  CHECK(count(html, "<svg ") == 1);
  const size_t steps = html.find("<table id=\"steps\">"), ops = html.find("<table id=\"ops\">");
  REQUIRE(steps != std::string::npos);
  REQUIRE(ops != std::string::npos);
  CHECK(count(html.substr(steps), "<tr") == p.steps.size() + 1);
  CHECK(count(html.substr(ops, steps - ops), "<tr") == g.nodes.size() + 1);
  CHECK(count(html, "<tr class=\"peak\">") == 1);
  CHECK_THAT(html, Catch::Contains(
                       fmt::format("<b>{:.2f}× less</b>", double(p.baseline.peakBytes) /
                                                              double(p.summary.arenaBytes))));
}
