// The stand-in layer-by-layer arena layout (see ArenaLayout.h).
#include "targets/c/ArenaLayout.h"

#include <algorithm>
#include <numeric>

namespace rnnpoolc::targets::c {
namespace {

constexpr int64_t kAlign = 16;

int64_t alignUp(int64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

/// One arena buffer: a tensor (or a chain of aliases of it) or a kernel's scratch.
struct Buffer {
  int64_t bytes = 0;
  int first = 0, last = 0; ///< Steps during which it is live (inclusive).
  int64_t offset = -1;
};

/// Largest first, lowest offset that fits beside every placed buffer live at the same time.
int64_t placeAll(std::vector<Buffer> &buffers) {
  std::vector<size_t> bySize(buffers.size());
  std::iota(bySize.begin(), bySize.end(), 0);
  std::stable_sort(bySize.begin(), bySize.end(),
                   [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });
  std::vector<size_t> placed;
  int64_t peak = 0;
  for (size_t b : bySize) {
    Buffer &buf = buffers[b];
    std::vector<std::pair<int64_t, int64_t>> taken;
    for (size_t p : placed)
      if (buffers[p].first <= buf.last && buf.first <= buffers[p].last)
        taken.emplace_back(buffers[p].offset, buffers[p].offset + buffers[p].bytes);
    std::sort(taken.begin(), taken.end());
    int64_t offset = 0;
    for (const auto &[lo, hi] : taken) {
      if (offset + buf.bytes <= lo)
        break;
      offset = std::max(offset, alignUp(hi));
    }
    buf.offset = offset;
    peak = std::max(peak, offset + buf.bytes);
    placed.push_back(b);
  }
  return alignUp(peak);
}

} // namespace

ArenaLayout layerByLayerLayout(const ir::Graph &g, int64_t elementBytes,
                               const std::vector<bool> &alias,
                               const std::vector<int64_t> &scratch) {
  ArenaLayout layout;
  layout.planner = "layer-by-layer (targets/c stand-in planner)";
  layout.order.resize(g.nodes.size());
  std::iota(layout.order.begin(), layout.order.end(), 0);
  const int end = static_cast<int>(g.nodes.size());

  // Each tensor maps to a buffer; an Alias output maps to its input's buffer.
  std::vector<int> bufferOf(g.numTensors(), -1);
  std::vector<Buffer> buffers;
  auto touch = [&](ir::TensorId t, int step) {
    if (t == ir::kNoTensor || g.tensor(t).isConstant())
      return;
    if (bufferOf[t] < 0) {
      bufferOf[t] = static_cast<int>(buffers.size());
      buffers.push_back(
          {ir::checkedNumel(g.tensor(t).shape).value_or(0) * elementBytes, step, step});
    }
    Buffer &b = buffers[bufferOf[t]];
    b.first = std::min(b.first, step);
    b.last = std::max(b.last, step);
  };
  for (ir::TensorId t : g.inputs)
    touch(t, 0);
  std::vector<int> scratchBuffer(g.nodes.size(), -1);
  for (int step = 0; step < end; ++step) {
    const ir::Node &node = g.nodes[step];
    for (ir::TensorId t : node.inputs)
      touch(t, step);
    if (alias[static_cast<size_t>(step)] && bufferOf[node.inputs[0]] >= 0)
      bufferOf[node.outputs[0]] = bufferOf[node.inputs[0]];
    for (ir::TensorId t : node.outputs)
      touch(t, step);
    if (int64_t bytes = scratch[static_cast<size_t>(step)]; bytes > 0) {
      scratchBuffer[step] = static_cast<int>(buffers.size());
      buffers.push_back({bytes, step, step});
    }
  }
  for (ir::TensorId t : g.outputs)
    touch(t, end);
  layout.arenaBytes = placeAll(buffers);

  layout.tensorOffset.assign(g.numTensors(), -1);
  for (size_t t = 0; t < g.numTensors(); ++t)
    if (bufferOf[t] >= 0)
      layout.tensorOffset[t] = buffers[bufferOf[t]].offset;
  layout.scratchOffset.assign(g.nodes.size(), -1);
  layout.scratchBytes.assign(g.nodes.size(), 0);
  for (size_t n = 0; n < g.nodes.size(); ++n)
    if (scratchBuffer[n] >= 0) {
      layout.scratchOffset[n] = buffers[scratchBuffer[n]].offset;
      layout.scratchBytes[n] = buffers[scratchBuffer[n]].bytes;
    }
  return layout;
}

} // namespace rnnpoolc::targets::c
