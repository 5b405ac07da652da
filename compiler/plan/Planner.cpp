// The planner's search: operator order, row-band and tile regions, budget handling.
#include "compiler/plan/Planner.h"

#include "compiler/plan/Builder.h"
#include "compiler/plan/Verifier.h"
#include "compiler/support/Limits.h"

#include <algorithm>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <unordered_map>

namespace rnnpoolc::plan {
namespace {

/// The summaries of the candidates evaluated so far, by schedule, build options and
/// placement effort: the searches of one makePlan (greedy- and thorough-decided, the
/// resident one inside a streamed one) see many candidates again (a third to a half).
/// Searches run in parallel share it (each call locks); a search's path does not depend on
/// what the others have evaluated, since a summary is the same found or computed.
class Evaluations {
public:
  /// The key of a candidate (into `key`).
  static void keyOf(const ir::Graph &graph, const Schedule &schedule,
                    const BuildOptions &options, Placement effort, std::string &key) {
    key.clear();
    auto add = [&](int64_t v) {
      const auto x = static_cast<int32_t>(v);
      key.append(reinterpret_cast<const char *>(&x), sizeof x);
    };
    // (Every BuildOptions field, and every Schedule field, is part of the key; how an
    // RNNPool's scratch is carried only when one runs in row bands, so that the searches
    // with and without carried candidates share the others.)
    bool pooledBands = false;
    for (const RegionInfo &r : schedule.regions)
      for (size_t n : r.nodes)
        pooledBands = pooledBands || (r.strategy == Strategy::RowBands &&
                                      graph.nodes[n].op == ir::OpKind::RNNPool);
    add(options.floatActivations), add(options.streamInput), add(options.inPlace);
    add(options.rowLifetimes), add(options.rowRuns), add(options.streamIntoFrame);
    add(options.streamFirst);
    add(options.depthwiseInPlace), add(options.inPlaceChunk), add(options.tilesInPlace);
    add(options.fuseExpansions), add(options.fuseEverywhere), add(options.fuseGroup);
    add(pooledBands && options.carryScratch), add(pooledBands && options.priceCarried);
    add(static_cast<int>(effort));
    for (size_t n : schedule.order)
      add(static_cast<int64_t>(n));
    for (const RegionInfo &r : schedule.regions) {
      add(-1), add(static_cast<int>(r.strategy)), add(r.tileRows), add(r.tileCols);
      add(r.handOff);
      for (size_t n : r.nodes)
        add(static_cast<int64_t>(n));
    }
  }
  /// The summary of the candidate of `key`, if it has been seen (nullopt inside: it did
  /// not build).
  std::optional<std::optional<Summary>> find(const std::string &key) const {
    std::lock_guard lock(mutex_);
    auto it = seen_.find(key);
    if (it == seen_.end())
      return std::nullopt;
    return it->second;
  }
  void add(const std::string &key, const std::optional<Summary> &summary) {
    std::lock_guard lock(mutex_);
    seen_.emplace(key, summary);
  }
  /// The finished plans (Search::finish) by the same key, with the options of the variant
  /// each was built with: the searches of one makePlan often choose the same schedule, and
  /// finishing (placement's local search) is costly.
  struct Finished {
    Plan plan;
    BuildOptions built;
  };
  std::optional<Finished> finished(const std::string &key) const {
    std::lock_guard lock(mutex_);
    auto it = finished_.find(key);
    if (it == finished_.end())
      return std::nullopt;
    return it->second;
  }
  void addFinished(const std::string &key, const Finished &finished) {
    std::lock_guard lock(mutex_);
    finished_.emplace(key, finished);
  }
  /// The final placements made so far (finishing one schedule builds it several ways, and
  /// the searches finish many schedules, often with the same buffers).
  PlacementMemo &placements() const { return placements_; }

private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::optional<Summary>> seen_;
  std::unordered_map<std::string, Finished> finished_;
  mutable PlacementMemo placements_;
};

/// Lexicographic goal: least arena (or, under a budget, fitting with fewest MACs).
bool preferred(const PlanOptions &options, const Summary &a, const Summary &b) {
  if (options.ramBudget > 0) {
    bool fitA = a.arenaBytes <= options.ramBudget;
    bool fitB = b.arenaBytes <= options.ramBudget;
    if (fitA != fitB)
      return fitA;
    if (fitA && a.macs != b.macs)
      return a.macs < b.macs;
  }
  // The arena is what the firmware must provide; the live peak is its lower bound.
  if (a.arenaBytes != b.arenaBytes)
    return a.arenaBytes < b.arenaBytes;
  if (a.peakBytes != b.peakBytes)
    return a.peakBytes < b.peakBytes;
  if (a.peakSites != b.peakSites)
    return a.peakSites < b.peakSites;
  return a.macs < b.macs;
}

class Search {
public:
  /// How a search prices and grows its candidates: being greedy, searches that differ in
  /// these end in different places, and makePlan keeps the best plan of several.
  struct Variant {
    /// How the candidates that decide each round (and the starting orders) are placed;
    /// many more are screened greedy by size either way.
    Placement decide = Placement::Greedy;
    /// Plans carry RNNPool's row summaries from band to band, so that row bands cost no
    /// more MACs than the layer; the candidates are built so too, else each band's scratch
    /// lives for its step only and is priced as carrying (BuildOptions::priceCarried: the
    /// search then goes where the scratch of one band at a time fits).
    bool carriedCandidates = true;
    int rowRuns = 16; ///< How finely candidates' row lifetimes are priced.
    /// The candidates are priced with depthwise convs in place (BuildOptions::
    /// depthwiseInPlace; the chosen schedule is tried with them either way).
    bool priceInPlace = false;
    /// Tiles are also tried at finer grids (down to a sixteenth of the output's side), and
    /// regions may hand their output off to the next (RegionInfo::handOff).
    bool handOffs = false;
    /// The candidates' tiles run depthwise convs in place (BuildOptions::tilesInPlace; the
    /// chosen schedule is tried with them either way).
    bool tilesInPlace = false;
  };

  /// `evaluations` are shared by the searches of one graph.
  Search(const ir::Graph &graph, const PlanOptions &options, const Variant &variant,
         Evaluations &evaluations)
      : g_(graph), options_(options), variant_(variant), evaluations_(evaluations) {
    build_.rowRuns = variant.rowRuns;
    build_.floatActivations = options.floatActivations;
    build_.streamInput = options.streamInput;
    build_.depthwiseInPlace = options.depthwiseInPlace && variant.priceInPlace;
    build_.tilesInPlace = options.depthwiseInPlace && variant.tilesInPlace;
    carry_ = options.carryScratch;
    build_.carryScratch = carry_ && variant.carriedCandidates;
    build_.priceCarried = carry_ && !variant.carriedCandidates;
    // Which nodes may join row-band regions (regionable()). A channel Concat may when
    // every input comes from the model or from a node that may, and a channel Slice when
    // every consumer may (or accumulates): one that waits for, or feeds, a reduction over
    // channels (S3FD's max-out head: a Slice, a ReduceMax, a Concat) would only pin that
    // reduction in the sunk order of the search over branches, and gain nothing. Taken
    // away until nothing changes (a Slice's Concat and the Concat's Slice decide together).
    const std::vector<int> producer = graph.producers();
    const std::vector<std::vector<size_t>> consumers = graph.consumers();
    regionable_.assign(graph.nodes.size(), 0);
    for (const ir::Node &dw : graph.nodes) {
      const int p = dw.inputs.empty() ? -1 : producer[static_cast<size_t>(dw.inputs[0])];
      fusable_ = fusable_ || (options.fuseExpansions && p >= 0 &&
                              fusesExpansion(graph, graph.nodes[static_cast<size_t>(p)], dw,
                                             options.floatActivations));
    }
    for (size_t n = 0; n < graph.nodes.size(); ++n)
      regionable_[n] = isRegionable(graph, graph.nodes[n]) &&
                       (options.channelConcats || !ir::isChannelConcat(graph, graph.nodes[n]));
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t n = 0; n < graph.nodes.size(); ++n) {
        const ir::Node &node = graph.nodes[n];
        bool ok = regionable_[n];
        if (ok && ir::isChannelConcat(graph, node))
          for (ir::TensorId in : node.inputs)
            ok = ok && (producer[in] < 0 || regionable_[static_cast<size_t>(producer[in])]);
        if (ok && ir::isChannelSlice(graph, node))
          for (size_t c : consumers[node.outputs[0]])
            ok = ok && (regionable_[c] || accumulates(c));
        changed = changed || ok != static_cast<bool>(regionable_[n]);
        regionable_[n] = ok;
      }
    }
  }

  Expected<Plan> run();
  /// The rounds from `start` (a schedule another search ended at) rather than from layer
  /// by layer: its plan, or a better one they find.
  Expected<Plan> polish(const Schedule &start);
  /// `start`'s finished plan `best` with the regions where its arena binds grown by a
  /// neighbouring layer step, while that lowers the finished plan; chosen() is its schedule.
  Expected<Plan> growAtTop(const Schedule &start, Plan best);
  /// growAtTop from `start`'s finished plan.
  Expected<Plan> finishAndGrow(const Schedule &start) {
    if (auto baseline = measureBaseline(); !baseline) // (what allowed() measures against)
      return baseline.error();
    auto best = finish(start);
    if (!best)
      return best.error();
    return growAtTop(start, std::move(*best));
  }
  /// `schedule`'s finished plan as makePlan returns it: finish()'s, with the rows of rings
  /// given lives of their own where that lowers it.
  Expected<Plan> finishLast(const Schedule &schedule);
  /// growAtTop finishes its candidates as finishLast does.
  void finishWithRings() { withRings_ = true; }
  /// The schedule the last run() chose (set even when it then failed the RAM budget).
  const Schedule &chosen() const { return chosen_; }
  const Variant &variant() const { return variant_; }

private:
  const ir::Graph &g_;
  PlanOptions options_;
  Variant variant_;
  Evaluations &evaluations_;
  bool carry_ = false; ///< The plans carry RNNPool's summaries.
  bool withRings_ = false; ///< growAtTop finishes with finishLast (finishWithRings).
  BuildOptions build_;
  int64_t baselineMacs_ = 0;
  Schedule chosen_;
  /// Only the schedule is wanted (chosen()): run() stops before building the plan.
  bool scheduleOnly_ = false;
  /// The cost of the candidates evaluated so far (nodes squared each, as placement is):
  /// the search stops at limits::kMaxPlanWork.
  mutable int64_t work_ = 0;
  bool spent() const { return work_ > limits::kMaxPlanWork; }

  /// The summary of a schedule's plan; `refined` also gives rows their own lifetimes
  /// (slower). `effort`: greedy by size screens many candidates; the few that decide a
  /// round are placed thoroughly.
  std::optional<Summary> evaluate(const Schedule &schedule, bool refined = true,
                                  Placement effort = Placement::Greedy) const {
    BuildOptions options = build_;
    options.rowLifetimes = refined;
    work_ += static_cast<int64_t>(g_.nodes.size() * g_.nodes.size());
    Evaluations::keyOf(g_, schedule, options, effort, key_);
    if (auto seen = evaluations_.find(key_))
      return *seen;
    std::optional<Summary> summary;
    if (auto s = summarizePlan(g_, schedule, options, effort))
      summary = *s;
    evaluations_.add(key_, summary);
    return summary;
  }
  mutable std::string key_; ///< evaluate()'s, kept for its capacity.
  /// Whether node n can join a row-band region: a spatial op over maps (a channel Concat
  /// if the options allow and its inputs can), or a reduction that accumulates row by row
  /// (which then ends its region).
  bool joinable(size_t n) const { return regionable(n) || accumulates(n); }
  bool regionable(size_t n) const { return regionable_[n]; }
  std::vector<char> regionable_; ///< Per node: whether it may join a row-band region.
  /// Some depthwise conv could compute its 1x1 expansion (fusesExpansion): finishAnew
  /// tries fused tiles only then (never in float plans).
  bool fusable_ = false;
  bool accumulates(size_t n) const {
    return options_.accumulateReductions && isAccumulating(g_, g_.nodes[n]);
  }
  std::vector<std::pair<size_t, size_t>> runsOf(const std::vector<size_t> &order,
                                                bool reductions) const;
  bool absorbReductions(std::optional<Summary> &best, Schedule &bestSchedule) const;
  bool reshapeTiles(std::optional<Summary> &best, Schedule &bestSchedule) const;
  bool splitTiles(std::optional<Summary> &best, Schedule &bestSchedule) const;
  std::vector<size_t> memoryAwareOrder() const;
  std::vector<size_t> sunkOrder(const std::vector<size_t> &order) const;
  std::vector<RegionInfo> allRuns(const std::vector<size_t> &order) const;
  void regionRounds(std::optional<Summary> &best, Schedule &bestSchedule, bool branchy) const;
  /// `built`: the options of the variant kept (finishAnew's `keptOut`).
  Expected<Plan> finish(const Schedule &schedule, BuildOptions *built = nullptr) const;
  /// The options finish() builds a schedule's plan with, before finishAnew's variants.
  BuildOptions finishing() const;
  /// finish() without its memo; `keptOut`: the options of the variant kept.
  Expected<Plan> finishAnew(const Schedule &schedule, BuildOptions chosenBuild,
                            BuildOptions *keptOut = nullptr) const;
  /// The layer-by-layer plan's MACs (baselineMacs_) and summary, which the MAC overhead
  /// and the report are measured against.
  Expected<Summary> measureBaseline();
  /// Rounds, reductions absorbed and tiles reshaped from `schedule`, while they improve it.
  void rounds(std::optional<Summary> &plan, Schedule &schedule);
  bool allowed(const Summary &p) const {
    return p.macs <= baselineMacs_ + static_cast<int64_t>(options_.macOverhead *
                                                          double(baselineMacs_));
  }
  bool better(const Summary &a, const Summary &b) const { return preferred(options_, a, b); }
};

/// List scheduling: among ready nodes, the one after which the fewest bytes are live.
/// A node may read one tensor more than once (Add(a, a)): `pendingInputs` counts input
/// slots, `remainingUses` distinct consumer nodes, so each is decremented in its own unit.
std::vector<size_t> Search::memoryAwareOrder() const {
  const size_t n = g_.nodes.size();
  auto producers = g_.producers();
  auto consumers = g_.consumers();
  std::vector<int> pendingInputs(n, 0), remainingUses(g_.numTensors(), 0);
  for (size_t i = 0; i < n; ++i)
    for (ir::TensorId in : g_.nodes[i].inputs)
      if (in != ir::kNoTensor && producers[in] >= 0)
        ++pendingInputs[i];
  for (size_t t = 0; t < g_.numTensors(); ++t)
    remainingUses[t] = static_cast<int>(consumers[t].size());
  auto bytes = [&](ir::TensorId t) {
    return ir::numel(g_.tensor(t).shape) * elementBytes(g_.tensor(t), options_.floatActivations);
  };
  auto distinctInputs = [&](size_t i) {
    std::vector<ir::TensorId> ins;
    for (ir::TensorId in : g_.nodes[i].inputs)
      if (in != ir::kNoTensor && std::find(ins.begin(), ins.end(), in) == ins.end())
        ins.push_back(in);
    return ins;
  };
  std::vector<size_t> order;
  std::vector<char> doneNode(n, 0);
  while (order.size() < n) {
    int best = -1;
    int64_t bestDelta = 0;
    for (size_t i = 0; i < n; ++i) {
      if (doneNode[i] || pendingInputs[i] > 0)
        continue;
      int64_t delta = 0;
      for (ir::TensorId out : g_.nodes[i].outputs)
        delta += bytes(out);
      for (ir::TensorId in : distinctInputs(i))
        if (!g_.tensor(in).isConstant() && remainingUses[in] == 1 &&
            std::find(g_.outputs.begin(), g_.outputs.end(), in) == g_.outputs.end())
          delta -= bytes(in);
      if (best < 0 || delta < bestDelta)
        best = static_cast<int>(i), bestDelta = delta;
    }
    if (best < 0)
      break; // unreachable for a valid DAG
    doneNode[best] = 1;
    order.push_back(static_cast<size_t>(best));
    for (ir::TensorId in : distinctInputs(static_cast<size_t>(best)))
      --remainingUses[in];
    for (ir::TensorId out : g_.nodes[best].outputs)
      for (size_t c : consumers[out]) // once per consumer node, so per input slot below
        for (ir::TensorId in : g_.nodes[c].inputs)
          if (in == out)
            --pendingInputs[c];
  }
  return order;
}

/// `order` with every node that cannot join a region moved as late as its consumers allow
/// and the others kept in their order (list scheduling backwards, taking a ready node that
/// cannot join a region first): the runs of regionable nodes then span what those nodes
/// interrupted, e.g. a detector's blocks and the heads on its feature maps.
std::vector<size_t> Search::sunkOrder(const std::vector<size_t> &order) const {
  const size_t n = g_.nodes.size();
  auto producers = g_.producers();
  std::vector<std::vector<size_t>> before(n); // distinct producer nodes of each node's inputs
  std::vector<int> after(n, 0);               // distinct consumer nodes not yet placed
  for (size_t i = 0; i < n; ++i)
    for (ir::TensorId in : g_.nodes[i].inputs)
      if (in != ir::kNoTensor && producers[in] >= 0) {
        auto p = static_cast<size_t>(producers[in]);
        if (std::find(before[i].begin(), before[i].end(), p) == before[i].end())
          before[i].push_back(p), ++after[p];
      }
  std::vector<char> regionable(n), placed(n, 0);
  for (size_t i = 0; i < n; ++i)
    regionable[i] = joinable(i);
  std::vector<size_t> reversed;
  while (reversed.size() < order.size()) {
    int pick = -1, fallback = -1;
    for (size_t k = order.size(); k-- > 0 && pick < 0;) {
      size_t x = order[k];
      if (placed[x] || after[x] > 0)
        continue;
      if (!regionable[x])
        pick = static_cast<int>(x);
      else if (fallback < 0)
        fallback = static_cast<int>(x);
    }
    if (pick < 0)
      pick = fallback;
    if (pick < 0)
      return order; // unreachable for a valid DAG
    placed[pick] = 1;
    reversed.push_back(static_cast<size_t>(pick));
    for (size_t p : before[pick])
      --after[p];
  }
  return {reversed.rbegin(), reversed.rend()};
}

/// The maximal runs [a, b) of consecutive joinable nodes of `order` (`reductions`: with
/// the accumulating reductions, each of which ends its run, as its output is complete only
/// after the run's last band; else without them).
std::vector<std::pair<size_t, size_t>> Search::runsOf(const std::vector<size_t> &order,
                                                      bool reductions) const {
  std::vector<std::pair<size_t, size_t>> runs;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && regionable(order[j]))
      ++j;
    if (reductions && j < order.size() && accumulates(order[j]))
      ++j;
    if (j > i)
      runs.emplace_back(i, j);
    i = std::max(j, i + 1);
  }
  return runs;
}

/// Every maximal run of consecutive joinable nodes of `order` as one row-band region.
std::vector<RegionInfo> Search::allRuns(const std::vector<size_t> &order) const {
  std::vector<RegionInfo> regions;
  for (auto [i, j] : runsOf(order, /*reductions=*/true)) {
    RegionInfo r;
    r.strategy = Strategy::RowBands, r.tileRows = 1, r.tileCols = 0;
    r.nodes.assign(order.begin() + i, order.begin() + j);
    regions.push_back(std::move(r));
  }
  return regions;
}

/// Greedy rounds over the regions of `bestSchedule`'s order: each round adds (or grows,
/// merges, splits) the row-band region that lowers the peak most, then tries tiles for every
/// region; `best` is the plan of `bestSchedule` and both are updated. `branchy`: region
/// boundaries are priced by the tensors that cross them into the same run only (a head's
/// output that leaves the run is held whole wherever the cut falls).
void Search::regionRounds(std::optional<Summary> &best, Schedule &bestSchedule,
                          bool branchy) const {
  // Runs of consecutive regionable ops in the chosen order.
  const std::vector<size_t> order = bestSchedule.order;
  // (Not branchy: reductions join a region afterwards, in absorbReductions; as ends of the
  // runs they would add a round of candidates for every cut, MobileNetV2 +50% time.)
  const std::vector<std::pair<size_t, size_t>> runs = runsOf(order, /*reductions=*/branchy);
  // Region boundaries are tried only where few tensors flow across (between blocks, not
  // inside a residual) and at the ends of runs: fewer candidates, near the same optima.
  std::vector<char> cut(order.size() + 1, 0);
  {
    std::vector<size_t> position(g_.nodes.size());
    for (size_t i = 0; i < order.size(); ++i)
      position[order[i]] = i;
    auto consumers = g_.consumers();
    auto producers = g_.producers();
    std::vector<int> crossing(order.size() + 1, 0);
    for (size_t t = 0; t < g_.numTensors(); ++t) {
      if (producers[t] < 0 || consumers[t].empty())
        continue;
      size_t from = position[producers[t]] + 1, to = 0;
      for (size_t c : consumers[t])
        if (!branchy || joinable(c))
          to = std::max(to, position[c]);
      if (to < from) // branchy: read only outside regions, so held whole anyway
        continue;
      for (size_t p = from; p <= to; ++p)
        ++crossing[p];
    }
    // Two crossing tensors (a side branch) when that keeps the search small, else one.
    for (int limit : {2, 1}) {
      size_t pairs = 0;
      for (size_t p = 0; p <= order.size(); ++p)
        cut[p] = crossing[p] <= limit;
      for (auto [a, b] : runs) {
        cut[a] = cut[b] = 1;
        size_t cuts = std::count(cut.begin() + a, cut.begin() + b + 1, 1);
        pairs += cuts * cuts / 2;
      }
      if (pairs <= 400)
        break;
    }
  }
  // A new region replaces any it overlaps (so regions can grow and merge).
  auto withRegion = [&](const Schedule &s, size_t a, size_t b, Strategy strategy, int64_t th,
                        int64_t tw) {
    Schedule next = s;
    std::erase_if(next.regions, [&](const RegionInfo &r) {
      size_t ra = std::find(order.begin(), order.end(), r.nodes.front()) - order.begin();
      return a < ra + r.nodes.size() && ra < b;
    });
    RegionInfo r;
    r.strategy = strategy, r.tileRows = th, r.tileCols = tw;
    r.nodes.assign(order.begin() + a, order.begin() + b);
    next.regions.push_back(r);
    std::sort(next.regions.begin(), next.regions.end(), [&](const auto &x, const auto &y) {
      return std::find(order.begin(), order.end(), x.nodes.front()) <
             std::find(order.begin(), order.end(), y.nodes.front());
    });
    settleHandOffs(g_, next); // (a hand-off needs its reader next)
    return next;
  };
  // Greedy rounds: add the row-band region that helps most, then see whether tiles do
  // better for any region; repeat while the plan improves.
  // Candidates are screened with whole-buffer lifetimes; the most promising few are
  // planned again with row lifetimes, which decide.
  constexpr size_t kRefined = 6;
  for (int round = 0; round < 24; ++round) {
    std::vector<std::pair<Summary, Schedule>> screened;
    // (Branchy: the search starts from whole runs in row bands, so it only splits and
    // trims them, below; adding regions would cost a candidate per pair of cuts.)
    for (auto [a, b] : runs)
      for (size_t i = a; i < b && !branchy; ++i)
        for (size_t j = i + 1; j <= b && !spent(); ++j) {
          if (!cut[i] || !cut[j])
            continue;
          Schedule s = withRegion(bestSchedule, i, j, Strategy::RowBands, 1, 0);
          auto p = evaluate(s, /*refined=*/true);
          if (p && allowed(*p))
            screened.emplace_back(std::move(*p), std::move(s));
        }
    // Splitting a region in two: deep regions hold a ring per op, two shallower may not.
    for (size_t r = 0; r < bestSchedule.regions.size(); ++r) {
      const RegionInfo &region = bestSchedule.regions[r];
      size_t a = std::find(order.begin(), order.end(), region.nodes.front()) - order.begin();
      size_t b = a + region.nodes.size();
      for (size_t m = a + 1; m < b && !spent(); ++m) {
        if (!cut[m])
          continue;
        Schedule s = withRegion(withRegion(bestSchedule, a, m, region.strategy, region.tileRows,
                                           region.tileCols),
                                m, b, region.strategy, region.tileRows, region.tileCols);
        auto p = evaluate(s, /*refined=*/true);
        if (p && allowed(*p))
          screened.emplace_back(std::move(*p), std::move(s));
        if (!branchy)
          continue;
        // Trimming: one side of the cut runs layer by layer.
        for (auto [x, y] : {std::pair{a, m}, std::pair{m, b}}) {
          Schedule t = withRegion(bestSchedule, x, y, region.strategy, region.tileRows,
                                  region.tileCols);
          auto q = evaluate(t, /*refined=*/true);
          if (q && allowed(*q))
            screened.emplace_back(std::move(*q), std::move(t));
        }
      }
    }
    std::sort(screened.begin(), screened.end(),
              [&](const auto &x, const auto &y) { return better(x.first, y.first); });
    std::optional<Summary> roundBest;
    Schedule roundSchedule;
    for (size_t k = 0; k < std::min(kRefined, screened.size()); ++k) {
      auto p = evaluate(screened[k].second, /*refined=*/true, variant_.decide);
      if (p && allowed(*p) && (!roundBest || better(*p, *roundBest)))
        roundBest = std::move(p), roundSchedule = screened[k].second;
    }
    bool improved = roundBest && better(*roundBest, *best);
    if (improved) {
      best = std::move(roundBest);
      bestSchedule = roundSchedule;
    }
    bool tiled = false;
    for (size_t r = 0; r < bestSchedule.regions.size(); ++r) {
      const RegionInfo region = bestSchedule.regions[r];
      Extent e = extentOf(g_.tensor(g_.nodes[region.nodes.back()].outputs[0]));
      // (Whether it may hand off does not depend on its strategy or tiles.)
      const bool handOffs = variant_.handOffs && mayHandOff(g_, bestSchedule, r);
      if (handOffs && region.strategy == Strategy::RowBands && !region.handOff) {
        Schedule s = bestSchedule;
        s.regions[r].handOff = true;
        if (auto p = evaluate(s, /*refined=*/true, variant_.decide);
            p && allowed(*p) && better(*p, *best))
          best = std::move(p), bestSchedule = s, tiled = true;
      }
      for (int64_t grid : {2, 3, 4, 6, 8, 10, 12, 14, 16}) {
        if (grid > e.rows || grid > e.cols || (grid > 8 && !variant_.handOffs))
          continue;
        Schedule s = bestSchedule;
        s.regions[r].strategy = Strategy::Tiles;
        s.regions[r].tileRows = (e.rows + grid - 1) / grid;
        s.regions[r].tileCols = (e.cols + grid - 1) / grid;
        for (bool handOff : {false, true}) {
          s.regions[r].handOff = handOff;
          if (handOff && !handOffs)
            continue;
          auto p = evaluate(s, /*refined=*/true, variant_.decide);
          if (p && allowed(*p) && better(*p, *best))
            best = std::move(p), bestSchedule = s, tiled = true;
        }
      }
    }
    if ((!improved && !tiled) || spent())
      break;
  }
}

/// Every row-band or tiled region that the order follows with a reduction over rows and
/// columns reading it takes the reduction as its last op, accumulating in row bands, so
/// that the map it reduces is never whole. The plan may get worse at first (the peak moves
/// to another region, which the rounds have not split for it): the caller runs the rounds
/// again from here and keeps the result only if it improves. Whether any region took one.
bool Search::absorbReductions(std::optional<Summary> &best, Schedule &bestSchedule) const {
  const std::vector<size_t> order = bestSchedule.order;
  bool any = false;
  for (size_t r = 0; r < bestSchedule.regions.size(); ++r) {
    const RegionInfo &region = bestSchedule.regions[r];
    const size_t next =
        std::find(order.begin(), order.end(), region.nodes.back()) - order.begin() + 1;
    if (region.strategy == Strategy::Layer || next >= order.size() || !accumulates(order[next]))
      continue;
    const ir::TensorId reduced = g_.nodes[order[next]].inputs[0];
    if (std::none_of(region.nodes.begin(), region.nodes.end(),
                     [&](size_t n) { return g_.nodes[n].outputs[0] == reduced; }))
      continue;
    // (A tiled region accumulates in row bands: a tile grid's columns would add partial
    // rows into the sums.)
    Schedule s = bestSchedule;
    s.regions[r].nodes.push_back(order[next]);
    s.regions[r].strategy = Strategy::RowBands, s.regions[r].tileRows = 1;
    s.regions[r].tileCols = 0;
    settleHandOffs(g_, s); // (a region ending in a reduction hands nothing off)
    auto p = evaluate(s, /*refined=*/true, variant_.decide);
    if (p && allowed(*p))
      best = std::move(p), bestSchedule = std::move(s), any = true;
  }
  return any;
}

/// Each tiled region's tiles made twice or half as tall, as wide, or both ways opposite
/// (the searches with hand-offs; the rounds' grids cut a map into as many tiles down as
/// across): a tile's rows set how many rows the region before hands over at a time, its
/// columns how wide the tile's buffers are. Each change is kept when it improves the plan.
/// Tried after the rounds, whose greedy path it would otherwise turn (MobileNetV2 streamed:
/// 96,288 B against 73,632 B when the rounds tried them); the caller runs the rounds again from
/// a change and keeps the result only if it improves. Whether any region changed.
bool Search::reshapeTiles(std::optional<Summary> &best, Schedule &bestSchedule) const {
  bool any = false;
  for (size_t r = 0; r < bestSchedule.regions.size(); ++r) {
    if (bestSchedule.regions[r].strategy != Strategy::Tiles)
      continue;
    const Extent e =
        extentOf(g_.tensor(g_.nodes[bestSchedule.regions[r].nodes.back()].outputs[0]));
    const bool handOffs = mayHandOff(g_, bestSchedule, r);
    const int64_t th = bestSchedule.regions[r].tileRows, tw = bestSchedule.regions[r].tileCols;
    const std::pair<int64_t, int64_t> shapes[] = {{th * 2, tw},     {th, tw * 2},
                                                  {th / 2, tw},     {th, tw / 2},
                                                  {th * 2, tw / 2}, {th / 2, tw * 2}};
    for (auto [rows, cols] : shapes) {
      if (rows < 1 || cols < 1 || rows > e.rows || cols > e.cols || spent())
        continue;
      for (bool handOff : {false, true}) {
        if (handOff && !handOffs)
          continue;
        Schedule s = bestSchedule;
        s.regions[r].tileRows = rows, s.regions[r].tileCols = cols;
        s.regions[r].handOff = handOff;
        settleHandOffs(g_, s); // (a hand-off here can end the next region's)
        auto p = evaluate(s, /*refined=*/true, variant_.decide);
        if (p && allowed(*p) && better(*p, *best))
          best = std::move(p), bestSchedule = s, any = true;
      }
    }
  }
  return any;
}

/// The row-band region that holds the peak, cut in two wherever one tensor crosses the
/// cut, one part in tiles (the first handing its rows to the second where it may), the
/// other in row bands: two moves the rounds make one at a time, neither helping alone (a
/// cut adds the map between the parts, and tiles over a deep region cost too many MACs). What a
/// stem needs when the whole frame and one pipeline's rings are the peak: torchvision's MNASNet
/// 0.5 at 224x224 ended in row bands over its first 15 ops (188,344 B; 160,768 B with a split).
/// Kept when it improves the plan; whether any did.
bool Search::splitTiles(std::optional<Summary> &best, Schedule &bestSchedule) const {
  // Only the region whose step holds the peak (cutting another cannot lower it), to bound
  // the time: a candidate per cut, part and grid.
  BuildOptions refined = build_; // (as evaluate() prices the candidates)
  refined.rowLifetimes = true;
  auto built = buildPlan(g_, bestSchedule, refined);
  if (!built)
    return false;
  const std::vector<int64_t> reserved = reservedBytes(*built);
  const size_t peak = static_cast<size_t>(std::max_element(reserved.begin(), reserved.end()) -
                                          reserved.begin());
  if (peak >= built->steps.size() || built->steps[peak].region < 0)
    return false;
  const size_t front =
      built->regions[static_cast<size_t>(built->steps[peak].region)].nodes.front();
  const auto at = std::find_if(bestSchedule.regions.begin(), bestSchedule.regions.end(),
                               [&](const RegionInfo &r) { return r.nodes.front() == front; });
  if (at == bestSchedule.regions.end())
    return false;
  const size_t r = static_cast<size_t>(at - bestSchedule.regions.begin());
  const RegionInfo region = *at;
  if (region.strategy != Strategy::RowBands || region.nodes.size() < 2)
    return false;
  const auto producers = g_.producers();
  bool any = false;
  for (size_t k = 1; k < region.nodes.size() && !spent(); ++k) {
    // Tensors made before the cut and read after it.
    std::vector<ir::TensorId> crossing;
    for (size_t j = k; j < region.nodes.size(); ++j)
      for (ir::TensorId t : g_.nodes[region.nodes[j]].inputs)
        if (t >= 0 && producers[t] >= 0 &&
            std::find(region.nodes.begin(), region.nodes.begin() + k, producers[t]) !=
                region.nodes.begin() + k &&
            std::find(crossing.begin(), crossing.end(), t) == crossing.end())
          crossing.push_back(t);
    if (crossing.size() != 1)
      continue;
    for (size_t tiled : {r, r + 1}) {
      Schedule split = bestSchedule;
      RegionInfo first = region, second = region;
      first.nodes.assign(region.nodes.begin(), region.nodes.begin() + k);
      second.nodes.assign(region.nodes.begin() + k, region.nodes.end());
      first.handOff = false;
      split.regions[r] = first;
      split.regions.insert(split.regions.begin() + r + 1, second);
      const Extent e =
          extentOf(g_.tensor(g_.nodes[split.regions[tiled].nodes.back()].outputs[0]));
      const bool handOffs = mayHandOff(g_, split, r);
      for (int64_t grid : {2, 3, 4, 6, 8, 10, 12, 14, 16}) {
        if (grid > e.rows || grid > e.cols || spent())
          continue;
        for (bool handOff : {false, true}) {
          if (handOff && !handOffs)
            continue;
          Schedule s = split;
          s.regions[tiled].strategy = Strategy::Tiles;
          s.regions[tiled].tileRows = (e.rows + grid - 1) / grid;
          s.regions[tiled].tileCols = (e.cols + grid - 1) / grid;
          s.regions[r].handOff = handOff;
          settleHandOffs(g_, s);
          auto p = evaluate(s, /*refined=*/true, variant_.decide);
          if (p && allowed(*p) && better(*p, *best))
            best = std::move(p), bestSchedule = s, any = true;
        }
      }
    }
    if (any)
      return true; // (the regions moved: the caller runs the rounds from here)
  }
  return false;
}

BuildOptions Search::finishing() const {
  BuildOptions chosenBuild = build_;
  chosenBuild.rowLifetimes = true, chosenBuild.rowRuns = 0;
  chosenBuild.carryScratch = carry_, chosenBuild.priceCarried = false;
  // (Depthwise convs in place are tried on the best layout, in finishAnew.)
  chosenBuild.depthwiseInPlace = false, chosenBuild.tilesInPlace = false;
  chosenBuild.fuseExpansions = false;
  return chosenBuild;
}

/// The chosen schedule's plan, placed thoroughly (the search compares candidates placed
/// greedy by size, fast), with the input's rows streamed into a frame buffer when that is
/// smaller.
Expected<Plan> Search::finish(const Schedule &schedule, BuildOptions *built) const {
  const BuildOptions chosenBuild = finishing();
  std::string key;
  Evaluations::keyOf(g_, schedule, chosenBuild, Placement::Final, key);
  if (auto done = evaluations_.finished(key)) {
    if (built)
      *built = done->built;
    return std::move(done->plan);
  }
  BuildOptions kept;
  auto best = finishAnew(schedule, chosenBuild, &kept);
  if (best)
    evaluations_.addFinished(key, {*best, kept});
  if (built)
    *built = kept;
  return best;
}

/// The rows of rings with lives of their own (BuildOptions::ringRowLifetimes) in
/// `schedule`'s finished plan: the slots an input ring or a hand-off ring holds nothing in
/// while the regions after it run hold their buffers instead; and with them, a residual
/// Add's output rows over its whole input's as they die (BuildOptions::inPlaceRows). Kept
/// at the same arena too (a lower live peak, where growth may then find more); streamed,
/// also tried with the input read whole (the resident frame's plan, which these may lower
/// more than the streamed one). Only makePlan's plan tries them: tried in every finished
/// plan, the lower arenas turned the searches' greedy paths, and a random graph's streamed
/// plan ended above its resident one.
Expected<Plan> Search::finishLast(const Schedule &schedule) {
  if (auto baseline = measureBaseline(); !baseline) // (what allowed() measures against)
    return baseline.error();
  BuildOptions kept;
  auto best = finish(schedule, &kept);
  if (!best || !std::any_of(schedule.regions.begin(), schedule.regions.end(),
                            [](const RegionInfo &r) { return r.strategy != Strategy::Layer; }))
    return best;
  // Rings' rows apart, then with rows taken over in place as well (each placed apart: one
  // can place lower than the other), then, streamed, the input read whole.
  std::vector<BuildOptions> tries{kept, kept};
  tries[0].ringRowLifetimes = true;
  tries[1].ringRowLifetimes = true, tries[1].inPlaceRows = true;
  if (options_.streamInput && !kept.streamFirst) {
    tries.push_back(tries[1]);
    tries[2].streamFirst = true, tries[2].streamIntoFrame = false;
  }
  const Summary finished = best->summary;
  BuildOptions bestBuild = kept;
  for (size_t k = 0; k < tries.size(); ++k) {
    const bool streamFirst = tries[k].streamFirst && !kept.streamFirst;
    auto p = buildPlan(g_, schedule, tries[k]);
    if (!p)
      continue;
    // Placed only when it lowers the finished plan's live peak (the input read whole: when
    // it may beat the arena): placement is most of what a try costs (rpool_face_qvga_mono
    // streamed: 0.7 s a try).
    const std::vector<int64_t> reserved = reservedBytes(*p);
    const int64_t peak =
        reserved.empty() ? 0 : *std::max_element(reserved.begin(), reserved.end());
    if (peak >= (streamFirst ? finished.arenaBytes : finished.peakBytes))
      continue;
    // (The input read whole placed as the candidates of a search round are: a QVGA frame's
    // rows cost a second placed finally, for the same arena.)
    placeBuffers(*p, streamFirst ? Placement::Thorough : Placement::Final,
                 &evaluations_.placements());
    if (allowed(p->summary) && verifyPlan(g_, *p) &&
        (p->summary.arenaBytes < best->summary.arenaBytes ||
         (!streamFirst && p->summary.arenaBytes == best->summary.arenaBytes &&
          p->summary.peakBytes <= best->summary.peakBytes &&
          p->summary.peakBytes < finished.peakBytes))) {
      best = std::move(*p);
      bestBuild = tries[k];
    }
  }
  // Last, the best of them with Pads' rings over their inputs' first rows: the same live
  // bytes, placed lower where the ring fits nowhere beside the row (rpool_face_m4).
  const bool pads = std::any_of(g_.nodes.begin(), g_.nodes.end(),
                                [&](const ir::Node &n) { return padView(g_, n).has_value(); });
  if (pads && bestBuild.rowLifetimes && best->summary.arenaBytes > best->summary.peakBytes) {
    bestBuild.padOverInput = true;
    auto p = buildPlan(g_, schedule, bestBuild);
    if (p && std::any_of(p->buffers.begin(), p->buffers.end(), isOverInputRow)) {
      placeBuffers(*p, Placement::Final, &evaluations_.placements());
      if (allowed(p->summary) && verifyPlan(g_, *p) &&
          p->summary.arenaBytes < best->summary.arenaBytes)
        best = std::move(*p);
    }
  }
  return best;
}

Expected<Plan> Search::finishAnew(const Schedule &schedule, BuildOptions chosenBuild,
                                  BuildOptions *keptOut) const {
  auto built = buildPlan(g_, schedule, chosenBuild); // (the search evaluated it)
  if (!built)
    return built.error();
  Plan best = std::move(*built);
  placeBuffers(best, Placement::Final, &evaluations_.placements());
  // Placement is a heuristic: rows in runs of 16 can place lower than each row on its own
  // (rnnpool_face streamed: 80,048 against 80,084 B); and, streamed, the input's rows can
  // go into a frame buffer instead of rings, or be read whole before the first op, as a
  // resident frame is (so that streaming never costs more than the resident plan of the
  // same schedule: a stem of tiles taking the rows into a ring placed 41 B higher on a
  // random graph of unit_plan). (The same alternatives whichever search
  // finishes the schedule, as finish() shares finished plans between them.)
  std::vector<BuildOptions> others;
  BuildOptions runs = chosenBuild;
  runs.rowRuns = BuildOptions{}.rowRuns;
  others.push_back(runs);
  for (BuildOptions o : {chosenBuild, runs})
    if (options_.streamInput)
      o.streamIntoFrame = true, others.push_back(o);
  // (Only where tiles read the input into a ring: row bands have the frame buffer above,
  // and placing a plan of a QVGA frame's rows costs seconds.)
  const auto readsInput = [&](size_t n) {
    return std::any_of(g_.nodes[n].inputs.begin(), g_.nodes[n].inputs.end(), [&](auto t) {
      return std::find(g_.inputs.begin(), g_.inputs.end(), t) != g_.inputs.end();
    });
  };
  if (options_.streamInput &&
      std::any_of(schedule.regions.begin(), schedule.regions.end(), [&](const RegionInfo &r) {
        return r.strategy == Strategy::Tiles &&
               std::any_of(r.nodes.begin(), r.nodes.end(), readsInput);
      })) {
    BuildOptions o = chosenBuild;
    o.streamFirst = true, others.push_back(o);
  }
  BuildOptions bestBuild = chosenBuild;
  for (const BuildOptions &o : others)
    if (auto p = buildPlan(g_, schedule, o)) {
      placeBuffers(*p, Placement::Final, &evaluations_.placements());
      if (p->summary.arenaBytes < best.summary.arenaBytes && allowed(p->summary))
        best = std::move(*p), bestBuild = o;
    }
  BuildOptions kept = bestBuild;
  // (`ties`: kept at an equal arena too.)
  const auto tryBuild = [&](const BuildOptions &o, bool ties = false) {
    if (auto p = buildPlan(g_, schedule, o)) {
      // (No placement goes below the live peak: a plan whose peak cannot win is not placed,
      // which on a QVGA detector's rows costs a second.)
      const std::vector<int64_t> reserved = reservedBytes(*p);
      const int64_t peak =
          reserved.empty() ? 0 : *std::max_element(reserved.begin(), reserved.end());
      if (peak > best.summary.arenaBytes || (!ties && peak == best.summary.arenaBytes))
        return;
      placeBuffers(*p, Placement::Final, &evaluations_.placements());
      if ((p->summary.arenaBytes < best.summary.arenaBytes ||
           (ties && p->summary.arenaBytes == best.summary.arenaBytes)) &&
          allowed(p->summary) && verifyPlan(g_, *p))
        best = std::move(*p), kept = o;
    }
  };
  // Depthwise convs in place (BuildOptions::depthwiseInPlace) on the best of those, kept
  // when the arena shrinks (it costs a copy of each output row, so not otherwise) and the
  // plan verifies (as every plan must; an in-place plan that did not would be dropped here
  // rather than fail the build): in row bands, then in tiles as well (a tile at the map's
  // top edge can cost more in place). In chunks of up to 8 pixels; and of 1, whose scratch
  // is smallest (a chunk of 8 depthwise outputs of 960 channels is 7.5 KiB), only to meet a
  // RAM budget: a kernel call per pixel cost MobileNetV2 streamed 10% more instructions in
  // QEMU (544 -> 600 M) for 48 bytes less than chunks of up to half a row.
  if (options_.depthwiseInPlace) {
    const BuildOptions apart = bestBuild;
    for (bool tiles : {false, true})
      for (int64_t chunk : {BuildOptions{}.inPlaceChunk, int64_t{1}}) {
        if (chunk == 1 &&
            !(options_.ramBudget > 0 && best.summary.arenaBytes > options_.ramBudget))
          continue;
        BuildOptions o = apart;
        o.depthwiseInPlace = true, o.tilesInPlace = tiles, o.inPlaceChunk = chunk;
        tryBuild(o);
      }
  }
  // Expansions computed inside their depthwise convs' tiles (BuildOptions::fuseExpansions),
  // on the best of those: two kernel calls per group of 16 channels and tile, no more MACs,
  // and the expansion's tile held for 16 channels, not all (MobileNetV2-RNNPool streamed:
  // the 6x6x576 expansion tiles of blocks 12 and 13, 20,736 B, were its peak). Then in
  // groups of 64 and 32 channels, kept where the arena stays as small (the scratch grows
  // with the group; the calls are fewer).
  const auto any = [&](Strategy strategy) {
    return std::any_of(schedule.regions.begin(), schedule.regions.end(),
                       [&](const RegionInfo &r) { return r.strategy == strategy; });
  };
  if (fusable_ && any(Strategy::Tiles)) {
    BuildOptions o = kept;
    o.fuseExpansions = true;
    tryBuild(o);
    if (kept.fuseExpansions)
      for (int64_t group : {64, 32})
        if (kept.fuseGroup < group) {
          o.fuseGroup = group;
          tryBuild(o, /*ties=*/true);
        }
  }
  // And in row bands (BuildOptions::fuseRows), on the best of those: each row of the
  // expansion still computed once, the rows consecutive windows share carried for all
  // channels, so a stride-2 conv holds a row and a half of its expansion, not three.
  if (fusable_ && any(Strategy::RowBands)) {
    BuildOptions o = kept;
    o.fuseRows = true;
    tryBuild(o);
  }
  if (keptOut)
    *keptOut = kept;
  return best;
}

Expected<Summary> Search::measureBaseline() {
  // Layer by layer, topological order, no in-place, greedy offsets.
  std::vector<size_t> topo(g_.nodes.size());
  for (size_t i = 0; i < topo.size(); ++i)
    topo[i] = i;
  BuildOptions baselineBuild = build_;
  baselineBuild.inPlace = false;
  baselineBuild.streamInput = false;
  auto baseline = buildPlan(g_, Schedule{topo, {}}, baselineBuild);
  if (!baseline)
    return baseline.error();
  placeBuffers(*baseline, Placement::Greedy);
  baselineMacs_ = baseline->summary.macs;
  return baseline->summary;
}

// Rounds, then the reductions absorbed and the rounds again, kept while that improves the
// plan: where the map a reduction reads held the peak, absorbing it moves the peak to where
// the first rounds stopped trying (MobileNetV2-RNNPool streamed: the last conv's tiled
// 7x7x1280 map, then its 7x7 blocks; 69,440 -> 59,328 B).
void Search::rounds(std::optional<Summary> &plan, Schedule &schedule) {
  regionRounds(plan, schedule, /*branchy=*/false);
  for (int pass = 0; pass < 3; ++pass) {
    std::optional<Summary> absorbed = plan;
    Schedule absorbedSchedule = schedule;
    if (!absorbReductions(absorbed, absorbedSchedule))
      break;
    regionRounds(absorbed, absorbedSchedule, /*branchy=*/false);
    if (!better(*absorbed, *plan))
      break;
    plan = std::move(absorbed), schedule = std::move(absorbedSchedule);
  }
  for (int pass = 0; pass < 4 && variant_.handOffs; ++pass) {
    std::optional<Summary> reshaped = plan;
    Schedule reshapedSchedule = schedule;
    if (!reshapeTiles(reshaped, reshapedSchedule))
      break; // (a change is an improvement, and the rounds never undo one)
    regionRounds(reshaped, reshapedSchedule, /*branchy=*/false);
    plan = std::move(reshaped), schedule = std::move(reshapedSchedule);
  }
  for (int pass = 0; pass < 2 && variant_.handOffs; ++pass) {
    std::optional<Summary> split = plan;
    Schedule splitSchedule = schedule;
    if (!splitTiles(split, splitSchedule))
      break;
    regionRounds(split, splitSchedule, /*branchy=*/false);
    // The candidates' arenas are placed greedily by size; a split that lowers that
    // estimate can end, after the rounds, placed worse thoroughly (MobileNetV2-RNNPool
    // streamed, polished: 52,992 -> 55,488 B), so the finished plans decide. (Deciding
    // before the rounds is faster but loses plans the rounds complete: torchvision's
    // MNASNet's first 10 blocks at 128x128, 57,104 -> 61,416 B.)
    auto before = finish(schedule), after = finish(splitSchedule);
    if (!before || !after || !better(after->summary, before->summary))
      break;
    plan = std::move(split), schedule = std::move(splitSchedule);
  }
}

Expected<Plan> Search::polish(const Schedule &start) {
  auto baseline = measureBaseline();
  if (!baseline)
    return baseline.error();
  std::optional<Summary> best = evaluate(start, /*refined=*/true, variant_.decide);
  if (!best)
    return makeError("internal: the schedule to polish does not build");
  Schedule bestSchedule = start;
  rounds(best, bestSchedule);
  chosen_ = bestSchedule;
  auto plan = finish(bestSchedule);
  if (plan)
    plan->baseline = *baseline;
  return plan;
}

/// The finished plan (built with its variants: depthwise convs in place, expansions fused)
/// can bind its arena where the search's candidates, priced without them, did not look:
/// MobileNetV2 streamed, with block 14's expansion fused into its row bands, binds at
/// block 17, whose expansion runs layer by layer (7x7x960 whole beside its conv's ring and
/// output: 69,440 B, against a live peak of 66,272 B elsewhere). So the regions whose steps a
/// buffer reaching the arena's top lives over each try the layer step just before and just
/// after them (and so do those computed at the live peak), and such a layer step joins the
/// region next to it (a reduction over rows and columns, as its last op); each candidate is
/// finished, and the best kept while the arena falls (a few times: each move takes one
/// node). Only where the arena binds, so a pass finishes a few schedules.
Expected<Plan> Search::growAtTop(const Schedule &start, Plan best) {
  if (auto baseline = measureBaseline(); !baseline)
    return baseline.error();
  chosen_ = start;
  std::vector<size_t> position(g_.nodes.size());
  for (size_t i = 0; i < start.order.size(); ++i)
    position[start.order[i]] = i;
  for (int pass = 0; pass < 6; ++pass) {
    const std::vector<size_t> &order = chosen_.order;
    std::vector<int> regionOf(g_.nodes.size(), -1);
    for (size_t r = 0; r < chosen_.regions.size(); ++r)
      for (size_t n : chosen_.regions[r].nodes)
        regionOf[n] = static_cast<int>(r);
    // The nodes computed while a buffer that reaches the top of the arena is live.
    std::set<size_t> binding;
    for (const Buffer &b : best.buffers)
      if (b.offset + b.bytes == best.summary.arenaBytes)
        for (int k = std::max(0, b.firstStep);
             k <= b.lastStep && k < static_cast<int>(best.steps.size()); ++k)
          if (best.steps[static_cast<size_t>(k)].kind == StepKind::Compute)
            binding.insert(best.steps[static_cast<size_t>(k)].node);
    // With rings' rows apart, also those at the live peak, which bounds the arena from
    // below (where the rings moved it; without them, only the time it costs changed).
    const std::vector<int64_t> reserved =
        withRings_ ? reservedBytes(best) : std::vector<int64_t>{};
    for (size_t k = 0; k < reserved.size() && k < best.steps.size(); ++k)
      if (reserved[k] == best.summary.peakBytes && best.steps[k].kind == StepKind::Compute)
        binding.insert(best.steps[k].node);
    std::vector<Schedule> candidates;
    // Node n (a layer step) joins region r, first or last.
    auto join = [&](size_t n, int r, bool first) {
      // (A reduction over rows and columns may join as a region's last op only.)
      if (r < 0 || regionOf[n] >= 0 || !(regionable(n) || (accumulates(n) && !first)))
        return;
      Schedule c = chosen_;
      RegionInfo &region = c.regions[static_cast<size_t>(r)];
      if (accumulates(region.nodes.back()))
        return;
      region.nodes.insert(first ? region.nodes.begin() : region.nodes.end(), n);
      if (accumulates(n)) // (accumulating in row bands, as absorbReductions has it)
        region.strategy = Strategy::RowBands, region.tileRows = 1, region.tileCols = 0;
      settleHandOffs(g_, c);
      candidates.push_back(std::move(c));
    };
    std::set<int> grown;
    for (size_t n : binding) {
      const size_t i = position[n];
      if (regionOf[n] < 0) {
        if (i > 0)
          join(n, regionOf[order[i - 1]], false);
        if (i + 1 < order.size())
          join(n, regionOf[order[i + 1]], true);
      } else if (grown.insert(regionOf[n]).second) {
        const RegionInfo &r = chosen_.regions[static_cast<size_t>(regionOf[n])];
        const size_t a = position[r.nodes.front()], b = position[r.nodes.back()];
        if (a > 0)
          join(order[a - 1], regionOf[n], true);
        if (b + 1 < order.size())
          join(order[b + 1], regionOf[n], false);
      }
    }
    std::optional<Schedule> next;
    for (Schedule &c : candidates)
      if (auto p = withRings_ ? finishLast(c) : finish(c);
          p && allowed(p->summary) && better(p->summary, best.summary) && verifyPlan(g_, *p))
        best = std::move(*p), next = std::move(c);
    if (!next)
      break;
    chosen_ = std::move(*next);
  }
  return best;
}

Expected<Plan> Search::run() {
  std::vector<size_t> topo(g_.nodes.size());
  for (size_t i = 0; i < topo.size(); ++i)
    topo[i] = i;
  auto baseline = measureBaseline();
  if (!baseline)
    return baseline.error();

  // Layer by layer in two orders: the model's (topological) and the memory-aware one; the
  // better starts the rounds, the second (`second`) is tried after.
  std::optional<Summary> best, second;
  Schedule bestSchedule, secondSchedule;
  for (const auto &order : {topo, memoryAwareOrder()}) {
    if (best && bestSchedule.order == order)
      break; // (a chain: one order)
    Schedule s{order, {}};
    auto p = evaluate(s, /*refined=*/true, variant_.decide);
    if (p && (!best || better(*p, *best))) {
      if (best)
        second = std::move(best), secondSchedule = std::move(bestSchedule);
      best = std::move(p), bestSchedule = s;
    } else if (p) {
      second = std::move(p), secondSchedule = s;
    }
  }
  if (!best)
    return makeError("internal: no layer-by-layer plan");

  // Today's search: greedy rounds over the runs of the chosen order, from layer by layer.
  const Schedule layerSchedule = bestSchedule;
  const Summary layerPlan = *best;
  rounds(best, bestSchedule);
  // The other order's layers cost more, but its rounds may end lower: a detector's heads
  // right after the blocks whose maps they read let those maps die early (the face
  // detector streamed: 79,516 -> 68,736 B with the memory-aware order, the authors'
  // rpool_face_m4 99,888 -> 72,544 B streamed and 99,784 -> 94,656 B resident). On a chain
  // (MobileNetV2) the two orders are one.
  if (second) {
    work_ = 0; // (its own effort budget)
    rounds(second, secondSchedule);
    if (second && better(*second, *best))
      best = std::move(second), bestSchedule = std::move(secondSchedule);
  }

  // A streamed input can always be read whole first, so the resident frame's best
  // schedule is a streamed candidate too; the greedy search from a streamed start can stop
  // at a local optimum that needs more RAM than it (a deep dilated chain: 1288 vs 1148 B).
  if (options_.streamInput) {
    PlanOptions resident = options_;
    resident.streamInput = false;
    resident.regionsOverBranches = false; // this search as it was, whatever comes after
    Variant frameVariant; // (as it was: only how candidates are decided and carried)
    frameVariant.decide = variant_.decide, frameVariant.carriedCandidates = variant_.carriedCandidates;
    frameVariant.handOffs = variant_.handOffs;
    Search frame(g_, resident, frameVariant, evaluations_);
    frame.scheduleOnly_ = true;
    (void)frame.run(); // only its schedule is wanted
    if (!frame.chosen().order.empty()) {
      auto p = evaluate(frame.chosen(), /*refined=*/true, variant_.decide);
      if (p && allowed(*p) && better(*p, *best))
        best = std::move(p), bestSchedule = frame.chosen();
    }
  }
  chosen_ = bestSchedule;
  if (scheduleOnly_)
    return makeError("internal: only the schedule was asked for");
  auto finished = finish(bestSchedule);
  if (!finished)
    return finished.error();
  Plan plan = std::move(*finished);

  // Regions over branches: the same order with the nodes that cannot join a region (heads'
  // Transpose, Reshape, Concat, ...) sunk as late as their consumers allow, so that one run
  // spans a feature map's head and the blocks after it; the rounds start from the plan with
  // every such run in row bands (or from layer by layer, if that is better) and may split
  // it. Both finished plans are compared, so the result is never worse than the search
  // above alone.
  if (options_.regionsOverBranches) {
    work_ = 0; // each search gets its own effort budget
    std::optional<Summary> other = layerPlan;
    Schedule otherSchedule = layerSchedule;
    otherSchedule.order = sunkOrder(layerSchedule.order);
    if (otherSchedule.order != layerSchedule.order)
      other = evaluate(otherSchedule, /*refined=*/true, variant_.decide);
    Schedule all{otherSchedule.order, allRuns(otherSchedule.order)};
    bool promising = otherSchedule.order != layerSchedule.order;
    if (auto p = evaluate(all, /*refined=*/true, variant_.decide);
        p && allowed(*p) && (!other || better(*p, *other))) {
      promising = promising || better(*p, plan.summary);
      other = std::move(p), otherSchedule = all;
    }
    // In the same order, from a start no better than the first search's end, splitting and
    // trimming rarely wins: skipped, to bound the planning time (MobileNetV2).
    if (other && promising) {
      regionRounds(other, otherSchedule, /*branchy=*/true);
      auto finishedOther = finish(otherSchedule);
      if (!finishedOther)
        return finishedOther.error();
      if (better(finishedOther->summary, plan.summary))
        plan = std::move(*finishedOther), chosen_ = otherSchedule;
    }
  }
  plan.baseline = *baseline;
  return plan;
}

/// `plan` if it fits the RAM budget and verifies, else the error.
Expected<Plan> checked(const ir::Graph &graph, const PlanOptions &options, Plan plan) {
  if (options.ramBudget > 0 && plan.summary.arenaBytes > options.ramBudget) {
    // A graph without steps (its outputs are its inputs) peaks at no step: the inputs.
    const int peak = plan.summary.peakStep;
    std::string where = "the graph inputs alone";
    if (peak >= 0 && static_cast<size_t>(peak) < plan.steps.size()) {
      const Step &s = plan.steps[static_cast<size_t>(peak)];
      where = fmt::format("step {} (node '{}')", peak,
                          s.kind == StepKind::Stream ? "input" : graph.nodes[s.node].name);
    }
    return makeError("no plan fits in {} bytes: the best found needs {} bytes, peaking at {}; "
                     "raise --ram-budget or --mac-overhead, or shrink the model",
                     options.ramBudget, plan.summary.arenaBytes, where);
  }
  if (auto ok = verifyPlan(graph, plan); !ok)
    return makeError("internal: the plan failed verification: {}", ok.error().message());
  return plan;
}

} // namespace

namespace {

constexpr int kFineRowRuns = 64;

/// A search's plan, the schedule it chose, and whether it could hand regions' outputs off.
struct Found {
  Expected<Plan> plan;
  Schedule chosen;
  bool handOffs = false;
};

Found runSearch(const ir::Graph &graph, const PlanOptions &options,
                const Search::Variant &variant, Evaluations &evaluations) {
  Search search(graph, options, variant, evaluations);
  auto plan = search.run();
  return {std::move(plan), search.chosen(), variant.handOffs};
}

/// `task()` on a thread of its own, or here and now where no thread can be started.
template <class Task> std::future<Found> onItsOwn(const Task &task) {
  try {
    return std::async(std::launch::async, task);
  } catch (const std::system_error &) {
    std::promise<Found> done;
    done.set_value(task());
    return done.get_future();
  }
}

/// The best of the searches (its plan unchecked against the budget).
Found search(const ir::Graph &graph, const PlanOptions &options, Evaluations &evaluations,
             bool carriedCandidates = true) {
  // The rounds are greedy, so their path depends on how candidates are priced. Deciding by
  // greedy-by-size arenas is the search as it was; deciding by thorough placement often
  // ends lower (inverted_residual 6,016 -> 4,352 B) but sometimes higher
  // (mobilenet_v2_rnnpool 164,192 -> 182,080 B), so both run and the better plan is kept;
  // on graphs of more than kSecondSearchNodes nodes only the first, to bound the time.
  constexpr size_t kSecondSearchNodes = 400;
  using Variant = Search::Variant;
  Variant base;
  base.carriedCandidates = carriedCandidates;
  // The searches are independent but for the evaluations they share: the longest (with
  // hand-offs and rows priced finely; MobileNetV2 streamed: 6 of 11 s) runs on a thread of
  // its own beside the others. Their plans are compared in the order below whichever ends
  // first, so the result is the same as one after the other.
  Variant handOffs = base;
  handOffs.handOffs = true;
  Variant handOffsFine = handOffs;
  handOffsFine.rowRuns = kFineRowRuns;
  handOffsFine.tilesInPlace = true;
  std::future<Found> fineHandOffs;
  if (carriedCandidates)
    fineHandOffs = onItsOwn(
        [&, handOffsFine] { return runSearch(graph, options, handOffsFine, evaluations); });
  Found best{makeError("internal: no search ran"), {}, false};
  // (`verify`: the plan is verified before it is kept; see the searches with hand-offs.)
  auto keep = [&](Found found, bool verify = false) {
    if (found.plan &&
        (!best.plan || preferred(options, found.plan->summary, best.plan->summary)) &&
        (!verify || verifyPlan(graph, *found.plan)))
      best = std::move(found);
  };
  keep(runSearch(graph, options, base, evaluations));
  if (graph.nodes.size() <= kSecondSearchNodes) {
    Variant thorough = base;
    thorough.decide = Placement::Thorough;
    keep(runSearch(graph, options, thorough, evaluations));
  }
  // Candidates priced with finer row lifetimes (each run of rows a quarter as long) see
  // more of what a frame's consumed rows can hold, and take another path (rnnpool_face
  // resident 108,608 -> 92,256 B, mobilenet_v2 streamed 145,824 -> 129,696 B) that is
  // sometimes worse (mobilenet_v2 resident 188,160 -> 202,944 B): both run.
  Variant fine = base;
  fine.rowRuns = kFineRowRuns;
  keep(runSearch(graph, options, fine, evaluations));
  // Candidates priced with depthwise convs in place take another path again (mobilenet_v2
  // at 64x64 frame resident 30,240 -> 20,352 B, MobileNetV2-RNNPool streamed 59,328 ->
  // 55,488 B), worse on others (MobileNetV2 streamed 122,080 -> 128,512 B): both run where
  // some depthwise conv could (once: not again with each band's RNNPool scratch apart).
  const bool inPlace =
      options.depthwiseInPlace &&
      std::any_of(graph.nodes.begin(), graph.nodes.end(), [&](const ir::Node &n) {
        return depthwiseInPlace(graph, n, options.floatActivations);
      });
  if (inPlace && carriedCandidates) {
    Variant priced = base;
    priced.priceInPlace = true;
    keep(runSearch(graph, options, priced, evaluations));
  }
  // Regions that hand their output off to the next (a row of tiles or a band at a time,
  // through a ring) and tiles down to a sixteenth of a side: a stem of small tiles over the
  // high-resolution maps that feeds row bands (MobileNetV2 streamed 122,080 -> 88,896 B,
  // with 64 runs of rows; resident 188,160 -> 164,352 B, with 16). Other searches of their
  // own (with both pricings of rows), so that the searches above, and what they find, stay
  // as they were (the choices change their greedy paths: MobileNetV2-RNNPool streamed
  // 55,488 -> 59,008 B if they all had them). The second prices tiles with their
  // depthwise convs in place (MobileNetV2 streamed 81,856 -> 73,632 B; pricing them in the
  // first as well changes nothing on the benchmark models, and costs time).
  if (carriedCandidates) {
    // (A plan of theirs that would be kept is verified first, so that a schedule the
    // builder gets wrong costs bytes, not the build: the plans of the searches above
    // have long verified, the verifier checks them at the end.)
    keep(runSearch(graph, options, handOffs, evaluations), /*verify=*/true);
    keep(fineHandOffs.get(), /*verify=*/true);
  }
  return best;
}

} // namespace

Expected<Plan> growAtTop(const ir::Graph &graph, const PlanOptions &options,
                         const Schedule &schedule) {
  Evaluations evaluations;
  Search::Variant withHandOffs;
  withHandOffs.handOffs = true;
  return Search(graph, options, withHandOffs, evaluations).finishAndGrow(schedule);
}

Expected<Plan> makePlan(const ir::Graph &graph, const PlanOptions &options) {
  if (static_cast<int64_t>(graph.nodes.size()) > limits::kMaxPlannedNodes)
    return makeError("the graph has {} nodes after canonicalisation; the memory planner takes "
                     "at most {} (limit: planned nodes, docs/cli.md)",
                     graph.nodes.size(), limits::kMaxPlannedNodes);
  // Each search returns its best plan whether or not it meets a RAM budget, so that a
  // plan that fails one names the least arena found.
  Evaluations evaluations;
  // Carried, an RNNPool's scratch lives over all its bands: the search whose candidates
  // hold it so can end elsewhere than one whose candidates hold a band's scratch at a time
  // (rnnpool_face streamed: 85,056 B against 80,048 B; frame resident the other way round),
  // so both run on graphs with an RNNPool (the second on a thread of its own) and the
  // better plan is kept.
  const bool pools = std::any_of(graph.nodes.begin(), graph.nodes.end(), [](const ir::Node &n) {
    return n.op == ir::OpKind::RNNPool;
  });
  std::future<Found> apart;
  if (pools && options.carryScratch)
    apart = onItsOwn(
        [&] { return search(graph, options, evaluations, /*carriedCandidates=*/false); });
  Found found = search(graph, options, evaluations);
  if (apart.valid()) {
    Found other = apart.get();
    if (found.plan && other.plan &&
        preferred(options, other.plan->summary, found.plan->summary))
      found = std::move(other);
  }
  auto &plan = found.plan;
  Schedule chosen = found.chosen;
  Search::Variant withHandOffs;
  withHandOffs.handOffs = true;
  // Polish: a plan found by a search without hand-offs, whose rounds stopped where their
  // moves no longer lowered it, gets the rounds of a search with them, from where it is
  // (MobileNetV2-RNNPool streamed 55,488 -> 52,992 B, frame resident 157,600 -> 156,128 B).
  if (plan && !found.handOffs && !found.chosen.order.empty()) {
    Search polisher(graph, options, withHandOffs, evaluations);
    auto other = polisher.polish(found.chosen);
    if (other && preferred(options, other->summary, plan->summary) && verifyPlan(graph, *other))
      plan = std::move(other), chosen = polisher.chosen();
  }
  // Where the finished plan binds its arena, its regions grow by a layer step
  // (Search::growAtTop; MobileNetV2 streamed 69,440 -> 66,432 B).
  if (plan && !chosen.order.empty()) {
    Search grower(graph, options, withHandOffs, evaluations);
    auto other = grower.growAtTop(chosen, *plan);
    if (other && preferred(options, other->summary, plan->summary)) {
      other->baseline = plan->baseline;
      plan = std::move(other), chosen = grower.chosen();
    }
  }
  // The rows of rings with lives of their own, on the chosen schedule (Search::finishLast),
  // then grown again with every candidate finished so: the peak the rings leave can lie
  // where growth, finishing without them, had nothing to gain (MobileNetV2 streamed: its
  // last conv's 7x7x1280 map, whole before its mean, once block 3's tiles take the input
  // ring's empty slots).
  // Kept only where the arena shrinks: at the same arena the plan before, whose live peak
  // is nearer its arena, reads better (MobileNetV2-RNNPool streamed: 45,376 B either way,
  // the live peak 44,480 B with the rings).
  if (plan && !chosen.order.empty()) {
    const Plan before = *plan;
    Search grower(graph, options, withHandOffs, evaluations);
    grower.finishWithRings();
    auto other = grower.finishLast(chosen);
    const int64_t peakBefore = plan->summary.peakBytes;
    if (other && preferred(options, other->summary, plan->summary) && verifyPlan(graph, *other)) {
      other->baseline = plan->baseline;
      plan = std::move(other);
    }
    // (Only when the rings moved the live peak: elsewhere growth has tried it all, and
    // rpool_face_qvga_mono streamed would plan in over 10 s.)
    if (plan->summary.peakBytes < peakBefore) {
      other = grower.growAtTop(chosen, *plan);
      if (other && preferred(options, other->summary, plan->summary)) {
        other->baseline = plan->baseline;
        plan = std::move(other), chosen = grower.chosen();
      }
    }
    if (plan->summary.arenaBytes >= before.summary.arenaBytes &&
        plan->summary.macs >= before.summary.macs)
      plan = before;
  }
  // RNNPool's row bands carry their summaries, at the cost of a scratch live over the
  // region: a plan that does not meet a RAM budget is searched again with every band
  // sweeping its rows afresh (more MACs, less RAM), and the smaller arena kept.
  if (plan && options.ramBudget > 0 && plan->summary.arenaBytes > options.ramBudget &&
      options.carryScratch) {
    PlanOptions afresh = options;
    afresh.carryScratch = false;
    Found other = search(graph, afresh, evaluations);
    if (other.plan && other.plan->summary.arenaBytes < plan->summary.arenaBytes)
      plan = std::move(other.plan);
  }
  if (!plan)
    return plan.error();
  return checked(graph, options, std::move(*plan));
}

} // namespace rnnpoolc::plan
