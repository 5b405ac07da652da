// Which nodes of a canonical graph each backend cannot compile yet, all at once.
//
// The fixed-point quantiser and the float lowering stop at the first node they cannot
// handle. To list every such node, the check runs again on a copy of the graph from which
// the failing node is cut: its outputs become graph inputs, so the nodes after it are
// still checked. The fixed-point check uses placeholder ranges ([-1, 1] for every tensor):
// whether a node has a kernel does not depend on calibration; a problem that does (an op's
// input outside its domain, a Sqrt of what is in fact a sigmoid's output) is not listed.
// A problem that is not about one node (a graph input or output the backend cannot take)
// is listed only when it comes first.
#include "compiler/driver/Driver.h"
#include "targets/FloatLowering.h"

#include <fmt/format.h>

#include <algorithm>

namespace rnnpoolc::driver {
namespace {

/// At most this many checks per backend (a model with more gaps lists the first ones).
constexpr int kMaxRounds = 64;

/// The node an error names ("node 'NAME' (Op): ..."), or -1.
int namedNode(const ir::Graph &g, const std::string &message) {
  const std::string prefix = "node '";
  if (!message.starts_with(prefix))
    return -1;
  size_t end = message.find("' (", prefix.size());
  if (end == std::string::npos)
    return -1;
  const std::string name = message.substr(prefix.size(), end - prefix.size());
  for (size_t n = 0; n < g.nodes.size(); ++n)
    if (g.nodes[n].name == name)
      return static_cast<int>(n);
  return -1;
}

/// Removes node `n`; its outputs become graph inputs (and stop being graph outputs).
void cutNode(ir::Graph &g, size_t n) {
  for (ir::TensorId out : g.nodes[n].outputs) {
    g.inputs.push_back(out);
    g.outputs.erase(std::remove(g.outputs.begin(), g.outputs.end(), out), g.outputs.end());
  }
  g.nodes.erase(g.nodes.begin() + static_cast<std::ptrdiff_t>(n));
}

/// Whether a fixed-point problem depends on the ranges calibration gives (an op's input
/// reaching outside its domain), which the placeholder ranges cannot tell.
bool dependsOnRanges(const std::string &message) {
  return message.find("outside the op's domain") != std::string::npos;
}

std::vector<BackendGap> gaps(const ir::Graph &graph,
                             const std::function<Status(const ir::Graph &)> &check,
                             bool (*unknowable)(const std::string &) = nullptr) {
  std::vector<BackendGap> found;
  ir::Graph g = graph;
  for (int round = 0; round < kMaxRounds; ++round) {
    Status status = check(g);
    if (status)
      break;
    const std::string message = status.error().message();
    int n = namedNode(g, message);
    // After a cut, a problem that is not about one node may be about the cut itself (an
    // inner tensor posing as a graph input): stop there.
    if (n < 0 && round > 0)
      break;
    if (n >= 0 && unknowable && unknowable(message)) { // cut, not listed
      cutNode(g, static_cast<size_t>(n));
      continue;
    }
    found.push_back({n < 0 ? std::string() : g.nodes[n].name,
                     n < 0 ? std::string() : std::string(ir::opName(g.nodes[n].op)), message});
    if (n < 0)
      break; // not about one node: nothing to cut
    cutNode(g, static_cast<size_t>(n));
  }
  return found;
}

} // namespace

std::vector<BackendGap> fixedPointGaps(const ir::Graph &graph) {
  return gaps(
      graph,
      [&](const ir::Graph &g) -> Status {
        // A range for every tensor the quantiser will see: those of the graph as prepareGraph
        // leaves it (the pre-activations it splits out of convs are new tensors), as
        // calibration gives them.
        ir::Graph prepared = g;
        quant::Ranges ranges;
        const ir::Graph &named = quant::prepareGraph(prepared) ? prepared : g;
        for (size_t id = 0; id < named.numTensors(); ++id)
          ranges[named.tensor(static_cast<ir::TensorId>(id)).name] = quant::Range{-1.0f, 1.0f};
        auto model = quant::quantize(g, ranges);
        if (!model)
          return model.error();
        return Status::ok();
      },
      dependsOnRanges);
}

std::vector<BackendGap> floatGaps(const ir::Graph &graph) {
  return gaps(graph, [](const ir::Graph &g) -> Status {
    auto model = targets::lowerFloat(g);
    if (!model)
      return model.error();
    return Status::ok();
  });
}

std::string floatBuildHint(const ir::Graph &graph, const std::string &node) {
  std::vector<BackendGap> missing = floatGaps(graph);
  if (missing.empty())
    return "; use the float build (--float)";
  for (const BackendGap &gap : missing)
    if (!gap.node.empty() && gap.node == node)
      return "; the float build (--float) has no kernel for it either";
  const BackendGap &first = missing.front();
  if (first.node.empty())
    return "; the float build (--float) cannot compile this model either";
  return fmt::format("; the float build (--float) cannot compile this model either (no "
                     "kernel for node '{}' ({}))",
                     first.node, first.op);
}

} // namespace rnnpoolc::driver
