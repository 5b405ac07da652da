// The memory planner: chooses an operator order, which runs of spatial ops execute in row
// bands or tiles, and arena offsets, for the least peak RAM.
//
// Algorithm. (1) Order: the graph's topological order and a memory-aware greedy order
// (always run the ready node that leaves the fewest bytes live) are both planned layer by
// layer; the better one is kept. (2) Regions: runs of consecutive spatial ops over
// [1, C, H, W] maps (Slices and Concats along their channels included, where their inputs
// and consumers can join too) may execute in row bands: each op produces just the rows its
// consumers need next, into ring buffers of a few rows, so no row is computed twice and only
// tensors used outside the region are held whole; a region may end in a reduction over rows and
// columns that accumulates a row at a time (isAccumulating). A region may hold branches (a
// feature map that feeds a head and the next block) and any number of such escaping tensors.
// Two searches run, and the better finished plan is kept:
//   a. over the runs of the chosen order, greedy rounds each add (or grow, merge, split) the
//      region that lowers the peak most (candidates screened with greedy-by-size placement,
//      the best few decided by it or, in a second search on graphs of up to 400 nodes, by
//      thorough placement);
//   b. regions over branches: the same order with every node that cannot join a region
//      (Transpose, Reshape, Concat, Softmax, reductions over channels...) sunk as late as its
//      consumers allow, so that a run spans the heads interleaved with the blocks; starting
//      from every run in row bands, rounds split a region in two or trim one side of a cut
//      back to layer by layer while that lowers the peak (skipped when sinking changes
//      nothing and that start is no better than search a's plan, to bound the time).
// (3) Tiles (MCUNetV2-style patches, halos recomputed) are tried for every chosen region at
// several grids, kept when they lower the peak within the MAC budget. In searches of their
// own, grids down to a sixteenth of a side, and regions that hand their output off to the
// next (RegionInfo::handOff: a row of tiles or a band at a time, as the next region asks
// for the rows, through a ring), so that a stem of small tiles over the high-resolution
// maps feeds row bands with neither map whole; after their rounds, tiles twice or half as
// tall or wide as a tiled region's (the rounds' grids are square), kept when they improve
// the plan, and the rounds again from there; then the region holding the peak cut in two
// with one part in tiles (the two moves a stem needs, which the rounds make one at a time),
// kept when the finished plan improves. The finished plan, built with what the candidates do
// not price (depthwise convs in place, expansions fused in tiles and row bands), then grows
// the regions where its arena binds, or its live peak, by a neighbouring layer step while
// that lowers it; last, the rows of its rings reserve their slots only while they live
// (BuildOptions::ringRowLifetimes), kept where that lowers it.
// (4) Offsets: greedy by size while searching, then several orders, a bounded repair and a
// bounded local search for the chosen plan (Placement.cpp). The search compares candidates
// by summaries built without steps, memoised across the searches of one makePlan. (5)
// RNNPool: a step costs what its kernel sweeps (ir::rnnPoolRegionMacs); row bands carry
// the summaries from band to band in one scratch kept over them, so they cost the layer's
// MACs. The searches run twice on graphs with an RNNPool, their candidates holding the
// carried scratch or one band's scratch at a time (priced as carried), and the better plan
// is kept; only a RAM budget not met otherwise gives up the carry. Every plan is checked by
// the independent verifier before it is returned.
//
// Limits: greedy at each level, so not optimal; a region is a run of consecutive ops in one
// of the two orders, so an op that cannot run in row bands and whose output feeds the
// region back (a channel Split between blocks) still ends it; a channel Concat joins row
// bands (PlanOptions::channelConcats) but never tiles; a reduction over
// rows and columns (GlobalAveragePool, ReduceMean / ReduceMax over H and W) may end a region,
// accumulating a row at a time (Step::accumulate), but never sits inside one; batch 1 only
// for regions.
#pragma once

#include "compiler/plan/Plan.h"

namespace rnnpoolc::plan {

struct PlanOptions {
  bool floatActivations = false;
  bool streamInput = false;
  double macOverhead = 0.10; ///< Extra MACs allowed over layer-by-layer (tiles recompute).
  int64_t ramBudget = 0;     ///< > 0: the fewest MACs whose peak fits, or an error.
  /// Also search regions over branches (below); off: only the runs of the chosen order, as
  /// before (tests compare the two).
  bool regionsOverBranches = true;
  /// Reductions over rows and columns may end a row-band region, accumulating a row at a
  /// time (Step::accumulate); off for a backend that runs them only on whole maps.
  bool accumulateReductions = true;
  /// Concats along the channels of maps (ir::isChannelConcat) may join row-band regions,
  /// each band copying its rows of every input into its channels, so that the branches
  /// of an Inception or fire module need not be held whole (off: as before, for tests).
  bool channelConcats = true;
  /// The chosen schedule is also built with depthwise convs of row bands writing each
  /// output row over their input ring's dead slot (BuildOptions::depthwiseInPlace; int8),
  /// kept when the arena shrinks.
  bool depthwiseInPlace = true;
  /// The chosen schedule is also built with the 1x1 expansions of its tiles computed inside
  /// the depthwise conv after them, a group of channels at a time (BuildOptions::
  /// fuseExpansions; int8), kept when the arena shrinks.
  bool fuseExpansions = true;
  /// Row bands of RNNPool keep one scratch over the node's bands, each going on from
  /// the row summaries the band above left (`carry`), so they cost the layer's MACs; off,
  /// each band sweeps its rows afresh with a scratch of its own (more MACs, often less
  /// RAM). makePlan turns it off by itself when a RAM budget is not met with it.
  bool carryScratch = true;
};

/// Plans `graph` (canonical, shapes known) and verifies the result.
Expected<Plan> makePlan(const ir::Graph &graph, const PlanOptions &options);

struct Schedule; // (Builder.h)
/// makePlan's last move on `schedule`: its finished plan (placed as the chosen plan is, with
/// depthwise convs in place and expansions fused where that shrinks it), with the regions
/// where its arena binds grown by the layer steps next to them while that lowers it, each
/// plan verified (for tests).
Expected<Plan> growAtTop(const ir::Graph &graph, const PlanOptions &options,
                         const Schedule &schedule);

} // namespace rnnpoolc::plan
