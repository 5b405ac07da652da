// The per-node instruction profile of `rnnpoolc run --board ... --profile`: per node, per
// kernel kind, and RNNPool's instructions per patch.
#include "compiler/driver/RunBoard.h"
#include "compiler/support/Escape.h"

#include <fmt/format.h>

#include <algorithm>

namespace rnnpoolc::driver {
namespace {

double total(const std::vector<double> &perNode) {
  double sum = 0;
  for (double v : perNode)
    sum += v;
  return sum;
}

/// Instructions by kernel kind, in first-seen order of the kinds.
std::vector<std::pair<std::string, double>> byKind(const std::vector<ProfileNode> &nodes,
                                                   const std::vector<double> &perNode) {
  std::vector<std::pair<std::string, double>> kinds;
  for (size_t n = 0; n < nodes.size(); ++n) {
    auto it = std::find_if(kinds.begin(), kinds.end(),
                           [&](const auto &k) { return k.first == nodes[n].kind; });
    if (it == kinds.end())
      kinds.emplace_back(nodes[n].kind, perNode[n]);
    else
      it->second += perNode[n];
  }
  return kinds;
}

} // namespace

std::vector<double> profileInstructions(const std::vector<uint64_t> &ticks,
                                        double instructionsPerTick, size_t inferences,
                                        size_t nodes) {
  std::vector<double> out(nodes, 0.0);
  for (size_t n = 0; n < nodes && n < ticks.size(); ++n)
    out[n] = static_cast<double>(ticks[n]) * instructionsPerTick /
             static_cast<double>(inferences == 0 ? 1 : inferences);
  return out;
}

void printProfile(const std::vector<ProfileNode> &nodes, const std::vector<double> &perNode) {
  const double sum = total(perNode);
  auto share = [&](double v) { return sum > 0 ? 100.0 * v / sum : 0.0; };
  fmt::print("profile (instructions per inference, each node's steps summed):\n");
  for (size_t n = 0; n < nodes.size(); ++n)
    fmt::print("  node {:3} {:16} {:12} {:>12.0f} {:5.1f}%  {}\n", n, nodes[n].kind,
               nodes[n].op, perNode[n], share(perNode[n]), nodes[n].name);
  fmt::print("by kernel kind:\n");
  for (const auto &[kind, v] : byKind(nodes, perNode))
    fmt::print("  {:16} {:>12.0f} {:5.1f}%\n", kind, v, share(v));
  for (size_t n = 0; n < nodes.size(); ++n)
    if (nodes[n].patches > 0)
      fmt::print("RNNPool '{}': {} patches, {:.0f} instructions per patch\n",
                 escapeForMessage(nodes[n].name),
                 nodes[n].patches, perNode[n] / static_cast<double>(nodes[n].patches));
}

void profileJson(JsonWriter &w, const std::vector<ProfileNode> &nodes,
                 const std::vector<double> &perNode) {
  w.key("profile").beginObject();
  w.key("nodes").beginArray();
  for (size_t n = 0; n < nodes.size(); ++n) {
    w.beginObject().member("index", n).member("name", nodes[n].name);
    w.member("op", nodes[n].op).member("kind", nodes[n].kind);
    w.member("instructions", static_cast<int64_t>(perNode[n] + 0.5)).endObject();
  }
  w.endArray();
  w.key("kinds").beginObject();
  for (const auto &[kind, v] : byKind(nodes, perNode))
    w.member(kind, static_cast<int64_t>(v + 0.5));
  w.endObject();
  w.key("rnnpool").beginArray();
  for (size_t n = 0; n < nodes.size(); ++n)
    if (nodes[n].patches > 0)
      w.beginObject()
          .member("index", n)
          .member("name", nodes[n].name)
          .member("patches", nodes[n].patches)
          .member("instructions_per_patch", perNode[n] / static_cast<double>(nodes[n].patches))
          .endObject();
  w.endArray();
  w.member("instructions", static_cast<int64_t>(total(perNode) + 0.5));
  w.endObject();
}

} // namespace rnnpoolc::driver
