// Arena placement, as TensorFlow Lite Micro's greedy planner does it: buffers sorted by
// size, largest first, each at the lowest offset where it overlaps no placed buffer that
// is live at the same time. A buffer computed in place shares its input's offset: the two
// are placed as one block live over both ranges. A buffer whose rows are released as they
// are consumed (the resident input) is placed first; a later-born buffer may use the rows
// it has already released. Limits: greedy, not optimal; O(n^2).
#include "compiler/plan/Builder.h"

#include <algorithm>
#include <numeric>

namespace rnnpoolc::plan {
namespace {

int root(const std::vector<Buffer> &buffers, int b) {
  while (buffers[b].aliasOf >= 0)
    b = buffers[b].aliasOf;
  return b;
}

struct Block {
  int64_t bytes = 0;
  int first = 0, last = 0;
  int64_t offset = 0;
  const Buffer *rows = nullptr; ///< Set for a buffer that releases its rows.

  /// The first byte still in use at `step` (offset, or past the released rows).
  int64_t busyFrom(int step) const {
    return rows ? offset + releasedRows(*rows, step) * regionRowBytes(*rows) : offset;
  }
};

} // namespace

void placeBuffers(Plan &plan) {
  std::vector<Buffer> &buffers = plan.buffers;
  std::vector<Block> blocks(buffers.size());
  std::vector<char> isRoot(buffers.size(), 0);
  for (size_t b = 0; b < buffers.size(); ++b) {
    int r = root(buffers, static_cast<int>(b));
    Block &k = blocks[r];
    if (!isRoot[r]) {
      isRoot[r] = 1;
      k = {buffers[b].bytes, buffers[b].firstStep, buffers[b].lastStep, 0, nullptr};
    }
    if (!buffers[b].rowLastStep.empty())
      k.rows = &buffers[b];
    k.bytes = std::max(k.bytes, buffers[b].bytes);
    k.first = std::min(k.first, buffers[b].firstStep);
    k.last = std::max(k.last, buffers[b].lastStep);
  }
  std::vector<int> order;
  for (size_t b = 0; b < buffers.size(); ++b)
    if (isRoot[b])
      order.push_back(static_cast<int>(b));
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    if ((blocks[a].rows != nullptr) != (blocks[b].rows != nullptr))
      return blocks[a].rows != nullptr;
    return blocks[a].bytes != blocks[b].bytes ? blocks[a].bytes > blocks[b].bytes
                                              : blocks[a].first < blocks[b].first;
  });
  std::vector<int> placed;
  for (int b : order) {
    std::vector<std::pair<int64_t, int64_t>> busy; // [offset, end) of live placed blocks
    for (int p : placed)
      if (blocks[p].first <= blocks[b].last && blocks[b].first <= blocks[p].last)
        busy.emplace_back(blocks[p].busyFrom(blocks[b].first), blocks[p].offset + blocks[p].bytes);
    std::sort(busy.begin(), busy.end());
    int64_t offset = 0;
    for (auto [start, end] : busy) {
      if (start - offset >= blocks[b].bytes)
        break;
      offset = std::max(offset, end);
    }
    blocks[b].offset = offset;
    placed.push_back(b);
  }
  Summary &s = plan.summary;
  s.arenaBytes = 0;
  for (size_t b = 0; b < buffers.size(); ++b) {
    buffers[b].offset = blocks[root(buffers, static_cast<int>(b))].offset;
    s.arenaBytes = std::max(s.arenaBytes, buffers[b].offset + buffers[b].bytes);
  }
  // Peak: bytes live per step, each block once.
  const int steps = std::max<int>(1, static_cast<int>(plan.steps.size()));
  std::vector<int64_t> live(steps + 1, 0);
  std::vector<int> releasing;
  for (int b : order) {
    if (blocks[b].rows) {
      releasing.push_back(b);
      continue;
    }
    live[std::max(0, blocks[b].first)] += blocks[b].bytes;
    live[std::min(steps, blocks[b].last + 1)] -= blocks[b].bytes;
  }
  s.peakBytes = 0;
  int64_t running = 0;
  std::vector<int64_t> totals(steps, 0);
  for (int k = 0; k < steps; ++k) {
    running += live[k];
    int64_t total = running;
    for (int b : releasing)
      if (blocks[b].first <= k && k <= blocks[b].last)
        total += blocks[b].offset + blocks[b].bytes - blocks[b].busyFrom(k);
    totals[k] = total;
    if (total > s.peakBytes)
      s.peakBytes = total, s.peakStep = k;
  }
  std::vector<size_t> sites;
  for (int k = 0; k < steps && k < static_cast<int>(plan.steps.size()); ++k)
    if (totals[k] == s.peakBytes)
      sites.push_back(plan.steps[k].kind == StepKind::Stream ? SIZE_MAX : plan.steps[k].node);
  std::sort(sites.begin(), sites.end());
  s.peakSites = static_cast<int>(std::unique(sites.begin(), sites.end()) - sites.begin());
}

} // namespace rnnpoolc::plan
