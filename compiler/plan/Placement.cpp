// Arena placement, as TensorFlow Lite Micro's greedy planner does it: buffers sorted by
// size, largest first, each at the lowest offset where it collides with no reservation
// already placed (see Plan.h: a reservation is a span of bytes over a span of steps). A
// buffer computed in place shares its input's offset; the two are placed as one block
// live over both ranges. A buffer with row lifetimes reserves each run of rows only while
// it lives, so it can sit on rows of another that are already consumed.
// Limits: greedy, not optimal; O(n^2) in the number of reservations.
#include "compiler/plan/Builder.h"

#include <algorithm>

namespace rnnpoolc::plan {
namespace {

int root(const std::vector<Buffer> &buffers, int b) {
  while (buffers[b].aliasOf >= 0)
    b = buffers[b].aliasOf;
  return b;
}

/// What one family (a buffer and those computed in place over it) reserves, relative to
/// its offset.
struct Family {
  std::vector<Reservation> parts;
  int64_t bytes = 0;
  int first = 0;
  int64_t align = 1; ///< Scratch buffers (kernels' int16/int32 working memory): 8.
};

int64_t alignUp(int64_t offset, int64_t align) { return (offset + align - 1) / align * align; }

bool collide(const Reservation &a, const Reservation &b) {
  return a.first <= b.last && b.first <= a.last && a.begin < b.end && b.begin < a.end;
}

} // namespace

void placeBuffers(Plan &plan) {
  std::vector<Buffer> &buffers = plan.buffers;
  const size_t n = buffers.size();
  std::vector<Family> families(n);
  std::vector<char> isRoot(n, 0);
  for (size_t b = 0; b < n; ++b) {
    int r = root(buffers, static_cast<int>(b));
    Family &f = families[r];
    if (!isRoot[r]) {
      isRoot[r] = 1;
      f.parts = reservations(buffers[b], 0);
      f.first = buffers[b].firstStep;
    } else { // in-place members are uniform: widen the family's one reservation
      Reservation &all = f.parts[0];
      all.end = std::max(all.end, buffers[b].bytes);
      all.first = std::min(all.first, buffers[b].firstStep);
      all.last = std::max(all.last, buffers[b].lastStep);
      f.first = std::min(f.first, buffers[b].firstStep);
    }
    f.bytes = std::max(f.bytes, buffers[b].bytes);
    if (buffers[b].kind == BufferKind::Scratch)
      f.align = 8;
  }
  std::vector<int> order;
  for (size_t b = 0; b < n; ++b)
    if (isRoot[b])
      order.push_back(static_cast<int>(b));
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return families[a].bytes != families[b].bytes ? families[a].bytes > families[b].bytes
                                                  : families[a].first < families[b].first;
  });

  std::vector<Reservation> placed;
  std::vector<int64_t> offsets(n, 0);
  for (int b : order) {
    const Family &f = families[b];
    int64_t offset = 0;
    if (f.parts.size() == 1) { // one reservation: the first gap between busy spans
      const Reservation &part = f.parts[0];
      std::vector<std::pair<int64_t, int64_t>> busy;
      for (const Reservation &p : placed)
        if (p.first <= part.last && part.first <= p.last)
          busy.emplace_back(p.begin, p.end);
      std::sort(busy.begin(), busy.end());
      for (auto [start, end] : busy) {
        if (start - offset >= part.end)
          break;
        offset = alignUp(std::max(offset, end), f.align);
      }
      offsets[b] = offset;
      placed.push_back({part.begin + offset, part.end + offset, part.first, part.last});
      continue;
    }
    // The lowest feasible offset is 0 or puts some part right after a placed reservation.
    std::vector<int64_t> candidates = {0};
    for (const Reservation &p : placed)
      for (const Reservation &part : f.parts)
        if (p.first <= part.last && part.first <= p.last && p.end - part.begin > 0)
          candidates.push_back(p.end - part.begin);
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    for (int64_t c : candidates) {
      bool fits = true;
      for (const Reservation &part : f.parts) {
        Reservation at{part.begin + c, part.end + c, part.first, part.last};
        for (const Reservation &p : placed)
          if (collide(at, p)) {
            fits = false;
            break;
          }
        if (!fits)
          break;
      }
      if (fits) {
        offset = c;
        break;
      }
    }
    offsets[b] = offset;
    for (const Reservation &part : f.parts)
      placed.push_back({part.begin + offset, part.end + offset, part.first, part.last});
  }

  Summary &s = plan.summary;
  s.arenaBytes = 0;
  for (size_t b = 0; b < n; ++b) {
    buffers[b].offset = offsets[root(buffers, static_cast<int>(b))];
    s.arenaBytes = std::max(s.arenaBytes, buffers[b].offset + buffers[b].bytes);
  }
  // Peak: reserved bytes per step.
  const int steps = std::max<int>(1, static_cast<int>(plan.steps.size()));
  std::vector<int64_t> delta(steps + 1, 0);
  for (const Reservation &p : placed) {
    delta[std::clamp(p.first, 0, steps)] += p.end - p.begin;
    delta[std::clamp(p.last + 1, 0, steps)] -= p.end - p.begin;
  }
  s.peakBytes = 0;
  std::vector<int64_t> totals(steps, 0);
  int64_t running = 0;
  for (int k = 0; k < steps; ++k) {
    running += delta[k];
    totals[k] = running;
    if (running > s.peakBytes)
      s.peakBytes = running, s.peakStep = k;
  }
  std::vector<size_t> sites;
  for (int k = 0; k < steps && k < static_cast<int>(plan.steps.size()); ++k)
    if (totals[k] == s.peakBytes)
      sites.push_back(plan.steps[k].kind == StepKind::Stream ? SIZE_MAX : plan.steps[k].node);
  std::sort(sites.begin(), sites.end());
  s.peakSites = static_cast<int>(std::unique(sites.begin(), sites.end()) - sites.begin());
}

} // namespace rnnpoolc::plan
