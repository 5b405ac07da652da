// Arena placement: offsets for the plan's buffers such that no two overlap while live (see
// Plan.h: a reservation is a span of bytes over a span of steps), for the smallest arena.
//
// A buffer computed in place shares its input's offset; the two are placed as one family
// live over both ranges. A buffer with row lifetimes reserves each run of rows only while
// it lives, so it can sit on rows of another that are already consumed.
//
// Effort Greedy is TensorFlow Lite Micro's greedy planner: families sorted by size,
// largest first, each at the lowest offset where it collides with nothing placed. Effort
// Thorough places in several orders (size, size x lifetime, lifetime, start step, and "by
// breadth": the steps with the most live bytes first, as Pisarchyk & Lee 2020) with first
// fit and best fit (the smallest gap that holds the family), keeps the smallest arena, then
// repairs that order: a family that reaches the top of the arena moves towards the front,
// and the move is kept when the arena does not grow (bounded rounds). The size order with
// first fit is Greedy, so Thorough is never worse. The live peak (the most bytes reserved
// at one step) bounds any arena from below; Thorough is usually within a few percent of it.
// Effort Final repairs the three best orders instead of one (for the chosen plan only),
// then, while the arena is above the live peak, runs a bounded local search over the order
// (localSearch below). A family is checked only against the families live at some step of
// its own. A PlacementMemo answers a problem placed before (its key: every family's
// reservations, the steps and the effort) with the offsets found then. Limits: heuristics,
// not optimal; O(n^2) per order in the number of reservations.
#include "compiler/plan/Builder.h"

#include <algorithm>
#include <exception>
#include <numeric>
#include <unordered_map>

namespace rnnpoolc::plan {
namespace {

int root(const std::vector<Buffer> &buffers, int b) {
  while (buffers[b].aliasOf >= 0)
    b = buffers[b].aliasOf;
  return b;
}

/// Where buffer b begins relative to its family's root (Buffer::aliasOffset, summed).
int64_t offsetFromRoot(const std::vector<Buffer> &buffers, int b) {
  int64_t at = 0;
  for (; buffers[b].aliasOf >= 0; b = buffers[b].aliasOf)
    at += buffers[b].aliasOffset;
  return at;
}

/// What one family (a buffer and those computed in place over it) reserves, relative to
/// its offset.
struct Family {
  std::vector<Reservation> parts;
  int64_t bytes = 0;
  int first = 0, last = 0;
  int64_t align = 1; ///< Scratch buffers (kernels' int16/int32 working memory): 8.
  /// Where the root begins, from the family's offset: above 0 when a member lies below it
  /// (a Pad's ring over its input's first row, Buffer::aliasOffset).
  int64_t rootAt = 0;
};

int64_t alignUp(int64_t offset, int64_t align) {
  return (offset + align - 1) / align * align;
}

enum class Fit : uint8_t { First, Best };

class Placer {
public:
  explicit Placer(const std::vector<Buffer> &buffers);

  /// Places the families in `order`; returns the arena and fills `offsets` (per family).
  /// The first `from` families of the order sit where `known` says (a placement whose order
  /// begins the same way: placing is deterministic). Gives up, returning an arena above
  /// `bound` with `offsets` incomplete, as soon as the arena exceeds `bound`.
  int64_t place(const std::vector<int> &order, Fit fit, std::vector<int64_t> &offsets,
                size_t from = 0, const std::vector<int64_t> *known = nullptr,
                int64_t bound = INT64_MAX) const;
  std::vector<int> roots() const { return roots_; }
  const Family &family(int r) const { return families_[r]; }
  /// The reservations compared so far in finding offsets: what placing has cost.
  int64_t work() const { return work_; }
  /// Gathers, once, every family's neighbours' reservations live at some step of its life,
  /// merged where they touch for a family of one reservation, for the many place() calls
  /// of a thorough placement (a greedy one places once: it filters as it goes).
  void gatherSpans();

private:
  std::vector<Family> families_; ///< Indexed by root buffer.
  std::vector<int> roots_;
  /// Per root, the other roots live at some common step (only those can collide).
  std::vector<int> neighbours_;
  std::vector<size_t> neighboursFrom_; ///< Root r's are [neighboursFrom_[r], [r + 1]).
  /// gatherSpans()'s: per root, its neighbours' reservations (relative to their offsets)
  /// that can collide with it, each with its neighbour.
  struct Span {
    int root;
    Reservation part;
  };
  std::vector<Span> spans_;
  std::vector<size_t> spansFrom_;      ///< Root r's are [spansFrom_[r], [r + 1]); empty: none.
  mutable std::vector<char> isPlaced_; ///< place()'s, per root.
  /// Working memory of offsetOf, kept across calls: place() runs hundreds of times a plan.
  mutable std::vector<std::pair<int64_t, int64_t>> busy_;
  mutable std::vector<Reservation> near_; ///< place()'s
  mutable std::vector<Reservation> sorted_; ///< offsetOf's
  mutable std::vector<int64_t> reach_;      ///< offsetOf's: the highest end up to each
  mutable int64_t work_ = 0;
  int64_t offsetOf(const Family &f, Fit fit, const std::vector<Reservation> &placed) const;
};

Placer::Placer(const std::vector<Buffer> &buffers) : families_(buffers.size()) {
  std::vector<char> isRoot(buffers.size(), 0);
  std::unordered_map<int, Buffer> rowFamilies; ///< Per root of rows taken over: their lives.
  for (size_t b = 0; b < buffers.size(); ++b) {
    if (buffers[b].within >= 0)
      continue; // inside its ring's reservation, which lives as long (placeBuffers)
    if (isOverInputRow(buffers[b]))
      continue; // below, once its root's reservations are known
    int r = root(buffers, static_cast<int>(b));
    Family &f = families_[r];
    if (!isRoot[r]) {
      isRoot[r] = 1;
      f.parts = reservations(buffers[b], 0);
      f.first = buffers[b].firstStep, f.last = buffers[b].lastStep;
    } else if (!buffers[b].rowFirstStep.empty() && !buffers[r].rowFirstStep.empty()) {
      // Rows taken over row by row (BuildOptions::inPlaceRows): each row of the family
      // from the root's row's birth to the last member's row's death.
      Buffer &rows = rowFamilies.try_emplace(r, buffers[r]).first->second;
      const Buffer &x = buffers[b];
      for (size_t k = 0; k < rows.rowFirstStep.size() && k < x.rowFirstStep.size(); ++k) {
        rows.rowFirstStep[k] = std::min(rows.rowFirstStep[k], x.rowFirstStep[k]);
        rows.rowLastStep[k] = std::max(rows.rowLastStep[k], x.rowLastStep[k]);
      }
      f.parts = reservations(rows, 0);
    } else { // an in-place member: widen the family's one reservation (split below when
             // the members differ in size)
      Reservation &all = f.parts[0];
      all.end = std::max(all.end, buffers[b].bytes);
      all.first = std::min(all.first, buffers[b].firstStep);
      all.last = std::max(all.last, buffers[b].lastStep);
    }
    f.first = std::min(f.first, buffers[b].firstStep);
    f.last = std::max(f.last, buffers[b].lastStep);
    f.bytes = std::max(f.bytes, buffers[b].bytes);
    if (buffers[b].kind == BufferKind::Scratch)
      f.align = 8;
  }
  // A family whose members differ in size (a Pad over its input, a depthwise conv over
  // its tile's input): one reservation per member, each up to the step before the member
  // that takes it over (at that step, the larger of the two), so that the smaller one does
  // not reserve the larger one's bytes for its whole life.
  std::vector<int> heir(buffers.size(), -1);
  for (size_t b = 0; b < buffers.size(); ++b)
    if (buffers[b].aliasOf >= 0 && !isOverInputRow(buffers[b]))
      heir[static_cast<size_t>(buffers[b].aliasOf)] = static_cast<int>(b);
  for (size_t r = 0; r < buffers.size(); ++r) {
    if (buffers[r].aliasOf >= 0 || heir[r] < 0)
      continue; // not the root of a family with members
    Family &f = families_[r];
    bool uniform = true;
    for (int m = static_cast<int>(r); m >= 0; m = heir[static_cast<size_t>(m)])
      uniform = uniform && buffers[static_cast<size_t>(m)].bytes == f.bytes;
    if (uniform)
      continue;
    f.parts.clear();
    int64_t before = 0; // the bytes of the member taken over, which its heir's first step reads
    for (int m = static_cast<int>(r); m >= 0; m = heir[static_cast<size_t>(m)]) {
      const Buffer &b = buffers[static_cast<size_t>(m)];
      const int next = heir[static_cast<size_t>(m)];
      Reservation part{0, b.bytes, b.firstStep,
                       next >= 0 ? buffers[static_cast<size_t>(next)].firstStep - 1 : b.lastStep};
      if (before > b.bytes) { // (a depthwise conv's tile over its larger input)
        f.parts.push_back(Reservation{0, before, b.firstStep, b.firstStep});
        ++part.first;
      }
      if (part.first <= part.last)
        f.parts.push_back(part);
      before = b.bytes;
    }
  }
  // A Pad's ring over its input's first row: its own reservations, where it lies from the
  // root; a family reaching below its root is placed from its lowest byte.
  for (size_t b = 0; b < buffers.size(); ++b) {
    if (!isOverInputRow(buffers[b]))
      continue;
    const int r = root(buffers, static_cast<int>(b));
    Family &f = families_[r];
    for (const Reservation &p :
         reservations(buffers[b], offsetFromRoot(buffers, static_cast<int>(b))))
      f.parts.push_back(p);
    f.first = std::min(f.first, buffers[b].firstStep);
    f.last = std::max(f.last, buffers[b].lastStep);
  }
  for (size_t r = 0; r < buffers.size(); ++r) {
    Family &f = families_[r];
    if (!isRoot[r] || f.parts.empty())
      continue;
    int64_t low = 0;
    for (const Reservation &p : f.parts)
      low = std::min(low, p.begin);
    if (low == 0)
      continue;
    f.rootAt = -low;
    for (Reservation &p : f.parts)
      p.begin -= low, p.end -= low, f.bytes = std::max(f.bytes, p.end);
  }
  for (size_t b = 0; b < buffers.size(); ++b)
    if (isRoot[b])
      roots_.push_back(static_cast<int>(b));
  // Neighbours: a sweep over the families by first step.
  std::vector<int> byFirst = roots_;
  std::stable_sort(byFirst.begin(), byFirst.end(),
                   [&](int a, int b) { return families_[a].first < families_[b].first; });
  // (Counted first, then filled: one allocation, where a vector each grew by steps.)
  auto sweep = [&](auto &&pair) {
    for (size_t i = 0; i < byFirst.size(); ++i)
      for (size_t j = i + 1; j < byFirst.size(); ++j) {
        const int a = byFirst[i], b = byFirst[j];
        if (families_[b].first > families_[a].last)
          break;
        pair(a, b), pair(b, a);
      }
  };
  neighboursFrom_.assign(families_.size() + 1, 0);
  sweep([&](int a, int) { ++neighboursFrom_[static_cast<size_t>(a) + 1]; });
  for (size_t r = 0; r < families_.size(); ++r)
    neighboursFrom_[r + 1] += neighboursFrom_[r];
  neighbours_.resize(neighboursFrom_.back());
  std::vector<size_t> next(neighboursFrom_.begin(), neighboursFrom_.end() - 1);
  sweep([&](int a, int b) { neighbours_[next[static_cast<size_t>(a)]++] = b; });
}

void Placer::gatherSpans() {
  // A family of one reservation (and some bytes) collides with a neighbour's reservations
  // wherever their bytes are, whatever their steps: for it they are merged where their bytes
  // touch (a map's rows, a ring's slots), so offsetOf sorts and sweeps a few spans rather
  // than every row. The same gaps, so the same offsets.
  spansFrom_.assign(families_.size() + 1, 0);
  spans_.clear();
  std::vector<Reservation> merged;
  for (size_t r = 0; r < families_.size(); ++r) {
    const Family &f = families_[r];
    for (size_t n = neighboursFrom_[r]; n < neighboursFrom_[r + 1]; ++n) {
      const int other = neighbours_[n];
      merged.clear();
      for (const Reservation &p : families_[other].parts)
        if (p.first <= f.last && f.first <= p.last)
          merged.push_back(p);
      size_t kept = merged.size();
      if (f.parts.size() == 1 && f.bytes > 0 && kept > 1) {
        std::sort(merged.begin(), merged.end(),
                  [](const Reservation &a, const Reservation &b) { return a.begin < b.begin; });
        kept = 1;
        for (size_t k = 1; k < merged.size(); ++k) {
          Reservation &last = merged[kept - 1];
          if (merged[k].begin <= last.end)
            last.end = std::max(last.end, merged[k].end),
            last.first = std::min(last.first, merged[k].first),
            last.last = std::max(last.last, merged[k].last);
          else
            merged[kept++] = merged[k];
        }
      }
      for (size_t k = 0; k < kept; ++k)
        spans_.push_back({other, merged[k]});
    }
    spansFrom_[r + 1] = spans_.size();
  }
}

/// The offset of `f` given the reservations placed so far that overlap it in time.
int64_t Placer::offsetOf(const Family &f, Fit fit,
                         const std::vector<Reservation> &placed) const {
  if (f.parts.size() == 1) { // one reservation: a gap between busy spans
    const Reservation &part = f.parts[0];
    std::vector<std::pair<int64_t, int64_t>> &busy = busy_;
    busy.clear();
    work_ += static_cast<int64_t>(placed.size());
    for (const Reservation &p : placed)
      busy.emplace_back(p.begin, p.end);
    // (By start alone: spans that start together give the same gaps in either order.)
    std::sort(busy.begin(), busy.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });
    int64_t offset = 0, best = -1, bestGap = INT64_MAX;
    for (auto [start, end] : busy) {
      if (start - offset >= part.end) { // a gap that holds the family
        if (fit == Fit::First)
          return offset;
        if (start - offset < bestGap)
          best = offset, bestGap = start - offset;
      }
      offset = alignUp(std::max(offset, end), f.align);
    }
    return best >= 0 ? best : offset;
  }
  // The lowest aligned offset where no part collides. A part at offset c that collides
  // with a placed reservation p collides at every offset up to p.end - part.begin, so the
  // search jumps there. Each part sweeps the placed reservations by their first byte,
  // jumping past each it collides with, up to the first that starts above it; the parts
  // take turns until all of them fit at the same offset. A sweep starts at the first
  // reservation that reaches above the part's first byte (`reach`, the highest end so far,
  // never falls): none before it can touch the part.
  std::vector<Reservation> &byBegin = sorted_;
  byBegin.assign(placed.begin(), placed.end());
  std::sort(byBegin.begin(), byBegin.end(),
            [](const Reservation &a, const Reservation &b) { return a.begin < b.begin; });
  std::vector<int64_t> &reach = reach_;
  reach.resize(byBegin.size());
  for (size_t k = 0; k < byBegin.size(); ++k)
    reach[k] = std::max(k ? reach[k - 1] : INT64_MIN, byBegin[k].end);
  int64_t c = 0;
  for (size_t k = 0, fits = 0; fits < f.parts.size(); k = (k + 1) % f.parts.size()) {
    const Reservation &part = f.parts[k];
    int64_t at = c;
    const size_t from = static_cast<size_t>(
        std::upper_bound(reach.begin(), reach.end(), part.begin + at) - reach.begin());
    for (size_t i = from; i < byBegin.size(); ++i) {
      const Reservation &p = byBegin[i];
      ++work_;
      if (p.begin >= part.end + at)
        break;
      if (p.end > part.begin + at && p.first <= part.last && part.first <= p.last)
        at = alignUp(p.end - part.begin, f.align);
    }
    if (at == c)
      ++fits;
    else
      c = at, fits = 1;
  }
  return c;
}

int64_t Placer::place(const std::vector<int> &order, Fit fit, std::vector<int64_t> &offsets,
                      size_t from, const std::vector<int64_t> *known, int64_t bound) const {
  offsets.assign(families_.size(), 0);
  isPlaced_.assign(families_.size(), 0);
  std::vector<Reservation> &near = near_;
  int64_t arena = 0;
  for (size_t k = 0; k < from; ++k) {
    const int r = order[k];
    offsets[r] = (*known)[r], isPlaced_[r] = 1;
    arena = std::max(arena, offsets[r] + families_[r].bytes);
  }
  for (size_t k = from; k < order.size() && arena <= bound; ++k) {
    const int r = order[k];
    const Family &f = families_[r];
    // The reservations placed so far that are live at some step of f's.
    near.clear();
    auto add = [&](int other, const Reservation &p) {
      near.push_back({p.begin + offsets[other], p.end + offsets[other], p.first, p.last});
    };
    if (!spansFrom_.empty()) {
      for (size_t n = spansFrom_[r]; n < spansFrom_[r + 1]; ++n)
        if (isPlaced_[spans_[n].root])
          add(spans_[n].root, spans_[n].part);
    } else {
      for (size_t n = neighboursFrom_[r]; n < neighboursFrom_[r + 1]; ++n) {
        const int other = neighbours_[n];
        if (isPlaced_[other])
          for (const Reservation &p : families_[other].parts)
            if (p.first <= f.last && f.first <= p.last)
              add(other, p);
      }
    }
    int64_t offset = offsetOf(f, fit, near);
    offsets[r] = offset, isPlaced_[r] = 1;
    arena = std::max(arena, offset + f.bytes);
  }
  return arena;
}

/// The candidate orders of the families (Greedy: by size only).
std::vector<std::vector<int>> orders(const Placer &placer, int steps, Placement effort) {
  const std::vector<int> roots = placer.roots();
  auto sorted = [&](auto key) {
    std::vector<int> order = roots;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return key(a) > key(b); });
    return order;
  };
  auto life = [&](int r) {
    return int64_t(placer.family(r).last - placer.family(r).first + 1);
  };
  auto size = [&](int r) {
    return std::pair(placer.family(r).bytes, -int64_t(placer.family(r).first));
  };
  std::vector<std::vector<int>> out = {sorted(size)};
  if (effort == Placement::Greedy || roots.empty()) // no buffers (a zero-node model)
    return out;
  out.push_back(sorted([&](int r) { return placer.family(r).bytes * life(r); }));
  out.push_back(sorted([&](int r) { return std::pair(life(r), placer.family(r).bytes); }));
  out.push_back(sorted([&](int r) {
    return std::pair(-int64_t(placer.family(r).first), placer.family(r).bytes);
  }));
  // By breadth: the steps with the most live bytes first; at each, its families by size.
  std::vector<int64_t> live(std::max(1, steps), 0);
  for (int r : roots)
    for (int s = std::max(0, placer.family(r).first);
         s <= placer.family(r).last && s < int(live.size()); ++s)
      live[s] += placer.family(r).bytes;
  std::vector<int> byLive(live.size());
  std::iota(byLive.begin(), byLive.end(), 0);
  std::stable_sort(byLive.begin(), byLive.end(),
                   [&](int a, int b) { return live[a] > live[b]; });
  std::vector<int> bySize = out[0], breadth;
  std::vector<char> taken(*std::max_element(roots.begin(), roots.end()) + 1, 0);
  for (int s : byLive)
    for (int r : bySize)
      if (!taken[r] && placer.family(r).first <= s && s <= placer.family(r).last)
        taken[r] = 1, breadth.push_back(r);
  for (int r : bySize)
    if (!taken[r])
      breadth.push_back(r);
  out.push_back(breadth);
  return out;
}

/// Bounded repair of the best order, by moves that lift a family at the top of the arena
/// earlier in the order. Each round of repairTops tries the last four families at the top
/// at the front, halfway there or one place up, and keeps the best move when the arena does
/// not grow; repairStepwise moves the latest family at the top one place up, then further
/// each time that does not help. Both stop after a few rounds without a gain.
void repairTops(const Placer &placer, Fit fit, std::vector<int> &order,
                std::vector<int64_t> &offsets, int64_t &arena) {
  std::vector<int64_t> trial;
  for (int round = 0, stale = 0; round < 24 && stale < 4; ++round) {
    std::vector<int> tops;
    for (size_t k = order.size(); k-- > 1 && tops.size() < 4;)
      if (offsets[order[k]] + placer.family(order[k]).bytes == arena)
        tops.push_back(static_cast<int>(k));
    std::vector<int> bestOrder;
    int64_t best = INT64_MAX;
    std::vector<int64_t> bestOffsets;
    for (int top : tops)
      for (int to : {0, top / 2, top - 1}) {
        std::vector<int> next = order;
        std::rotate(next.begin() + to, next.begin() + top, next.begin() + top + 1);
        // (The families before `to` sit where they do now; a trial no better than the best
        // so far stops early.)
        int64_t a = placer.place(next, fit, trial, static_cast<size_t>(to), &offsets,
                                 best == INT64_MAX ? INT64_MAX : best - 1);
        if (a < best)
          best = a, bestOrder = std::move(next), bestOffsets = trial;
      }
    if (bestOrder.empty() || best > arena)
      break;
    stale = best < arena ? 0 : stale + 1;
    arena = best, order = std::move(bestOrder), offsets = std::move(bestOffsets);
  }
}

void repairStepwise(const Placer &placer, Fit fit, std::vector<int> &order,
                    std::vector<int64_t> &offsets, int64_t &arena) {
  std::vector<int> next = order;
  std::vector<int64_t> trial;
  for (int round = 0, stale = 0; round < 64 && stale < 8; ++round) {
    int top = -1;
    for (size_t k = next.size(); k-- > 0;)
      if (offsets[next[k]] + placer.family(next[k]).bytes == arena) {
        top = static_cast<int>(k);
        break;
      }
    if (top <= 0)
      break;
    int to = std::max(0, top - 1 - stale * top / 8);
    std::rotate(next.begin() + to, next.begin() + top, next.begin() + top + 1);
    int64_t a = placer.place(next, fit, trial, static_cast<size_t>(to), &offsets, arena);
    if (a <= arena) {
      stale = a < arena ? 0 : stale + 1;
      arena = a, offsets = trial, order = next;
    } else {
      next = order;
      ++stale;
    }
  }
}

/// The local search's budget, in families squared over its trials.
constexpr int64_t kLocalSearchWork = 30'000'000;
/// The local search stops after this many trials in a row that do not shrink the arena:
/// when the live peak cannot be reached it would otherwise spend its whole budget
/// (rpool_face_m4 streamed, 1.3 -> 0.8 s). On the corpus of bench/plan/speed.py (the zoo,
/// the authors' models and the fuzzing seeds, int8, float and streamed) the longest run
/// before a gain is 2,753 trials (mobilenet_v2_blocks) and no plan changes but
/// rpool_face_m4 streamed's offsets (the same arena).
constexpr int64_t kLocalSearchStall = 4096;
/// And after this much work (reservations compared, Placer::work), whatever its trials: a
/// trial of a plan whose families have many rows (a QVGA detector's 60-row maps) compares
/// far more than the families squared. On the corpus above the last gain came within 156 M
/// (rpool_face_m4 streamed); the authors' RPool_Face_QVGA_monochrome at 320x240 (its
/// re-creation in tools/models) spent up to 693 M a local search.
constexpr int64_t kLocalSearchMaxWork = 250'000'000;

/// The bytes reserved at each of `steps` steps (at least one), which do not depend on the
/// offsets.
std::vector<int64_t> reservedPerStep(const Placer &placer, int steps) {
  const int n = std::max<int>(1, steps);
  std::vector<int64_t> delta(n + 1, 0);
  for (int r : placer.roots())
    for (const Reservation &p : placer.family(r).parts) {
      delta[std::clamp(p.first, 0, n)] += p.end - p.begin;
      delta[std::clamp(p.last + 1, 0, n)] -= p.end - p.begin;
    }
  std::vector<int64_t> totals(n, 0);
  int64_t running = 0;
  for (int k = 0; k < n; ++k)
    totals[k] = running += delta[k];
  return totals;
}

/// The most bytes reserved at one step.
int64_t livePeak(const Placer &placer, int steps) {
  const std::vector<int64_t> totals = reservedPerStep(placer, steps);
  return *std::max_element(totals.begin(), totals.end());
}

/// Effort Final, while the arena is above `floor` (the live peak, which no placement goes
/// below): a bounded local search over the order. Each trial either lifts a family that
/// reaches the top of the arena to a random earlier place or swaps two random families,
/// and is kept when the arena does not grow (so the search also walks across placements
/// of the same arena); it stops at the floor, after its budget, or after kLocalSearchStall
/// trials without a gain. The random numbers are a fixed sequence: plans are reproducible.
void localSearch(const Placer &placer, Fit fit, std::vector<int> &order,
                 std::vector<int64_t> &offsets, int64_t &arena, int64_t floor) {
  const size_t n = order.size();
  if (n < 2)
    return;
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  auto random = [&](size_t bound) { // splitmix64
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<size_t>((z ^ (z >> 31)) % bound);
  };
  // The budget: trials cost about n^2 each; small plans get thousands.
  const int64_t trials =
      std::clamp<int64_t>(kLocalSearchWork / static_cast<int64_t>(n * n), 64, 8192);
  std::vector<int> next;
  std::vector<int64_t> trial;
  std::vector<size_t> tops;
  // `gain`: the trial after the last one that shrank the arena (walks across equal arenas
  // do not count as gains).
  const int64_t start = placer.work();
  for (int64_t t = 0, gain = 0; t < trials && arena > floor && t - gain < kLocalSearchStall &&
                                placer.work() - start < kLocalSearchMaxWork;
       ++t) {
    next = order;
    size_t from = 0;
    if (t % 2 == 0) {
      tops.clear();
      for (size_t k = 1; k < n; ++k)
        if (offsets[order[k]] + placer.family(order[k]).bytes == arena)
          tops.push_back(k);
      if (tops.empty())
        continue;
      const size_t top = tops[random(tops.size())];
      from = random(top);
      std::rotate(next.begin() + static_cast<long>(from), next.begin() + static_cast<long>(top),
                  next.begin() + static_cast<long>(top) + 1);
    } else {
      size_t i = random(n), j = random(n);
      if (i == j)
        continue;
      std::swap(next[i], next[j]);
      from = std::min(i, j);
    }
    int64_t a = placer.place(next, fit, trial, from, &offsets, arena);
    if (a < arena)
      gain = t + 1;
    if (a <= arena)
      order.swap(next), offsets.swap(trial), arena = a;
  }
}

/// The offsets (per root) of `placer`'s families placed with `effort`.
std::vector<int64_t> placeFamilies(Placer &placer, int steps, Placement effort) {
  struct Candidate {
    int64_t arena;
    std::vector<int> order;
    Fit fit;
    std::vector<int64_t> offsets;
  };
  if (effort != Placement::Greedy)
    placer.gatherSpans();
  std::vector<Candidate> candidates;
  std::vector<int64_t> offsets;
  for (const std::vector<int> &order : orders(placer, steps, effort))
    for (Fit fit : {Fit::First, Fit::Best}) {
      if (effort == Placement::Greedy && fit == Fit::Best)
        continue;
      int64_t a = placer.place(order, fit, offsets);
      candidates.push_back({a, order, fit, offsets});
    }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate &a, const Candidate &b) { return a.arena < b.arena; });
  int64_t arena = candidates[0].arena;
  std::vector<int64_t> bestOffsets = candidates[0].offsets;
  std::vector<int> bestOrder = candidates[0].order;
  Fit bestFit = candidates[0].fit;
  // Thorough repairs the best placement both ways, Final the three best; the smallest
  // arena is kept.
  const size_t repaired = effort == Placement::Final      ? 3
                          : effort == Placement::Thorough ? 1
                                                          : 0;
  for (size_t k = 0; k < std::min(repaired, candidates.size()); ++k)
    for (auto repair : {repairTops, repairStepwise}) {
      Candidate c = candidates[k];
      repair(placer, c.fit, c.order, c.offsets, c.arena);
      if (c.arena < arena)
        arena = c.arena, bestOffsets = std::move(c.offsets), bestOrder = std::move(c.order),
        bestFit = c.fit;
    }
  if (effort == Placement::Final) {
    const int64_t floor = livePeak(placer, steps);
    localSearch(placer, bestFit, bestOrder, bestOffsets, arena, floor);
  }
  return bestOffsets;
}

/// All that placeFamilies' result depends on: every family's size, steps, alignment and
/// reservations (by root), the number of steps and the effort.
std::string placementKey(const Placer &placer, size_t buffers, int steps, Placement effort) {
  std::string key;
  auto add = [&](int64_t v) { key.append(reinterpret_cast<const char *>(&v), sizeof v); };
  add(static_cast<int64_t>(buffers)), add(steps), add(static_cast<int>(effort));
  for (int r : placer.roots()) {
    const Family &f = placer.family(r);
    add(r), add(f.bytes), add(f.first), add(f.last), add(f.align);
    add(static_cast<int64_t>(f.parts.size()));
    for (const Reservation &p : f.parts)
      add(p.begin), add(p.end), add(p.first), add(p.last);
  }
  return key;
}

} // namespace

std::vector<int64_t> reservedBytes(const Plan &plan) {
  std::vector<int64_t> totals =
      reservedPerStep(Placer(plan.buffers), static_cast<int>(plan.steps.size()));
  totals.resize(plan.steps.size());
  return totals;
}

void placeBuffers(Plan &plan, Placement effort, PlacementMemo *memo) {
  std::vector<size_t> sites(plan.steps.size());
  for (size_t k = 0; k < sites.size(); ++k)
    sites[k] = plan.steps[k].kind == StepKind::Stream ? SIZE_MAX : plan.steps[k].node;
  placeBuffers(plan.buffers, sites, plan.summary, effort, memo);
}

std::vector<int64_t>
PlacementMemo::offsets(const std::string &key,
                       const std::function<std::vector<int64_t>()> &place) {
  std::promise<std::vector<int64_t>> promise;
  std::shared_future<std::vector<int64_t>> placed;
  bool mine = false;
  {
    std::lock_guard lock(mutex_);
    auto it = placed_.find(key);
    if (it != placed_.end()) {
      placed = it->second;
    } else {
      placed = promise.get_future().share();
      placed_.emplace(key, placed);
      mine = true;
    }
  }
  if (mine) {
    try {
      promise.set_value(place());
    } catch (...) {
      promise.set_exception(std::current_exception());
      throw;
    }
  }
  return placed.get();
}

void placeBuffers(std::vector<Buffer> &buffers, const std::vector<size_t> &stepSites,
                  Summary &s, Placement effort, PlacementMemo *memo) {
  Placer placer(buffers);
  const int steps = static_cast<int>(stepSites.size());
  auto place = [&] { return placeFamilies(placer, steps, effort); };
  const std::vector<int64_t> bestOffsets =
      memo ? memo->offsets(placementKey(placer, buffers.size(), steps, effort), place)
           : place();

  auto offsetOf = [&](int b) {
    const int r = root(buffers, b);
    return bestOffsets[r] + placer.family(r).rootAt + offsetFromRoot(buffers, b);
  };
  s.arenaBytes = 0;
  for (size_t b = 0; b < buffers.size(); ++b) {
    const Buffer &buffer = buffers[b];
    buffers[b].offset = buffer.within >= 0 ? offsetOf(buffer.within) + buffer.withinOffset
                                           : offsetOf(static_cast<int>(b));
    s.arenaBytes = std::max(s.arenaBytes, buffers[b].offset + buffers[b].bytes);
  }
  // Peak: reserved bytes per step.
  const int n = std::max<int>(1, steps);
  const std::vector<int64_t> totals = reservedPerStep(placer, steps);
  s.peakBytes = 0;
  for (int k = 0; k < n; ++k)
    if (totals[k] > s.peakBytes)
      s.peakBytes = totals[k], s.peakStep = k;
  std::vector<size_t> sites;
  for (int k = 0; k < n && k < steps; ++k)
    if (totals[k] == s.peakBytes)
      sites.push_back(stepSites[k]);
  std::sort(sites.begin(), sites.end());
  s.peakSites = static_cast<int>(std::unique(sites.begin(), sites.end()) - sites.begin());
}

} // namespace rnnpoolc::plan
